import type { ApiKeyConfig } from '../config/index.js';
import { LipError } from '../errors/index.js';
import type { RateLimitState, RateLimitWindow } from '../frontends/protocol.js';

/** Where an admission leaves the key's limits as its request found them (the answer's rate-limit headers). */
export interface RateLimitSink {
  rateLimit?: RateLimitState;
}

const MINUTE_MS = 60_000;

interface KeyState {
  /** Start times of the requests in the last minute (oldest first), at most `requests_per_minute`. */
  starts: number[];
  inflight: number;
}

/** What a shared ledger checks at once for one request of a key (absent: no such limit). */
export interface LedgerLimits {
  readonly requestsPerMinute?: number;
  readonly maxConcurrent?: number;
  readonly tokensPerMinute?: number;
}

/**
 * A shared ledger's answer: admitted (with its concurrency slot, the window's requests with this
 * one, and the tokens of its window with the time by which the latest of them were spent, -1
 * when none were), or which limit refused and until when (with the tokens of its window too).
 */
export type LedgerAdmission =
  | { readonly admitted: true; readonly slot?: string; readonly requests?: number; readonly tokens?: LedgerTokens }
  | { readonly admitted: false; readonly limit: 'requests' | 'concurrent' | 'tokens'; readonly until: number; readonly count: number; readonly tokens?: LedgerTokens };

/** A shared tokens window: its sum, and when the latest of its tokens were spent (-1: none were). */
interface LedgerTokens {
  readonly sum: number;
  readonly latest: number;
}

/**
 * Where per-key limits are kept beyond this process (`auth.limits_store: redis`): the instances
 * sharing it count one window, one set of slots and one token window per key.
 */
export interface LimitsLedger {
  /** Atomically refuses a request at a reached limit, or counts it (and takes a slot when `maxConcurrent` is set). */
  admit(keyId: string, limits: LedgerLimits, now: number): Promise<LedgerAdmission>;
  /** Gives a slot back (when its request ends). */
  leave(keyId: string, slot: string): void;
  /** Counts tokens a request of the key spent at `at`. */
  charge(keyId: string, at: number, tokens: number): void;
  /** What the keys use now, every instance's: requests in the last minute, requests in flight, tokens in the last minute. */
  view(keyIds: readonly string[], now: number): Promise<readonly { readonly requests: number; readonly inflight: number; readonly tokens: number }[]>;
  close(): Promise<void>;
}

/** The refusal of a reached limit, as a 429 with `Retry-After` (whole seconds, at least 1). */
function limited(keyId: string, limit: LedgerAdmission & { admitted: false }, limits: LedgerLimits, now: number): LipError {
  const wait = Math.max(1, Math.ceil((limit.until - now) / 1000));
  if (limit.limit === 'requests') return new LipError('LIP_ERR_AUTH_KEY_LIMITED', `API key "${keyId}" is over its limit of ${limits.requestsPerMinute} requests per minute`, { retryAfter: wait });
  if (limit.limit === 'tokens') return new LipError('LIP_ERR_AUTH_KEY_LIMITED', `API key "${keyId}" is over its limit of ${limits.tokensPerMinute} tokens per minute (${limit.count} in the last minute)`, { retryAfter: wait });
  return new LipError('LIP_ERR_AUTH_KEY_LIMITED', `API key "${keyId}" is at its limit of ${limits.maxConcurrent} concurrent requests`, { retryAfter: 1 });
}

