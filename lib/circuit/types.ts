/**
 * The vocabulary of circuit breaking, shared by the state machine, the stores and the breaker.
 * Times are milliseconds of scheduler time (`scheduler.now()`), never `Date.now()`, so that
 * virtual-time tests reach every transition.
 *
 * ```
 *            failure_threshold consecutive failures
 *  closed ─────────────────────────────────────────────▶ open
 *    ▲                                                    │ open_for elapsed (lazily, on the next check)
 *    │ a success                                          ▼
 *    └──────────────────────────────────────────────── half_open ── a failure ──▶ open (again)
 *                                                  at most half_open_probes probes per open_for
 * ```
 */

/** The three states of one circuit, spelled as `GET /admin/circuits` shows them. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/**
 * How an attempt that the breaker admitted ended, as the caller classifies it:
 * * `success`: the candidate answered (closes a half-open circuit, ends a failure streak);
 * * `failure`: a real failure, swallowed (retryable, failed over) or surfaced to the client;
 * * `cancelled`: the client left, the attempt lost a race, a global budget ended it; no verdict;
 * * `ignored`: a failure that says nothing about the candidate's health (a client's own bad
 *   request); like `cancelled` it only releases a probe slot.
 */
export type CircuitOutcome = 'success' | 'failure' | 'cancelled' | 'ignored';

/** The settings of the state machine (from `routing.circuit_breaker`). */
export interface CircuitPolicy {
  /** Consecutive failures that open a closed circuit (>= 1). */
  readonly failureThreshold: number;
  /** How long an open circuit refuses everything; also the lease of a half-open probe slot. */
  readonly openForMs: number;
  /** Probes a half-open circuit admits per `openForMs` window (>= 1). */
  readonly halfOpenProbes: number;
  /** Idle time after which a circuit's record is forgotten (memory and Redis alike). */
  readonly keyTtlMs: number;
}

/**
 * The stored state of one circuit. A candidate without a record is closed with no failures:
 * stores keep records only for candidates that failed, so healthy traffic costs nothing.
 */
export interface CircuitRecord {
  readonly state: CircuitState;
  /** Consecutive failures (they keep counting while open, for diagnostics). */
  readonly failures: number;
  /** When the circuit last opened; meaningful in `open` and `half_open`. */
  readonly openedAt: number;
  /** Probe slots taken in the current half-open window. */
  readonly probes: number;
  /** When the current half-open probe window started. */
  readonly probeWindowAt: number;
  /** Last change; the record expires `keyTtlMs` after it. */
  readonly updatedAt: number;
}

/** The answer to "may an attempt on this candidate start now?". */
export interface CircuitDecision {
  readonly allowed: boolean;
  /** The attempt is a half-open probe: pass this decision back to `record()`. */
  readonly probe: boolean;
  /** The state the decision was taken in. */
  readonly state: CircuitState;
  /** When refused: milliseconds until this circuit may admit again (for Retry-After). */
  readonly retryAfterMs?: number;
}

/** One row of `GET /admin/circuits` (CONTRACT section 2); times are ISO 8601 or null. */
export interface CircuitRow {
  readonly key: string;
  readonly state: CircuitState;
  readonly failures: number;
  readonly opened_at: string | null;
  /** When the next probe may start: now when a half-open slot is free, null when closed. */
  readonly next_probe_at: string | null;
}

/** The breaker's health for `/readyz` detail and metrics. */
export interface CircuitStatus {
  readonly enabled: boolean;
  readonly store: 'memory' | 'redis';
  /** False while the shared store is unreachable or slow (the breaker then runs on local state). */
  readonly healthy: boolean;
  /** `ok`, `disabled`, or what is wrong and since when, in one line. */
  readonly detail: string;
  /** When `healthy` last changed (ISO 8601), null if it never did. */
  readonly since: string | null;
  /** Circuits currently open / half-open (as known locally). */
  readonly open: number;
  readonly half_open: number;
}

/** Published on the `lip:circuit` diagnostics channel and passed to `onEvent`. */
export type CircuitEvent =
  | {
    readonly type: 'transition';
    readonly key: string;
    readonly from: CircuitState;
    readonly to: CircuitState;
    readonly failures: number;
    /** `local`: this instance's own records; `remote`: learnt from another instance. */
    readonly origin: 'local' | 'remote';
    readonly at: number;
  }
  | { readonly type: 'store_unavailable'; readonly store: 'memory' | 'redis'; readonly reason: string; readonly at: number }
  | { readonly type: 'store_recovered'; readonly store: 'memory' | 'redis'; readonly downMs: number; readonly at: number };
