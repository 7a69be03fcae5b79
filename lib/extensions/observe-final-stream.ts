import { defer } from 'rxjs/internal/observable/defer';
import { merge } from 'rxjs/internal/observable/merge';
import { tap } from 'rxjs/internal/operators/tap';
import { Subject } from 'rxjs/internal/Subject';
import type { MonoTypeOperatorFunction } from 'rxjs';
import type { LipEvent } from '../canonical/index.js';
import { toLipError, type LipError } from '../errors/index.js';
import type { HookFailures } from './hook-failures.js';
import type { Registered } from './hook-set.js';
import type { StreamContext, StreamObserver } from './sdk.js';

/**
 * `final_stream_observation`: observers see each event that leaves the attempt after every
 * other stream stage, then how it ended (success, failure with its code, cancelled). Events
 * pass unchanged; a fail_closed observer that throws on an event errors the attempt. An
 * observer may answer a promise (an `async` hook): when it rejects, that is its failure, as a
 * throw would have been (a fail_closed one errors the attempt if it still runs).
 *
 * ```
 * source: -s-t-f-|
 * result: -s-t-f-|     observer: s, t, f, then { outcome: success }
 * ```
 * @see spec/extensions/observe-final-stream.spec.ts
 */
export function observeFinalStream(observers: readonly Registered<StreamObserver>[], ctx: (feature: string) => StreamContext, failures: HookFailures): MonoTypeOperatorFunction<LipEvent> {
  return (source) => defer(() => {
    let ended = false;
    /** Where a fail_closed observer's late failure (its promise rejected) errors the attempt. */
    const late = new Subject<never>();
    /** A fail_closed observer failed: the observers hear of the failure it ends the attempt with. */
    const fail = (err: LipError) => end({ outcome: 'failure', errorCode: err.code });
    const stop = (err: LipError) => {
      if (ended) return false;
      fail(err);
      late.error(err);
      return true;
    };
    const end = (outcome: Parameters<NonNullable<StreamObserver['end']>>[0]) => {
      if (ended) return;
      ended = true;
      for (const registered of observers) {
        const open: Registered<StreamObserver> = { ...registered, mode: 'fail_open' }; // the stream is over: nothing left to stop
        try {
          failures.settle(open, registered.hook.end?.(outcome, ctx(registered.feature)));
        } catch (err) {
          failures.failed(open, err);
        }
      }
    };
    return merge(late, source.pipe(tap({
      next(event) {
        for (const registered of observers) {
          try {
            failures.settle(registered, registered.hook.event?.(event, ctx(registered.feature)), stop);
          } catch (err) {
            const failed = failures.failed(registered, err);
            if (failed) {
              fail(failed);
              throw failed;
            }
          }
        }
      },
      complete: () => {
        end({ outcome: 'success' });
        late.complete(); // before the source's completion reaches merge, which then completes
      },
      error: (err: unknown) => end({ outcome: 'failure', errorCode: toLipError(err).code }),
      unsubscribe: () => end({ outcome: 'cancelled' }),
    })));
  });
}
