/** Upstream response headers as undici gives them. */
export type HeaderMap = Readonly<Record<string, string | string[] | undefined>>;

/** The longest cooldown an upstream may impose on one key (a day), whatever it asks for. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * How long an upstream asks us to wait, in milliseconds, or undefined when it does not say.
 * Reads `retry-after-ms` (OpenAI), then `Retry-After` as delay-seconds (decimals tolerated) or
 * as an HTTP date (RFC 9110 section 10.2.3) relative to `nowMs`. Bounded to one day; a date
 * in the past means zero.
 *
 * ```ts
 * retryAfterMs({ 'retry-after': '7' }, now)                              // 7000
 * retryAfterMs({ 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' }, now)  // until then
 * ```
 * @see spec/backends/http/parse-retry-after.spec.ts
 */
export function retryAfterMs(headers: HeaderMap, nowMs: number): number | undefined {
  const ms = first(headers['retry-after-ms'])?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return clamp(Number(ms));
  const value = first(headers['retry-after'])?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return clamp(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date) || !/[a-z]/i.test(value)) return undefined;
  return clamp(date - nowMs);
}

/** A duration such as Google's `"30s"` / `"1.5s"` (RetryInfo.retryDelay), in milliseconds. */
export function durationMs(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(text.trim());
  return m ? clamp(Number(m[1]) * 1000) : undefined;
}

function clamp(ms: number): number {
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.round(ms)));
}
