import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
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
    return source.subscribe({
      next(event) {
        if (held === undefined) {
          subscriber.next(event);
          return;
        }
        if (!isOutputEvent(event)) {
          held.push(event);
          return;
        }
        const release = held;
        held = undefined;
        for (const e of release) {
          subscriber.next(e);
          if (subscriber.closed) return;
        }
        subscriber.next(event);
      },
      error(err) {
        held = undefined;
        subscriber.error(err);
      },
      complete() {
        if (held !== undefined) {
          const release = held;
          held = undefined;
          for (const e of release) subscriber.next(e);
        }
        subscriber.complete();
      },
    });
  });
}
