import { Observable } from 'rxjs/internal/Observable';
import type { MonoTypeOperatorFunction } from 'rxjs';
import type { LipEvent } from '../canonical/index.js';

/**
 * Holds a streamed answer's terminal `response_finished` until the source completes and
 * `finish()` has settled, then lets it and the completion through. The handler puts it on a
 * stream when the continuity store writes behind (Redis; SQLite for a stored turn): `finish`
 * waits until the store has written the turn (its stored response included), so the client sees
 * the answer end only once its next turn can find the conversation on any instance, and after a
 * crash of the process. Everything before the
 * terminal event flows through untouched. The store bounds its wait; a `finish` that rejects
 * (what the request recorded reached a store already closed) errors the stream in place of the
 * terminal event: the client is never told its answer was kept when it was not.
 * @see spec/server/finish-after.spec.ts
 */
export function finishAfter(finish: () => Promise<void> | undefined): MonoTypeOperatorFunction<LipEvent> {
  return (source) => new Observable<LipEvent>((subscriber) => {
    let held: LipEvent | undefined;
    const release = () => {
      if (subscriber.closed) return;
      if (held) subscriber.next(held);
      subscriber.complete();
    };
    return source.subscribe({
      next: (event) => {
        if (event.type === 'response_finished') held = event;
        else subscriber.next(event);
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => {
        let pending: Promise<void> | undefined;
        try {
          pending = finish();
        } catch (err) {
          subscriber.error(err);
          return;
        }
        if (pending) void pending.then(release, (err: unknown) => subscriber.error(err));
        else release();
      },
    });
  });
}
