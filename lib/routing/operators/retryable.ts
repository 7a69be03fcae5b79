/**
 * Whether a failure lets routing move on to another candidate: only errors that say so
 * (LipError.retryable, decided once where the failure happened). Anything else stops routing.
 */
export function isRetryable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === true;
}
