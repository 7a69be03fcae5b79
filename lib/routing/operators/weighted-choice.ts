import { defer } from 'rxjs/internal/observable/defer';
import { throwError } from 'rxjs/internal/observable/throwError';
import { catchError } from 'rxjs/internal/operators/catchError';
import { tap } from 'rxjs/internal/operators/tap';
import type { Observable } from 'rxjs';
import type { LipEvent } from '../../canonical/index.js';
import { isOutputEvent } from '../../canonical/index.js';
import { isRetryable } from './retryable.js';

export interface WeightedOption {
  /** Relative weight, a positive integer. */
  readonly weight: number;
  /** `[first]`: taken without a roll when `preferFirst` is set and it is eligible. */
  readonly first?: boolean;
  /** Whether the option may be picked now (circuit closed, context size fits). */
  readonly eligible?: () => boolean;
  readonly open: () => Observable<LipEvent>;
}

/**
 * Weighted choice (`[weight=3]a^b`): picks one eligible option by weight with the injected rng
 * (`rng()` in [0, 1)) and subscribes it. A retryable failure before output excludes that option
 * and re-rolls among the rest (never the `[first]` shortcut again); after output, or for a
 * failure that is not retryable, the failure passes through. `onPick(index)` reports each pick.
 *
 * ```
 * options: a (weight 3), b (weight 1); rng -> 0.9 picks b
 * b:      --#                 (retryable)
 * a:        --s-t-|           (re-rolled among what is left)
 * result: ----s-t-|
 * ```
 * @see spec/routing/operators/weighted-choice.spec.ts
 */
export function weightedChoice(
  options: readonly WeightedOption[],
  rng: () => number,
  exhausted: (failures: unknown[]) => unknown,
  preferFirst = false,
  onPick?: (index: number) => void,
): Observable<LipEvent> {
  return defer(() => {
    const remaining = options.map((_, i) => i);
    const failures: unknown[] = [];
    let committed = false;
    let firstTurn = preferFirst;

    const pick = (): number | undefined => {
      const eligible = remaining.filter((i) => options[i]!.eligible?.() ?? true);
      if (eligible.length === 0) return undefined;
      if (firstTurn) {
        const first = eligible.find((i) => options[i]!.first);
        if (first !== undefined) return first;
      }
      const total = eligible.reduce((sum, i) => sum + options[i]!.weight, 0);
      let roll = rng() * total;
      for (const i of eligible) {
        roll -= options[i]!.weight;
        if (roll < 0) return i;
      }
      return eligible[eligible.length - 1];
    };
    const attempt = (): Observable<LipEvent> => {
      const index = pick();
      firstTurn = false;
      if (index === undefined) return throwError(() => exhausted(failures));
      onPick?.(index);
      return defer(options[index]!.open).pipe(
        tap((event) => {
          if (!committed && isOutputEvent(event)) committed = true;
        }),
        catchError((err: unknown) => {
          if (committed || !isRetryable(err)) return throwError(() => err);
          failures.push(err);
          remaining.splice(remaining.indexOf(index), 1);
          return attempt();
        }),
      );
    };
    return attempt();
  });
}
