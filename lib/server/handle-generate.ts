import type { IncomingMessage, ServerResponse } from 'node:http';
import { tap } from 'rxjs/internal/operators/tap';
import { Collector, collect, unansweredResult, type CollectedResponse, type Message } from '../canonical/index.js';
import type { Runtime } from '../core/runtime.js';
import type { Conversation, PendingALeg, ResolvedALeg } from '../continuity/index.js';
import type { ExecutionMeta } from '../core/execute.js';
import { LipError, reportInternalError, toLipError } from '../errors/index.js';
import { settledClock, type BackgroundRoute, type DecodedRequest, type EncodeContext, type Frontend, type GenerateRoute, type StoredResponseView } from '../frontends/protocol.js';
import { rateLimitHeadersOf } from '../frontends/rate-limit-headers.js';
import { failedBodyOf, FlowGate, headerValue, randomId, readJsonBody, type RequestTarget } from '../wire/index.js';
import { budgetHeaders, type RequestState } from './request-state.js';
import { finishAfter } from './finish-after.js';
import { checkCall, clientField, continuedConversation, inConversation } from './continued-conversation.js';
import { servedModel, servedModelEncoder, wholeContext } from './served-model.js';
import { answeredRequestId, sendError, sendJson } from './send.js';
import { sessionIdentity } from './session-identity.js';
import { writeStream } from './write-stream.js';
import { storedResponses } from './stored-responses.js';
import { BackgroundRun, followRun, type BackgroundRuns } from './background-runs.js';

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
export async function handleGenerate(req: IncomingMessage, res: ServerResponse, url: RequestTarget, target: GenerateTarget, runtime: Runtime, state: RequestState, background?: BackgroundRuns): Promise<void> {
  const { frontend, route, params } = target;
  const fail = (raw: unknown, headers: Record<string, string> = {}) => {
    const err = toLipError(raw);
    state.errorCode = err.code;
    const body = failedBodyOf(raw);
    if (body !== undefined) state.failedBody = body;
    sendError(res, frontend, err, headers);
    return err;
  };

  const principal = state.principal ?? 'local';
  const arrivedAt = Date.now();
  let context: EncodeContext;
  let decoded: DecodedRequest;
  let aLeg: ResolvedALeg;
  let conversation: Conversation | undefined;
  let resumeToken: string | undefined;
  let pendingALeg: PendingALeg | undefined;
  try {
    // A WebSocket turn carries the connection's conversation before the client's own message (which
    // the connection bounded by max_request_body_bytes): decode admission's bound is the body's.
    const { max_request_body_bytes: maxBody, max_inflight_decode_bytes: maxDecode } = runtime.config.server;
    let body = await (state.webSocketTurn === true
      ? readJsonBody(req, maxDecode, state.decode, 'server.max_inflight_decode_bytes')
      : readJsonBody(req, maxBody, state.decode));
    // What the body names instead of carrying (Responses item_reference, conversation), from the caller's stored responses.
    const resolving = route.resolveReferences?.(body, storedResponses(runtime.continuity, principal), params);
    if (resolving !== undefined) body = await resolving;
    const identity = sessionIdentity(req, body);
    runtime.extensions?.observeRawBody(body, { requestId: state.requestId, principal, frontendId: frontend.id });
    decoded = route.decode(body, { params, query: url.searchParams, headers: req.headers });
    state.decode?.release();
    // A continued conversation (Responses previous_response_id, an Anthropic thread): the stored turns come first.
    conversation = await continuedConversation(runtime, decoded, principal, frontend, background);
    const { call, continuation } = inConversation(decoded.call, decoded.continuation, conversation);
    const orphan = conversation ? unansweredResult(call.messages, conversation.messages.length) : undefined;
    if (orphan !== undefined) {
      // Named as the client wrote it (`input[0].call_id`); the conversation as a whole when the decoder kept no origins.
      const origins = decoded.origins?.();
      const field = origins?.messages ? clientField(call, decoded, frontend, body, origins)(orphan.path) : frontend.messagesField ?? 'messages';
      throw new LipError('LIP_ERR_REQUEST_INVALID', `${field}: the tool result for call id "${orphan.callId.slice(0, 128)}" answers no tool call of the conversation it continues`, { param: field });
    }
    // Refused naming the fields as the client wrote them (max_tokens, tools[1].function.name).
    checkCall(call, decoded, frontend, body);
    // The key's budget holds this request's estimate while it runs (refused if it would pass a limit beside the others in flight).
    state.reserveBudget?.(call);
    // The conversation's A-leg: resumed with its token, else the continued response's, else new.
    const sessionRequest = { principal, ...identity, ...(conversation?.aLegId !== undefined ? { continuedALegId: conversation.aLegId } : {}) };
    // A shared store (redis) first loads what the lookups will read; memory and SQLite read in place.
    const prepared = runtime.sessions.prepare(sessionRequest);
    if (prepared) await prepared;
    const grant = runtime.sessions.open(sessionRequest);
    aLeg = grant.aLeg;
    resumeToken = grant.resumeToken;
    context = {
      // The slot served-model.ts fills per answer (a copy that only sets it is cheap; see there).
      call, model: undefined, hints: decoded.hints ?? {}, requestId: state.requestId, created: Math.floor(arrivedAt / 1000),
      ...(continuation ? { continuation, responseId: randomId(continuation.idPrefix ?? 'resp_', 48), now: settledClock() } : {}),
    };
    // A new conversation without a record (continuity.lineage: conversations) gets one when its response is stored.
    if (grant.pending !== undefined) {
      if (decoded.continuation?.store === true) grant.pending.store();
      else pendingALeg = grant.pending;
    }
    // What a cancel endpoint needs to find this request (see handle-cancel.ts).
    state.aLegId = aLeg.aLegId;
    state.sessionId = aLeg.sessionId;
    if (context.responseId !== undefined) state.responseId = context.responseId;
    const encodeContext = context;
    if (route.cancelledResponse) state.cancelledResponse = () => route.cancelledResponse!(encodeContext);
  } catch (err) {
    fail(err);
    runtime.recorder?.finish(req, res, state, { frontend: frontend.id, principal });
    return;
  }

  /** A turn of a conversation being added to it (GenerateRoute.appendToConversation), once stored. */
  let appending: Promise<void> | undefined;
  /** A stored response being added to the caller's list of them (GenerateRoute.listStored). */
  let listing: Promise<void> | undefined;
  /**
   * Keeps a stored response (Responses `store`) once it is complete, with what its answer showed
   * (creation time, the model it named, the echoed request fields), so that retrieving it later
   * shows the same object. Answers the response as stored (undefined when none is).
   */
  const save = (output: CollectedResponse, ending?: Readonly<Record<string, unknown>>): StoredResponseView | undefined => {
    if (context.responseId === undefined || !context.continuation?.store || (output.error !== undefined && ending === undefined)) return undefined;
    const named = runtime.config.routing.echo_requested_model ? context.call.model : servedModel(output.model, meta.candidateKey, context.call.model);
    const { continuation } = context;
    // A conversation's turn continues its newest stored response (its Response names the conversation instead).
    const previous = continuation.previousResponseId ?? continuation.conversation?.head;
    const input = continuation.input ?? decoded.call.messages;
    // With the second it completed, the one its answer showed (`completed_at`, read once: settledClock).
    const echo = continuation.echo !== undefined ? { ...continuation.echo, completed_at: context.now!(), ...ending } : undefined;
    runtime.continuity.saveResponse({
      id: context.responseId, principal, aLegId: aLeg.aLegId, sessionId: aLeg.sessionId, model: named, createdAt: arrivedAt, input, output,
      ...(previous !== undefined ? { previousResponseId: previous } : {}),
      ...(echo !== undefined ? { echo } : {}),
    });
    if (route.listStored && ending === undefined) {
      listing = route.listStored({ id: context.responseId, model: named, createdAt: arrivedAt, echo: continuation.echo }, storedResponses(runtime.continuity, principal), runtime.config.continuity.ttl)
        .catch((err: unknown) => { reportInternalError('stored.list', err, state.requestId); });
    }
    if (continuation.conversation !== undefined && route.appendToConversation && ending === undefined) {
      // A store that fails here has said so itself; the answer completes, the turn stays stored on its own.
      appending = route.appendToConversation(continuation.conversation, context.responseId, storedResponses(runtime.continuity, principal))
        .catch((err: unknown) => { reportInternalError('conversation.append', err, state.requestId); });
    }
    return { id: context.responseId, previousResponseId: previous, model: named, createdAt: arrivedAt, input, output, echo };
  };

  /**
   * What the answer's end waits for: a conversation's turn added to it, and the store having
   * written what the request recorded (see ContinuityStore.persisted): a store shared between
   * instances (Redis) for every answer, so that the next turn finds its A-leg on any instance; a
   * store in a local file (SQLite) for a stored turn, so that it outlives a crash once answered.
   * Undefined when there can be none of these.
   */
  const stored = context.continuation?.store === true;
  const written = runtime.continuity.kind === 'redis' || stored ? runtime.continuity.persisted : undefined;
  const persisted = written !== undefined || context.continuation?.conversation !== undefined || (stored && route.listStored !== undefined)
    ? async () => {
      if (appending !== undefined) await appending;
      if (listing !== undefined) await listing;
      if (written !== undefined) await written();
    }
    : undefined;
  const meta: ExecutionMeta = {};
  state.generation = { frontend: frontend.id, model: context.call.model, stream: context.call.stream, meta };
  const routeHeader = req.headers['x-lip-route'];
  if (context.continuation?.background === true && route.background !== undefined && background !== undefined) {
    const limit = runtime.config.server.max_background_responses;
    if (background.inProgress >= limit) {
      fail(limit === 0
        ? new LipError('LIP_ERR_REQUEST_UNSUPPORTED', 'background responses are switched off on this server (server.max_background_responses: 0)', { param: 'background' })
        : new LipError('LIP_ERR_SERVER_OVERLOADED', `the server is at its limit of ${limit} background responses running at once`, { retryAfter: 1 }), identityHeaders(aLeg, resumeToken, meta, state, frontend));
      runtime.recorder?.finish(req, res, state, { frontend: frontend.id, principal, meta, aLeg });
      return;
    }
    const input = context.continuation.input ?? decoded.call.messages;
    const run = runInBackground({ req, res, route, frontend, runtime, state, context, meta, principal, aLeg, pendingALeg, save, persisted, input, createdAt: arrivedAt, headers: () => identityHeaders(aLeg, resumeToken, meta, state, frontend) }, route.background, background);
    await run;
    runtime.recorder?.finish(req, res, state, { frontend: frontend.id, principal, meta, aLeg });
    return;
  }
  const flow = context.call.stream ? new FlowGate() : undefined;
  const keepalive = runtime.config.server.pre_request_keepalive;
  const onRequestStages = context.call.stream && keepalive.enabled ? processingWhile(res, keepalive.interval) : undefined;
  // A streamed answer whose upstream request waits for a connection commits its headers at once.
  // (The first attempt starts while writeStream subscribes, before its handle exists.)
  let stream: ReturnType<typeof writeStream> | undefined;
  let queuedEarly = false;
  const onQueued = context.call.stream ? () => { if (stream) stream.waiting(); else queuedEarly = true; } : undefined;
  // One literal (absent parts stay undefined): no throw-away object per optional part.
  const events = runtime.executor.execute(context.call, {
    onRequestStages, onQueued, requestId: state.requestId,
    routeHeader: typeof routeHeader === 'string' ? routeHeader : undefined,
    meta, principal, keyId: state.keyId, allow: state.allow, aLeg, pendingALeg, flow, frontendId: frontend.id,
    userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
    clientHeaders: req.headers,
    trace: state.trace,
    cancelReason: () => state.cancelled ?? state.stopped,
  });
  const headers = () => identityHeaders(aLeg, resumeToken, meta, state, frontend);

  await new Promise<void>((resolve) => {
    if (context.call.stream) {
      // A stored streamed response is folded alongside the stream, and saved when it completes.
      // The answer ends once the store has written the turn (`persisted`: Redis, or SQLite for a stored one).
      const collector = context.continuation?.store ? new Collector() : undefined;
      const folded = collector ? events.pipe(tap({ next: (e) => collector.push(e), complete: () => save(collector.response) })) : events;
      const streamed = persisted ? folded.pipe(finishAfter(persisted)) : folded;
      const echo = runtime.config.routing.echo_requested_model;
      stream = writeStream(res, streamed, servedModelEncoder((c) => route.streamEncoder(c), context, () => meta.candidateKey, echo), {
        requestId: state.requestId,
        contentType: decoded.streamWire?.contentType ?? frontend.streamContentType,
        keepaliveMs: decoded.streamWire?.keepalive === false ? 0 : runtime.config.server.keepalive_interval,
        maxBufferedBytes: runtime.config.server.max_buffered_bytes,
        ...(flow ? { flow } : {}),
        headers,
        // Headers committed before a candidate served (a keepalive, a queued upstream request): it comes last.
        trailer: { name: 'x-lip-backend', value: () => (meta.candidateKey ? headerValue(meta.candidateKey) : undefined) },
        encodeError: (err) => frontend.encodeError(err, answeredRequestId(res)),
        onFailure: (err) => { state.errorCode = err.code; },
        onDone: resolve,
      });
      const handle = stream;
      if (queuedEarly) handle.waiting();
      state.abort = (err) => {
        if (err) handle.fail(err);
        else {
          handle.subscription.unsubscribe();
          res.destroy();
        }
        resolve();
      };
      return;
    }
    let settled = false;
    const answer = (send: () => void) => {
      if (settled) return;
      settled = true;
      try {
        send();
      } catch (raw) {
        const err = reportInternalError('response.send', raw, state.requestId);
        try {
          fail(err);
        } catch (again) {
          reportInternalError('response.fail', again, state.requestId);
          res.destroy();
        }
      }
      resolve();
    };
    const send = (response: CollectedResponse) => answer(() => {
      sendJson(res, 200, route.encodeResponse(response, wholeContext(context, response, meta.candidateKey, runtime.config.routing.echo_requested_model)), headers());
    });
    let saving = false;
    const subscription = events.pipe(collect()).subscribe({
      next: (response) => {
        if (response.error) {
          answer(() => fail(new LipError('LIP_ERR_UPSTREAM_STREAM_ERROR', response.error!.message, { status: response.error!.status ?? 502 }), headers()));
          return;
        }
        save(response);
        if (!persisted) return send(response);
        saving = true;
        // A store closed under the request keeps nothing of it: an error, not an answer it says is stored.
        void persisted().then(() => send(response), (err: unknown) => answer(() => fail(err, safely(headers, state.requestId))));
      },
      error: (err: unknown) => answer(() => fail(err, safely(headers, state.requestId))),
      complete: () => { if (!saving) answer(() => undefined); },
    });
    res.once('close', () => {
      if (!subscription.closed) {
        subscription.unsubscribe();
        resolve();
      }
    });
    state.abort = (err) => {
      subscription.unsubscribe();
      if (err && !res.headersSent) answer(() => fail(err));
      else res.destroy();
      resolve();
    };
  });
  runtime.recorder?.finish(req, res, state, { frontend: frontend.id, principal, meta, aLeg });
}

