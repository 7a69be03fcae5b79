/** What an in-stream error's type or code says: the HTTP status the same failure comes with, and whether another candidate may serve. */
export interface StreamErrorKind {
  readonly status: number;
  readonly retryable: boolean;
}

const refused = { status: 400, retryable: false } as const;

/**
 * The OpenAI and Anthropic error types and codes (and the names compatible servers put there),
 * one table for the Chat Completions, Responses and Messages backends, so that one failure is the
 * same error whichever of them reports it: the status its providers answer it with over HTTP
 * (docs.anthropic.com/en/api/errors, platform.openai.com/docs/guides/error-codes), retryable
 * where the upstream could not serve now (rate limits, server errors, overload, timeouts) and not
 * where the request itself was refused. Before output a retryable one fails over; the others reach
 * the client with their status, not a 502 the SDKs retry.
 */
const KINDS: ReadonlyMap<string, StreamErrorKind> = new Map<string, StreamErrorKind>([
  // The request or the account.
  ['invalid_request_error', refused],
  ['authentication_error', { status: 401, retryable: false }], ['invalid_api_key', { status: 401, retryable: false }],
  ['billing_error', { status: 402, retryable: false }],
  ['permission_error', { status: 403, retryable: false }],
  ['not_found_error', { status: 404, retryable: false }],
  ['request_too_large', { status: 413, retryable: false }],
  // The Responses API's failure codes that refuse the request's own content.
  ['invalid_prompt', refused], ['bio_policy', refused], ['data_residency_mismatch', refused],
  ['invalid_image', refused], ['invalid_image_format', refused], ['invalid_base64_image', refused], ['invalid_image_url', refused],
  ['invalid_image_mode', refused], ['image_too_large', refused], ['image_too_small', refused], ['image_file_too_large', refused],
  ['image_parse_error', refused], ['image_content_policy_violation', refused], ['unsupported_image_media_type', refused],
  ['empty_image_file', refused], ['failed_to_download_image', refused], ['image_file_not_found', refused],
  // The upstream cannot serve now.
  ['rate_limit_error', { status: 429, retryable: true }], ['rate_limit_exceeded', { status: 429, retryable: true }], ['too_many_requests', { status: 429, retryable: true }],
  ['server_error', { status: 500, retryable: true }], ['api_error', { status: 500, retryable: true }], ['internal_error', { status: 500, retryable: true }],
  ['service_unavailable', { status: 503, retryable: true }], ['overloaded', { status: 503, retryable: true }], ['overloaded_error', { status: 529, retryable: true }],
  ['timeout', { status: 504, retryable: true }], ['timeout_error', { status: 504, retryable: true }], ['vector_store_timeout', { status: 504, retryable: true }],
  // vLLM's exception class names, which it sends as the type.
  ['InternalServerError', { status: 500, retryable: true }], ['ServiceUnavailableError', { status: 503, retryable: true }],
]);

/**
 * The kind of an in-stream error from its code and its type: the code's, as the more precise,
 * unless the code names a refusal of the request and the type says the server failed (OpenAI's
 * `image_generation_server_error` under `server_error` is no refusal of the image); else the
 * type's; undefined when neither is known (the error keeps lip's 502, not retryable).
 *
 * ```ts
 * streamErrorKind('invalid_prompt', 'invalid_request_error') // { status: 400, retryable: false }
 * streamErrorKind('image_generation_server_error', 'server_error') // { status: 500, retryable: true }
 * ```
 * @see spec/backends/http/stream-error-kind.spec.ts
 */
export function streamErrorKind(code: string | undefined, type: string | undefined): StreamErrorKind | undefined {
  const ofCode = code === undefined ? undefined : KINDS.get(code);
  const ofType = type === undefined ? undefined : KINDS.get(type);
  if (ofCode && !(ofType?.retryable && !ofCode.retryable)) return ofCode;
  return ofType;
}
