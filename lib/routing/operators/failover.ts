import { defer } from 'rxjs/internal/observable/defer';
import { throwError } from 'rxjs/internal/observable/throwError';
import { catchError } from 'rxjs/internal/operators/catchError';
import { tap } from 'rxjs/internal/operators/tap';
import type { Observable } from 'rxjs';
import type { LipEvent } from '../../canonical/index.js';
import { isOutputEvent } from '../../canonical/index.js';
import { isRetryable } from './retryable.js';

/**
 * Ordered failover (`a|b|c`): subscribes the first arm; when it fails with a retryable error
 * before any output, subscribes the next one, invisibly to the consumer. After the first
 * output event (the commit point) nothing is retried: a failure passes through. A failure that
 * is not retryable stops at once. When every arm failed, errors with `exhausted(failures)`.
 *
 * ```
 * arm a:  -s-#                (retryable, no output)
 * arm b:     -t-f|
 * result: -s--t-f|
 *
 * arm a:  -s-t-#              (after output: surfaced)
 * result: -s-t-#
 * ```
 * Arms are factories: an arm is only built when its turn comes (a throwing factory is a failure).
 * @see spec/routing/operators/failover.spec.ts
 */
export function failover(arms: readonly (() => Observable<LipEvent>)[], exhausted: (failures: unknown[]) => unknown): Observable<LipEvent> {
  return defer(() => {
    const failures: unknown[] = [];
    let committed = false;
    const attempt = (index: number): Observable<LipEvent> => {
      if (index >= arms.length) return throwError(() => exhausted(failures));
      return defer(arms[index]!).pipe(
        tap((event) => {
          if (!committed && isOutputEvent(event)) committed = true;
        }),
        catchError((err: unknown) => {
          if (committed || !isRetryable(err)) return throwError(() => err);
          failures.push(err);
          return attempt(index + 1);
        }),
      );
    };
    return attempt(0);
  });
}
