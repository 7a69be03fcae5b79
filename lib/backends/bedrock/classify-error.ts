import { LipError } from '../../errors/index.js';
import { errorMessageOf, parseJsonOrUndefined, upstreamStatusError, upstreamStreamError, type HeaderMap } from '../http/index.js';

/** Error codes that mean "this candidate cannot serve now": another candidate may. */
const TRANSIENT = /^(Throttl|TooManyRequests|ServiceUnavailable|InternalServer|InternalError|InternalFailure|ModelTimeout|ModelNotReady|RequestTimeout|ModelStreamError)/i;
/** Error codes that mean "these credentials are refused": a misconfigured candidate. */
const AUTH = /^(ExpiredToken|UnrecognizedClient|InvalidSignature|InvalidToken|AccessDenied|AuthFailure|MissingAuthenticationToken|IncompleteSignature|InvalidClientTokenId|SignatureDoesNotMatch)/i;
/** Codes after which resolving the credentials again may help (temporary credentials expired). */
const STALE = /^(ExpiredToken|InvalidToken|UnrecognizedClient|InvalidClientTokenId)/i;

/** The AWS error code of an answer: `x-amzn-errortype: Code:namespace`, else the body's `__type`. */
export function awsErrorCode(headers: HeaderMap, body: unknown): string | undefined {
  const header = headers['x-amzn-errortype'];
  const text = Array.isArray(header) ? header[0] : header;
  if (typeof text === 'string' && text.length > 0) return text.split(':')[0]!;
  const type = (body as { __type?: unknown } | undefined)?.__type;
  return typeof type === 'string' && type.length > 0 ? type.split('#').pop()!.split(':')[0]! : undefined;
}

/**
 * The status a client is told for the model's own failures, which Bedrock answers with 424
 * (ModelErrorException, ModelStreamErrorException) and 408 (ModelTimeoutException): they are not
 * the request's fault, and a 4xx made clients read them as `invalid_request_error` (Gemini
 * `FAILED_PRECONDITION`). `upstream_status` / `upstream_type` keep what Bedrock said.
 */
const CLIENT_STATUS_OF_CODE: ReadonlyMap<string, number> = new Map([
  ['ModelErrorException', 502], ['ModelStreamErrorException', 502], ['ModelTimeoutException', 504],
]);

/** What to name instead of a model id Bedrock will not invoke on demand. */
const NAME_A_PROFILE = 'name an inference profile as the model: the model id with us., eu., apac. or global. before it';
/** What to check when Bedrock knows no such model. */
const CHECK_THE_ID = "check the model id and the row's region; a model that takes an inference profile is named with us., eu., apac. or global. before its id";

/**
 * Bedrock's refusals of the model id a candidate names, which say that the candidate is
 * configured wrong (as the 403 of a model not enabled does), not the request: a foundation model
 * that takes an inference profile named by its own id, an id Bedrock does not know (both 400
 * ValidationException), a 404 ResourceNotFoundException about the model; each with a hint.
 */
const MODEL_ID_REFUSALS: readonly { readonly status: number; readonly code: string; readonly text: RegExp; readonly hint: string }[] = [
  { status: 400, code: 'ValidationException', text: /with on-demand throughput isn.t supported/i, hint: NAME_A_PROFILE },
  { status: 400, code: 'ValidationException', text: /provided model identifier is invalid/i, hint: CHECK_THE_ID },
  { status: 404, code: 'ResourceNotFoundException', text: /\bmodel\b|inference profile/i, hint: CHECK_THE_ID },
];

/** What Bedrock answers (403) to an API key it does not take. */
const KEY_REFUSED_TYPE = /^(UnrecognizedClient|InvalidClientTokenId|InvalidToken|ExpiredToken)/i;
const KEY_REFUSED_TEXT = /security token included in the request is (?:invalid|expired)|API Key is valid|Authentication failed/i;

/**
 * Whether a 403 refuses the Bedrock API key that was sent (the key pool retires it, as after a
 * 401): an unrecognised or expired token, or "Authentication failed: Please make sure your API
 * Key is valid."; not a signature that expired with the clock (a skew) or a model not enabled.
 */
export function keyRefused(status: number, err: LipError): boolean {
  if (status !== 403) return false;
  const type = (err.detail as { upstream_type?: unknown } | undefined)?.upstream_type;
  return (typeof type === 'string' && KEY_REFUSED_TYPE.test(type)) || KEY_REFUSED_TEXT.test(err.message);
}

/** Whether an error says the credentials should be resolved afresh before the next request. */
export function staleCredentials(err: LipError): boolean {
  const type = (err.detail as { upstream_type?: unknown } | undefined)?.upstream_type;
  return typeof type === 'string' && STALE.test(type);
}

