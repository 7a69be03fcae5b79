import { randomBytes } from 'node:crypto';
import type { AttemptRow, ContinuityStatus, UsageQuery, UsageSummary } from './continuity-store.js';
import { LegStore, type LegStoreOptions, type MutableAttemptRow } from './leg-store.js';
import type { LegState } from './leg-table.js';
import { MemoryResponses } from './memory-responses.js';
import type { ResponseRow } from './response-row.js';
import { summarizeUsage } from './usage-summary.js';

export interface MemoryStoreOptions extends LegStoreOptions {
  /** `continuity.max_legs`: past it an A-leg is evicted (the fair-share rule of LegTable). */
  readonly maxLegs: number;
  /** Attempt rows kept per A-leg; older rows of a very long conversation are dropped. */
  readonly maxAttemptsPerLeg?: number;
  /** Attempt rows kept in all; past it whole A-legs are evicted, least recently seen first. */
  readonly maxAttempts?: number;
  /** Bytes of stored responses kept (input and output JSON); past it the oldest of the principal holding the most go. */
  readonly maxResponseBytes?: number;
}

export const MEMORY_DEFAULTS = {
  maxAttemptsPerLeg: 1_000,
  maxAttempts: 1_000_000,
  maxResponseBytes: 256 * 1024 * 1024,
} as const;

/**
 * The default store: everything in this process, nothing survives a restart (nor does its
 * fingerprint key, so sessions start over too). Bounded on every axis: A-legs by `max_legs` and
 * `ttl` (over a cap, the least recently seen A-leg of the principal holding the most goes, so
 * no principal evicts the conversations of one holding fewer; an A-leg with an attempt in
 * flight is never evicted), attempt rows per A-leg and in all, stored responses by bytes (the
 * same fair share, in bytes: MemoryResponses) and `ttl`. Expiry is checked lazily on access and swept whenever a new A-leg is created.
 * @see spec/continuity/memory-store.spec.ts
 */
export class MemoryContinuityStore extends LegStore {
  readonly kind = 'memory' as const;
  /** An A-leg's rows by seq: most conversations make one attempt, kept without an array around it. */
  private readonly rows = new Map<string, MutableAttemptRow | MutableAttemptRow[]>();
  private totalAttempts = 0;
  private readonly responses: MemoryResponses;
  private readonly maxAttemptsPerLeg: number;
  private readonly maxAttempts: number;
  private readonly key = randomBytes(32);

  constructor(private readonly memory: MemoryStoreOptions) {
    super(memory);
    this.maxAttemptsPerLeg = memory.maxAttemptsPerLeg ?? MEMORY_DEFAULTS.maxAttemptsPerLeg;
    this.maxAttempts = memory.maxAttempts ?? MEMORY_DEFAULTS.maxAttempts;
    this.responses = new MemoryResponses(memory.ttlMs, memory.maxResponseBytes ?? MEMORY_DEFAULTS.maxResponseBytes);
  }

  protected admit(): void {
    // Memory never refuses work: its limits evict old records instead.
  }

  protected loadLeg(): LegState | undefined {
    return undefined;
  }

  protected loadSession(): LegState | undefined {
    return undefined;
  }

  protected loadFingerprint(): LegState | undefined {
    return undefined;
  }

  fingerprintKey(): Buffer {
    return this.key;
  }

  protected retire(state: LegState): void {
    this.legs.delete(state);
    this.dropRows(state.aLegId);
  }

  protected legChanged(state: LegState, created: boolean): void {
    if (created) this.evict(state);
  }

  /** A reload's limits: what a shorter ttl expired and a lowered cap leaves over goes now. */
  protected limitsChanged(): void {
    this.responses.reconfigure(this.limits.ttlMs, this.limits.maxResponseBytes ?? MEMORY_DEFAULTS.maxResponseBytes, this.now());
    this.evict(undefined);
  }

  protected attemptChanged(row: MutableAttemptRow, begun: boolean): void {
    if (!begun) return; // rows are held by reference: later changes are already in place
    const held = this.rows.get(row.a_leg_id);
    this.totalAttempts++;
    if (held === undefined) {
      this.rows.set(row.a_leg_id, row);
    } else {
      const list = Array.isArray(held) ? held : [held];
      if (list !== held) this.rows.set(row.a_leg_id, list);
      list.push(row);
      if (list.length > this.maxAttemptsPerLeg) {
        list.shift();
        this.totalAttempts--;
      }
    }
    if (this.totalAttempts > this.maxAttempts) this.evict(this.legs.get(row.a_leg_id));
  }

  /**
   * Sweeps expired legs from the oldest end (stopping at the first that has not expired), then,
   * while over a cap, evicts the fair-share victim (`keep`, the leg that needs the room, stays).
   */
  private evict(keep: LegState | undefined): void {
    const now = this.now();
    const oldest = this.legs.oldest();
    if (oldest && this.expired(oldest, now)) {
      for (const state of this.legs.oldestFirst()) {
        if (!this.expired(state, now)) break;
        if (state !== keep) this.retire(state);
      }
    }
    while (this.legs.size > this.limits.maxLegs || this.totalAttempts > this.maxAttempts) {
      const victim = this.legs.fairShareVictim(keep);
      if (!victim) break;
      this.retire(victim);
    }
  }

  private dropRows(aLegId: string): void {
    const held = this.rows.get(aLegId);
    if (!held) return;
    this.totalAttempts -= Array.isArray(held) ? held.length : 1;
    this.rows.delete(aLegId);
  }

  protected attemptRows(state: LegState): AttemptRow[] {
    const held = this.rows.get(state.aLegId);
    if (held === undefined) return [];
    return Array.isArray(held) ? held.map((row) => ({ ...row })) : [{ ...held }];
  }

  /** Every row, or (a principal's query, which a client key may ask) the rows of its own A-legs only. */
  protected sumUsage(query: UsageQuery): Promise<UsageSummary> {
    const rows = query.principal === undefined ? iterateRows(this.rows.values()) : iterateRows(legRows(this.rows, this.legs.idsOf(query.principal)));
    return summarizeUsage(rows, query);
  }

  protected storeResponse(row: ResponseRow, durable: boolean): void {
    this.responses.put(row, this.now(), durable);
  }

  protected forgetResponse(id: string): void {
    this.responses.delete(id, this.now());
  }

  protected findResponse(id: string): ResponseRow | undefined {
    return this.responses.get(id);
  }

  protected continuations(id: string): ResponseRow[] {
    return this.responses.continuations(id);
  }

  status(): ContinuityStatus {
    return {
      store: 'memory', ready: !this.closed, state: this.closed ? 'closed' : 'ok',
      reason: this.closed ? 'the continuity store is closed' : null,
      legs: this.legs.size, pending: 0, capacity: 0, written: 0, write_errors: 0, retries: 0, dropped: 0,
      failed_records: 0, rejected: this.rejected, lost: this.lost, reopened: 0,
      last_error: null, last_error_at: null, last_flush_at: null,
    };
  }

  async flush(): Promise<void> {
    // Nothing is pending in memory.
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

type HeldRows = AttemptRow | readonly AttemptRow[];

function* legRows(rows: ReadonlyMap<string, HeldRows>, aLegIds: readonly string[]): IterableIterator<HeldRows> {
  for (const id of aLegIds) {
    const held = rows.get(id);
    if (held !== undefined) yield held;
  }
}

function* iterateRows(helds: Iterable<HeldRows>): IterableIterator<AttemptRow> {
  for (const held of helds) {
    if (Array.isArray(held)) yield* held;
    else yield held as AttemptRow;
  }
}
