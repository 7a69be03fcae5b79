import { channel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { defer, tap, type Observable } from 'rxjs';
import type { LipEvent } from '../canonical/index.js';
import { isOutputEvent } from '../canonical/index.js';
import { toLipError } from '../errors/index.js';

export type AttemptOutcome = 'success' | 'failure' | 'cancelled';

/** Published on `lip:attempt` when an attempt starts and when it ends. */
export interface AttemptReport {
  readonly phase: 'start' | 'end';
  readonly requestId: string;
  readonly candidateKey: string;
  readonly backendId: string;
  readonly outcome?: AttemptOutcome;
  /** Milliseconds from the attempt's start to its first output event. */
  readonly ttftMs?: number;
  readonly durationMs?: number;
  readonly errorCode?: string;
}

export const attemptChannel = channel('lip:attempt');

export interface AttemptInfo {
  readonly requestId: string;
  readonly candidateKey: string;
  readonly backendId: string;
}

/**
 * Wraps one backend attempt: reports its start, its time to first output and how it ended
 * (`cancelled` when it was unsubscribed before finishing: a client abort, a race loss, a TTFT
 * expiry). Unsubscribing passes straight through to the backend source. An attempt that starts
 * while nobody listens on `lip:attempt` (metrics and tracing off) is not wrapped at all: no
 * operator on its events, no clock read.
 */
export function observeAttempt(source: Observable<LipEvent>, info: AttemptInfo, onFirstOutput?: (ttftMs: number) => void): Observable<LipEvent> {
  return defer(() => {
    if (!attemptChannel.hasSubscribers && onFirstOutput === undefined) return source;
    const startedAt = performance.now();
    let ttftMs: number | undefined;
    const report = (r: Partial<AttemptReport>) => {
      if (attemptChannel.hasSubscribers) attemptChannel.publish({ ...info, ...r } as AttemptReport);
    };
    const end = (outcome: AttemptOutcome, errorCode?: string) => report({
      phase: 'end', outcome, durationMs: performance.now() - startedAt,
      ...(ttftMs !== undefined ? { ttftMs } : {}), ...(errorCode ? { errorCode } : {}),
    });
    report({ phase: 'start' });
    return source.pipe(tap({
      next(event) {
        if (ttftMs === undefined && isOutputEvent(event)) {
          ttftMs = performance.now() - startedAt;
          onFirstOutput?.(ttftMs);
        }
      },
      error: (err: unknown) => end('failure', toLipError(err).code),
      complete: () => end('success'),
      unsubscribe: () => end('cancelled'),
    }));
  });
}
