import { throwError } from 'rxjs/internal/observable/throwError';
import { catchError } from 'rxjs/internal/operators/catchError';
import type { Observable } from 'rxjs';
import type { LipEvent } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { failover } from '../operators/failover.js';
import { raceLegs } from '../operators/race-legs.js';
import { isRetryable } from '../operators/retryable.js';
import { ttftTimeout } from '../operators/ttft-timeout.js';
import { weightedChoice } from '../operators/weighted-choice.js';
import type { Arm, Selector, WeightedBranch } from '../selector/ast.js';
import { candidateOf, ineligibility, leafAttempt } from './leaf-attempt.js';
import type { AttemptRole, RouteContext } from './route-context.js';
import { leavesOf } from '../selector/candidate-key.js';

type ArmPlan = () => Observable<LipEvent>;
type ArmCompiler<T extends Arm['type']> = (arm: Extract<Arm, { type: T }>, ctx: RouteContext) => ArmPlan;

/**
 * An arm that produced nothing: retryable (failover goes on) unless every failure was final, or
 * `routing.max_attempts` ran out inside it (a race leg it refused): nothing after the arm could
 * open a backend either, so the route ends there as a `|` chain does, with MAX_ATTEMPTS (or a
 * leg's own final failure, the request's fault, when there is one; RATE_LIMITED when every
 * candidate tried was rate-limited).
 */
function armFailed(failures: unknown[], ctx: RouteContext): unknown {
  const isSpent = (f: unknown) => f instanceof LipError && f.code === 'LIP_ERR_ROUTE_MAX_ATTEMPTS';
  const spent = failures.find(isSpent);
  const final = failures.find((f) => !isRetryable(f) && !isSpent(f));
  if (final !== undefined && failures.every((f) => !isRetryable(f))) return final;
  if (spent !== undefined) {
    // Said again now that every leg has ended (a leg refused at its start saw the others running).
    return final ?? ctx.journal.rateLimited() ?? new LipError('LIP_ERR_ROUTE_MAX_ATTEMPTS', `routing.max_attempts (${ctx.maxAttempts}) spent (${ctx.journal.summary()})`);
  }
  return new LipError('LIP_ERR_ROUTE_ALL_FAILED', 'every candidate of the arm failed', { retryable: true });
}

/** Arm type -> operator. A lookup table, so a new arm type is one entry, not a branch in a switch. */
const ARM_COMPILERS: { readonly [T in Arm['type']]: ArmCompiler<T> } = {
  single: (arm, ctx) => () => leafAttempt(arm.leg, ctx),
  weighted: (arm, ctx) => () => {
    // A branch found ineligible is a skip like a `|` leaf's: journalled once, with its reason
    // (the final error's 503 + Retry-After or context refusal and /admin/routes need it), and left out of
    // this arm from then on. With none eligible the arm fails retryably and the journal decides.
    const skipped = new Set<number>();
    let rolled = false;
    const eligible = (branch: WeightedBranch, index: number): boolean => {
      if (skipped.has(index)) return false;
      const candidate = candidateOf(branch.leaf);
      const why = ineligibility(candidate, ctx);
      if (why === undefined) return true;
      skipped.add(index);
      ctx.journal.skip(candidate.key, why.reason, why.retryAfterMs, why.overflow);
      return false;
    };
    return weightedChoice(
      arm.branches.map((branch, index) => ({
        weight: branch.weight,
        first: branch.first,
        eligible: () => eligible(branch, index),
        open: () => leafAttempt(branch.leaf, ctx, { inRace: false, first: branch.first }),
      })),
      ctx.rng,
      (failures) => armFailed(failures, ctx),
      ctx.firstRequest,
      // Every pick after the first is a re-roll, after a branch failed.
      () => {
        if (rolled) ctx.failingOver?.();
        rolled = true;
      },
    );
  },
  race: (arm, ctx) => () => raceLegs(
    arm.legs.map((leg) => {
      const role: AttemptRole = { inRace: true };
      return {
        handicapMs: leg.handicapMs,
        open: () => leafAttempt(leg.leaf, ctx, role),
        onWin: () => {
          const candidate = candidateOf(leg.leaf);
          const entry = [...ctx.journal.entries].reverse().find((e) => e.key === candidate.key && e.outcome === 'running');
          if (entry) entry.outcome = 'served';
          ctx.commit(candidate, role);
        },
        onLose: () => { role.cancelReason = 'race loser'; },
      };
    }),
    ctx.scheduler,
    (failures) => armFailed(failures, ctx),
  ),
};

/**
 * The plan of a parsed selector (model-only leaves already resolved): the arms in failover
 * order, each compiled through ARM_COMPILERS, under the global time-to-first-token budget. With
 * affinity, the bound candidate (`ctx.sticky`) is tried before the arms; a candidate that failed
 * is not tried again within the request.
 *
 * ```
 * {ttft_timeout=10s} a:m | [weight=3]b:m^c:m | d:m!e:m
 *   ttftTimeout(10s, failover([ single(a), weightedChoice(b, c), raceLegs(d, e) ]))
 * ```
 * @see spec/routing/plan/compile-plan.spec.ts
 */
export function compilePlan(selector: Selector, ctx: RouteContext): Observable<LipEvent> {
  const only = singleLeaf(selector, ctx);
  if (only !== undefined) return only;
  const arms = selector.arms.map((arm) => (ARM_COMPILERS[arm.type] as ArmCompiler<typeof arm.type>)(arm as never, ctx));
  // {affinity=...}: the bound candidate, when the selector still has it, goes first.
  const sticky = ctx.sticky === undefined ? undefined : selector.arms.flatMap(leavesOf).find((leaf) => candidateOf(leaf).key === ctx.sticky);
  const ordered = sticky ? [() => leafAttempt(sticky, ctx), ...arms] : arms;
  // failover opens an arm after the first only when the one before it failed: that is a move.
  const moves = ordered.map((arm, index): ArmPlan => (index === 0 ? arm : () => {
    ctx.failingOver?.();
    return arm();
  }));
  const plan = failover(moves, () => ctx.journal.finalError());
  const budget = selector.global.ttftTimeoutMs;
  if (budget === undefined) return plan;
  return plan.pipe(ttftTimeout(budget, () => {
    ctx.cancelReason = 'global ttft_timeout';
    return new LipError('LIP_ERR_ROUTE_TTFT_TIMEOUT', `no output within the selector's ttft_timeout of ${budget} ms (${ctx.journal.summary()})`);
  }, ctx.scheduler));
}

/**
 * The common plan, one leaf and nothing else (no other arm, no affinity candidate, no global
 * budget), without the failover machinery it would not use: the leaf's attempt, and when it
 * fails retryably before output, the journal's final error (what failover would answer when
 * its only arm is spent). Undefined for any other selector.
 */
function singleLeaf(selector: Selector, ctx: RouteContext): Observable<LipEvent> | undefined {
  const arm = selector.arms[0];
  if (selector.arms.length !== 1 || arm!.type !== 'single' || ctx.sticky !== undefined || selector.global.ttftTimeoutMs !== undefined) return undefined;
  // The leaf's journal entry notes its first output (ttftMs): after it, a failure is surfaced as it is.
  return leafAttempt(arm.leg, ctx).pipe(catchError((err: unknown) => {
    const committed = ctx.journal.entries.some((e) => e.ttftMs !== undefined);
    return throwError(() => (committed || !isRetryable(err) ? err : ctx.journal.finalError()));
  }));
}