/**
 * Per-key limits of `auth.api_keys`: `requests_per_minute` (a sliding window of one minute)
 * and `max_concurrent_requests` (generation requests in flight). A key over either gets a 429
 * with `Retry-After`: when enough requests have left the window to bring it under the limit (the
 * oldest, unless a reload lowered the limit), or 1 s for concurrency.
 * State is kept by key id, so a reload that keeps a key keeps its window; a key without limits
 * costs one Map lookup. `now` is injected (milliseconds) for tests on virtual time.
 *
 * With a ledger (`auth.limits_store: redis`) the instances share the limits: the ledger decides
 * (one round trip; it also checks `tokens_per_minute` for requests that spend), so the answer is
 * a promise. A ledger that fails leaves the decision to this process's own counts, which are
 * kept either way.
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
  private ledger: LimitsLedger | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** Shares the limits through `ledger` from now on (undefined: this process alone). */
  useLedger(ledger: LimitsLedger | undefined): void {
    this.ledger = ledger;
  }

  /**
   * Counts one request of `key`; returns the function that ends it (for the concurrency
   * count), or with a ledger a promise of it. Throws (rejects) a 429 LipError with
   * `retryAfter` (seconds) when a limit is reached. `tokens`: the request spends tokens, so a
   * ledger checks the key's `tokens_per_minute` too (this process checks it in TokenRate).
   * `into`: where the key's requests-per-minute window (and with a ledger, its tokens window) is
   * left for the answer's headers.
   */
  admit(key: ApiKeyConfig | undefined, options: { readonly concurrent: boolean; readonly tokens?: boolean; readonly into?: RateLimitSink }): (() => void) | Promise<() => void> {
    if (!key) return noop;
    const rpm = key.requests_per_minute;
    const max = options.concurrent ? key.max_concurrent_requests : undefined;
    const tpm = options.tokens === true ? key.tokens_per_minute : undefined;
    if (rpm === undefined && max === undefined && (tpm === undefined || this.ledger === undefined)) return noop;
    let s = this.state.get(key.id);
    if (!s) this.state.set(key.id, (s = { starts: [], inflight: 0 }));
    const t = this.now();
    const ledger = this.ledger;
    const into = options.into;
    if (ledger === undefined) return this.decide(key.id, s, t, rpm, max, into);
    const limits: LedgerLimits = { requestsPerMinute: rpm, maxConcurrent: max, tokensPerMinute: tpm };
    const state = s;
    // The shared counts decide (this process's are within them, so they could only refuse less
    // often, and might name another of the limits reached); this process counts what they admit.
    return ledger.admit(key.id, limits, t).then(
      (answer) => {
        // The shared tokens window replaces this process's own (left by TokenRate.check).
        const tokens = tpm !== undefined && answer.tokens !== undefined ? tokenWindow(tpm, answer.tokens.sum, answer.tokens.latest < 0 ? undefined : answer.tokens.latest, t) : undefined;
        if (!answer.admitted) {
          if (into !== undefined && tokens !== undefined) into.rateLimit = { ...into.rateLimit, tokens };
          refusedWindow(into, answer, limits, this.now());
          throw limited(key.id, answer, limits, this.now());
        }
        const end = this.count(key.id, state, t, rpm, max, answer.slot === undefined ? undefined : { ledger, slot: answer.slot }, undefined);
        if (into !== undefined) {
          const requests = rpm !== undefined && answer.requests !== undefined ? { limit: rpm, remaining: Math.max(0, rpm - answer.requests), resetMs: MINUTE_MS } : undefined;
          into.rateLimit = { ...into.rateLimit, ...(requests ? { requests } : {}), ...(tokens ? { tokens } : {}) };
        }
        return end;
      },
      // The ledger said why (once); this process's own counts decide meanwhile.
      () => this.decide(key.id, state, this.now(), rpm, max, into),
    );
  }

  /** This process's decision on its own counts: the refusal thrown, or the request counted. */
  private decide(keyId: string, s: KeyState, t: number, rpm: number | undefined, max: number | undefined, into: RateLimitSink | undefined): () => void {
    if (rpm !== undefined) {
      while (s.starts.length > 0 && s.starts[0]! <= t - MINUTE_MS) s.starts.shift();
      if (s.starts.length >= rpm) {
        // Until the request whose exit brings the window under the limit (the oldest, unless a reload lowered it) leaves it.
        const refusal = { admitted: false, limit: 'requests', until: s.starts[s.starts.length - rpm]! + MINUTE_MS, count: s.starts.length } as const;
        refusedWindow(into, refusal, { requestsPerMinute: rpm }, t);
        throw limited(keyId, refusal, { requestsPerMinute: rpm }, t);
      }
    }
    if (max !== undefined && s.inflight >= max) throw limited(keyId, { admitted: false, limit: 'concurrent', until: t, count: s.inflight }, { maxConcurrent: max }, t);
    return this.count(keyId, s, t, rpm, max, undefined, into);
  }

  /** This process's count of `keyId`'s requests in the last minute and of its generation requests in flight. */
  usage(keyId: string): { readonly requests: number; readonly inflight: number } {
    const s = this.state.get(keyId);
    if (s === undefined) return { requests: 0, inflight: 0 };
    const since = this.now() - MINUTE_MS;
    while (s.starts.length > 0 && s.starts[0]! <= since) s.starts.shift();
    return { requests: s.starts.length, inflight: s.inflight };
  }

  /** Counts an admitted request in this process; the function that ends it (its slot given back). */
  private count(keyId: string, s: KeyState, t: number, rpm: number | undefined, max: number | undefined, taken: { readonly ledger: LimitsLedger; readonly slot: string } | undefined, into: RateLimitSink | undefined): () => void {
    if (rpm !== undefined) {
      while (s.starts.length > 0 && s.starts[0]! <= t - MINUTE_MS) s.starts.shift();
      s.starts.push(t);
      if (into !== undefined) into.rateLimit = { ...into.rateLimit, requests: { limit: rpm, remaining: rpm - s.starts.length, resetMs: MINUTE_MS } };
    }
    if (max === undefined) return noop;
    s.inflight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      s.inflight--;
      taken?.ledger.leave(keyId, taken.slot);
    };
  }
}

