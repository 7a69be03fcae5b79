import { defer } from 'rxjs/internal/observable/defer';
import { from } from 'rxjs/internal/observable/from';
import { of } from 'rxjs/internal/observable/of';
import { throwError } from 'rxjs/internal/observable/throwError';
import { catchError } from 'rxjs/internal/operators/catchError';
import { concatWith } from 'rxjs/internal/operators/concatWith';
import { filter } from 'rxjs/internal/operators/filter';
import { mergeMap } from 'rxjs/internal/operators/mergeMap';
import type { MonoTypeOperatorFunction, Observable } from 'rxjs';
import { collectEvents, validateSequence, type LipEvent } from '../canonical/index.js';
import { LipError } from '../errors/index.js';
import { HeldOutput } from '../wire/held-output.js';
import { isThenable, rejection, type HookFailures } from './hook-failures.js';
import type { Registered } from './hook-set.js';
import type { CompletionGate, GateAnswer, StreamContext } from './sdk.js';

/**
 * `completion_gating`: holds the attempt's whole completion, then asks each gate in order:
 * `pass_original` lets it through, `replace` substitutes a complete canonical stream (checked
 * with `validateSequence`; later gates see the replacement), `reject` fails the attempt with
 * `LIP_ERR_EXTENSION_REJECTED`. Nothing reaches the commit gate before the decision, so a
 * failure up to then is still retryable. A gate may answer a promise; unsubscribing while it
 * is pending drops its answer. A failure of the source discards what was held. What is held is
 * bounded (HeldOutput: past collect()'s limits of text, reasoning or tool arguments, the attempt
 * fails with LIP_ERR_RESPONSE_TOO_LARGE before any gate is asked), so a completion that never
 * ends is not held forever.
 *
 * ```
 * source: -s-m-t-t-f-|
 * result: -----------(smttf|)     pass_original
 * result: -----------(smRf|)      replace
 * ```
 * @see spec/extensions/gate-completion.spec.ts
 */
export function gateCompletion(gates: readonly Registered<CompletionGate>[], ctx: (feature: string) => StreamContext, failures: HookFailures): MonoTypeOperatorFunction<LipEvent> {
  /** The events after gates `i`...; synchronous while the gates answer synchronously. */
  const decide = (i: number, events: readonly LipEvent[]): Observable<LipEvent> => {
    for (; i < gates.length; i++) {
      const registered = gates[i]!;
      let answer: GateAnswer | Promise<GateAnswer>;
      try {
        answer = registered.hook.gate({ events, response: collectEvents(events) }, ctx(registered.feature));
      } catch (err) {
        const stop = failures.failed(registered, err);
        if (stop) return throwError(() => stop);
        continue;
      }
      if (isThenable(answer)) {
        const next = i + 1;
        return from(answer).pipe(
          catchError((err: unknown) => {
            const stop = failures.failed(registered, err);
            return stop ? throwError(() => stop) : of(PASS);
          }),
          mergeMap((a) => {
            const after = apply(registered, a, events, failures);
            return after instanceof LipError ? throwError(() => after) : decide(next, after);
          }),
        );
      }
      const after = apply(registered, answer, events, failures);
      if (after instanceof LipError) return throwError(() => after);
      events = after;
    }
    return from(events);
  };
  return (source) => defer(() => {
    const held: LipEvent[] = [];
    const chars = new HeldOutput();
    return source.pipe(
      filter((event) => {
        if (event.type === 'text_delta') chars.add('text', event.text.length);
        else if (event.type === 'reasoning_delta') chars.add('reasoning', event.text.length);
        else if (event.type === 'tool_call_delta') chars.add('args', event.args.length);
        held.push(event);
        return false;
      }),
      concatWith(defer(() => decide(0, held))),
    );
  });
}

const PASS: GateAnswer = { action: 'pass_original' };

/**
 * The events after one gate's answer, or the error that ends the attempt. An answer that is
 * malformed, or that throws while it is read (a getter, a message whose `toString` throws), is
 * the gate's failure.
 */
function apply(registered: Registered<CompletionGate>, answer: GateAnswer, events: readonly LipEvent[], failures: HookFailures): readonly LipEvent[] | LipError {
  try {
    const action = answer?.action;
    if (action === 'reject') return rejection(registered, String((answer as { message: unknown }).message));
    if (action === 'pass_original') return events;
    if (action !== 'replace') throw new TypeError(`unknown gate answer ${JSON.stringify(action)}`);
    const replacement = (answer as { events: unknown }).events;
    if (!Array.isArray(replacement)) throw new TypeError('replace needs a list of events');
    const problems = validateSequence(replacement);
    if (problems.length > 0) throw new TypeError(`the replacement is not canonical: ${problems.join('; ')}`);
    return replacement;
  } catch (err) {
    return failures.failed(registered, err) ?? events;
  }
}
