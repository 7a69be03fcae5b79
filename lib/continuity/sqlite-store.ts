import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Subscription } from 'rxjs';
import { LipError } from '../errors/index.js';
import type { AttemptRow, ContinuityLogger, ContinuityStatus, UsageQuery, UsageSummary } from './continuity-store.js';
import { LegStore, type LegStoreOptions, type MutableAttemptRow } from './leg-store.js';
import type { LegState } from './leg-table.js';
import type { ResponseRow } from './response-row.js';
import { SqliteConnection } from './sqlite-connection.js';
import { describeRecord, writeRecords, type SqliteRecord } from './sqlite-record.js';
import { isPermanentSqliteError } from './sqlite-database.js';
import type { SqliteStatements, UsageCursor } from './sqlite-statements.js';
import { USAGE_CHUNK, UsageTotals } from './usage-summary.js';
import { WriteQueue, type WriteQueueOptions } from './write-queue.js';

type QueueTuning = Partial<Pick<WriteQueueOptions<unknown>, 'capacity' | 'batchSize' | 'flushDelayMs' | 'retryBaseMs' | 'retryMaxMs'>>;

export interface SqliteStoreOptions extends LegStoreOptions {
  readonly path: string;
  /** `continuity.max_legs`: past it A-legs are deleted by the fair-share rule (fair-share.ts). */
  readonly maxLegs: number;
  /** A-legs kept in memory (a cache: the database has them all). */
  readonly cacheLegs?: number;
  /** SQLite busy timeout of writes. Short on purpose: a busy database is retried later, off the request path. */
  readonly busyTimeoutMs?: number;
  /** How often expired records are pruned (also whenever the A-leg count passes max_legs). */
  readonly pruneIntervalMs?: number;
  readonly queue?: QueueTuning;
  readonly log?: ContinuityLogger;
  /**
   * Test seam: called inside every write transaction, before any row is written; an error it
   * returns is thrown there, as if SQLite had raised it (`SQLITE_FULL` where no small filesystem
   * can be mounted, `SQLITE_READONLY` where no file can be made immutable).
   */
  readonly injectWriteFault?: () => Error | undefined;
}

export const SQLITE_DEFAULTS = { cacheLegs: 10_000, busyTimeoutMs: 100, openBusyTimeoutMs: 5_000, pruneIntervalMs: 60_000, pruneBatch: 1_000 } as const;

/** How long pruning batches run back to back before serving gets a turn. */
const PRUNE_SLICE_MS = 20;

/**
 * The persistent store: better-sqlite3 in WAL mode, schema by versioned migrations, prepared
 * statements. Request-path calls touch only memory (an A-leg cache in front of the database,
 * read through on a miss) and put records into a bounded, coalescing write queue that a timer
 * writes in batched transactions (at once for an answer that awaits `persisted`). A failing
 * database (read-only, full, locked) is logged, counted, retried with backoff and reported by
 * `status()`; serving goes on, and once the queue is full the oldest records are dropped and
 * counted. A database file removed or replaced while open is noticed before the next write and
 * at every `status()`: the store
 * reports not ready, opens a fresh file at the same path (recreating its directory) and
 * writes the cached A-legs and everything pending there; rows only the old file held are
 * counted as lost. Several processes on one machine may share the file (`--workers`): each
 * reads through its own cache, and an attempt row never overwrites another's (upsertAttempt).
 * @see spec/continuity/sqlite-store.spec.ts, spec/continuity/sqlite-faults.spec.ts
 */
export class SqliteContinuityStore extends LegStore {
  readonly kind = 'sqlite' as const;
  private conn: SqliteConnection;
  private sql: SqliteStatements;
  private readonly queue: WriteQueue<SqliteRecord>;
  private writeBatch: (batch: readonly SqliteRecord[]) => void;
  /** Why the file cannot be written right now (it was removed or replaced), until reopened. */
  private fault: string | undefined;
  private reopened = 0;
  private cacheLegs: number;
  private dbLegs: number;
  private lastPruneAt: number;
  /** A pruning run has more to delete (it goes on after yielding, or once the queue drains). */
  private pruning = false;
  private pruneTimer: Subscription | undefined;
  private key: Buffer | undefined;

