import type { CircuitDecision, CircuitOutcome, CircuitPolicy, CircuitRecord, CircuitRow } from './types.js';

/**
 * The circuit state machine as pure functions over one `CircuitRecord` (`undefined` = closed,
 * no failures). The memory store applies them to a Map; the Redis Lua scripts
 * (`redis/lua-scripts.ts`) are a line-by-line port, and the shared store suite checks that
 * both behave alike. A function returns the very same record when nothing changed, so callers
 * can skip writes with a reference comparison.
 *
 * ```
 * admit(open, t < openedAt + open_for)      -> refused, retryAfterMs = openedAt + open_for - t
 * admit(open, t >= openedAt + open_for)     -> half_open, probe slot 1 taken, allowed as probe
 * admit(half_open, slots all taken)         -> refused until the probe window ends
 * record(closed, failure), failures reach threshold -> open at t
 * record(half_open, success) -> closed      record(half_open, failure) -> open at t
 * ```
 * @see spec/circuit/transitions.spec.ts
 */

/** The decision for a closed circuit: one shared frozen object, no allocation on the hot path. */
export const ALLOW: CircuitDecision = Object.freeze({ allowed: true, probe: false, state: 'closed' });

const PROBE: CircuitDecision = Object.freeze({ allowed: true, probe: true, state: 'half_open' });

export interface Admission {
  /** The record after the decision (the same object when unchanged). */
  readonly record: CircuitRecord | undefined;
  readonly decision: CircuitDecision;
}

/**
 * May an attempt start at `now`? With `take` (the default) a half-open circuit hands out one of
 * its probe slots; without it the answer is a side-effect-free preview (for planning).
 */
export function admit(record: CircuitRecord | undefined, now: number, policy: CircuitPolicy, take = true): Admission {
  if (record === undefined || record.state === 'closed') return { record, decision: ALLOW };
  let current = record;
  if (current.state === 'open') {
    const reopensAt = current.openedAt + policy.openForMs;
    if (now < reopensAt) return { record, decision: refuse('open', reopensAt - now) };
    current = { ...current, state: 'half_open', probes: 0, probeWindowAt: now, updatedAt: now };
  }
  if (now >= current.probeWindowAt + policy.openForMs) {
    current = { ...current, probes: 0, probeWindowAt: now, updatedAt: now };
  }
  if (current.probes >= policy.halfOpenProbes) {
    return { record: current, decision: refuse('half_open', current.probeWindowAt + policy.openForMs - now) };
  }
  if (!take) return { record, decision: PROBE };
  return { record: { ...current, probes: current.probes + 1, updatedAt: now }, decision: { allowed: true, probe: true, state: 'half_open' } };
}

/** Applies how an admitted attempt ended. `probe` says whether it held a half-open probe slot. */
export function applyOutcome(record: CircuitRecord | undefined, outcome: CircuitOutcome, probe: boolean, now: number, policy: CircuitPolicy): CircuitRecord | undefined {
  if (outcome === 'failure') {
    const base = record ?? { state: 'closed', failures: 0, openedAt: 0, probes: 0, probeWindowAt: 0, updatedAt: now };
    const failures = base.failures + 1;
    if (base.state === 'half_open' || (base.state === 'closed' && failures >= policy.failureThreshold)) {
      return { state: 'open', failures, openedAt: now, probes: 0, probeWindowAt: 0, updatedAt: now };
    }
    return { ...base, failures, updatedAt: now };
  }
  if (record === undefined) return undefined;
  if (outcome === 'success') {
    if (record.state === 'half_open' || (record.state === 'closed' && record.failures > 0)) return closedAt(now);
    return record; // closed and clean, or open: a late success of an attempt admitted before it opened
  }
  if (probe && record.state === 'half_open' && record.probes > 0) return { ...record, probes: record.probes - 1, updatedAt: now };
  return record;
}

/** A closed circuit with no failures, as a record (kept where a store needs a tombstone). */
export function closedAt(now: number): CircuitRecord {
  return { state: 'closed', failures: 0, openedAt: 0, probes: 0, probeWindowAt: 0, updatedAt: now };
}

/**
 * Which of two views of one circuit survives a resynchronisation after a store outage (`local`:
 * the record an instance kept through it; `stored`: the store's). Merged by what the records
 * mean, not only by when they changed:
 * * two open or half-open records, or two closed ones: the one updated last; on a tie, the
 *   stored one;
 * * an open or half-open record against a closed one: the open one, unless the closed one is
 *   newer and clean. A success (a probe, or one that ended a failure streak) always leaves a
 *   clean record (stores keep none, so a merge passes it as `closedAt(t)`), and a failure
 *   always leaves failures, so a clean record is a recovery and a closed record with failures
 *   holds only failures: those never close a circuit, however late they came.
 */
export function mergedOf(local: CircuitRecord, stored: CircuitRecord | undefined): CircuitRecord {
  if (stored === undefined) return local;
  const localClosed = local.state === 'closed';
  if (localClosed === (stored.state === 'closed')) return local.updatedAt > stored.updatedAt ? local : stored;
  const [closed, held] = localClosed ? [local, stored] : [stored, local];
  return closed.failures === 0 && closed.updatedAt > held.updatedAt ? closed : held;
}

export function isExpired(record: CircuitRecord, now: number, policy: CircuitPolicy): boolean {
  return now >= record.updatedAt + policy.keyTtlMs;
}

/** The diagnostics row of one circuit as seen at `now` (an elapsed open circuit shows half_open). */
export function toRow(key: string, record: CircuitRecord, now: number, policy: CircuitPolicy): CircuitRow {
  if (record.state === 'closed') return { key, state: 'closed', failures: record.failures, opened_at: null, next_probe_at: null };
  const opened_at = iso(record.openedAt);
  if (record.state === 'open' && now < record.openedAt + policy.openForMs) {
    return { key, state: 'open', failures: record.failures, opened_at, next_probe_at: iso(record.openedAt + policy.openForMs) };
  }
  const view = admit(record, now, policy, false);
  const next = view.decision.allowed ? now : now + (view.decision.retryAfterMs ?? 0);
  return { key, state: 'half_open', failures: record.failures, opened_at, next_probe_at: iso(next) };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function refuse(state: 'open' | 'half_open', retryAfterMs: number): CircuitDecision {
  return { allowed: false, probe: false, state, retryAfterMs };
}
