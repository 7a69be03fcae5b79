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

/**
 * `auth.api_keys[].tokens_per_minute`: the tokens (input plus output) a key's generations and
 * embeddings spent in the last minute, a sliding window. A request is admitted while the window
 * holds fewer than the limit; what it spends counts when it ends (so the request that crosses
 * the limit finishes whole, as with budgets), and the next one is a 429 `LIP_ERR_AUTH_KEY_LIMITED`
 * with `Retry-After` until enough of the window has passed. Kept in this process, by key id.
 * `now` is injected (milliseconds) for tests.
 * @see spec/server/key-limits.spec.ts
 */
export class TokenRate {
  private readonly windows = new Map<string, { readonly spent: [at: number, tokens: number][]; sum: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Throws the 429 when `key`'s last minute has spent its `tokens_per_minute`. */
  check(key: ApiKeyConfig | undefined): void {
    const limit = key?.tokens_per_minute;
    if (limit === undefined) return;
    const w = this.window(key!.id);
    if (w === undefined || w.sum < limit) return;
    // Until the oldest entries whose tokens bring the window under the limit have left it.
    let left = w.sum;
    let until = this.now();
    for (const [at, tokens] of w.spent) {
      left -= tokens;
      until = at + MINUTE_MS;
      if (left < limit) break;
    }
    const wait = Math.max(1, Math.ceil((until - this.now()) / 1000));
    throw new LipError('LIP_ERR_AUTH_KEY_LIMITED', `API key "${key!.id}" is over its limit of ${limit} tokens per minute (${w.sum} in the last minute)`, { retryAfter: wait });
  }

  /** Counts what a request of `key` spent (input plus output tokens) now. */
  charge(key: ApiKeyConfig | undefined, tokens: number): void {
    if (key?.tokens_per_minute === undefined || !(tokens > 0)) return;
    let w = this.window(key.id);
    if (w === undefined) this.windows.set(key.id, (w = { spent: [], sum: 0 }));
    w.spent.push([this.now(), tokens]);
    w.sum += tokens;
  }

  /** The key's window with what left it dropped (undefined: nothing spent in it). */
  private window(id: string): { readonly spent: [number, number][]; sum: number } | undefined {
    const w = this.windows.get(id);
    if (w === undefined) return undefined;
    const since = this.now() - MINUTE_MS;
    while (w.spent.length > 0 && w.spent[0]![0] <= since) w.sum -= w.spent.shift()![1];
    if (w.spent.length === 0) {
      this.windows.delete(id);
      return undefined;
    }
    return w;
  }
}
