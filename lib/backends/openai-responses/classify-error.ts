import type { LipError } from '../../errors/index.js';
import { errorMessageOf, parseJsonOrUndefined, upstreamStatusError, upstreamStreamError, type HeaderMap } from '../http/index.js';

type Json = Record<string, any>;

/** Failure codes of `response.failed` / `error` events that another candidate may not share. */
const TRANSIENT = new Set(['server_error', 'rate_limit_exceeded', 'overloaded', 'timeout', 'internal_error', 'service_unavailable']);

/**
 * A non-2xx Responses API answer (the OpenAI error envelope): the status is kept, 408, 409,
 * 429 and 5xx are retryable.
 *
 * ```ts
 * classifyResponsesStatus('oa', 400, '{"error":{"message":"bad"}}', {}, undefined, [])
 * // LIP_ERR_UPSTREAM_STATUS, status 400, not retryable
 * ```
 * @see spec/backends/openai-responses/classify-error.spec.ts
 */
export function classifyResponsesStatus(backendId: string, status: number, text: string, _headers: HeaderMap, retryAfterMs: number | undefined, secrets: readonly string[]): LipError {
  const { message, type } = errorMessageOf(parseJsonOrUndefined(text), text);
  return upstreamStatusError({ backendId, status, message, retryAfterMs, secrets, ...(type ? { upstreamType: type } : {}) });
}

/**
 * A failure reported inside the stream: `response.failed` (its `response.error`) or a
 * top-level `error` event (`code`, `message`).
 */
export function responsesStreamError(backendId: string, error: Json | undefined, secrets: readonly string[]): LipError {
  const code = typeof error?.code === 'string' ? error.code : typeof error?.type === 'string' ? error.type : undefined;
  const message = typeof error?.message === 'string' ? error.message : undefined;
  return upstreamStreamError(backendId, message, secrets, { retryable: code !== undefined && TRANSIENT.has(code), ...(code ? { upstreamType: code } : {}) });
}
