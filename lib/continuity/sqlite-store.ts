import type { Database } from 'better-sqlite3';
import { LipError } from '../errors/index.js';
import type { AttemptRow, ContinuityLogger, ContinuityStatus } from './continuity-store.js';
import { LegStore, type LegStoreOptions, type MutableAttemptRow } from './leg-store.js';
import type { LegState } from './leg-table.js';
import type { ResponseRow } from './response-row.js';
import { MIGRATIONS, migrate } from './sqlite-migrations.js';
import { isPermanentSqliteError, openDatabase } from './sqlite-database.js';
import { SqliteStatements } from './sqlite-statements.js';
import { WriteQueue, type WriteQueueOptions } from './write-queue.js';

type QueueTuning = Partial<Pick<WriteQueueOptions<unknown>, 'capacity' | 'batchSize' | 'flushDelayMs' | 'retryBaseMs' | 'retryMaxMs'>>;

export interface SqliteStoreOptions extends LegStoreOptions {
  readonly path: string;
  /** `continuity.max_legs`: past it the least recently seen A-legs are deleted. */
  readonly maxLegs: number;
  /** A-legs kept in memory (a cache: the database has them all). */
  readonly cacheLegs?: number;
  /** SQLite busy timeout. Short on purpose: a busy database is retried later, off the request path. */
  readonly busyTimeoutMs?: number;
  /** How often expired records are pruned (also whenever the A-leg count passes max_legs). */
  readonly pruneIntervalMs?: number;
  readonly queue?: QueueTuning;
  readonly log?: ContinuityLogger;
}

export const SQLITE_DEFAULTS = { cacheLegs: 10_000, busyTimeoutMs: 100, pruneIntervalMs: 60_000, pruneBatch: 1_000 } as const;

/** What waits in the write queue. Keys: `l:<a_leg_id>`, `a:<b_leg_id>`, `r:<response_id>`. */
type SqliteRecord =
  | { readonly kind: 'leg'; readonly state: LegState; readonly created: boolean }
  | { readonly kind: 'retire'; readonly aLegId: string }
  | { readonly kind: 'attempt'; readonly row: MutableAttemptRow }
  | { readonly kind: 'response'; readonly row: ResponseRow };

/**
 * The persistent store: better-sqlite3 in WAL mode, schema by versioned migrations, prepared
 * statements. Request-path calls touch only memory (an A-leg cache in front of the database,
 * read through on a miss) and put records into a bounded, coalescing write queue that a timer
 * writes in batched transactions. A failing database is logged, counted, retried with backoff
 * and reported by `status()`; when the queue is full, new work is refused with a 503 instead
 * of being served unrecorded. One `lip serve` process owns one database file.
 * @see spec/continuity/sqlite-store.spec.ts
 */
