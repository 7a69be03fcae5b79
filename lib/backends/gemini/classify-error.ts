import { isRetryableStatus, type LipError } from '../../errors/index.js';
import { durationMs, errorMessageOf, parseJsonOrUndefined, upstreamStatusError, upstreamStreamError, type HeaderMap } from '../http/index.js';

type Json = Record<string, any>;

/** google.rpc status names worth another candidate when they arrive inside a stream without a numeric `code`. */
const TRANSIENT = new Set(['UNAVAILABLE', 'RESOURCE_EXHAUSTED', 'INTERNAL', 'DEADLINE_EXCEEDED', 'ABORTED']);

/** The HTTP status of each google.rpc status name (google/rpc/code.proto), for an error that names no numeric `code`. */
const STATUS_OF_RPC: ReadonlyMap<string, number> = new Map([
  ['INVALID_ARGUMENT', 400], ['FAILED_PRECONDITION', 400], ['OUT_OF_RANGE', 400], ['UNAUTHENTICATED', 401],
  ['PERMISSION_DENIED', 403], ['NOT_FOUND', 404], ['ABORTED', 409], ['ALREADY_EXISTS', 409], ['RESOURCE_EXHAUSTED', 429],
  ['CANCELLED', 499], ['UNKNOWN', 500], ['INTERNAL', 500], ['DATA_LOSS', 500], ['UNIMPLEMENTED', 501],
  ['UNAVAILABLE', 503], ['DEADLINE_EXCEEDED', 504],
]);

/** The `details` of a google.rpc error (`{"error": {..., "details": [...]}}`, or the first of an array of them). */
function detailsOf(body: unknown): Json[] {
  const error = (Array.isArray(body) ? body[0] : body as Json | undefined)?.error;
  return Array.isArray(error?.details) ? (error.details as Json[]) : [];
}

/** The `RetryInfo.retryDelay` of a google.rpc error (`"30s"`), in milliseconds. */
export function retryDelayOf(body: unknown): number | undefined {
  for (const d of detailsOf(body)) {
    if (typeof d?.['@type'] === 'string' && d['@type'].endsWith('google.rpc.RetryInfo')) return durationMs(d.retryDelay);
  }
  return undefined;
}

/**
 * Whether a google.rpc error's QuotaFailure names a per-day quota (`quotaId`
 * `GenerateRequestsPerDayPerProjectPerModel-FreeTier`, as gemini-cli reads it: "PerDay" or
 * "Daily"): spent until the day ends, not for the seconds its RetryInfo says.
 */
function perDayQuotaOf(body: unknown): boolean {
  return detailsOf(body).some((d) => typeof d?.['@type'] === 'string' && d['@type'].endsWith('google.rpc.QuotaFailure') && Array.isArray(d.violations)
    && (d.violations as Json[]).some((v) => typeof v?.quotaId === 'string' && /PerDay|Daily/.test(v.quotaId)));
}

/** The `reason` of a google.rpc error's first ErrorInfo (`API_KEY_INVALID`, `SERVICE_DISABLED`, ...). */
function errorReasonOf(body: unknown): string | undefined {
  const info = detailsOf(body).find((d) => typeof d?.['@type'] === 'string' && d['@type'].endsWith('google.rpc.ErrorInfo'));
  return typeof info?.reason === 'string' && info.reason.length > 0 ? info.reason : undefined;
}

/**
 * The ErrorInfo reasons that refuse the key sent, or the project behind it, whatever the request
 * (google/api/error_reason.proto): Gemini's 400 for a key that is not valid (unknown, deleted or
 * expired), and the 403s for a key whose restrictions keep it from this API or from lip (its
 * service, IP address, referrer or app restrictions), an API disabled in its project, a project
 * suspended or deleted. Not BILLING_DISABLED: a model may want billing where another does not.
 */
const KEY_REJECTED_REASONS: ReadonlySet<string> = new Set([
  'API_KEY_INVALID', 'API_KEY_SERVICE_BLOCKED', 'API_KEY_IP_ADDRESS_BLOCKED', 'API_KEY_HTTP_REFERRER_BLOCKED',
  'API_KEY_ANDROID_APP_BLOCKED', 'API_KEY_IOS_APP_BLOCKED', 'SERVICE_DISABLED', 'CONSUMER_SUSPENDED', 'CONSUMER_INVALID',
]);