const noop = () => undefined;

/**
 * The window a refusal reached, left for the 429's headers (`x-ratelimit-*`, or the protocol's
 * own), as a provider's 429 says it: nothing remaining, whole again when the refusal's wait ends.
 * A concurrency refusal has no window of its own (Retry-After says it).
 */
function refusedWindow(into: RateLimitSink | undefined, refusal: LedgerAdmission & { admitted: false }, limits: LedgerLimits, now: number): void {
  if (into === undefined || refusal.limit === 'concurrent') return;
  const limit = refusal.limit === 'requests' ? limits.requestsPerMinute : limits.tokensPerMinute;
  if (limit === undefined) return;
  into.rateLimit = { ...into.rateLimit, [refusal.limit]: { limit, remaining: 0, resetMs: Math.max(0, refusal.until - now) } };
}

/** Whether `key` has a per-minute or concurrency limit (`requests_per_minute`, `max_concurrent_requests`, `tokens_per_minute`). */
export function hasRateLimits(key: ApiKeyConfig): boolean {
  return key.requests_per_minute !== undefined || key.max_concurrent_requests !== undefined || key.tokens_per_minute !== undefined;
}

/** A tokens-per-minute window as an answer reports it: whole again a minute after its newest spending (`newestAt`, ms; undefined: none). */
function tokenWindow(limit: number, sum: number, newestAt: number | undefined, now: number): RateLimitWindow {
  return { limit, remaining: Math.max(0, limit - sum), resetMs: newestAt === undefined ? 0 : Math.max(0, newestAt + MINUTE_MS - now) };
}

/**
 * `auth.api_keys[].tokens_per_minute`: the tokens (input plus output) a key's generations and
 * embeddings spent in the last minute, a sliding window. A request is admitted while the window
 * holds fewer than the limit; what it spends counts when it ends (so the request that crosses
 * the limit finishes whole, as with budgets), and the next one is a 429 `LIP_ERR_AUTH_KEY_LIMITED`
 * with `Retry-After` until enough of the window has passed. Kept in this process, by key id
 * (and with a ledger also there, where KeyLimits checks the shared window).
 * `now` is injected (milliseconds) for tests.
 * @see spec/server/key-limits.spec.ts
 */
export class TokenRate {
  private readonly windows = new Map<string, { readonly spent: [at: number, tokens: number][]; sum: number }>();
  private ledger: LimitsLedger | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** Adds what keys spend to `ledger` too from now on (undefined: this process alone); KeyLimits checks it there. */
  useLedger(ledger: LimitsLedger | undefined): void {
    this.ledger = ledger;
  }

  /**
   * Throws the 429 when `key`'s last minute has spent its `tokens_per_minute`; `into`: where
   * the window is left for the answer's headers (on a refusal: nothing remaining, whole again
   * when Retry-After ends).
   */
  check(key: ApiKeyConfig | undefined, into?: RateLimitSink): void {
    const limit = key?.tokens_per_minute;
    if (limit === undefined) return;
    const w = this.window(key!.id);
    if (w === undefined || w.sum < limit) {
      if (into !== undefined) into.rateLimit = { ...into.rateLimit, tokens: tokenWindow(limit, w?.sum ?? 0, w === undefined ? undefined : w.spent[w.spent.length - 1]![0], this.now()) };
      return;
    }
    // Until the oldest entries whose tokens bring the window under the limit have left it.
    let left = w.sum;
    let until = this.now();
    for (const [at, tokens] of w.spent) {
      left -= tokens;
      until = at + MINUTE_MS;
      if (left < limit) break;
    }
    const refusal = { admitted: false, limit: 'tokens', until, count: w.sum } as const;
    refusedWindow(into, refusal, { tokensPerMinute: limit }, this.now());
    throw limited(key!.id, refusal, { tokensPerMinute: limit }, this.now());
  }

  /** The tokens `keyId` spent in this process in the last minute. */
  usage(keyId: string): number {
    return this.window(keyId)?.sum ?? 0;
  }

  /** Counts what a request of `key` spent (input plus output tokens) now. */
  charge(key: ApiKeyConfig | undefined, tokens: number): void {
    if (key?.tokens_per_minute === undefined || !(tokens > 0)) return;
    this.ledger?.charge(key.id, this.now(), tokens);
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
