import { isRetryableStatus, type LipError } from '../../errors/index.js';
import { errorMessageOf, parseJsonOrUndefined, streamErrorKind, upstreamStatusError, upstreamStreamError, type HeaderMap } from '../http/index.js';

type Json = Record<string, any>;

/** The HTTP status a numeric `code` or `status` of an in-stream error names (OpenRouter `{"code":502}`, vLLM `{"code":500}`). */
function numericStatusOf(error: Json | undefined): number | undefined {
  for (const value of [error?.code, error?.status]) {
    if (Number.isInteger(value) && value >= 400 && value <= 599) return value as number;
  }
  return undefined;
}

/**
 * The upstream's message with the provider OpenRouter names behind it (`metadata.provider_name`)
 * and that provider's own words (`metadata.raw`): OpenRouter's message alone is "Provider
 * returned error".
 */
function messageOf(body: unknown, text: string): { message: string | undefined; type: string | undefined; code?: string } {
  const { message, type, code } = errorMessageOf(body, text);
  const metadata = ((body as Json | undefined)?.error as Json | undefined)?.metadata as Json | undefined;
  if (!metadata || typeof metadata !== 'object') return { message, type, ...(code ? { code } : {}) };
  const provider = typeof metadata.provider_name === 'string' && metadata.provider_name ? metadata.provider_name : undefined;
  const raw = typeof metadata.raw === 'string' ? metadata.raw : metadata.raw !== undefined && metadata.raw !== null ? JSON.stringify(metadata.raw) : undefined;
  const said = [provider, raw || undefined].filter(Boolean).join(': ');
  return { message: said ? `${message ?? 'the upstream reported an error'} (${said})` : message, type, ...(code ? { code } : {}) };
}

/**
 * A non-2xx Chat Completions answer: the upstream status is kept; 408, 409, 429 and 5xx are
 * retryable, other 4xx are not (CONTRACT section 7); a 429 `insufficient_quota` is a spent quota,
 * not a rate limit (LIP_ERR_UPSTREAM_QUOTA_EXCEEDED, upstreamStatusError). Compatible servers'
 * error shapes are read too (`{"error":"..."}`, `{"detail": ...}`).
 *
 * ```ts
 * classifyChatStatus('openai', 400, '{"error":{"message":"bad"}}', {}, undefined, [])
 * // LIP_ERR_UPSTREAM_STATUS, status 400, not retryable, message 'backend "openai": upstream status 400: bad'
 * ```
 * @see spec/backends/openai-chat/classify-error.spec.ts
 */
export function classifyChatStatus(backendId: string, status: number, text: string, _headers: HeaderMap, retryAfterMs: number | undefined, secrets: readonly string[]): LipError {
  const { message, type, code } = messageOf(parseJsonOrUndefined(text), text);
  return upstreamStatusError({ backendId, status, message, retryAfterMs, secrets, ...(type ? { upstreamType: type } : {}), ...(code ? { upstreamCode: code } : {}) });
}

/**
 * A `data: {"error": {...}}` frame inside a Chat Completions stream (or a 200 body that is an
 * error). A numeric `code` (OpenRouter, vLLM) is the status, retryable for 408, 409, 429 and 5xx;
 * else the error type or string code decides both, as for the Responses and Messages backends
 * (streamErrorKind): a rate limit is the 429 it is and a request error the 400, not a 502 the SDKs
 * retry, and server-side errors may fail over before output.
 *
 * ```ts
 * chatStreamError('or', { error: { code: 502, message: 'Provider returned error', metadata: { provider_name: 'Anthropic', raw: 'overloaded' } } }, [])
 * // LIP_ERR_UPSTREAM_STREAM_ERROR, status 502, retryable, message 'backend "or": Provider returned error (Anthropic: overloaded)'
 * ```
 * @see spec/backends/openai-chat/classify-error.spec.ts
 */
export function chatStreamError(backendId: string, frame: Json, secrets: readonly string[]): LipError {
  const { message, type, code } = messageOf(frame, '');
  const numeric = numericStatusOf(frame.error as Json | undefined);
  const kind = numeric !== undefined ? { status: numeric, retryable: isRetryableStatus(numeric) } : streamErrorKind(code, type);
  return upstreamStreamError(backendId, message, secrets, { retryable: kind?.retryable ?? false, ...(type ? { upstreamType: type } : {}), ...(kind ? { status: kind.status } : {}) });
}
