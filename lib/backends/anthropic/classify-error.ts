import type { LipError } from '../../errors/index.js';
import { errorMessageOf, parseJsonOrUndefined, streamErrorKind, upstreamStatusError, upstreamStreamError, type HeaderMap } from '../http/index.js';

type Json = Record<string, any>;

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
 * An `event: error` inside a stream (or a 200 body that is an error): the error keeps the status
 * its type comes with over HTTP, so the client gets the type in its own protocol's words
 * (Anthropic's `overloaded_error` again, Gemini's `UNAVAILABLE`), and overloaded, rate-limited and
 * server errors may fail over before output (streamErrorKind, shared with the OpenAI backends); an
 * unknown type keeps the default 502, not retryable.
 *
 * ```ts
 * anthropicStreamError('c', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, [])
 * // LIP_ERR_UPSTREAM_STREAM_ERROR, status 529, retryable
 * ```
 * @see spec/backends/anthropic/classify-error.spec.ts
 */
export function anthropicStreamError(backendId: string, frame: Json, secrets: readonly string[]): LipError {
  const { message, type } = errorMessageOf(frame, '');
  const kind = streamErrorKind(undefined, type);
  return upstreamStreamError(backendId, message, secrets, { retryable: kind?.retryable ?? false, ...(type ? { upstreamType: type } : {}), ...(kind ? { status: kind.status } : {}) });
}
