/** Upstream response headers as undici gives them. */
export type HeaderMap = Readonly<Record<string, string | string[] | undefined>>;

/** The longest cooldown an upstream may impose on one key (a day), whatever it asks for. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const MONTH = '(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '\\d{2}:\\d{2}:\\d{2}';
/** The three HTTP-date forms (RFC 9110 section 5.6.7): IMF-fixdate, RFC 850, asctime. */
const IMF_FIXDATE = new RegExp(`^${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT$`, 'i');
const RFC850_DATE = new RegExp(`^${DAY}[a-z]*, \\d{2}-${MONTH}-\\d{2} ${TIME} GMT$`, 'i');
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4}$`, 'i');

/**
 * How long an upstream asks us to wait, in milliseconds, or undefined when it does not say.
 * Reads `retry-after-ms` (OpenAI), then `Retry-After` as delay-seconds (decimals tolerated; the
 * first of a comma-joined list) or as an HTTP date (RFC 9110 section 10.2.3, one of its three
 * forms) relative to `nowMs`. Bounded to one day; a date in the past means zero. Anything else
 * is no answer: `Date.parse` alone reads text such as `later 3000` as a year, which cooled a key
 * down for the full day.
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
  const seconds = /^(\d+(?:\.\d+)?)\s*(?:,|$)/.exec(value);
  if (seconds) return clamp(Number(seconds[1]) * 1000);
  if (!IMF_FIXDATE.test(value) && !RFC850_DATE.test(value) && !ASCTIME_DATE.test(value)) return undefined;
  // asctime carries no zone; it is GMT, not the local time Date.parse would take it for.
  const date = Date.parse(ASCTIME_DATE.test(value) ? `${value} GMT` : value);
  if (Number.isNaN(date)) return undefined;
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