  constructor(private readonly sqlite: SqliteStoreOptions) {
    super(sqlite);
    this.cacheLegs = this.legsToCache();
    this.conn = this.connect(false);
    this.sql = this.conn.sql;
    this.dbLegs = this.conn.legsAtOpen;
    this.writeBatch = this.conn.db.transaction((batch: readonly SqliteRecord[]) => this.write(batch));
    this.lastPruneAt = this.now();
    this.queue = new WriteQueue<SqliteRecord>({
      ...sqlite.queue,
      write: (batch) => this.writeBatch(batch),
      prepare: () => this.checkFile(),
      onDrained: () => this.pruneIfDue(),
      isPermanent: isPermanentSqliteError,
      scheduler: sqlite.scheduler,
      log: sqlite.log,
      describe: describeRecord,
      durable: (record) => record.kind === 'response' && record.durable,
    });
    this.schedulePrune();
  }

  /**
   * At startup (and reload) the open waits for a lock as long as `openBusyTimeoutMs`; a file
   * reopened while serving only as long as a write.
   */
  private connect(serving: boolean): SqliteConnection {
    const busyMs = this.sqlite.busyTimeoutMs ?? SQLITE_DEFAULTS.busyTimeoutMs;
    return SqliteConnection.open(this.sqlite.path, { openMs: serving ? busyMs : SQLITE_DEFAULTS.openBusyTimeoutMs, busyMs }, () => this.now());
  }

  /** Before each write: the file must still be the one open, else a fresh one is opened. */
  private checkFile(): void {
    if (this.fault === undefined && this.conn.isCurrent()) return;
    this.fileGone();
    this.reopen();
  }

  private fileGone(): void {
    if (this.fault !== undefined) return;
    this.fault = `the database file ${this.sqlite.path} was removed or replaced while open; reopening it`;
    this.sqlite.log?.error('continuity database file removed or replaced while open; opening a fresh file', { path: this.sqlite.path });
  }

  /**
   * Opens a fresh file at the path (a throw keeps the fault: retried with the writes' backoff),
   * then queues the cached A-legs for it, so attempts that follow still find their A-leg: those
   * already pending and those with an attempt running, then the most recently seen while the
   * queue has room (carrying never pushes a pending record out). Any other A-leg is queued
   * again by its next change.
   */
  private reopen(): void {
    const fresh = this.connect(true);
    let before = { legs: 0, attempts: 0, responses: 0 };
    try {
      before = this.conn.rowCounts();
    } catch {
      // the old handle cannot even be read: nothing to count
    }
    this.conn.close();
    this.conn = fresh;
    this.sql = fresh.sql;
    // The key in use goes with the sessions carried over, so their tokens keep working after a restart.
    if (this.key) {
      const key = this.key;
      try { fresh.sql.setting('resume_fingerprint_key', () => key); } catch { /* written again on the next reopen */ }
    }
    this.writeBatch = fresh.db.transaction((batch: readonly SqliteRecord[]) => this.write(batch));
    let carried = 0;
    let room = this.queue.capacity - this.queue.size;
    for (const state of [...this.legs.oldestFirst()].reverse()) {
      const key = `l:${state.aLegId}`;
      const pending = this.queue.get(key) !== undefined;
      if (!pending && state.open === 0 && room <= 0) continue;
      if (!pending) room--;
      this.queue.put(key, { kind: 'leg', state, created: true });
      carried++;
    }
    const lostRows = Math.max(0, before.legs - carried) + before.attempts + before.responses;
    this.lost += lostRows;
    this.dbLegs = carried;
    this.reopened++;
    this.fault = undefined;
    this.sqlite.log?.warn('continuity database reopened as a fresh file', { path: this.sqlite.path, carried_legs: carried, lost_rows: lostRows });
  }

