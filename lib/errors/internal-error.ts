import { channel } from 'node:diagnostics_channel';
import { LipError, toLipError } from './lip-error.js';

/** Published on `lip:internal-error` when a throw was caught where none should happen (a bug). */
export interface InternalErrorReport {
  /** Where it was caught: `stream.next`, `race.onWin`, `rxjs.unhandled`, `process.uncaught` ... */
  readonly where: string;
  readonly error: unknown;
  readonly requestId?: string;
}

/**
 * The channel the server subscribes to (one log line with the request id, and
 * `lip_internal_errors_total`). Core code reports here and never imports a logger.
 */
export const internalErrorChannel = channel('lip:internal-error');

/**
 * Reports a caught throw and returns it as the LipError the request fails with: a LipError
 * passes through untouched (and is not reported: it is an expected outcome), anything else
 * becomes `LIP_ERR_SERVER_INTERNAL` with the original as `cause`.
 */
export function reportInternalError(where: string, error: unknown, requestId?: string): LipError {
  if (error instanceof LipError) return error;
  if (internalErrorChannel.hasSubscribers) {
    internalErrorChannel.publish({ where, error, ...(requestId !== undefined ? { requestId } : {}) } satisfies InternalErrorReport);
  }
  return toLipError(error);
}

/**
 * Calls a callback that must not throw into its caller (an RxJS subscriber callback, an operator
 * hook, a store callback): a throw is reported and handed to `onError` as a LipError instead.
 * `onError` itself is trusted (it belongs to the caller).
 */
export function guard<A extends unknown[]>(where: string, fn: (...args: A) => void, onError: (err: LipError) => void, requestId?: string): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch (err) {
      onError(reportInternalError(where, err, requestId));
    }
  };
}
