import { Observable } from 'rxjs/internal/Observable';
import type { Subscription } from 'rxjs';
import { addUsage, assistantMessage, Collector, type Call, type HostedToolEvent, type LipEvent, type ResponseFinishedEvent, type Usage } from '../canonical/index.js';

/** How many times one request's paused turn is continued, at most (then the pause is the answer). */
export const MAX_TURN_CONTINUATIONS = 4;

/** When and how a provider's paused turn is continued (HttpProtocol.pausedTurns). */
export interface PausedTurns {
  /** Whether the call can pause at all (only calls with hosted tools do): otherwise nothing is wrapped. */
  applies(call: Call): boolean;
  /** Whether an answer's end is a pause to continue (Anthropic `pause_turn`). */
  paused(event: ResponseFinishedEvent): boolean;
  /** The reasoning dialect of the provider's own unlabelled thinking, for the continued history. */
  readonly reasoningDialect: string;
  /**
   * The continuation's call given the records of the whole message so far (hosted tool events of
   * `scope: 'message'`, such as the container the paused part ran in): what the provider needs
   * to continue where it paused. Absent: the call as it was, plus the paused answer.
   */
  carry?(call: Call, records: readonly HostedToolEvent[]): Call;
}

/**
 * A provider that pauses a long turn of hosted tools (Anthropic `pause_turn`: "send the response
 * back as it is to let the model continue") gets it continued here, for every client: the
 * paused answer is sent back as the assistant's message and the continuation streams on as the
 * same answer (its response and message openings dropped, its usage added to the paused part's),
 * at most MAX_TURN_CONTINUATIONS times. A client of another protocol has no pause to continue; an
 * Anthropic client gets the whole turn. The records of the whole message (`hosted_tool` of scope
 * `message`: a container) are held and reported once, their latest form, before the answer's
 * end, and the continuation is asked for with them (`carry`). Unsubscribing aborts whichever
 * upstream call is running.
 *
 * ```
 * upstream 1: -s-m-t-w-f(pause_turn)|   upstream 2 (history + turn 1): -s-m-t-f(end_turn)|
 * client:     -s-m-t-w----------------------------------------------------t-f(end_turn)|
 * ```
 * @see spec/backends/continue-turn.spec.ts
 */
export function continuePausedTurns(
  call: Call, run: (call: Call) => Observable<LipEvent>, turns: PausedTurns, left = MAX_TURN_CONTINUATIONS, before?: Usage,
  records = new Map<string, HostedToolEvent>(),
): Observable<LipEvent> {
  return new Observable<LipEvent>((subscriber) => {
    const collector = new Collector();
    let pause: ResponseFinishedEvent | undefined;
    let next: Subscription | undefined;
    const flushRecords = () => {
      for (const record of records.values()) subscriber.next(record);
      records.clear();
    };
    const current = run(call).subscribe({
      next: (event) => {
        try {
          collector.push(event);
        } catch (err) {
          subscriber.error(err);
          return;
        }
        if (before !== undefined && (event.type === 'response_started' || event.type === 'message_started')) return;
        if (event.type === 'usage' && before !== undefined) subscriber.next({ type: 'usage', usage: addUsage(before, event.usage) });
        else if (event.type === 'hosted_tool' && event.scope === 'message') records.set(event.id, event);
        else if (event.type === 'response_finished' && left > 0 && turns.paused(event)) pause = event;
        else {
          if (event.type === 'response_finished') flushRecords();
          subscriber.next(event);
        }
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => {
        const message = pause === undefined ? undefined : assistantMessage(collector.response, turns.reasoningDialect);
        if (pause === undefined || message === undefined) {
          flushRecords();
          if (pause !== undefined) subscriber.next(pause);
          subscriber.complete();
          return;
        }
        const usage = before === undefined ? collector.response.usage : addUsage(before, collector.response.usage);
        const continued = { ...call, messages: [...call.messages, message] };
        const carried = turns.carry !== undefined && records.size > 0 ? turns.carry(continued, [...records.values()]) : continued;
        next = continuePausedTurns(carried, run, turns, left - 1, usage, records).subscribe(subscriber);
      },
    });
    return () => {
      current.unsubscribe();
      next?.unsubscribe();
    };
  });
}

/** How many times one request's answer is resumed, at most (a guard: Gemini's checkpoints each make progress). */
export const MAX_ANSWER_RESUMPTIONS = 32;

/**
 * A provider that stops a long answer for the client to resume it (Gemini's `finishReason:
 * CONTINUATION` with a `continuationToken`: ResponseFinishedEvent.resume) gets it resumed here,
 * for every client, as Google's SDK does by default: the same request is sent again with the
 * token (`resumed`) and the next part streams on as the same answer (its response and message
 * openings dropped, its usage added to the parts before, as the SDK sums them), until an end
 * without a token, one with the token the part was asked with (no progress), or
 * MAX_ANSWER_RESUMPTIONS parts (then the stop is the answer's end, its token left out). Nothing
 * is held: each event passes as it comes. Unsubscribing aborts whichever upstream call is running.
 *
 * ```
 * upstream 1: -s-m-t-t-f(CONTINUATION, token a)|   upstream 2 (the request + token a): -s-m-t-u-f(STOP)|
 * client:     -s-m-t-t------------------------------------------------------------------t-u-f(STOP)|
 * ```
 * @see spec/backends/continue-turn.spec.ts
 */
export function continueResumedAnswers(
  call: Call, run: (call: Call) => Observable<LipEvent>, resumed: (call: Call, token: string) => Call,
  from?: string, left = MAX_ANSWER_RESUMPTIONS, before?: Usage,
): Observable<LipEvent> {
  return new Observable<LipEvent>((subscriber) => {
    let token: string | undefined;
    let usage: Usage | undefined;
    let next: Subscription | undefined;
    const current = run(call).subscribe({
      next: (event) => {
        if (before !== undefined && (event.type === 'response_started' || event.type === 'message_started')) return;
        if (event.type === 'usage') {
          usage = event.usage;
          if (before !== undefined) {
            subscriber.next({ type: 'usage', usage: addUsage(before, event.usage) });
            return;
          }
        } else if (event.type === 'response_finished' && event.resume !== undefined) {
          if (left > 0 && event.resume !== from) {
            token = event.resume;
            return;
          }
          const { resume: _token, ...finished } = event;
          subscriber.next(finished);
          return;
        }
        subscriber.next(event);
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => {
        if (token === undefined) {
          subscriber.complete();
          return;
        }
        const total = usage === undefined ? before : before === undefined ? usage : addUsage(before, usage);
        next = continueResumedAnswers(resumed(call, token), run, resumed, token, left - 1, total).subscribe(subscriber);
      },
    });
    return () => {
      current.unsubscribe();
      next?.unsubscribe();
    };
  });
}