/**
 * Whether a Gemini answer refuses the key that was sent (the key pool retires it, as after a
 * 401, and tries the next; with none left the route moves on): a 400 or 403 whose ErrorInfo
 * reason (`detail.upstream_reason`, classifyGeminiStatus) is one of KEY_REJECTED_REASONS. Gemini
 * answers an unknown key with a 400 INVALID_ARGUMENT, which alone reads as the request's fault.
 *
 * ```ts
 * // {"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT",
 * //   "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID",...}]}}
 * geminiKeyRejected(400, classifyGeminiStatus('g', 400, body, {}, undefined, [])) // true
 * ```
 * @see spec/backends/gemini/classify-error.spec.ts
 */
export function geminiKeyRejected(status: number, error: LipError): boolean {
  const reason = error.detail?.['upstream_reason'];
  return (status === 400 || status === 403) && typeof reason === 'string' && KEY_REJECTED_REASONS.has(reason);
}

/**
 * A non-2xx Gemini answer (`{"error":{"code","message","status"}}`). The HTTP status decides
 * retryability; a 429 without Retry-After takes the cooldown from `RetryInfo.retryDelay`, unless
 * its QuotaFailure names a per-day quota (perDayQuotaOf): that is a spent quota
 * (LIP_ERR_UPSTREAM_QUOTA_EXCEEDED), which no retry delay renews. The status name is kept as
 * `detail.upstream_type`, the first ErrorInfo's reason as `detail.upstream_reason` (which
 * geminiKeyRejected reads).
 *
 * ```ts
 * classifyGeminiStatus('gem', 400, '{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}', {}, undefined, [])
 * // LIP_ERR_UPSTREAM_STATUS, status 400, not retryable
 * ```
 * @see spec/backends/gemini/classify-error.spec.ts
 */
export function classifyGeminiStatus(backendId: string, status: number, text: string, _headers: HeaderMap, retryAfterMs: number | undefined, secrets: readonly string[]): LipError {
  const body = parseJsonOrUndefined(text);
  const { message, type } = errorMessageOf(body, text);
  const reason = errorReasonOf(body);
  return upstreamStatusError({
    backendId, status, message, retryAfterMs: retryAfterMs ?? retryDelayOf(body), secrets, ...(type ? { upstreamType: type } : {}), ...(reason ? { upstreamReason: reason } : {}), quotaSpent: perDayQuotaOf(body),
  });
}

/**
 * `data: {"error": {code, message, status}}` inside a stream (or a 200 body that is an error):
 * a numeric `code` of 408, 409, 429 or 5xx, else a status name such as UNAVAILABLE or
 * RESOURCE_EXHAUSTED, may fail over before output, as an HTTP answer with that status would. The
 * error keeps the upstream's HTTP status (its `code`, else the one its status name stands for),
 * so that a Gemini client reads the same `code` and `status` again, and before output a request
 * error is the 400 it is, not a 502 the SDKs retry.
 *
 * ```ts
 * geminiStreamError('g', { error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } }, [])
 * // LIP_ERR_UPSTREAM_STREAM_ERROR, status 503, retryable
 * ```
 * @see spec/backends/gemini/classify-error.spec.ts
 */
export function geminiStreamError(backendId: string, frame: Json, secrets: readonly string[]): LipError {
  const { message, type } = errorMessageOf(frame, '');
  const code: unknown = (frame.error as Json | undefined)?.code;
  const numeric = Number.isInteger(code) && (code as number) >= 400 && (code as number) <= 599 ? code as number : undefined;
  const status = numeric ?? (type === undefined ? undefined : STATUS_OF_RPC.get(type));
  return upstreamStreamError(backendId, message, secrets, {
    retryable: numeric !== undefined ? isRetryableStatus(numeric) : type !== undefined && TRANSIENT.has(type),
    ...(type ? { upstreamType: type } : {}), ...(status !== undefined ? { status } : {}),
  });
}
