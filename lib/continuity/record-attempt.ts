import { defer } from 'rxjs/internal/observable/defer';
import { tap } from 'rxjs/internal/operators/tap';
import type { MonoTypeOperatorFunction } from 'rxjs';
import { hasUsage, isOutputEvent, type LipEvent, type Usage } from '../canonical/index.js';
import { toLipError, type LipError } from '../errors/index.js';
import type { AttemptOutcome, AttemptStart, AttemptTicket, ContinuityStore } from './continuity-store.js';

export interface RecordAttemptOptions {
  readonly store: Pick<ContinuityStore, 'beginAttempt' | 'firstOutput' | 'finishAttempt'>;
  readonly aLegId: string;
  readonly start: AttemptStart;
  /** Receives the B-leg as soon as it is allocated (before the backend is subscribed). */
  readonly onBegin?: (ticket: AttemptTicket) => void;
  /** Read when the attempt is unsubscribed before it ended: `race loser`, `client abort`, ... */
  readonly cancelReason?: () => string | undefined;
  /** Read when the attempt ends: its usage, cost and the upstream's request id (AttemptStats fits). */
  readonly result?: () => { readonly usage: Usage; readonly cost: number | undefined; readonly upstreamRequestId: string | undefined };
  /** Shown every event (gathers the attempt's usage when nothing else wraps the attempt). */
  readonly observe?: (event: LipEvent) => void;
  /**
   * Another watcher of the same attempt, run inside this operator instead of as an operator of
   * its own: made after the B-leg is allocated, shown each event before the row is, and told how
   * the attempt ended before the row is finished (the order two nested operators would give).
   */
  readonly watch?: () => { next(event: LipEvent): void; end(outcome: 'success' | 'failure' | 'cancelled', err?: unknown, reason?: string): void } | undefined;
  /** How a failure counts; the default is `defaultFailureOutcome`. */
  readonly classifyFailure?: (error: LipError, committed: boolean) => AttemptOutcome;
}

/**
 * The default reading of a failure: after output it reached the client (`surfaced_failure`);
 * before output a retryable failure is hidden by failover (`swallowed_failure`), any other ends
 * the request (`surfaced_failure`).
 */
export function defaultFailureOutcome(error: LipError, committed: boolean): AttemptOutcome {
  return !committed && error.retryable ? 'swallowed_failure' : 'surfaced_failure';
}

/**
 * Records one backend attempt as a B-leg of the A-leg: allocates the B-leg when subscribed,
 * notes the first output event, and finishes the row exactly once: `success` on completion, the
 * classified failure (reason `CODE: message`, the error's HTTP status) on error, `cancelled` when
 * unsubscribed first (a race loss, a client abort, a TTFT expiry). The row is finished before
 * the error travels on, so a failover's next B-leg always starts after this one ended. When the
 * store refuses new work the attempt fails with that 503 and the backend is never subscribed.
 *
 * ```
 * source:  --s--t--t--|        row: started 0, first_output 5, finished 11, success
 * source:  --s--#              row: swallowed_failure (retryable, before output)
 * source:  --s--t--  !         row: cancelled, reason from cancelReason()
 * ```
 * @see spec/continuity/record-attempt.spec.ts
 */
export function recordAttempt(options: RecordAttemptOptions): MonoTypeOperatorFunction<LipEvent> {
  const classify = options.classifyFailure ?? defaultFailureOutcome;
  const observe = options.observe;
  return (source) => defer(() => {
    const ticket = options.store.beginAttempt(options.aLegId, options.start);
    options.onBegin?.(ticket);
    const watch = options.watch?.();
    let committed = false;
    let ended = false;
    const finish = (outcome: AttemptOutcome, reason?: string, httpStatus?: number) => {
      if (ended) return;
      ended = true;
      const result = options.result?.();
      options.store.finishAttempt(ticket, {
        outcome, ...(reason !== undefined ? { reason } : {}), ...(httpStatus !== undefined ? { httpStatus } : {}),
        ...(result && hasUsage(result.usage) ? { usage: result.usage } : {}),
        ...(result?.cost !== undefined ? { cost: result.cost } : {}),
        ...(result?.upstreamRequestId !== undefined ? { upstreamRequestId: result.upstreamRequestId } : {}),
      });
    };
    // tap (not a hand-made subscriber) so that a synchronous source stops when unsubscribed.
    return source.pipe(tap({
      next(event) {
        watch?.next(event);
        observe?.(event);
        if (!committed && isOutputEvent(event)) {
          committed = true;
          options.store.firstOutput(ticket);
        }
      },
      error(err: unknown) {
        watch?.end('failure', err);
        const error = toLipError(err);
        finish(classify(error, committed), `${error.code}: ${error.message}`, error.status);
      },
      complete() {
        watch?.end('success');
        finish('success', undefined, 200);
      },
      unsubscribe() {
        const reason = options.cancelReason?.() ?? 'cancelled';
        watch?.end('cancelled', undefined, reason);
        finish('cancelled', reason);
      },
    }));
  });
}
