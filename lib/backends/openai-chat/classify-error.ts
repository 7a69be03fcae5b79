import type { LipError } from '../../errors/index.js';
import { errorMessageOf, parseJsonOrUndefined, upstreamStatusError, upstreamStreamError, type HeaderMap } from '../http/index.js';

type Json = Record<string, any>;

/** Upstream error types that mean "try again elsewhere" when they arrive inside a stream. */
const TRANSIENT_TYPES = new Set(['server_error', 'api_error', 'overloaded_error', 'rate_limit_error', 'rate_limit_exceeded', 'timeout', 'service_unavailable']);

/**
 * A non-2xx Chat Completions answer: the upstream status is kept; 408, 409, 429 and 5xx are
 * retryable, other 4xx are not (CONTRACT section 7). Compatible servers' error shapes are read
 * too (`{"error":"..."}`, `{"detail": ...}`).
 *
 * ```ts
 * classifyChatStatus('openai', 400, '{"error":{"message":"bad"}}', {}, undefined, [])
 * // LIP_ERR_UPSTREAM_STATUS, status 400, not retryable, message 'backend "openai": upstream status 400: bad'
 * ```
 * @see spec/backends/openai-chat/classify-error.spec.ts
 */
export function classifyChatStatus(backendId: string, status: number, text: string, _headers: HeaderMap, retryAfterMs: number | undefined, secrets: readonly string[]): LipError {
  const { message, type } = errorMessageOf(parseJsonOrUndefined(text), text);
  return upstreamStatusError({ backendId, status, message, retryAfterMs, secrets, ...(type ? { upstreamType: type } : {}) });
}

/** A `data: {"error": {...}}` frame inside a Chat Completions stream; server-side errors may fail over. */
export function chatStreamError(backendId: string, frame: Json, secrets: readonly string[]): LipError {
  const { message, type } = errorMessageOf(frame, '');
  const code = (frame.error as Json | undefined)?.code;
  const transient = (type !== undefined && TRANSIENT_TYPES.has(type)) || (typeof code === 'string' && TRANSIENT_TYPES.has(code));
  return upstreamStreamError(backendId, message, secrets, { retryable: transient, ...(type ? { upstreamType: type } : {}) });
}