  private write(batch: readonly SqliteRecord[]): void {
    const injected = this.sqlite.injectWriteFault?.();
    if (injected) throw injected;
    writeRecords(this.sql, batch);
  }

  /** A-legs kept in memory: `cacheLegs`, else `max_legs` up to SQLITE_DEFAULTS.cacheLegs. */
  private legsToCache(): number {
    return this.sqlite.cacheLegs ?? Math.min(this.limits.maxLegs, SQLITE_DEFAULTS.cacheLegs);
  }

  /**
   * A reload's limits: A-legs past a lowered max_legs are deleted now (once the writes pending
   * are written); what a shorter ttl expired, at the next pruning (reads check expiry meanwhile).
   */
  protected limitsChanged(): void {
    this.cacheLegs = this.legsToCache();
    this.pruneIfDue();
  }

  /** Every `pruneIntervalMs`, with or without traffic (the queue's drain runs it too). */
  private schedulePrune(): void {
    this.pruneTimer = this.sqlite.scheduler.schedule(() => {
      this.pruneIfDue();
      if (!this.closed) this.schedulePrune();
    }, this.sqlite.pruneIntervalMs ?? SQLITE_DEFAULTS.pruneIntervalMs);
  }

  /**
   * Deletes idle A-legs, A-legs past max_legs and expired responses, in batches until none is
   * left: as many as fit in a time slice, then the rest after yielding to serving. Only with
   * nothing pending, so that every A-leg's last_seen_at in the database is current (a run
   * interrupted by writes goes on when the queue has drained).
   */
  private pruneIfDue(): void {
    const now = this.now();
    if (this.closed || this.queue.size > 0) return;
    if (!this.pruning && this.dbLegs <= this.limits.maxLegs && now - this.lastPruneAt < (this.sqlite.pruneIntervalMs ?? SQLITE_DEFAULTS.pruneIntervalMs)) return;
    this.lastPruneAt = now;
    const sliceEnd = performance.now() + PRUNE_SLICE_MS;
    do {
      this.pruning = this.pruneBatch(now);
    } while (this.pruning && this.queue.size === 0 && performance.now() < sliceEnd);
    if (this.pruning && this.queue.size === 0) this.sqlite.scheduler.schedule(() => this.pruneIfDue(), 0);
    else if (!this.pruning) this.releaseFreePages();
  }

  private releaseFreePages(): void {
    try {
      this.conn.releaseFreePages();
    } catch (err) {
      this.sqlite.log?.warn('continuity database could not give free pages back; retried after the next pruning', { error: (err as Error).message });
    }
  }

  /** One batch, in one transaction; true when there may be more to delete. */
  private pruneBatch(now: number): boolean {
    let result: { deleted: string[]; legs: number; more: boolean };
    try {
      const sessionLifetime = Math.max(this.limits.ttlMs, this.limits.resumeWindowMs ?? 0);
      const running = [...new Set(Array.from(this.running.values(), (row) => row.a_leg_id))];
      result = this.conn.prune(now - this.limits.ttlMs, now - sessionLifetime, this.limits.maxLegs, SQLITE_DEFAULTS.pruneBatch, running);
    } catch (err) {
      this.sqlite.log?.warn('continuity pruning failed; retried later', { error: (err as Error).message });
      return false;
    }
    this.dbLegs = result.legs;
    for (const id of result.deleted) {
      const state = this.legs.get(id);
      if (!state) continue;
      if (state.open > 0) this.legChanged(state, false); // still running here: write it back
      else this.legs.delete(state);
    }
    return result.more;
  }

  protected admit(): void {
    // Never refuses: a failing database must not stop serving. The queue's bound drops and counts.
  }