export class SqliteContinuityStore extends LegStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database;
  private readonly sql: SqliteStatements;
  private readonly queue: WriteQueue<SqliteRecord>;
  private readonly writeBatch: (batch: readonly SqliteRecord[]) => void;
  private readonly cacheLegs: number;
  private dbLegs: number;
  private lastPruneAt: number;

  constructor(private readonly sqlite: SqliteStoreOptions) {
    super(sqlite);
    this.cacheLegs = sqlite.cacheLegs ?? Math.min(sqlite.maxLegs, SQLITE_DEFAULTS.cacheLegs);
    this.db = openDatabase(sqlite.path, sqlite.busyTimeoutMs ?? SQLITE_DEFAULTS.busyTimeoutMs);
    try {
      migrate(this.db, MIGRATIONS, () => this.now());
      this.sql = new SqliteStatements(this.db);
      this.dbLegs = this.sql.countLegs();
    } catch (err) {
      this.db.close();
      throw err instanceof LipError ? err : new LipError('LIP_ERR_CONTINUITY_UNAVAILABLE', `cannot prepare the continuity database ${sqlite.path}: ${(err as Error).message}`, { cause: err });
    }
    this.lastPruneAt = this.now();
    this.writeBatch = this.db.transaction((batch: readonly SqliteRecord[]) => this.write(batch));
    this.queue = new WriteQueue<SqliteRecord>({
      ...sqlite.queue,
      write: this.writeBatch,
      onDrained: () => this.pruneIfDue(),
      isPermanent: isPermanentSqliteError,
      scheduler: sqlite.scheduler,
      log: sqlite.log,
      describe: (r) => (r.kind === 'leg' ? `a_leg ${r.state.aLegId}` : r.kind === 'retire' ? `retire ${r.aLegId}` : r.kind === 'attempt' ? `attempt ${r.row.a_leg_id}#${r.row.seq}` : `response ${r.row.response_id}`),
    });
  }

  private write(batch: readonly SqliteRecord[]): void {
    for (const record of batch) {
      switch (record.kind) {
        case 'leg': this.sql.upsertLeg(record.state, record.created); break;
        case 'retire': this.sql.deleteLeg(record.aLegId); break;
        case 'attempt': this.sql.upsertAttempt(record.row); break;
        case 'response': this.sql.upsertResponse(record.row); break;
      }
    }
  }

  /**
   * Deletes idle A-legs, A-legs past max_legs and expired responses (bounded per run). Runs when
   * the queue has just drained, so every A-leg's last_seen_at in the database is current.
   */
  private pruneIfDue(): void {
    const now = this.now();
    if (this.dbLegs <= this.sqlite.maxLegs && now - this.lastPruneAt < (this.sqlite.pruneIntervalMs ?? SQLITE_DEFAULTS.pruneIntervalMs)) return;
    this.lastPruneAt = now;
    let deleted: string[];
    try {
      deleted = this.prune(now);
    } catch (err) {
      this.sqlite.log?.warn('continuity pruning failed; retried later', { error: (err as Error).message });
      return;
    }
    for (const id of deleted) {
      const state = this.legs.get(id);
      if (!state) continue;
      if (state.open > 0) this.legChanged(state, false); // still running here: write it back
      else this.legs.delete(state);
    }
  }

  private prune(now: number): string[] {
    return this.db.transaction(() => {
      const ids = this.sql.pruneIdle(now - this.options.ttlMs, SQLITE_DEFAULTS.pruneBatch);
      const over = this.sql.countLegs() - this.sqlite.maxLegs;
      if (over > 0) ids.push(...this.sql.pruneOldest(over));
      this.sql.pruneResponses(now - this.options.ttlMs, SQLITE_DEFAULTS.pruneBatch);
      this.dbLegs = this.sql.countLegs();
      return ids;
    })();
  }

  protected admit(): void {
    if (this.queue.full) {
      throw this.unavailable(`continuity records are not being written (${this.queue.size} waiting; last error: ${this.queue.status().last_error ?? 'none'}); see /readyz`);
    }
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

  protected storeResponse(row: ResponseRow): void {
    this.enqueue(`r:${row.response_id}`, { kind: 'response', row });
  }

  private enqueue(key: string, record: SqliteRecord): void {
    if (!this.closed) return this.queue.put(key, record);
    this.lost++;
    this.sqlite.log?.error('continuity record arrived after the store closed; it is not stored', { record: key });
  }

  protected attemptRows(state: LegState): AttemptRow[] {
    const bySeq = new Map<number, AttemptRow>();
    for (const row of this.read('attempts', () => this.sql.attempts(state.aLegId))) bySeq.set(row.seq, row);
    for (const record of this.queue.values()) {
      if (record.kind === 'attempt' && record.row.a_leg_id === state.aLegId) bySeq.set(record.row.seq, { ...record.row });
    }
    for (const row of this.running.values()) if (row.a_leg_id === state.aLegId) bySeq.set(row.seq, { ...row });
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  protected findResponse(id: string): ResponseRow | undefined {
    const pending = this.queue.get(`r:${id}`);
    if (pending?.kind === 'response') return pending.row;
    return this.closed ? undefined : this.read('a response', () => this.sql.response(id));
  }

  protected hasContinuation(id: string): boolean {
    for (const record of this.queue.values()) if (record.kind === 'response' && record.row.previous_response_id === id) return true;
    return this.read('a response', () => this.sql.hasContinuation(id));
  }

  status(): ContinuityStatus {
    const q = this.queue.status();
    const state = this.closed ? 'closed' : q.failing ? 'failing' : this.queue.full ? 'full' : 'ok';
    return {
      store: 'sqlite', ready: state === 'ok', state, legs: Math.max(0, this.dbLegs),
      pending: q.pending, capacity: q.capacity, written: q.written, write_errors: q.write_errors,
      failed_records: q.failed_records, rejected: this.rejected, lost: this.lost,
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
    this.db.close();
  }
}
