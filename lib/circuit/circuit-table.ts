import { admit, applyOutcome, isExpired, type Admission } from './transitions.js';
import type { CircuitOutcome, CircuitPolicy, CircuitRecord } from './types.js';

/** The default bound on tracked circuits per instance (the Go original's figure). */
export const DEFAULT_MAX_KEYS = 10_000;

/** Before and after one change, for transition events. */
export interface Change {
  readonly before: CircuitRecord | undefined;
  readonly after: CircuitRecord | undefined;
}

/**
 * The circuits of one process: a Map from candidate key to record, holding only candidates
 * that failed (absent = closed and clean, so a healthy candidate costs one failed Map lookup).
 * Records expire `keyTtlMs` after their last change (checked lazily on access) and the table
 * holds at most `maxKeys` circuits: when full, an expired record goes first, else the closed
 * one with the fewest failures (oldest first), else the oldest. This is the memory store's
 * state and the shared breaker's local copy of Redis.
 * @see spec/circuit/circuit-table.spec.ts
 */
export class CircuitTable {
  private readonly rows = new Map<string, CircuitRecord>();

  constructor(readonly policy: CircuitPolicy, private readonly maxKeys = DEFAULT_MAX_KEYS) {}

  get size(): number {
    return this.rows.size;
  }

  /** Whether `key` has a record (possibly expired): the hot path's one Map lookup. */
  has(key: string): boolean {
    return this.rows.has(key);
  }

  /** The live record of `key` (an expired one is dropped here). */
  get(key: string, now: number): CircuitRecord | undefined {
    const record = this.rows.get(key);
    if (record === undefined || !isExpired(record, now, this.policy)) return record;
    this.rows.delete(key);
    return undefined;
  }

  /** Stores `record` (a closed, clean record or `undefined` removes the key). */
  put(key: string, record: CircuitRecord | undefined): void {
    if (record === undefined || (record.state === 'closed' && record.failures === 0)) {
      this.rows.delete(key);
      return;
    }
    if (!this.rows.has(key) && this.rows.size >= this.maxKeys) this.evictOne(record.updatedAt);
    this.rows.set(key, record);
  }

  /** `admit()` on the stored record, keeping the result. */
  admit(key: string, now: number, take = true): Admission {
    const before = this.get(key, now);
    const result = admit(before, now, this.policy, take);
    if (result.record !== before) this.put(key, result.record);
    return result;
  }

  /** `applyOutcome()` on the stored record, keeping the result. */
  record(key: string, outcome: CircuitOutcome, probe: boolean, now: number): Change {
    const before = this.get(key, now);
    const after = applyOutcome(before, outcome, probe, now, this.policy);
    if (after !== before) this.put(key, after);
    return { before, after };
  }

  /** Every live record (expired ones are dropped on the way). */
  entries(now: number): [string, CircuitRecord][] {
    const live: [string, CircuitRecord][] = [];
    for (const [key, record] of this.rows) {
      if (isExpired(record, now, this.policy)) this.rows.delete(key);
      else live.push([key, record]);
    }
    return live;
  }

  keys(): IterableIterator<string> {
    return this.rows.keys();
  }

  delete(key: string): void {
    this.rows.delete(key);
  }

  clear(): void {
    this.rows.clear();
  }

  private evictOne(now: number): void {
    let victim: string | undefined;
    let best: CircuitRecord | undefined;
    for (const [key, record] of this.rows) {
      if (isExpired(record, now, this.policy)) {
        victim = key;
        break;
      }
      if (best === undefined || rank(record, best) < 0) {
        victim = key;
        best = record;
      }
    }
    if (victim !== undefined) this.rows.delete(victim);
  }
}

/** Negative when `a` is the better eviction victim: closed before open, fewer failures, older. */
function rank(a: CircuitRecord, b: CircuitRecord): number {
  const closed = Number(b.state === 'closed') - Number(a.state === 'closed');
  if (closed !== 0) return closed;
  if (a.state === 'closed' && a.failures !== b.failures) return a.failures - b.failures;
  return a.updatedAt - b.updatedAt;
}