  /** Reads through to the database; a database that cannot be read is a 503. */
  private read<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw new LipError('LIP_ERR_CONTINUITY_UNAVAILABLE', `cannot read ${what} from the continuity database: ${(err as Error).message}`, { cause: err, retryAfter: 1 });
    }
  }

  private retiring(aLegId: string): boolean {
    return this.queue.get(`l:${aLegId}`)?.kind === 'retire';
  }

  protected loadLeg(aLegId: string): LegState | undefined {
    if (this.closed || this.retiring(aLegId)) return undefined;
    const state = this.read('an A-leg', () => this.sql.legById(aLegId));
    if (state) this.trimCache();
    return state;
  }

  protected loadSession(principal: string, sessionId: string): LegState | undefined {
    if (this.closed) return undefined;
    const state = this.read('an A-leg', () => this.sql.legBySession(principal, sessionId));
    if (!state || this.retiring(state.aLegId)) return undefined;
    this.trimCache();
    return state;
  }

  protected loadFingerprint(fingerprint: string): LegState | undefined {
    if (this.closed) return undefined;
    const state = this.read('an A-leg', () => this.sql.legByFingerprint(fingerprint));
    if (!state || this.retiring(state.aLegId)) return undefined;
    this.trimCache();
    return state;
  }

  /** Generated on first use and kept in `lip_settings`, so resume tokens outlive a restart. */
  fingerprintKey(): Buffer {
    this.key ??= this.read('the fingerprint key', () => this.sql.setting('resume_fingerprint_key', () => randomBytes(32)));
    return this.key;
  }

  /** Drops clean, idle legs from the oldest end of the cache (the database keeps them). */
  private trimCache(): void {
    let scan = 64;
    for (const state of this.legs.oldestFirst()) {
      if (this.legs.size < this.cacheLegs || scan-- === 0) return;
      if (state.open === 0 && this.queue.get(`l:${state.aLegId}`) === undefined) this.legs.delete(state);
    }
  }

  protected retire(state: LegState): void {
    this.legs.delete(state);
    this.enqueue(`l:${state.aLegId}`, { kind: 'retire', aLegId: state.aLegId });
    this.dbLegs--;
  }

  protected legChanged(state: LegState, created: boolean): void {
    const key = `l:${state.aLegId}`;
    const previous = this.queue.get(key);
    this.enqueue(key, { kind: 'leg', state, created: created || (previous?.kind === 'leg' && previous.created) });
    if (created) {
      this.dbLegs++;
      this.trimCache();
    }
  }

  protected attemptChanged(row: MutableAttemptRow): void {
    this.enqueue(`a:${row.b_leg_id}`, { kind: 'attempt', row });
  }

  protected storeResponse(row: ResponseRow, durable: boolean): void {
    this.enqueue(`r:${row.response_id}`, { kind: 'response', row, durable });
  }

  /** Written behind like every record (`persisted` waits for it); until then the pending deletion hides the row from reads. */
  protected forgetResponse(id: string): void {
    this.enqueue(`r:${id}`, { kind: 'forget', responseId: id });
  }

  /**
   * Settles once every record put so far is in the file (committed: a killed process keeps it;
   * WAL with `synchronous = NORMAL`, so a power loss may not), or once writing it failed (it
   * stays queued and is retried; `status()` says so). A caller waiting makes the write happen
   * at the next turn of the event loop, not after the 25 ms batching window. Rejects once a
   * record arrived after `close` (it is not stored).
   */
  readonly persisted = (): Promise<void> => this.lateRecords() ?? this.queue.whenWritten();

  private enqueue(key: string, record: SqliteRecord): void {
    if (!this.closed) return this.queue.put(key, record);
    this.arrivedAfterClose(key, this.sqlite.log);
  }

  /** The file's rows, then what is pending or running here (keeping the seq the file gave a row). */
  protected attemptRows(state: LegState): AttemptRow[] {
    const byBLeg = new Map<string, AttemptRow>();
    for (const row of this.read('attempts', () => this.sql.attempts(state.aLegId))) byBLeg.set(row.b_leg_id, row);
    const local = (row: AttemptRow) => byBLeg.set(row.b_leg_id, { ...row, seq: byBLeg.get(row.b_leg_id)?.seq ?? row.seq });
    for (const record of this.queue.values()) if (record.kind === 'attempt' && record.row.a_leg_id === state.aLegId) local(record.row);
    for (const row of this.running.values()) if (row.a_leg_id === state.aLegId) local(row);
    return [...byBLeg.values()].sort((a, b) => a.seq - b.seq);
  }

  /**
   * Writes what is pending first (a failing database answers with what it has), then sums in
   * SQL, USAGE_CHUNK rows a statement, yielding to the event loop between statements (one
   * statement over every row held the loop for seconds: 1.4 s for 250,000 rows).
   */
  protected async sumUsage(query: UsageQuery): Promise<UsageSummary> {
    if (!this.closed) this.queue.flushNow();
    const totals = new UsageTotals(query);
    let after: UsageCursor | undefined;
    do {
      if (after !== undefined) await nextTurn();
      const from = after;
      const chunk = this.read('usage', () => this.sql.usageChunk(query, from, USAGE_CHUNK));
      for (const group of chunk.groups) totals.addGroup(group);
      after = chunk.next;
    } while (after !== undefined);
    return totals.summary();
  }

  protected findResponse(id: string): ResponseRow | undefined {
    const pending = this.queue.get(`r:${id}`);
    if (pending?.kind === 'response') return pending.row;
    if (pending?.kind === 'forget') return undefined;
    return this.closed ? undefined : this.read('a response', () => this.sql.response(id));
  }

  /** Those pending, and those in the file unless a pending record replaces (saved again) or deletes them. */
  protected continuations(id: string): Pick<ResponseRow, 'response_id' | 'created_at'>[] {
    const rows: Pick<ResponseRow, 'response_id' | 'created_at'>[] = [];
    for (const record of this.queue.values()) if (record.kind === 'response' && record.row.previous_response_id === id) rows.push(record.row);
    for (const row of this.read('a response', () => this.sql.continuations(id))) if (this.queue.get(`r:${row.response_id}`) === undefined) rows.push(row);
    return rows;
  }

  /** Also checks the file (one `stat`): a removed file is reported here, and reopened soon after. */
  status(): ContinuityStatus {
    if (!this.closed && this.fault === undefined && !this.conn.isCurrent()) {
      this.fileGone();
      this.queue.wake();
    }
    const q = this.queue.status();
    const state = this.closed ? 'closed' : this.queue.full ? 'full' : q.failing || this.fault !== undefined ? 'failing' : 'ok';
    const reason = state === 'ok' ? null
      : state === 'closed' ? 'the continuity store is closed'
        : state === 'full' ? `the write queue is full (${q.capacity} records; last error: ${q.last_error ?? 'none'}); the oldest are being dropped`
          : this.fault ?? `writes to ${this.sqlite.path} are failing (${q.last_error ?? 'unknown error'}); records are kept and retried`;
    return {
      store: 'sqlite', ready: state === 'ok', state, reason, legs: Math.max(0, this.dbLegs),
      pending: q.pending, capacity: q.capacity, written: q.written, write_errors: q.write_errors,
      retries: q.retries, dropped: q.dropped, failed_records: q.failed_records, rejected: this.rejected,
      lost: this.lost, reopened: this.reopened,
      last_error: q.last_error, last_error_at: q.last_error_at, last_flush_at: q.last_flush_at,
    };
  }

  async flush(): Promise<void> {
    if (this.closed) return;
    if (!this.queue.flushNow()) {
      throw new LipError('LIP_ERR_CONTINUITY_UNAVAILABLE', `continuity records could not be written (${this.queue.size} waiting): ${this.queue.status().last_error ?? 'unknown error'}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const left = this.queue.close();
    this.closed = true;
    if (left > 0) {
      this.lost += left;
      this.sqlite.log?.error('continuity store closed with records it could not write', { lost: left, error: this.queue.status().last_error });
    }
    this.pruneTimer?.unsubscribe();
    this.conn.close();
  }
}
