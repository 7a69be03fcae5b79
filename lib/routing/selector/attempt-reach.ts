import type { Arm, Leaf, Selector } from './ast.js';
import { candidateKey, leavesOf } from './candidate-key.js';

/** What `routing.max_attempts` leaves of one arm when everything before it fails. */
export interface ArmReach {
  /** Backend opens the arms before it use when they fail (every leaf opened, a repeated candidate once). */
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
 * reach, for `lip check-config`'s warnings and `lip routes --explain`. Every candidate counts one
 * open (a weighted arm re-rolls until each branch failed, a race opens each leg as it starts,
 * winner or not), except a candidate key that an earlier arm (or an earlier branch of a weighted
 * arm) already opened: it already failed in this request, and routing skips it without opening
 * it. Race legs run at once, so each counts, a repeated key too. A skipped candidate (circuit
 * open) opens nothing, so at run time a leg or arm counted out here can still be reached when an
 * earlier one was skipped.
 *
 * ```
 * attemptReach(parseSelector('a:m!b:m![handicap=1s]c:m!d:m | e:m'), 3)
 *   -> [{ usedBefore: 0, reachable: true, neverStarted: [2] },     c starts after a, b and d
 *       { usedBefore: 4, reachable: false, neverStarted: [] }]
 * attemptReach(parseSelector('a:m | a:m | b:m'), 2)
 *   -> [{ usedBefore: 0, ... }, { usedBefore: 1, ... }, { usedBefore: 1, reachable: true, ... }]
 * ```
 * @see spec/routing/selector/attempt-reach.spec.ts
 */
export function attemptReach(selector: Selector, maxAttempts: number): ArmReach[] {
  let used = 0;
  // The candidate keys opened so far: a later leaf with one of them is skipped, not opened.
  const opened = new Set<string>();
  return selector.arms.map((arm) => {
    const usedBefore = used;
    const fresh = (leaf: Leaf) => !opened.has(candidateKey(leaf));
    const leaves = leavesOf(arm);
    // A race's legs all start before any of them is known to fail: each new one counts.
    used += arm.type === 'race' ? leaves.filter(fresh).length : new Set(leaves.filter(fresh).map(candidateKey)).size;
    const reachable = usedBefore < maxAttempts;
    const neverStarted = reachable ? legsPast(arm, maxAttempts - usedBefore, fresh) : [];
    for (const leaf of leaves) opened.add(candidateKey(leaf));
    return { usedBefore, reachable, neverStarted };
  });
}

/**
 * The legs of a race that start after `left` others have opened (none for other arms); a leg
 * whose candidate already failed (`fresh` false) is skipped: it opens nothing and is not listed.
 */
function legsPast(arm: Arm, left: number, fresh: (leaf: Leaf) => boolean): number[] {
  if (arm.type !== 'race') return [];
  // Array.prototype.sort is stable: equal handicaps start in the order written.
  const order = arm.legs.map((leg, index) => ({ index, at: leg.handicapMs, fresh: fresh(leg.leaf) })).filter((leg) => leg.fresh).sort((x, y) => x.at - y.at);
  return order.slice(left).map((leg) => leg.index).sort((x, y) => x - y);
}
