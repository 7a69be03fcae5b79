import type { Frontend, RateLimitState } from './protocol.js';

/**
 * A duration as OpenAI's `x-ratelimit-reset-*` headers write it: `1s`, `6m0s`, `59.5s`, `20ms`.
 *
 * ```ts
 * resetDuration(360_000) // '6m0s'
 * resetDuration(1_500)   // '1.5s'
 * ```
 */
export function resetDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const tenths = Math.ceil(ms / 100);
  const minutes = Math.floor(tenths / 600);
  const seconds = (tenths - minutes * 600) / 10;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/**
 * The key's limits as `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (the headers
 * OpenAI's answers carry, which client-side throttles read): the default of every frontend
 * without headers of its own.
 */
export function openaiRateLimitHeaders(state: RateLimitState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [unit, w] of [['requests', state.requests], ['tokens', state.tokens]] as const) {
    if (w === undefined) continue;
    out[`x-ratelimit-limit-${unit}`] = String(w.limit);
    out[`x-ratelimit-remaining-${unit}`] = String(w.remaining);
    out[`x-ratelimit-reset-${unit}`] = resetDuration(w.resetMs);
  }
  return out;
}

/** The headers `frontend` puts on an answer for the key's limits (none when the key has none). */
export function rateLimitHeadersOf(frontend: Pick<Frontend, 'rateLimitHeaders'>, state: RateLimitState | undefined): Record<string, string> {
  if (state === undefined) return {};
  return frontend.rateLimitHeaders ? frontend.rateLimitHeaders(state) : openaiRateLimitHeaders(state);
}
