import { Observable, tap, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { LipEvent } from '../../canonical/index.js';
import { isOutputEvent } from '../../canonical/index.js';

/**
 * A time-to-first-token budget: errors with `makeError()` (and unsubscribes the source) when no
 * output event arrived within `budgetMs` of subscribing. After the first output the budget is
 * switched off for good: no timeout ever cuts a stream that has started. Output arriving at
 * exactly the budget is in time (the expiry is checked after everything due at that instant).
 *
 * ```
 * budget = 5
 * source: -s---------t-|        source: -s--t---|
 * result: -s---#                result: -s--t---|
 * ```
 * Lifecycle events (response/message started, usage) pass through and do not stop the clock.
 * @see spec/routing/operators/ttft-timeout.spec.ts
 */
export function ttftTimeout(budgetMs: number, makeError: () => unknown, scheduler: SchedulerLike): MonoTypeOperatorFunction<LipEvent> {
  return (source) => new Observable<LipEvent>((subscriber) => {
    let started = false;
    let timer: Subscription | undefined;
    // The source is chained to `subscriber`, so unsubscribing it stops even a synchronous source.
    source.pipe(tap((event) => {
      if (!started && isOutputEvent(event)) {
        started = true;
        timer?.unsubscribe();
      }
    })).subscribe(subscriber);
    if (!started && !subscriber.closed) {
      // Two steps: at the budget, queue the check behind whatever else is due at that instant.
      timer = scheduler.schedule(() => {
        timer = scheduler.schedule(() => {
          if (!started) subscriber.error(makeError());
        });
      }, budgetMs);
    }
    return () => timer?.unsubscribe();
  });
}
