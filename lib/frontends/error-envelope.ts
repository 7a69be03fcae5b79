import type { LipError } from '../errors/index.js';
import { errorTypeForStatus } from './error-types.js';
import type { ErrorResponse } from './protocol.js';

/** The flat error object `{ message, type, param, code }` (`code` is the lip error code). */
export interface FlatErrorObject {
  readonly message: string;
  readonly type: string;
  readonly param: string | null;
  readonly code: string;
}

/**
 * lip codes that OpenAI's own APIs express with a code of their own, which OpenAI clients and
 * SDK users branch on: those are sent instead (the message still says what lip saw).
 */
const OPENAI_CODES: Readonly<Partial<Record<string, string>>> = {
  LIP_ERR_ROUTE_UNKNOWN_MODEL: 'model_not_found',
  // Agents (Codex) compact their conversation on this one.
  LIP_ERR_UPSTREAM_CONTEXT_EXCEEDED: 'context_length_exceeded',
  // Clients of the Responses WebSocket mode (Codex, the SDKs) reconnect on this one.
  LIP_ERR_SERVER_CONNECTION_EXPIRED: 'websocket_connection_limit_reached',
  // OpenAI's answer to a spent quota (its type too): clients stop instead of retrying.
  LIP_ERR_AUTH_KEY_BUDGET_EXCEEDED: 'insufficient_quota',
  LIP_ERR_UPSTREAM_QUOTA_EXCEEDED: 'insufficient_quota',
};

export function flatErrorObject(err: LipError): FlatErrorObject {
  const code = openaiCode(err);
  const over = contextOverflow(err);
  const message = over
    ? `This model's maximum context length is ${over.limit} tokens. However, your messages resulted in ${over.tokens} tokens. Please reduce the length of the messages. (${err.message})`
    : err.message;
  return { message, type: code === 'insufficient_quota' ? code : errorTypeForStatus(err.status), param: err.param ?? null, code };
}

/**
 * A request lip found too long for every candidate's context limit (LIP_ERR_ROUTE_CONTEXT_EXCEEDED
 * with its estimate over the largest limit): each protocol's envelope words it as its provider's
 * own context-window refusal (OpenAI's `context_length_exceeded`, Anthropic's "prompt is too
 * long: N tokens > M maximum", Gemini's "The input token count (N) exceeds ..."), on which agents
 * compact their conversation as on the upstream's, with lip's message after it.
 */
export function contextOverflow(err: LipError): { readonly tokens: number; readonly limit: number } | undefined {
  const tokens = err.detail?.['context_tokens'];
  const limit = err.detail?.['context_limit'];
  return typeof tokens === 'number' && typeof limit === 'number' ? { tokens, limit } : undefined;
}

/**
 * The code an OpenAI client reads: OPENAI_CODES, `context_length_exceeded` for a request lip
 * found too long (contextOverflow), `previous_response_not_found` for a
 * `previous_response_id` lip does not have (clients resend the whole input on it), and
 * `model_not_found` for an upstream's 404 saying it has no such model, as for lip's own.
 */
function openaiCode(err: LipError): string {
  if (contextOverflow(err)) return 'context_length_exceeded';
  if (err.code === 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND' && err.param === 'previous_response_id') return 'previous_response_not_found';
  if (err.code === 'LIP_ERR_UPSTREAM_STATUS' && err.detail?.['model_not_found'] === true) return 'model_not_found';
  return OPENAI_CODES[err.code] ?? err.code;
}

/**
 * Errors whose answer says `x-should-retry: false`. The official OpenAI and Anthropic SDKs
 * retry every 408, 409, 429 and 5xx answer (twice by default, within seconds) unless it says
 * so; these would be refused the same way, or would undo what the client asked for:
 * - a request cancelled through its conversation's cancel endpoint (409): a retry would run it
 *   again, and the cancel would do nothing;
 * - a key's spent budget (429): it is renewed at the period's end, not within the SDK's backoff;
 * - the upstream quota of every candidate spent (429, OpenAI's `insufficient_quota`): the keys are
 *   set aside for an hour.
 * Any other answer (a limit with `Retry-After`, an overloaded or failing upstream) may be retried.
 */
const FINAL_CODES: ReadonlySet<string> = new Set(['LIP_ERR_REQUEST_CANCELLED', 'LIP_ERR_AUTH_KEY_BUDGET_EXCEEDED', 'LIP_ERR_UPSTREAM_QUOTA_EXCEEDED']);

/**
 * The headers of an error answer: `Retry-After` (whole seconds) for an error that knows when to
 * retry, `x-should-retry: false` for one a client must not send again (FINAL_CODES).
 */
export function errorHeaders(err: LipError): { readonly headers: Readonly<Record<string, string>> } | Record<string, never> {
  const final = FINAL_CODES.has(err.code);
  if (err.retryAfter === undefined && !final) return {};
  return { headers: { ...(err.retryAfter !== undefined ? { 'retry-after': String(Math.ceil(err.retryAfter)) } : {}), ...(final ? { 'x-should-retry': 'false' } : {}) } };
}

/**
 * The flat envelope `{"error": {...}}`: the OpenAI protocols' own, and lip's for answers that
 * belong to no protocol (an unknown path, a refused diagnostics call).
 */
export function encodeFlatError(err: LipError): ErrorResponse {
  return { status: err.status, ...errorHeaders(err), body: { error: flatErrorObject(err) } };
}
