import type { ApiKeyConfig } from '../config/index.js';
import { LipError } from '../errors/index.js';

const MINUTE_MS = 60_000;

interface KeyState {
  /** Start times of the requests in the last minute (oldest first), at most `requests_per_minute`. */
  starts: number[];
  inflight: number;
}

/**
 * Per-key limits of `auth.api_keys`: `requests_per_minute` (a sliding window of one minute)
 * and `max_concurrent_requests` (generation requests in flight). A key over either gets a 429
 * with `Retry-After`: when the oldest request of the window leaves it, or 1 s for concurrency.
 * State is kept by key id, so a reload that keeps a key keeps its window; a key without limits
 * costs one Map lookup. `now` is injected (milliseconds) for tests on virtual time.
 *
 * ```ts
 * const limits = new KeyLimits(() => Date.now());
 * const release = limits.admit(key, { concurrent: true }); // throws LIP_ERR_AUTH_KEY_LIMITED
 * release();                                                  // when the response ends
 * ```
 * @see spec/server/key-limits.spec.ts
 */
export class KeyLimits {
  private readonly state = new Map<string, KeyState>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Counts one request of `key`; returns the function that ends it (for the concurrency
   * count). Throws a 429 LipError with `retryAfter` (seconds) when a limit is reached.
   */
  admit(key: ApiKeyConfig | undefined, options: { readonly concurrent: boolean }): () => void {
    if (!key || (key.requests_per_minute === undefined && key.max_concurrent_requests === undefined)) return noop;
    let s = this.state.get(key.id);
    if (!s) this.state.set(key.id, (s = { starts: [], inflight: 0 }));
    const t = this.now();
    const rpm = key.requests_per_minute;
    if (rpm !== undefined) {
      while (s.starts.length > 0 && s.starts[0]! <= t - MINUTE_MS) s.starts.shift();
      if (s.starts.length >= rpm) {
        const wait = Math.max(1, Math.ceil((s.starts[0]! + MINUTE_MS - t) / 1000));
        throw new LipError('LIP_ERR_AUTH_KEY_LIMITED', `API key "${key.id}" is over its limit of ${rpm} requests per minute`, { retryAfter: wait });
      }
    }
    const max = options.concurrent ? key.max_concurrent_requests : undefined;
    if (max !== undefined && s.inflight >= max) {
      throw new LipError('LIP_ERR_AUTH_KEY_LIMITED', `API key "${key.id}" is at its limit of ${max} concurrent requests`, { retryAfter: 1 });
    }
    if (rpm !== undefined) s.starts.push(t);
    if (max === undefined) return noop;
    s.inflight++;
    let released = false;
    const state = s;
    return () => {
      if (released) return;
      released = true;
      state.inflight--;
    };
  }
}

const noop = () => undefined;
