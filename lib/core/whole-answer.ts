import type { Call } from '../canonical/index.js';
import type { Leaf } from '../routing/selector/ast.js';
import type { AttemptRole } from '../routing/plan/route-context.js';

/**
 * Whether a backend attempt may fetch its answer in one response (`Target.whole`) instead of a
 * stream. Yes when the client asked for a non-streamed answer (the frontend collects the events
 * anyway) and nothing in the plan needs this attempt's first token before its last:
 *
 * * a race leg streams: the race picks its winner by first output and cancels the losers;
 * * a leaf with `[ttft_timeout]`, or any leaf under the selector's global `{ttft_timeout}`,
 *   streams: a budget for the first token would otherwise measure the whole generation.
 *
 * Single candidates, failover arms, weighted branches and the affinity candidate qualify.
 * The canonical events are the same either way; only the wire to the upstream differs.
 *
 * ```ts
 * const call = { ...request, stream: false };
 * wantsWhole(call, { inRace: false }, leaf, undefined) // true
 * wantsWhole(call, { inRace: true }, leaf, undefined)  // false: a race leg
 * wantsWhole(call, { inRace: false }, leaf, 10_000)    // false: a global TTFT budget
 * ```
 * @see spec/core/whole-answer.spec.ts
 */
export function wantsWhole(call: Call, role: AttemptRole, leaf: Leaf, globalTtftMs: number | undefined): boolean {
  return !call.stream && !role.inRace && leaf.ttftTimeoutMs === undefined && globalTtftMs === undefined;
}
