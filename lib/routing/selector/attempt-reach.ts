import type { Arm, Selector } from './ast.js';
import { leavesOf } from './candidate-key.js';

/** What `routing.max_attempts` leaves of one arm when everything before it fails. */
export interface ArmReach {
  /** Backend opens the arms before it use when they fail (every leaf opened). */
  readonly usedBefore: number;
  /** False when those opens spend `max_attempts`: the arm is never tried. */
  readonly reachable: boolean;
  /**
   * Race legs (indices as written) that never start: the legs starting before them (by
   * handicap, then as written) use the opens that are left. Empty for other arms.
   */
  readonly neverStarted: readonly number[];
}

/**
 * How far `routing.max_attempts` lets a selector go when every candidate fails: each arm's
 * reach, for `lip check-config`'s warnings and `lip routes --explain`. Every leaf counts one
 * open (a weighted arm re-rolls until each branch failed, a race opens each leg as it starts,
 * winner or not); a skipped candidate (circuit open) opens nothing, so at run time a leg or arm
 * counted out here can still be reached when an earlier one was skipped.
 *
 * ```
 * attemptReach(parseSelector('a:m!b:m![handicap=1s]c:m!d:m | e:m'), 3)
 *   -> [{ usedBefore: 0, reachable: true, neverStarted: [2] },     c starts after a, b and d
 *       { usedBefore: 4, reachable: false, neverStarted: [] }]
 * ```
 * @see spec/routing/selector/attempt-reach.spec.ts
 */
export function attemptReach(selector: Selector, maxAttempts: number): ArmReach[] {
  let used = 0;
  return selector.arms.map((arm) => {
    const usedBefore = used;
    used += leavesOf(arm).length;
    const reachable = usedBefore < maxAttempts;
    return { usedBefore, reachable, neverStarted: reachable ? legsPast(arm, maxAttempts - usedBefore) : [] };
  });
}

/** The legs of a race that start after `left` others have (none for other arms). */
function legsPast(arm: Arm, left: number): number[] {
  if (arm.type !== 'race') return [];
  // Array.prototype.sort is stable: equal handicaps start in the order written.
  const order = arm.legs.map((leg, index) => ({ index, at: leg.handicapMs })).sort((x, y) => x.at - y.at);
  return order.slice(left).map((leg) => leg.index).sort((x, y) => x - y);
}
