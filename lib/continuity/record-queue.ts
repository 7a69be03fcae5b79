import type { SchedulerLike, Subscription } from 'rxjs';
import type { ContinuityLogger } from './continuity-store.js';

export interface RecordQueueOptions<R> {
  readonly scheduler: SchedulerLike;
  readonly log?: ContinuityLogger | undefined;
  /** Names a record in logs (never its content). */
  readonly describe: (record: R) => string;
  /** Records that may wait; at it `full` is true and each new record pushes the oldest out. */
  readonly capacity?: number;
  /** Records never pushed out to make room (they wait beyond `capacity` until written). */
  readonly durable?: (record: R) => boolean;
  readonly batchSize?: number;
  /** Delay from the first pending record to its flush: the batching window. */
  readonly flushDelayMs?: number;
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
}

export const WRITE_QUEUE_DEFAULTS = { capacity: 10_000, batchSize: 256, flushDelayMs: 25, retryBaseMs: 100, retryMaxMs: 5_000 } as const;

export interface WriteQueueStatus {
  readonly pending: number;
  readonly capacity: number;
  readonly failing: boolean;
  readonly written: number;
  /** Batch writes that failed (each kept and retried). */
  readonly write_errors: number;
  /** Batch writes made after a failure, to retry it. */
  readonly retries: number;
  /** Records pushed out, oldest first, by a new record arriving at `capacity`. */
  readonly dropped: number;
  readonly failed_records: number;
  readonly last_error: string | null;
  readonly last_error_at: number | null;
  readonly last_flush_at: number | null;
}

/**
 * What both write-behind queues share (WriteQueue writes synchronously for SQLite, RedisWriter
 * asynchronously for Redis): the pending records by key, coalesced, in arrival order; the bound
 * (at `capacity` a new key pushes the oldest record out, counted and logged once per episode;
 * never a durable one: those wait beyond it);
 * the backoff; the counters; and logs that follow transitions (the first failure and a failure
 * with another error, dropping, recovery with the totals). Subclasses decide when and how to
 * write, and report each outcome through `wrote` and `failed`.
 * @see spec/continuity/write-queue.spec.ts, spec/continuity/redis-store.spec.ts
 */
export abstract class RecordQueue<R> {
  protected pending = new Map<string, R>();
  protected timer: Subscription | undefined;
  protected closed = false;
  protected failures = 0;
  protected retries = 0;
  protected failedRecords = 0;
  protected lastError: string | null = null;
  private written = 0;
  private writeErrors = 0;
  private dropped = 0;
  /** Records dropped since the queue last had room (0: not dropping). */
  private droppingNow = 0;
  private loggedError: string | null = null;
  private lastErrorAt: number | null = null;
  private lastFlushAt: number | null = null;
  readonly capacity: number;
  protected readonly batchSize: number;
  protected readonly flushDelayMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(private readonly base: RecordQueueOptions<R>) {
    this.capacity = base.capacity ?? WRITE_QUEUE_DEFAULTS.capacity;
    this.batchSize = base.batchSize ?? WRITE_QUEUE_DEFAULTS.batchSize;
    this.flushDelayMs = base.flushDelayMs ?? WRITE_QUEUE_DEFAULTS.flushDelayMs;
    this.retryBaseMs = base.retryBaseMs ?? WRITE_QUEUE_DEFAULTS.retryBaseMs;
    this.retryMaxMs = base.retryMaxMs ?? WRITE_QUEUE_DEFAULTS.retryMaxMs;
  }

  /** Arms the timer: a write in `delay` ms. */
  protected abstract schedule(delay: number): void;

  get size(): number {
    return this.pending.size;
  }

  /** True when the queue holds `capacity` records: the next new key drops the oldest record. */
  get full(): boolean {
    return this.pending.size >= this.capacity;
  }

  get failing(): boolean {
    return this.failures > 0;
  }

  get(key: string): R | undefined {
    return this.pending.get(key);
  }

  values(): IterableIterator<R> {
    return this.pending.values();
  }

  put(key: string, record: R): void {
    if (this.pending.size >= this.capacity && !this.pending.has(key)) this.dropOldest();
    this.pending.set(key, record);
    if (this.timer === undefined && !this.closed) this.schedule(this.flushDelayMs);
  }

  /** Pushes out the oldest record that is not durable; with none, the queue holds one more. */
  private dropOldest(): void {
    let oldest: [string, R] | undefined;
    for (const entry of this.pending) {
      if (this.base.durable?.(entry[1]) === true) continue;
      oldest = entry;
      break;
    }
    if (oldest === undefined) return;
    const [key, record] = oldest;
    this.pending.delete(key);
    this.dropped++;
    if (this.droppingNow++ > 0) return;
    this.base.log?.error('continuity write queue is full; the oldest records are being dropped', {
      capacity: this.capacity, first_dropped: this.base.describe(record), last_error: this.lastError,
    });
  }

  protected backoff(): number {
    return Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(30, this.failures - 1));
  }

  /** The oldest pending records, up to one batch. */
  protected oldestBatch(): [string, R][] {
    const batch: [string, R][] = [];
    for (const entry of this.pending) {
      batch.push(entry);
      if (batch.length >= this.batchSize) break;
    }
    return batch;
  }

  /** After a write went through (the subclass has removed what it wrote): counters, and the recovery line. */
  protected wrote(count: number): void {
    // A drained queue starts a fresh map: V8 keeps deleted entries in their bucket chains until
    // a rehash, and the same keys (a busy A-leg) come back batch after batch.
    if (this.pending.size === 0) this.pending = new Map();
    this.written += count;
    this.lastFlushAt = this.base.scheduler.now();
    const dropped = this.pending.size < this.capacity ? this.droppingNow : 0;
    if (this.failures > 0 || dropped > 0) {
      this.base.log?.warn('continuity writes recovered', { failed_flushes: this.failures, dropped, pending: this.pending.size });
      this.failures = 0;
      this.loggedError = null;
    }
    if (dropped > 0) this.droppingNow = 0;
  }

  /** After a write failed (its records stay pending): counters, and one line per kind of error. */
  protected failed(err: unknown): false {
    this.failures++;
    this.writeErrors++;
    this.note(err);
    const kind = this.lastError!.split(':')[0]!;
    if (this.loggedError !== kind) {
      this.loggedError = kind;
      this.base.log?.error('continuity write failed; records kept and retried', {
        error: this.lastError, pending: this.pending.size, consecutive_failures: this.failures, retry_in_ms: this.backoff(),
      });
    }
    return false;
  }

  protected note(err: unknown): void {
    this.lastError = err instanceof Error ? `${(err as Error & { code?: string }).code ?? err.name}: ${err.message}` : String(err);
    this.lastErrorAt = this.base.scheduler.now();
  }

  status(): WriteQueueStatus {
    return {
      pending: this.pending.size, capacity: this.capacity, failing: this.failures > 0,
      written: this.written, write_errors: this.writeErrors, retries: this.retries, dropped: this.dropped,
      failed_records: this.failedRecords,
      last_error: this.lastError, last_error_at: this.lastErrorAt, last_flush_at: this.lastFlushAt,
    };
  }
}
