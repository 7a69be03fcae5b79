import type { LipError } from '../../errors/index.js';
import { errorMessageOf, parseJsonOrUndefined, upstreamStatusError, upstreamStreamError, type HeaderMap } from '../http/index.js';

type Json = Record<string, any>;

/** Failure codes of `response.failed` / `error` events that another candidate may not share. */
const TRANSIENT = new Set(['server_error', 'rate_limit_exceeded', 'too_many_requests', 'overloaded', 'timeout', 'internal_error', 'service_unavailable']);

/**
 * The HTTP status OpenAI answers each failure code (or error type) with, for the same failure
 * reported inside a stream: before output a refused prompt is the 400 it is, not a 502 the SDKs
 * retry, and a rate limit the 429 the route answers for rate-limited candidates. A code not
 * listed keeps the default 502.
 */
const STATUS_OF_CODE: ReadonlyMap<string, number> = new Map([
  ['invalid_request_error', 400], ['authentication_error', 401], ['invalid_api_key', 401], ['permission_error', 403],
  ['not_found_error', 404], ['rate_limit_exceeded', 429], ['too_many_requests', 429], ['server_error', 500],
]);

/** Codes that refuse the request's own content: `invalid_prompt`, `invalid_image_url`, `image_too_large`, `image_content_policy_violation`, ... */
const REFUSED_CONTENT = /^invalid_|image/;

/** The status of a failure code, else of its error type. */
function statusOf(code: string | undefined): number | undefined {
  if (code === undefined) return undefined;
  return STATUS_OF_CODE.get(code) ?? (REFUSED_CONTENT.test(code) ? 400 : undefined);
}

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
  const { message, type, code } = errorMessageOf(parseJsonOrUndefined(text), text);
  return upstreamStatusError({ backendId, status, message, retryAfterMs, secrets, ...(type ? { upstreamType: type } : {}), ...(code ? { upstreamCode: code } : {}) });
}

/**
 * A failure reported inside the stream: `response.failed` (its `response.error`, `{code,
 * message}`) or an `error` event, whose details the API nests (`{"type":"error","error":{"type",
 * "code","message","param"}}`) and OpenAI's docs write flat (`{"type":"error","code","message"}`):
 * both are read. Rate limits and server errors may fail over before output; the error keeps the
 * status of its code, else of its type (STATUS_OF_CODE), and a context-window refusal is the
 * context error.
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
  const status = statusOf(code) ?? statusOf(type);
  const upstreamType = code ?? type;
  return upstreamStreamError(backendId, message, secrets, {
    retryable: [code, type].some((c) => c !== undefined && TRANSIENT.has(c)), ...(upstreamType ? { upstreamType } : {}), ...(status !== undefined ? { status } : {}),
  });
}
