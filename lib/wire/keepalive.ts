import { Observable } from 'rxjs/internal/Observable';
import { tap } from 'rxjs/internal/operators/tap';
import { asyncScheduler } from 'rxjs/internal/scheduler/async';
import type { OperatorFunction, SchedulerLike } from 'rxjs';

/** The marker `withKeepalive` interleaves; writers turn it into `: keepalive`. */
export const KEEPALIVE: unique symbol = Symbol('lip.keepalive');
export type Keepalive = typeof KEEPALIVE;

/**
 * Interleaves KEEPALIVE markers whenever the source stayed silent for a whole interval.
 * One periodic timer per subscription (never one per item): each tick checks whether anything
 * passed since the previous tick, so an idle gap gets a marker after one to two intervals.
 *
 * ```
 * source:    ------a---------b|    (interval = 3 frames)
 * result:    ---K--a--K--K--Kb|
 * ```
 * @see spec/wire/keepalive.spec.ts
 */
export function withKeepalive<T>(intervalMs: number, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<T, T | Keepalive> {
  return (source) => new Observable<T | Keepalive>((subscriber) => {
    let active = false;
    const timer = intervalMs > 0
      ? scheduler.schedule(function tick(this: { schedule(state?: undefined, delay?: number): unknown }) {
          if (!active) subscriber.next(KEEPALIVE);
          active = false;
          this.schedule(undefined, intervalMs);
        }, intervalMs)
      : undefined;
    source.pipe(tap(() => { active = true; })).subscribe(subscriber);
    return () => timer?.unsubscribe();
  });
}
