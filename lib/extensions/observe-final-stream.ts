import { tap } from 'rxjs/internal/operators/tap';
import type { MonoTypeOperatorFunction } from 'rxjs';
import type { LipEvent } from '../canonical/index.js';
import { toLipError } from '../errors/index.js';
import type { HookFailures } from './hook-failures.js';
import type { Registered } from './hook-set.js';
import type { StreamContext, StreamObserver } from './sdk.js';

/**
 * `final_stream_observation`: observers see each event that leaves the attempt after every
 * other stream stage, then how it ended (success, failure with its code, cancelled). Events
 * pass unchanged; a fail_closed observer that throws on an event errors the attempt.
 *
 * ```
 * source: -s-t-f-|
 * result: -s-t-f-|     observer: s, t, f, then { outcome: success }
 * ```
 * @see spec/extensions/observe-final-stream.spec.ts
 */
export function observeFinalStream(observers: readonly Registered<StreamObserver>[], ctx: (feature: string) => StreamContext, failures: HookFailures): MonoTypeOperatorFunction<LipEvent> {
  const end = (outcome: Parameters<NonNullable<StreamObserver['end']>>[0]) => {
    for (const registered of observers) {
      try {
        registered.hook.end?.(outcome, ctx(registered.feature));
      } catch (err) {
        failures.failed({ ...registered, mode: 'fail_open' }, err); // the stream is over: nothing left to stop
      }
    }
  };
  return tap({
    next(event) {
      for (const registered of observers) {
        try {
          registered.hook.event?.(event, ctx(registered.feature));
        } catch (err) {
          const stop = failures.failed(registered, err);
          if (stop) throw stop;
        }
      }
    },
    complete: () => end({ outcome: 'success' }),
    error: (err: unknown) => end({ outcome: 'failure', errorCode: toLipError(err).code }),
    unsubscribe: () => end({ outcome: 'cancelled' }),
  });
}