/**
 * The conversation's headers of an answer (`X-LIP-A-Leg-Id`, `X-LIP-Session-Id`, the resume
 * token when one was issued), the serving candidate once known, and for a key with a budget
 * what was left of it (`X-LIP-Budget-*`); for a key with per-minute limits, its windows
 * (`x-ratelimit-*`, or the protocol's own). The candidate key holds the
 * client's model text: encoded so that it is always a legal header value (session ids are
 * already restricted to a safe alphabet by the continuity store).
 */
function identityHeaders(aLeg: ResolvedALeg, resumeToken: string | undefined, meta: ExecutionMeta, state: RequestState, frontend: Frontend): Record<string, string> {
  const out: Record<string, string> = { 'x-lip-a-leg-id': aLeg.aLegId, 'x-lip-session-id': aLeg.sessionId };
  if (resumeToken !== undefined) out['x-lip-resume-token'] = resumeToken;
  if (meta.candidateKey) {
    state.backend = meta.candidateKey;
    out['x-lip-backend'] = headerValue(meta.candidateKey);
  }
  // The response cache (cache.enabled): how it met the request, and a hit's age in seconds.
  if (meta.cache !== undefined) {
    out['x-lip-cache'] = meta.cache;
    if (meta.cacheAgeMs !== undefined) out.age = String(Math.floor(meta.cacheAgeMs / 1000));
  }
  // A key with per-minute limits: its windows as the request found them, in the protocol's own headers.
  const limited = state.rateLimit === undefined ? out : { ...out, ...rateLimitHeadersOf(frontend, state.rateLimit) };
  // A key with a budget: what was left of it when this request was admitted.
  return state.budgetLeft === undefined ? limited : { ...limited, ...budgetHeaders(state.budgetLeft) };
}

