import { map } from 'rxjs/internal/operators/map';
import type { MonoTypeOperatorFunction } from 'rxjs';
import { validateEvent, type LipEvent } from '../canonical/index.js';
import { synchronous, type HookFailures } from './hook-failures.js';
import type { Registered } from './hook-set.js';
import type { EventMutator, StreamContext } from './sdk.js';

/**
 * `stream_event_mutation`: every event passes through each mutator in order, one event in and
 * one out. An answer that is not a well-formed event (`validateEvent`) of the same type (and,
 * for tool events, the same call id) would break the canonical sequence or the client's wire, so
 * it counts as the hook's failure: a fail_open hook is skipped (the event goes on unchanged), a
 * fail_closed one errors the attempt. An event handed back unchanged (the same object) is not
 * checked again.
 *
 * ```
 * source: -s-m-a-b-f-|      mutator: text "a" -> "A"
 * result: -s-m-A-b-f-|
 * ```
 * @see spec/extensions/mutate-events.spec.ts
 */
export function mutateEvents(mutators: readonly Registered<EventMutator>[], ctx: (feature: string) => StreamContext, failures: HookFailures): MonoTypeOperatorFunction<LipEvent> {
  return map((event) => {
    let current = event;
    for (const registered of mutators) {
      try {
        const next = synchronous(registered.hook.mutate(current, ctx(registered.feature)));
        const problem = sameShape(current, next);
        if (problem) throw new TypeError(problem);
        current = next;
      } catch (err) {
        const stop = failures.failed(registered, err);
        if (stop) throw stop;
      }
    }
    return current;
  });
}

/** Why `next` cannot replace `event` in a valid stream, or undefined. */
function sameShape(event: LipEvent, next: LipEvent): string | undefined {
  if (next === event) return undefined;
  if (next === null || typeof next !== 'object') return 'a mutator must answer an event';
  if (next.type !== event.type) return `a mutator may not change the event type (${event.type} -> ${String(next.type)})`;
  const malformed = validateEvent(next);
  if (malformed !== undefined) return malformed;
  if ('id' in event && event.type.startsWith('tool_call') && (next as { id?: string }).id !== event.id) return 'a mutator may not change a tool call id';
  return undefined;
}
