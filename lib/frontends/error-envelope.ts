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
  LIP_ERR_ROUTE_CONTEXT_EXCEEDED: 'context_length_exceeded',
  // Clients of the Responses WebSocket mode (Codex, the SDKs) reconnect on this one.
  LIP_ERR_SERVER_CONNECTION_EXPIRED: 'websocket_connection_limit_reached',
  // OpenAI's answer to a spent quota (its type too): clients stop instead of retrying.
  LIP_ERR_AUTH_KEY_BUDGET_EXCEEDED: 'insufficient_quota',
};

export function flatErrorObject(err: LipError): FlatErrorObject {
  const code = openaiCode(err);
  return { message: err.message, type: code === 'insufficient_quota' ? code : errorTypeForStatus(err.status), param: err.param ?? null, code };
}

/**
 * The code an OpenAI client reads: OPENAI_CODES, and `previous_response_not_found` for a
 * `previous_response_id` lip does not have (clients resend the whole input on it).
 */
function openaiCode(err: LipError): string {
  if (err.code === 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND' && err.param === 'previous_response_id') return 'previous_response_not_found';
  return OPENAI_CODES[err.code] ?? err.code;
}

/** `Retry-After` (whole seconds) for an error that knows when to retry, else nothing. */
export function retryAfterHeaders(err: LipError): { readonly headers: Readonly<Record<string, string>> } | Record<string, never> {
  return err.retryAfter === undefined ? {} : { headers: { 'retry-after': String(Math.ceil(err.retryAfter)) } };
}

/**
 * The flat envelope `{"error": {...}}`: the OpenAI protocols' own, and lip's for answers that
 * belong to no protocol (an unknown path, a refused diagnostics call).
 */
export function encodeFlatError(err: LipError): ErrorResponse {
  return { status: err.status, ...retryAfterHeaders(err), body: { error: flatErrorObject(err) } };
}
