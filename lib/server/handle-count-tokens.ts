import type { IncomingMessage, ServerResponse } from 'node:http';
import { estimateTokens } from '../canonical/estimate-tokens.js';
import type { CandidateAllow } from '../core/candidate-allow.js';
import type { Runtime } from '../core/runtime.js';
import { toLipError, type LipError } from '../errors/index.js';
import type { Frontend } from '../frontends/protocol.js';
import { upstreamCallHeaders } from '../observability/upstream-call-headers.js';
import { deadline, headerValue, readJsonBody } from '../wire/index.js';
import type { DecodeTicket } from './decode-admission.js';
import { abortable, type RequestState } from './request-state.js';
import { sendError, sendJson } from './send.js';
import { checkCall, continuedConversation, inConversation } from './continued-conversation.js';
import { storedResponses } from './stored-responses.js';

/** How long an upstream count may take. */
const COUNT_TIMEOUT_MS = 30_000;

/**
 * A token count (Anthropic `POST /v1/messages/count_tokens`, Gemini `:countTokens`, Responses
 * `POST /v1/responses/input_tokens`). The body is decoded and checked like a generation (a 400 in
 * the protocol's envelope names the field, checkCall; Responses' `previous_response_id` and an Anthropic
 * thread's `continue` put the stored conversation first, the thread with its system and tools); the route is resolved and checked as for a generation (X-LIP-Route,
 * model, alias, default route; an unknown backend is a 400, an unknown model a 404 under
 * `routing.unknown_model: reject`) and its first candidate decides: a backend whose protocol has a count call
 * counts the call as it would send it (`x-lip-token-count: upstream`), in whichever protocol that
 * is; any other, or an upstream without the endpoint, gets lip's own estimate
 * (lib/canonical/estimate-tokens.ts), marked in the body and by `x-lip-token-count: estimate`,
 * unless that backend would refuse the call before sending it (Backend.refusal): then its refusal.
 * The secret guards (the `secret_guard` stage, e.g. secrets-guard) run on the decoded call first,
 * as for a generation: a block is its 400, a redaction is what gets counted.
 * A client that goes away aborts the upstream count. Failures answer in the protocol's envelope.
 * The access line (`state`) gets the backend that counted, or failed to, and a failure's code.
 * The body holds `decode` (decode admission) until it is decoded.
 *
 * @see spec/e2e/count-tokens.spec.ts
 */
export async function handleCountTokens(
  req: IncomingMessage, res: ServerResponse, frontend: Frontend, params: Readonly<Record<string, string>>, principal: string,
  runtime: Runtime, decode: DecodeTicket, state: Pick<RequestState, 'requestId' | 'trace' | 'backend' | 'errorCode' | 'abort'>, allow?: CandidateAllow,
): Promise<void> {
  const route = frontend.countTokensRoute!;
  let backendKey: string | undefined;
  const gone = new AbortController();
  const abort = () => gone.abort();
  res.once('close', abort);
  let failure: (err: unknown) => LipError = toLipError;
  try {
    let body = await readJsonBody(req, runtime.config.server.max_request_body_bytes, decode);
    // From here the shutdown can stop it with an answer.
    failure = abortable(state, res, gone);
    const resolving = route.resolveReferences?.(body, storedResponses(runtime.continuity, principal), params);
    if (resolving !== undefined) body = await resolving;
    const decoded = route.decode(body, { params, headers: req.headers });
    decode.release();
    const conversation = await continuedConversation(runtime, decoded, principal, frontend);
    const conversed = inConversation(decoded.call, decoded.continuation, conversation).call;
    // Refused where its generation would be, naming the fields as the client wrote them.
    const wrapped = route.wrapped?.(body);
    checkCall(conversed, decoded, frontend, wrapped?.request ?? body, { ...(wrapped ? { under: wrapped.under } : {}), messagesOptional: route.messagesOptional === true });
    // The client's text leaves for the upstream as a generation's would: the secret guards
    // (secrets-guard) see it first, and block or redact it as they would a generation.
    const call = runtime.extensions ? await runtime.extensions.guardSecrets(conversed, {
      requestId: state.requestId, principal, frontendId: frontend.id,
      ...(typeof req.headers['user-agent'] === 'string' ? { userAgent: req.headers['user-agent'] } : {}),
    }) : conversed;
    const header = req.headers['x-lip-route'];
    // Resolved and checked as for a generation: an unknown backend, or an unknown model under
    // `routing.unknown_model: reject`, is refused as a generation would be.
    const first = runtime.executor.candidates(call.model, typeof header === 'string' ? header : undefined)[0];
    // A candidate the caller's key may not use (auth.api_keys[].allow) is not sent the request: lip estimates.
    const target = first && (allow === undefined || allow.allows(first.backend, first.model)) ? first : undefined;
    const backend = target ? runtime.backends.get(target.backend) : undefined;
    // A backend with no count call still refuses what its generation would refuse (a hosted tool
    // its protocol has no form for): that refusal, not an estimate of a call it would not send.
    const refused = target && backend?.refusal?.(call, target.model);
    if (target && refused) {
      backendKey = `${target.backend}:${target.model}`;
      throw refused;
    }
    const count = backend?.countTokens;
    if (count && target) {
      backendKey = `${target.backend}:${target.model}`;
      // X-Request-Id and the request span's trace context go upstream, as a generation's do.
      const bound = deadline(COUNT_TIMEOUT_MS, gone.signal);
      let tokens: number | undefined;
      try {
        tokens = await count(call, target.model, bound.signal, req.headers, upstreamCallHeaders(state.requestId, state.trace));
      } finally {
        bound.clear();
      }
      if (tokens !== undefined) {
        state.backend = backendKey;
        return sendJson(res, 200, route.encode({ inputTokens: tokens, estimated: false }), { 'x-lip-token-count': 'upstream', 'x-lip-backend': headerValue(backendKey) });
      }
    }
    return sendJson(res, 200, route.encode({ inputTokens: estimateTokens(call), estimated: true }), { 'x-lip-token-count': 'estimate' });
  } catch (err) {
    const lip = failure(err);
    state.errorCode = lip.code;
    if (backendKey !== undefined) state.backend = backendKey;
    req.resume();
    if (res.destroyed) return;
    sendError(res, frontend, lip);
  } finally {
    res.off('close', abort);
    state.abort = undefined;
  }
}
