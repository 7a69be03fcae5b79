import type { LipError } from '../../errors/index.js';
import { errorMessageOf, parseJsonOrUndefined, streamErrorKind, upstreamStatusError, upstreamStreamError, type HeaderMap } from '../http/index.js';

type Json = Record<string, any>;

/**
 * A non-2xx Responses API answer (the OpenAI error envelope): the status is kept, 408, 409,
 * 429 and 5xx are retryable; a 429 `insufficient_quota` is a spent quota, not a rate limit
 * (LIP_ERR_UPSTREAM_QUOTA_EXCEEDED, upstreamStatusError).
 *
 * ```ts
 * classifyResponsesStatus('oa', 400, '{"error":{"message":"bad"}}', {}, undefined, [])
 * // LIP_ERR_UPSTREAM_STATUS, status 400, not retryable
 * ```
 * @see spec/backends/openai-responses/classify-error.spec.ts
 */
export function classifyResponsesStatus(backendId: string, status: number, text: string, _headers: HeaderMap, retryAfterMs: number | undefined, secrets: readonly string[]): LipError {
  const { message, type, code } = errorMessageOf(parseJsonOrUndefined(text), text);
  return upstreamStatusError({ backendId, status, message, retryAfterMs, secrets, ...(type ? { upstreamType: type } : {}), ...(code ? { upstreamCode: code } : {}) });
}

/**
 * A failure reported inside the stream: `response.failed` (its `response.error`, `{code,
 * message}`) or an `error` event, whose details the API nests (`{"type":"error","error":{"type",
 * "code","message","param"}}`) and OpenAI's docs write flat (`{"type":"error","code","message"}`):
 * both are read. The code, else the type, decides the status and whether it may fail over before
 * output (streamErrorKind, shared with the Chat and Messages backends: rate limits, server errors
 * and `vector_store_timeout` may; a refused prompt or image is the 400 it is), and a
 * context-window refusal is the context error.
 *
 * ```ts
 * responsesStreamError('r', { type: 'error', error: { type: 'invalid_request_error', code: 'invalid_prompt', message: 'flagged' } }, [])
 * // LIP_ERR_UPSTREAM_STREAM_ERROR, status 400, not retryable, upstream_type invalid_prompt
 * ```
 * @see spec/backends/openai-responses/classify-error.spec.ts
 */
export function responsesStreamError(backendId: string, frame: Json | undefined, secrets: readonly string[]): LipError {
  const error: Json | undefined = typeof frame?.error === 'object' && frame.error !== null ? frame.error : frame;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const type = typeof error?.type === 'string' && error.type !== 'error' ? error.type : undefined;
  const message = typeof error?.message === 'string' ? error.message : undefined;
  const kind = streamErrorKind(code, type);
  const upstreamType = code ?? type;
  return upstreamStreamError(backendId, message, secrets, {
    retryable: kind?.retryable ?? false, ...(upstreamType ? { upstreamType } : {}), ...(kind ? { status: kind.status } : {}),
  });
}
