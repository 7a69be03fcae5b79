import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { Collector, LipEvent } from '../canonical/index.js';

/**
 * Folds a streamed answer into `collector` and, at `response_finished`, calls `save`. When the
 * save answers with a promise (a continuity store shared between instances), the terminal event
 * waits for it: the client sees the answer end only once its stored response can be read from
 * any instance, so a next turn sent at once to another instance finds it. Everything before the
 * terminal event flows through untouched; the promise never rejects (the store bounds it).
 * A throw from the collector (a limit) becomes the stream's error, as in any operator.
 * @see spec/server/saved-at-finish.spec.ts
 */
export function savedAtFinish(collector: Collector, save: () => Promise<void> | undefined): MonoTypeOperatorFunction<LipEvent> {
  return (source) => new Observable<LipEvent>((subscriber) => {
    let holding = false;
    let sourceDone = false;
    const subscription = source.subscribe({
      next: (event) => {
        let saved: Promise<void> | undefined;
        try {
          collector.push(event);
          if (event.type === 'response_finished') saved = save();
        } catch (err) {
          subscriber.error(err);
          return;
        }
        if (!saved) {
          subscriber.next(event);
          return;
        }
        holding = true;
        void saved.then(() => {
          holding = false;
          if (subscriber.closed) return;
          subscriber.next(event);
          if (sourceDone) subscriber.complete();
        });
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => {
        sourceDone = true;
        if (!holding) subscriber.complete();
      },
    });
    return subscription;
  });
}
