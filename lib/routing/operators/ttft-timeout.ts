import { Observable } from 'rxjs/internal/Observable';
import { tap } from 'rxjs/internal/operators/tap';
import type { MonoTypeOperatorFunction, SchedulerLike, Subscription } from 'rxjs';
import type { LipEvent } from '../../canonical/index.js';
import { isOutputEvent } from '../../canonical/index.js';

/**
 * Where an attempt's request waits before it leaves lip (a connection queue): `watch` is called
 * on subscribe with what to do when the request starts waiting and when it is dispatched, and
 * returns how to stop watching.
 */
export interface DispatchWatch {
  watch(onWait: () => void, onDispatch: () => void): () => void;
}

/**
 * A time-to-first-token budget: errors with `makeError()` (and unsubscribes the source) when no
 * output event arrived within `budgetMs` of subscribing. After the first output the budget is
 * switched off for good: no timeout ever cuts a stream that has started. Output arriving at
 * exactly the budget is in time (the expiry is checked after everything due at that instant).
 *
 * With `dispatch`, time spent waiting for a connection does not count: the clock stops when
 * the request starts waiting and starts again, with the whole budget, when it is dispatched.
 *
 * ```
 * budget = 5
 * source: -s---------t-|        source: -s--t---|
 * result: -s---#                result: -s--t---|
 *
 * with dispatch (q = waits, d = dispatched):
 * source: q------d----t-|
 * result: -------------t-|      (the budget runs from d)
 * ```
 * Lifecycle events (response/message started, usage) pass through and do not stop the clock.
 * @see spec/routing/operators/ttft-timeout.spec.ts
 */
export function ttftTimeout(budgetMs: number, makeError: () => unknown, scheduler: SchedulerLike, dispatch?: DispatchWatch): MonoTypeOperatorFunction<LipEvent> {
  return (source) => new Observable<LipEvent>((subscriber) => {
    let started = false;
    let timer: Subscription | undefined;
    const arm = () => {
      timer?.unsubscribe();
      if (started || subscriber.closed) return;
      // Two steps: at the budget, queue the check behind whatever else is due at that instant.
      timer = scheduler.schedule(() => {
        timer = scheduler.schedule(() => {
          if (!started) subscriber.error(makeError());
        });
      }, budgetMs);
    };
    let waiting = false;
    const unwatch = dispatch?.watch(() => {
      waiting = true;
      timer?.unsubscribe();
      timer = undefined;
    }, () => {
      if (!waiting) return;
      waiting = false;
      arm();
    });
    // The source is chained to `subscriber`, so unsubscribing it stops even a synchronous source.
    source.pipe(tap((event) => {
      if (!started && isOutputEvent(event)) {
        started = true;
        timer?.unsubscribe();
      }
    })).subscribe(subscriber);
    if (!waiting) arm();
    return () => {
      unwatch?.();
      timer?.unsubscribe();
    };
  });
}
