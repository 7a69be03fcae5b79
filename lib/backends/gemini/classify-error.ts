import type { LipError } from '../../errors/index.js';
import { durationMs, errorMessageOf, parseJsonOrUndefined, upstreamStatusError, upstreamStreamError, type HeaderMap } from '../http/index.js';

type Json = Record<string, any>;

/** google.rpc status names worth another candidate when they arrive inside a stream. */
const TRANSIENT = new Set(['UNAVAILABLE', 'RESOURCE_EXHAUSTED', 'INTERNAL', 'DEADLINE_EXCEEDED', 'ABORTED']);

/** The `RetryInfo.retryDelay` of a google.rpc error (`"30s"`), in milliseconds. */
export function retryDelayOf(body: unknown): number | undefined {
  const error = (Array.isArray(body) ? body[0] : body as Json | undefined)?.error;
  const details = Array.isArray(error?.details) ? (error.details as Json[]) : [];
  for (const d of details) {
    if (typeof d?.['@type'] === 'string' && d['@type'].endsWith('google.rpc.RetryInfo')) return durationMs(d.retryDelay);
  }
  return undefined;
}

/**
 * A non-2xx Gemini answer (`{"error":{"code","message","status"}}`). The HTTP status decides
 * retryability; a 429 without Retry-After takes the cooldown from `RetryInfo.retryDelay`.
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
  return upstreamStatusError({ backendId, status, message, retryAfterMs: retryAfterMs ?? retryDelayOf(body), secrets, ...(type ? { upstreamType: type } : {}) });
}

/** `data: {"error": {...}}` inside a stream. */
export function geminiStreamError(backendId: string, frame: Json, secrets: readonly string[]): LipError {
  const { message, type } = errorMessageOf(frame, '');
  return upstreamStreamError(backendId, message, secrets, { retryable: type !== undefined && TRANSIENT.has(type), ...(type ? { upstreamType: type } : {}) });
}
