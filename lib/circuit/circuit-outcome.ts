import { toLipError } from '../errors/index.js';

/**
 * Whether an attempt's error says something about the candidate's health. Routing calls this
 * when an attempt fails, then records the result with `breaker.record(key, outcome, decision)`.
 *
 * * `ignored`: the failure belongs to the request or the route, not the candidate, and another
 *   request would not have met it: the client's own invalid request (`LIP_ERR_REQUEST_*`), a
 *   response over the collect limits, an upstream 400, 413 or 422 (a prompt too long for the
 *   model too), an answer lip has no form for (images alone), or a route-level verdict
 *   (`LIP_ERR_ROUTE_*` such as the global TTFT budget, except the leaf's own TTFT), or lip's
 *   own failure (`LIP_ERR_SERVER_*`: a bug caught by a guard, a client too slow to read, a
 *   shutdown), or lip's own refusal while every API key cools down from an earlier 429
 *   (`LIP_ERR_UPSTREAM_NO_CREDENTIALS`, or `..._QUOTA_EXCEEDED` when their quotas are spent,
 *   with reason `cooling_down`: nothing was sent), or lip's own connection queue turning the
 *   request away (`LIP_ERR_UPSTREAM_QUEUE_TIMEOUT`: nothing was sent either).
 *   Counting these would let one client (or lip) open a circuit for everyone.
 * * `failure`: everything else, whether retryable (connect errors, resets, timeouts, 408, 409,
 *   429, 5xx, leaf TTFT expiry, a stream that ended before output) or surfaced (malformed
 *   frames, in-stream errors, 401/403/404 of a misconfigured candidate, unexpected errors).
 *
 * Cancellations are not errors: an attempt that was unsubscribed (client gone, race lost,
 * global budget spent) is recorded as `cancelled` by its caller, without asking here.
 * @see spec/circuit/circuit-outcome.spec.ts
 */
export function outcomeOf(error: unknown): 'failure' | 'ignored' {
  const err = toLipError(error);
  if (err.code.startsWith('LIP_ERR_REQUEST_') || err.code.startsWith('LIP_ERR_SERVER_') || err.code === 'LIP_ERR_RESPONSE_TOO_LARGE') return 'ignored';
  if (err.code.startsWith('LIP_ERR_ROUTE_') && err.code !== 'LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT') return 'ignored';
  if (err.code === 'LIP_ERR_UPSTREAM_STATUS' && CLIENT_STATUSES.has(err.status)) return 'ignored';
  // Too long for this model, or answered only with output lip cannot carry (images): the request's, not the backend's health.
  if (err.code === 'LIP_ERR_UPSTREAM_CONTEXT_EXCEEDED' || err.code === 'LIP_ERR_UPSTREAM_OUTPUT_UNSUPPORTED') return 'ignored';
  // Refused by lip itself, every key still cooling from an earlier 429: nothing was sent, and
  // that 429 was counted when it came.
  if ((err.code === 'LIP_ERR_UPSTREAM_NO_CREDENTIALS' || err.code === 'LIP_ERR_UPSTREAM_QUOTA_EXCEEDED') && err.detail?.['reason'] === 'cooling_down') return 'ignored';
  // Waited out http_client.queue_timeout behind lip's own connections_per_origin: never sent.
  if (err.code === 'LIP_ERR_UPSTREAM_QUEUE_TIMEOUT') return 'ignored';
  return 'failure';
}

const CLIENT_STATUSES: ReadonlySet<number> = new Set([400, 413, 422]);
