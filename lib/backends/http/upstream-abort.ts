import { reportInternalError } from '../../errors/index.js';

/**
 * What an upstream request's code reads of its abort: an AbortSignal, or an attempt's
 * UpstreamAbort (undici's `request` takes either).
 */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * The abort of one upstream attempt: the part of an AbortSignal that undici's `request` and
 * the attempt's own code read (`aborted`, `reason`, an `abort` listener), without an
 * AbortController. On Node 20 a controller's signal is an EventTarget whose prototype is set
 * when it is made, and each `abort` listener goes through EventTarget's machinery (17 µs of a
 * request's CPU in a profile of the real path, more in GC: lip's CPU per non-streamed request
 * fell 8-13% without it), for a signal that almost never fires. undici
 * takes any object with `addEventListener`. Code that needs a real AbortSignal (a credential
 * renewal's fetch) asks `signal()` for one, linked to this abort.
 * @see spec/backends/http/upstream-abort.spec.ts
 */
export class UpstreamAbort implements AbortLike {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] | undefined;
  private controller: AbortController | undefined;

  /** Calls `listener` once, when the attempt is aborted (never when it already is): every listener is a `once` one. */
  addEventListener(_type: 'abort', listener: () => void, _options?: { once?: boolean }): void {
    if (!this.aborted) (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners?.indexOf(listener) ?? -1;
    if (at >= 0) this.listeners!.splice(at, 1);
  }

  /** Aborts with `reason` (an `AbortError` DOMException by default, as AbortController's); only the first call counts. */
  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    const listeners = this.listeners;
    if (listeners === undefined) return;
    // As an AbortSignal: a listener an earlier one removed is not called, and one that throws
    // does not keep the others from running (its error is reported, never thrown at the caller).
    for (const listener of [...listeners]) {
      if (!listeners.includes(listener)) continue;
      try {
        listener();
      } catch (err) {
        reportInternalError('upstream.abort', err);
      }
    }
    this.listeners = undefined;
  }

  /** A real AbortSignal that aborts with this one (made on first use). */
  signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }
}
