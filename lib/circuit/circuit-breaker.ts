import type { CircuitDecision, CircuitOutcome, CircuitRow, CircuitStatus } from './types.js';

/**
 * The integration API of circuit breaking: what routing, the server and metrics use. Create one
 * with `createCircuitBreaker(config.routing.circuit_breaker, { redis: config.redis, scheduler,
 * onEvent })`. Keys are candidate keys (`backend:model[?query]`).
 *
 * ```ts
 * // planning: skip open candidates without side effects
 * if (!breaker.peek(key).allowed) exclude(key);
 * // opening an attempt: take the decision (a half-open circuit hands out a probe slot)
 * const decision = breaker.check(key);
 * if (!decision.allowed) skip(key, decision.retryAfterMs);     // all skipped: 503 + Retry-After
 * // ...when the attempt ends:
 * breaker.record(key, 'success' | 'failure' | 'cancelled' | 'ignored', decision);
 * ```
 *
 * `check`, `peek` and `record` are synchronous and never throw. On a closed circuit they cost
 * one Map lookup and allocate nothing. With the Redis store they read a local copy that Redis
 * keeps current through pub/sub, and writes to Redis are sent without waiting. When Redis is
 * unreachable or slow, the breaker carries on with local state, and it resynchronises when
 * Redis returns. Requests never wait for Redis and never fail because of it.
 * @see docs/circuit-breaker.md
 */
export interface CircuitBreaker {
  readonly enabled: boolean;
  /**
   * May an attempt on `key` start? In half-open this takes a probe slot (`probe: true`). Every
   * allowed decision should later be passed to `record()`; a probe's must be, or its slot is held
   * until `open_for` passes.
   */
  check(key: string): CircuitDecision;
  /** What `check` would answer, without taking anything (for planning and diagnostics). */
  peek(key: string): CircuitDecision;
  /**
   * How an attempt ended (see `CircuitOutcome`; `outcomeOf(err)` classifies an error). Pass the
   * attempt's decision so that a probe's slot is accounted for.
   */
  record(key: string, outcome: CircuitOutcome, decision?: CircuitDecision): void;
  /**
   * Closes the circuits of `backends` (backend ids: the keys `<id>:...`), whatever their state:
   * a reload pointed those backends at another upstream or removed them, and what their
   * circuits learnt is about the upstream they named before. A circuit not closed emits its
   * transition to `closed`. The Redis breaker closes them in the store too (every instance).
   */
  forget(backends: ReadonlySet<string>): void;
  /** Every circuit that is not closed-and-clean, sorted by key, for `GET /admin/circuits`. */
  snapshot(): CircuitRow[];
  /** Store health for `/readyz` detail and metrics. */
  status(): CircuitStatus;
  /** Resolves once the breaker is in sync with its store (at once for memory). Never rejects. */
  whenSynced(): Promise<void>;
  /** Stops timers and closes store connections. */
  close(): Promise<void>;
}