interface BackgroundRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly route: GenerateRoute;
  readonly frontend: Frontend;
  readonly runtime: Runtime;
  readonly state: RequestState;
  readonly context: EncodeContext;
  readonly meta: ExecutionMeta;
  readonly principal: string;
  readonly aLeg: ResolvedALeg;
  readonly pendingALeg: PendingALeg | undefined;
  readonly save: (output: CollectedResponse, ending?: Readonly<Record<string, unknown>>) => StoredResponseView | undefined;
  readonly persisted: (() => Promise<void>) | undefined;
  readonly headers: () => Record<string, string>;
  /** The request's own input (what its stored response lists as input items) and when it arrived. */
  readonly input: readonly Message[];
  readonly createdAt: number;
}

/**
 * A background response (`continuation.background`): the request is answered as soon as its
 * route has resolved to a first attempt (the response object `queued`; a streamed one follows
 * the run's events instead, and may leave without ending it), or with the error of a run that
 * failed before that (no response is made then), while the call runs detached from it, as a run of `runs`. Its own request
 * state (the response id, its principal and conversation) is what the cancel endpoints find and
 * the shutdown ends. The collected response is stored when it ends: completed as any stored
 * response, cancelled or failed with that ending (BackgroundRoute.ending) and what it had
 * produced. Resolves when the run has ended and its record is written, so that the request's
 * admission (the server's and its key's concurrency) covers the run.
 */
