import { Observable } from 'rxjs/internal/Observable';
import { filter } from 'rxjs/internal/operators/filter';
import { tap } from 'rxjs/internal/operators/tap';
import type { MonoTypeOperatorFunction } from 'rxjs';
import type { LipEvent } from '../../canonical/index.js';
import { isOutputEvent } from '../../canonical/index.js';

/**
 * Holds back lifecycle events (response/message started, usage, warnings) until the first
 * output event, then releases them in order and passes everything through. A failure before
 * output discards what was held, so whoever subscribes next (the client's HTTP response, the
 * next failover arm) never sees a half-started attempt. Completion releases what was held.
 *
 * ```
 * source: -s--m--t-----u--f-|
 * result: -------(smt)-u--f-|
 *
 * source: -s--m--#
 * result: -------#
 * ```
 * @see spec/routing/operators/hold-until-output.spec.ts
 */
export function holdUntilOutput(): MonoTypeOperatorFunction<LipEvent> {
  return (source) => new Observable<LipEvent>((subscriber) => {
    let held: LipEvent[] | undefined = [];
    const release = () => {
      const events = held;
      held = undefined;
      if (events !== undefined) for (const e of events) subscriber.next(e);
    };
    // Two plain operators (no concat/merge machinery per subscription); `subscriber` is handed
    // on, so unsubscribing it stops even a synchronous source.
    source.pipe(
      tap({ complete: release }),
      filter((event) => {
        if (held === undefined) return true;
        if (!isOutputEvent(event)) {
          held.push(event);
          return false;
        }
        release();
        return true;
      }),
    ).subscribe(subscriber);
  });
}
