import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { collectEvents, validateSequence, type LipEvent } from '../canonical/index.js';
import { rejection, type HookFailures } from './hook-failures.js';
import type { Registered } from './hook-set.js';
import type { CompletionGate, GateAnswer, StreamContext } from './sdk.js';

/**
 * `completion_gating`: holds the attempt's whole completion, then asks each gate in order:
 * `pass_original` lets it through, `replace` substitutes a complete canonical stream (checked
 * with `validateSequence`; later gates see the replacement), `reject` fails the attempt with
 * `LIP_ERR_EXTENSION_REJECTED`. Nothing reaches the commit gate before the decision, so a
 * failure up to then is still retryable. A gate may answer a promise; unsubscribing while it
 * is pending drops its answer. A failure of the source discards what was held.
 *
 * ```
 * source: -s-m-t-t-f-|
 * result: -----------(smttf|)     pass_original
 * result: -----------(smRf|)      replace
 * ```
 * @see spec/extensions/gate-completion.spec.ts
 */
export function gateCompletion(gates: readonly Registered<CompletionGate>[], ctx: (feature: string) => StreamContext, failures: HookFailures): MonoTypeOperatorFunction<LipEvent> {
  return (source) => new Observable<LipEvent>((subscriber) => {
    const held: LipEvent[] = [];
    let closed = false;

    const finish = (events: readonly LipEvent[]) => {
      for (const e of events) {
        if (closed) return;
        subscriber.next(e);
      }
      subscriber.complete();
    };

    /** Runs gates from `index` on `events`; synchronous while the gates answer synchronously. */
    const run = (index: number, events: readonly LipEvent[]): void => {
      for (let i = index; i < gates.length; i++) {
        const registered = gates[i]!;
        let answer: GateAnswer | Promise<GateAnswer>;
        try {
          answer = registered.hook.gate({ events, response: collectEvents(events) }, ctx(registered.feature));
        } catch (err) {
          const stop = failures.failed(registered, err);
          if (stop) return subscriber.error(stop);
          continue;
        }
        if (isPromise(answer)) {
          answer.then(
            (a) => { if (!closed) apply(i, registered, a, events, true); },
            (err: unknown) => {
              if (closed) return;
              const stop = failures.failed(registered, err);
              if (stop) subscriber.error(stop);
              else run(i + 1, events);
            },
          );
          return;
        }
        const next = apply(i, registered, answer, events, false);
        if (next === undefined) return;
        events = next;
      }
      finish(events);
    };

    /** The events after this gate; undefined when it ended the stream (or resumed asynchronously). */
    const apply = (i: number, registered: Registered<CompletionGate>, answer: GateAnswer, events: readonly LipEvent[], resume: boolean): readonly LipEvent[] | undefined => {
      let next = events;
      if (answer?.action === 'reject') {
        subscriber.error(rejection(registered, String(answer.message)));
        return undefined;
      }
      if (answer?.action === 'replace') {
        const violations = Array.isArray(answer.events) ? validateSequence(answer.events) : ['replace needs a list of events'];
        if (violations.length === 0) next = answer.events;
        else {
          const stop = failures.failed(registered, new TypeError(`the replacement is not canonical: ${violations.join('; ')}`));
          if (stop) {
            subscriber.error(stop);
            return undefined;
          }
        }
      } else if (answer?.action !== 'pass_original') {
        const stop = failures.failed(registered, new TypeError(`unknown gate answer ${JSON.stringify((answer as { action?: unknown })?.action)}`));
        if (stop) {
          subscriber.error(stop);
          return undefined;
        }
      }
      if (resume) {
        run(i + 1, next);
        return undefined;
      }
      return next;
    };

    const subscription = source.subscribe({
      next: (event) => { held.push(event); },
      error: (err: unknown) => subscriber.error(err),
      complete: () => run(0, held),
    });
    return () => {
      closed = true;
      subscription.unsubscribe();
    };
  });
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown })?.then === 'function';
}