/**
 * A non-2xx Bedrock answer. Throttling, server-side and model-timeout codes are retryable (the
 * route fails over, the circuit counts them), as the status rule already says for 408, 429 and
 * 5xx. Credential failures (expired or unknown keys, bad signatures, access denied) are
 * retryable too: another candidate may be configured right, and the circuit of this one counts
 * them. So are Bedrock's refusals of the candidate's model id (MODEL_ID_REFUSALS: a model that
 * takes an inference profile named by its own id, an unknown id, a 404 about the model), their
 * message with a hint of what to name instead, told the client as a 404 (a 400 would say the
 * client's request was wrong, and no circuit would count it). Everything else (ValidationException,
 * ResourceNotFoundException, ...) is the request's problem and reaches the client with its
 * status, except the model's own failures, which the client is told as 502 / 504
 * (CLIENT_STATUS_OF_CODE). The AWS code is kept as `upstream_type`, the status as `upstream_status`.
 *
 * ```ts
 * classifyBedrockStatus('br', 429, '{"message":"slow down"}', { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/' }, undefined, [])
 * // LIP_ERR_UPSTREAM_STATUS, status 429, retryable, upstream_type ThrottlingException
 * ```
 * @see spec/backends/bedrock/classify-error.spec.ts
 */
export function classifyBedrockStatus(backendId: string, status: number, text: string, headers: HeaderMap, retryAfterMs: number | undefined, secrets: readonly string[]): LipError {
  const body = parseJsonOrUndefined(text);
  const code = awsErrorCode(headers, body);
  // AWS writes `Message` in some answers (an API key refused): that, not the body's raw text.
  const upper = (body as { Message?: unknown; message?: unknown } | undefined);
  const said = typeof upper?.Message === 'string' && upper.message === undefined ? upper.Message : errorMessageOf(body, text).message;
  const refused = said === undefined ? undefined : MODEL_ID_REFUSALS.find((r) => r.status === status && (code ?? r.code) === r.code && r.text.test(said));
  const message = refused ? `${said} (${refused.hint})` : said;
  const retryable = refused !== undefined || (code !== undefined && (TRANSIENT.test(code) || AUTH.test(code))) || status === 401 || status === 403 ? true : undefined;
  const clientStatus = refused ? 404 : code === undefined ? undefined : CLIENT_STATUS_OF_CODE.get(code);
  return upstreamStatusError({
    backendId, status, message, retryAfterMs, secrets, ...(code ? { upstreamType: code } : {}), ...(retryable ? { retryable } : {}), ...(clientStatus !== undefined ? { clientStatus } : {}),
  });
}

/** The HTTP status Bedrock answers each error code with, for the same error in a stream. */
const STATUS_OF_CODE: ReadonlyMap<string, number> = new Map([
  ['ValidationException', 400], ['ServiceQuotaExceededException', 400], ['AccessDeniedException', 403], ['ResourceNotFoundException', 404],
  ['ModelTimeoutException', 408], ['ModelErrorException', 424], ['ModelStreamErrorException', 424], ['ModelNotReadyException', 429],
  ['ThrottlingException', 429], ['InternalServerException', 500], ['ServiceUnavailableException', 503],
]);

/**
 * An exception frame inside the stream (`:message-type: exception`, `:exception-type`
 * `throttlingException`, `modelStreamErrorException`, ...; payload `{message}`), or an `error`
 * frame (`:error-code`, `:error-message`). Transient ones may fail over while nothing was sent;
 * after output every one is surfaced in-band. The error keeps the status Bedrock answers its
 * code with over HTTP (STATUS_OF_CODE), so that before output a validation error is the 400 it
 * is, a throttle the 429, not a 502 the SDKs retry; the model's own failures (Bedrock's 424 and
 * 408) are 502 and 504 (CLIENT_STATUS_OF_CODE), so that in-band they read as server errors.
 *
 * ```ts
 * bedrockStreamError('br', 'throttlingException', 'Too many tokens', [])
 * // LIP_ERR_UPSTREAM_STREAM_ERROR, status 429, retryable, upstream_type ThrottlingException
 * ```
 * @see spec/backends/bedrock/classify-error.spec.ts
 */
export function bedrockStreamError(backendId: string, type: string | undefined, message: string | undefined, secrets: readonly string[]): LipError {
  const code = type ? type.charAt(0).toUpperCase() + type.slice(1) : undefined;
  const status = code === undefined ? undefined : CLIENT_STATUS_OF_CODE.get(code) ?? STATUS_OF_CODE.get(code);
  return upstreamStreamError(backendId, message ?? (code ? `the upstream reported ${code}` : undefined), secrets, {
    retryable: code !== undefined && TRANSIENT.test(code), ...(code ? { upstreamType: code } : {}), ...(status !== undefined ? { status } : {}),
  });
}