async function runInBackground(r: BackgroundRequest, route: BackgroundRoute, runs: BackgroundRuns): Promise<void> {
  const { context, runtime, state, res } = r;
  const responseId = context.responseId!;
  const stream = context.call.stream;
  const runState: RequestState = {
    requestId: state.requestId, startedAt: state.startedAt, routeGroup: state.routeGroup, principal: r.principal,
    aLegId: r.aLeg.aLegId, sessionId: r.aLeg.sessionId, responseId, background: true,
    cancelledResponse: () => r.route.cancelledResponse?.(context),
  };
  // The request itself is no longer what a cancel of the response finds: its run is.
  state.responseId = undefined;
  state.cancelledResponse = undefined;
  const stored = r.route.storedResponses;
  const view = (): StoredResponseView => ({
    id: responseId, previousResponseId: context.continuation?.previousResponseId, model: context.call.model, createdAt: r.createdAt,
    input: r.input, output: new Collector().response, echo: context.continuation?.echo,
  });
  const run = new BackgroundRun(responseId, r.principal, runState, stream, (started) => route.running(context, started),
    stored === undefined ? undefined : (query) => stored.inputItems(query)(view()), runs.limits.run);
  const encoder = stream ? servedModelEncoder((c) => r.route.streamEncoder(c), context, () => r.meta.candidateKey, runtime.config.routing.echo_requested_model) : undefined;
  const collector = new Collector();
  // The create is answered once the route has resolved to a first attempt, or the run ended before.
  let attempted!: () => void;
  const firstAttempt = new Promise<void>((resolve) => { attempted = resolve; });
  const events = runtime.executor.execute(context.call, {
    onAttempt: () => attempted(),
    requestId: state.requestId, meta: r.meta, principal: r.principal, keyId: state.keyId, allow: state.allow, aLeg: r.aLeg, pendingALeg: r.pendingALeg,
    frontendId: r.frontend.id, userAgent: typeof r.req.headers['user-agent'] === 'string' ? r.req.headers['user-agent'] : undefined,
    clientHeaders: r.req.headers, trace: state.trace, cancelReason: () => runState.cancelled ?? runState.stopped,
    routeHeader: typeof r.req.headers['x-lip-route'] === 'string' ? r.req.headers['x-lip-route'] : undefined,
  });
  /** A failure before the create was answered and before any output (a route that cannot be resolved): the create's own error. */
  let early: LipError | undefined;
  let answered = false;
  const ended = new Promise<void>((resolve) => {
    let over = false;
    const end = (failure?: LipError) => {
      if (over) return;
      over = true;
      // Ending: nothing cancels it any more (a cancel from now on answers it as it ended, `runState.ended`).
      runState.abort = undefined;
      subscription?.unsubscribe();
      attempted();
      const response = collector.response;
      const error = failure ?? (response.error !== undefined ? new LipError('LIP_ERR_UPSTREAM_STREAM_ERROR', response.error.message, { status: response.error.status ?? 502 }) : undefined);
      if (error !== undefined && !answered && !run.started) {
        early = error;
        resolve();
        return;
      }
      try {
        if (encoder !== undefined) run.push(error !== undefined ? encoder.error(error) : encoder.end());
        if (error !== undefined) state.errorCode = error.code;
        const { error: _dropped, ...output } = response;
        const saved = r.save(error === undefined ? response : output, error === undefined ? undefined : route.ending(runState.cancelled !== undefined ? 'cancelled' : 'failed', error));
        // While its record is written (and the run still counts as in flight), a cancel or a retrieval answers it as it ended.
        const ended = saved === undefined ? undefined : stored?.backgroundObject?.(saved);
        if (ended !== undefined) runState.ended = () => ended;
      } catch (raw) {
        reportInternalError('background.end', raw, state.requestId);
      }
      // A store closed under the run rejects: it has logged each record it did not keep.
      const written = r.persisted?.().catch(() => undefined);
      void Promise.resolve(written).then(() => {
        runs.finish(run);
        resolve();
      });
    };
    runState.abort = (err) => end(err ?? new LipError('LIP_ERR_REQUEST_CANCELLED', 'the background response was cancelled'));
    let subscription: { unsubscribe(): void } | undefined;
    subscription = events.subscribe({
      next(event) {
        if (over) return;
        try {
          run.started = true;
          collector.push(event);
          if (encoder !== undefined) run.push(encoder.event(event));
        } catch (raw) {
          end(reportInternalError('background.event', raw, state.requestId));
        }
      },
      error: (raw: unknown) => end(toLipError(raw)),
      complete: () => end(),
    });
    if (over) subscription.unsubscribe();
  });
  // Meanwhile (request stages may take a while) a shutdown ends the run through the request.
  state.abort = (err) => runState.abort?.(err);
  await firstAttempt;
  state.abort = undefined;
  answered = true;
  if (early !== undefined) {
    // Answered as any request failing before output: no response was created.
    state.errorCode = early.code;
    sendError(res, r.frontend, early, r.headers());
    return;
  }
  runs.add(run);
  // The request is accounted for (access log, metrics, span) once the run has ended.
  state.settled = ended;
  try {
    if (stream) {
      await followRun(res, run, -1, {
        contentType: r.frontend.streamContentType, headers: r.headers(), keepaliveMs: runtime.config.server.keepalive_interval,
      });
    } else {
      // The answer to the create is the response as created: queued (OpenAI's), whatever ran since.
      sendJson(res, 200, route.running(context, false), r.headers());
    }
  } catch (raw) {
    reportInternalError('background.answer', raw, state.requestId);
    res.destroy();
  }
  await ended;
}

/** Headers for an error answer: none rather than a second failure. */
function safely(headers: () => Record<string, string>, requestId: string): Record<string, string> {
  try {
    return headers();
  } catch (raw) {
    reportInternalError('response.headers', raw, requestId);
    return {};
  }
}

/**
 * `server.pre_request_keepalive`: while the request stages run (a pre-request judge may take
 * seconds), a streaming client gets `102 Processing` every `intervalMs`, so proxies and clients
 * with header timeouts keep waiting; it stops when the stages end or the response has started.
 */
function processingWhile(res: ServerResponse, intervalMs: number): (running: boolean) => void {
  let timer: NodeJS.Timeout | undefined;
  return (running) => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (!running || intervalMs <= 0) return;
    timer = setInterval(() => {
      if (res.headersSent || res.destroyed) { clearInterval(timer); timer = undefined; return; }
      res.writeProcessing();
    }, intervalMs);
    timer.unref();
  };
}

