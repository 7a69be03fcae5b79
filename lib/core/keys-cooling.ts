import type { Backend } from '../backends/backend.js';
import type { Skip } from '../routing/plan/route-context.js';

/**
 * Why a candidate is skipped when every API key its backend has left is out after an earlier
 * 429: an attempt would send nothing (LIP_ERR_UPSTREAM_NO_CREDENTIALS, or
 * LIP_ERR_UPSTREAM_QUOTA_EXCEEDED), so it is left out as an open circuit is, without spending
 * `routing.max_attempts`, until the first key is back. The reason starts with `keys cooling`
 * (with the recovery as `retryAfterMs`) or, when every key's quota is spent, `quota spent` (no
 * Retry-After: no wait of seconds renews a quota); the route journal reads both, so a route of
 * such candidates still answers as one whose candidates were tried (429 with the earliest
 * Retry-After, or 429 insufficient_quota). Undefined, without allocating, when a key is usable
 * or the backend has no key pool.
 *
 * ```ts
 * keysCooling(backend)   // { reason: 'keys cooling: every API key is rate-limited; the first recovers in 30s', retryAfterMs: 29_950 }
 * ```
 * @see spec/e2e/regression-cooling-keys-spend-no-attempts.spec.ts
 */
export function keysCooling(backend: Backend | undefined): Skip | undefined {
  const wait = backend?.keysCoolingMs?.();
  if (wait === undefined) return undefined;
  if (backend!.keysQuotaSpent?.() === true) return { reason: `quota spent: the quota of every API key is spent; the first is tried again in ${Math.ceil(wait / 60_000)} min` };
  return { reason: `keys cooling: every API key is rate-limited; the first recovers in ${Math.max(1, Math.ceil(wait / 1000))}s`, retryAfterMs: wait };
}
