import type { RateLimitState } from '../protocol.js';

/**
 * The key's limits as Anthropic's answers carry theirs: `anthropic-ratelimit-{requests,tokens}-
 * {limit,remaining,reset}`, the reset as the RFC 3339 time (to the second) when the window is
 * fully replenished.
 */
export function anthropicRateLimitHeaders(state: RateLimitState, now: number = Date.now()): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [unit, w] of [['requests', state.requests], ['tokens', state.tokens]] as const) {
    if (w === undefined) continue;
    out[`anthropic-ratelimit-${unit}-limit`] = String(w.limit);
    out[`anthropic-ratelimit-${unit}-remaining`] = String(w.remaining);
    out[`anthropic-ratelimit-${unit}-reset`] = new Date(Math.ceil((now + w.resetMs) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }
  return out;
}
