/** A time bound on one call, linked to the signals that may end it sooner. */
export interface Deadline {
  /**
   * Aborts when the time is up (its reason a `TimeoutError` DOMException, as
   * `AbortSignal.timeout`'s) or when a linked signal aborts (that signal's reason).
   */
  readonly signal: AbortSignal;
  /** Whether the time ran out (rather than a linked signal ending it). */
  readonly expired: boolean;
  /** Stops the timer; call it when the call ends (in `finally`). Idempotent. */
  clear(): void;
}

/**
 * The deadline of one call: `ms` from now, or sooner when one of `linked` aborts. Use it instead
 * of `AbortSignal.any([signal, AbortSignal.timeout(ms)])`: on Node 20 a composite signal holds its
 * sources weakly, and `AbortSignal.timeout`'s timer holds its signal weakly too, so a timeout
 * signal that nothing else references is collected at the next garbage collection and never
 * fires (a token count waited for `headers_timeout`, a catalog download for ever). Here the timer
 * holds the controller strongly until it fires or `clear()` stops it; the timer does not keep the
 * process alive (unref), as `AbortSignal.timeout`'s does not.
 *
 * ```ts
 * const d = deadline(30_000, clientGone.signal);
 * try {
 *   return await count(call, d.signal);
 * } finally {
 *   d.clear();
 * }
 * ```
 * @see spec/wire/deadline.spec.ts
 */
export function deadline(ms: number, ...linked: readonly AbortSignal[]): Deadline {
  const controller = new AbortController();
  let expired = false;
  let timer: NodeJS.Timeout | undefined = setTimeout(() => {
    timer = undefined;
    expired = true;
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, ms);
  timer.unref();
  const clear = () => {
    if (timer === undefined) return;
    clearTimeout(timer);
    timer = undefined;
  };
  const already = linked.find((s) => s.aborted);
  if (already !== undefined) {
    clear();
    controller.abort(already.reason);
  }
  // The composite holds controller.signal weakly; the timer's closure holds the controller.
  const signal = linked.length === 0 || already !== undefined ? controller.signal : AbortSignal.any([controller.signal, ...linked]);
  return {
    signal,
    get expired() {
      return expired;
    },
    clear,
  };
}
