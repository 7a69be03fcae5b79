import type { LipError } from '../../errors/index.js';
import { errorMessageOf, parseJsonOrUndefined, upstreamStatusError, upstreamStreamError, type HeaderMap } from '../http/index.js';

type Json = Record<string, any>;

/** Error types that mean "this upstream cannot serve now": worth another candidate before output. */
const TRANSIENT = new Set(['overloaded_error', 'api_error', 'rate_limit_error', 'timeout_error']);

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

/** An `event: error` inside a stream: overloaded and server errors may fail over before output. */
export function anthropicStreamError(backendId: string, frame: Json, secrets: readonly string[]): LipError {
  const { message, type } = errorMessageOf(frame, '');
  const transient = type !== undefined && TRANSIENT.has(type);
  return upstreamStreamError(backendId, message, secrets, { retryable: transient, ...(type ? { upstreamType: type } : {}) });
}
