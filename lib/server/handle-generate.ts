import type { IncomingMessage, ServerResponse } from 'node:http';
import { tap, type Subscription } from 'rxjs';
import { Collector, collect, validateCall, type CollectedResponse } from '../canonical/index.js';
import type { Runtime } from '../core/runtime.js';
import type { Conversation, ResolvedALeg } from '../continuity/index.js';
import type { ExecutionMeta } from '../core/execute.js';
import { LipError, toLipError } from '../errors/index.js';
import type { DecodedRequest, EncodeContext, Frontend, GenerateRoute } from '../frontends/protocol.js';
import { randomId, readJsonBody } from '../wire/index.js';
import type { RequestState } from './request-state.js';
import { sendJson } from './send.js';
import { writeStream } from './write-stream.js';

export interface GenerateTarget {
  readonly frontend: Frontend;
  readonly route: GenerateRoute;
  readonly params: Record<string, string>;
}

/**
 * The protocol-neutral life of a generation request, in phases: read the body (limit, JSON
 * position errors) -> decode (the frontend's codec) -> validate the canonical call -> execute
 * (routing, backends) -> stream the events or collect them into one response.
 * Resolves when the response is finished or the client went away.
 */
export async function handleGenerate(req: IncomingMessage, res: ServerResponse, url: URL, target: GenerateTarget, runtime: Runtime, state: RequestState): Promise<void> {
  const { frontend, route, params } = target;
  const fail = (raw: unknown, headers: Record<string, string> = {}) => {
    const err = toLipError(raw);
    state.errorCode = err.code;
    const response = frontend.encodeError(err);
    sendJson(res, response.status, response.body, { ...headers, ...response.headers });
    return err;
  };

  const principal = state.principal ?? 'local';
  let context: EncodeContext;
  let decoded: DecodedRequest;
  let aLeg: ResolvedALeg;
  let conversation: Conversation | undefined;
  try {
    const body = await readJsonBody(req, runtime.config.server.max_request_body_bytes);
    runtime.extensions?.observeRawBody(body, { requestId: state.requestId, principal, frontendId: frontend.id });
    decoded = route.decode(body, { params, query: url.searchParams, headers: req.headers });
    // A continued conversation (Responses previous_response_id): the stored turns come first.
    const previous = decoded.continuation?.previousResponseId;
    if (previous !== undefined) conversation = await runtime.continuity.loadConversation(previous, principal);
    const call = conversation ? { ...decoded.call, messages: [...conversation.messages, ...decoded.call.messages] } : decoded.call;
    const issues = validateCall(call);
    if (issues.length > 0) {
      const first = issues[0]!;
      throw new LipError('LIP_ERR_REQUEST_INVALID', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { param: first.path });
    }
    // The conversation's A-leg: X-LIP-Session-Id (scoped to the principal), else the continued
    // response's session, else a new one.
    const sessionHeader = req.headers['x-lip-session-id'];
    const sessionId = typeof sessionHeader === 'string' && sessionHeader ? sessionHeader : conversation?.sessionId;
    aLeg = runtime.continuity.resolveALeg(principal, sessionId);
    context = {
      call, hints: decoded.hints ?? {}, requestId: state.requestId, created: Math.floor(Date.now() / 1000),
      ...(decoded.continuation ? { continuation: decoded.continuation } : {}),
      ...(decoded.continuation?.store ? { responseId: randomId('resp_', 48) } : {}),
    };
  } catch (err) {
    fail(err);
    return;
  }

  /** Keeps a stored response (Responses `store`) once it is complete. */
  const save = (output: CollectedResponse) => {
    if (context.responseId === undefined || output.error !== undefined) return;
    runtime.continuity.saveResponse({
      id: context.responseId, principal, aLegId: aLeg.aLegId, sessionId: aLeg.sessionId, model: context.call.model,
      input: decoded.call.messages, output,
      ...(decoded.continuation?.previousResponseId !== undefined ? { previousResponseId: decoded.continuation.previousResponseId } : {}),
    });
  };

  const meta: ExecutionMeta = {};
  const routeHeader = req.headers['x-lip-route'];
  const events = runtime.executor.execute(context.call, {
    requestId: state.requestId,
    ...(typeof routeHeader === 'string' ? { routeHeader } : {}),
    meta,
    principal,
    aLeg,
    frontendId: frontend.id,
  });
  const headers = (): Record<string, string> => {
    const out: Record<string, string> = { 'x-lip-a-leg-id': aLeg.aLegId, 'x-lip-session-id': aLeg.sessionId };
    if (meta.candidateKey) {
      state.backend = meta.candidateKey;
      out['x-lip-backend'] = meta.candidateKey;
    }
    return out;
  };

  await new Promise<void>((resolve) => {
    let subscription: Subscription;
    if (context.call.stream) {
      // A stored streamed response is folded alongside the stream, and saved when it completes.
      const collector = context.responseId === undefined ? undefined : new Collector();
      const streamed = collector ? events.pipe(tap({ next: (e) => collector.push(e), complete: () => save(collector.response) })) : events;
      subscription = writeStream(res, streamed, route.streamEncoder(context), {
        contentType: frontend.streamContentType,
        keepaliveMs: runtime.config.server.keepalive_interval,
        headers,
        encodeError: (err) => frontend.encodeError(err),
        onFailure: (err) => { state.errorCode = err.code; },
        onDone: resolve,
      });
    } else {
      subscription = events.pipe(collect()).subscribe({
        next(response) {
          if (response.error) {
            fail(new LipError('LIP_ERR_UPSTREAM_STREAM_ERROR', response.error.message, { status: response.error.status ?? 502 }), headers());
            return;
          }
          save(response);
          sendJson(res, 200, route.encodeResponse(response, context), headers());
        },
        error(err) {
          fail(err, headers());
          resolve();
        },
        complete: resolve,
      });
      res.once('close', () => {
        if (!subscription.closed) {
          subscription.unsubscribe();
          resolve();
        }
      });
    }
    state.abort = () => {
      subscription.unsubscribe();
      res.destroy();
      resolve();
    };
  });
}
