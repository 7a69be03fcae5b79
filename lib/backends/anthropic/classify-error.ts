import type { LipError } from '../../errors/index.js';
import { errorMessageOf, parseJsonOrUndefined, upstreamStatusError, upstreamStreamError, type HeaderMap } from '../http/index.js';

type Json = Record<string, any>;

/** Error types that mean "this upstream cannot serve now": worth another candidate before output. */
const TRANSIENT = new Set(['overloaded_error', 'api_error', 'rate_limit_error', 'timeout_error']);

/**
 * The HTTP status each Anthropic error type comes with (docs.anthropic.com/en/api/errors), for
 * one reported inside a stream: the client gets the type in its own protocol's words (Anthropic's
 * `overloaded_error` again, Gemini's `UNAVAILABLE`), and before output the status (a request
 * error is a 400, not a 502 the SDKs retry). An unknown type keeps the default 502.
 */
const STATUS_OF_TYPE: ReadonlyMap<string, number> = new Map([
  ['invalid_request_error', 400], ['authentication_error', 401], ['billing_error', 402], ['permission_error', 403],
  ['not_found_error', 404], ['request_too_large', 413], ['rate_limit_error', 429], ['api_error', 500],
  ['timeout_error', 504], ['overloaded_error', 529],
]);

/**
 * A non-2xx Messages API answer. The status decides (529 `overloaded_error` is a 5xx, so it is
 * retryable); the upstream's own error type is kept for the logs.
 *
 * ```ts
 * classifyAnthropicStatus('claude', 400, '{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}', {}, undefined, [])
 * // LIP_ERR_UPSTREAM_STATUS, status 400, not retryable
 * ```
 * @see spec/backends/anthropic/classify-error.spec.ts
 */
export function classifyAnthropicStatus(backendId: string, status: number, text: string, _headers: HeaderMap, retryAfterMs: number | undefined, secrets: readonly string[]): LipError {
  const { message, type } = errorMessageOf(parseJsonOrUndefined(text), text);
  return upstreamStatusError({ backendId, status, message, retryAfterMs, secrets, ...(type ? { upstreamType: type } : {}) });
}

/**
 * An `event: error` inside a stream (or a 200 body that is an error): overloaded and server errors
 * may fail over before output; the error keeps the status of its type (STATUS_OF_TYPE).
 *
 * ```ts
 * anthropicStreamError('c', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, [])
 * // LIP_ERR_UPSTREAM_STREAM_ERROR, status 529, retryable
 * ```
 * @see spec/backends/anthropic/classify-error.spec.ts
 */
export function anthropicStreamError(backendId: string, frame: Json, secrets: readonly string[]): LipError {
  const { message, type } = errorMessageOf(frame, '');
  const transient = type !== undefined && TRANSIENT.has(type);
  const status = type === undefined ? undefined : STATUS_OF_TYPE.get(type);
  return upstreamStreamError(backendId, message, secrets, { retryable: transient, ...(type ? { upstreamType: type } : {}), ...(status !== undefined ? { status } : {}) });
}
