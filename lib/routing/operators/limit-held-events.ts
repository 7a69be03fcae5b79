import { Observable } from 'rxjs/internal/Observable';
import { tap } from 'rxjs/internal/operators/tap';
import type { MonoTypeOperatorFunction } from 'rxjs';
import type { LipEvent } from '../../canonical/index.js';
import { isOutputEvent, isSubstantiveOutput } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';

/**
 * Fails an attempt that sends more than `max` events before its first output event
 * (`server.max_pending_wire_events`). Until output, an attempt's events wait in memory (held
 * by holdUntilOutput, or in a race leg's buffer), and nothing but this bounds that queue: an
 * upstream that streams lifecycle noise without ever producing output would otherwise grow
 * it for as long as it likes. The failure is retryable (routing moves on) and names the
 * setting. After the first output, events flow to the client under its own backpressure, and
 * this passes everything through. `max` 0 turns the count off.
 *
 * A race leg (`raceChars` given) is held until its first *substantive* output (text or
 * reasoning that is not only whitespace, a tool call: what wins a race), so its whitespace
 * deltas are held too: they count as events, and their characters together may not exceed
 * `raceChars` (`server.max_buffered_bytes`), since one event may carry a whole upstream line.
 *
 * ```
 * max = 2
 * source: -s--m--u--t-|
 * result: -s--m--#
 *
 * source: -s--t--u--u--u-|
 * result: -s--t--u--u--u-|
 *
 * max = 2, a race leg (w = whitespace text)
 * source: -s--w--w--t-|
 * result: -s--w--#
 * ```
 * @see spec/routing/operators/limit-held-events.spec.ts
 */
export function limitHeldEvents(max: number, raceChars?: number): MonoTypeOperatorFunction<LipEvent> {
  if (max <= 0 && raceChars === undefined) return (source) => source;
  const isOutput = raceChars === undefined ? isOutputEvent : isSubstantiveOutput;
  // One tap whose throw becomes the error (and unsubscribes the source); `subscriber` is handed
  // on, so unsubscribing it stops even a synchronous source.
  return (source) => new Observable<LipEvent>((subscriber) => {
    let held = 0;
    let chars = 0;
    let output = false;
    source.pipe(tap((event) => {
      if (output) return;
      if (isOutput(event)) {
        output = true;
        return;
      }
      if (max > 0 && ++held > max) {
        throw new LipError('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', `the upstream sent more than ${max} events before any output (server.max_pending_wire_events)`, { retryable: true });
      }
      if (raceChars !== undefined && (event.type === 'text_delta' || event.type === 'reasoning_delta') && (chars += event.text.length) > raceChars) {
        throw new LipError('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', `the upstream sent more than ${raceChars} characters of whitespace before any output (server.max_buffered_bytes)`, { retryable: true });
      }
    })).subscribe(subscriber);
  });
}
