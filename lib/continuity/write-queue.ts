import type { SchedulerLike, Subscription } from 'rxjs';
import type { ContinuityLogger } from './continuity-store.js';

export interface WriteQueueOptions<R> {
  /** Writes one batch in one transaction; throws when the database refuses. */
  readonly write: (batch: readonly R[]) => void;
  /** True for errors that retrying cannot fix (a constraint, a value too big): per record. */
  readonly isPermanent: (err: unknown) => boolean;
  readonly scheduler: SchedulerLike;
  readonly log?: ContinuityLogger | undefined;
  /** Names a record in logs (never its content). */
  readonly describe: (record: R) => string;
  /** Records that may wait; at it `full` is true and each new record pushes the oldest out. */
  readonly capacity?: number;
  readonly batchSize?: number;
  /** Delay from the first pending record to its flush: the batching window. */
  readonly flushDelayMs?: number;
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** Called after a write that left nothing pending (housekeeping such as pruning goes here). */
  readonly onDrained?: () => void;
  /**
   * Runs before every write, even with nothing pending (the owner checks and repairs its
   * database here, and may `put` records). A throw counts as a failed write: retried with backoff.
   */
  readonly prepare?: () => void;
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
 * A coalescing, bounded write-behind queue. `put(key, record)` replaces a pending record with
 * the same key in place (so an attempt's start, first output and end become one write), and a
 * timer on the injected scheduler writes batches in transactions, off the request path.
 * Nothing is dropped silently: a failed batch stays queued and is retried with exponential
 * backoff, and the status says `failing` until a batch goes through. The queue never refuses a
 * record and never makes a caller wait: at `capacity`, a new record pushes out the oldest one,
 * which is counted in `dropped`. A record the database rejects for itself (a permanent error,
 * isolated by retrying the batch one record at a time) is set aside, logged with its key and
 * counted. Logs follow transitions, not writes: one line when writes start failing (and when
 * the error changes), one when records start being dropped, one on recovery with the totals.
 *
 * ```
 * put:    a-b---------c----
 * writes: ----[ab]-------[c]     (flushDelay = 4 frames)
 * ```
 * @see spec/continuity/write-queue.spec.ts
 */
export class WriteQueue<R> {
  private pending = new Map<string, R>();
  private timer: Subscription | undefined;
  private failures = 0;
  private closed = false;
  private written = 0;
  private writeErrors = 0;
  private retries = 0;
  private dropped = 0;
  /** Records dropped since the queue last had room (0: not dropping). */
  private droppingNow = 0;
  private loggedError: string | null = null;
  private failedRecords = 0;
  private lastError: string | null = null;
  private lastErrorAt: number | null = null;
  private lastFlushAt: number | null = null;
  readonly capacity: number;
  private readonly batchSize: number;
  private readonly flushDelayMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(private readonly options: WriteQueueOptions<R>) {
    this.capacity = options.capacity ?? WRITE_QUEUE_DEFAULTS.capacity;
    this.batchSize = options.batchSize ?? WRITE_QUEUE_DEFAULTS.batchSize;
    this.flushDelayMs = options.flushDelayMs ?? WRITE_QUEUE_DEFAULTS.flushDelayMs;
    this.retryBaseMs = options.retryBaseMs ?? WRITE_QUEUE_DEFAULTS.retryBaseMs;
    this.retryMaxMs = options.retryMaxMs ?? WRITE_QUEUE_DEFAULTS.retryMaxMs;
  }

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

  /** Runs a write soon even when nothing is pending (so that `prepare` runs). */
  wake(): void {
    if (this.timer === undefined && !this.closed) this.schedule(0);
  }

  private dropOldest(): void {
    const [key, record] = this.pending.entries().next().value as [string, R];
    this.pending.delete(key);
    this.dropped++;
    if (this.droppingNow++ > 0) return;
    this.options.log?.error('continuity write queue is full; the oldest records are being dropped', {
      capacity: this.capacity, first_dropped: this.options.describe(record), last_error: this.lastError,
    });
  }

  private schedule(delay: number): void {
    this.timer = this.options.scheduler.schedule(() => {
      this.timer = undefined;
      this.flushBatch();
      // A failure is retried even with nothing pending: `prepare` may be what failed.
      if ((this.pending.size > 0 || this.failures > 0) && this.timer === undefined && !this.closed) this.schedule(this.failures > 0 ? this.backoff() : 0);
    }, delay);
  }

  private backoff(): number {
    return Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(30, this.failures - 1));
  }

  /** Writes one batch; true when it went through (or nothing was pending). */
  private flushBatch(): boolean {
    if (this.failures > 0) this.retries++;
    try {
      this.options.prepare?.();
    } catch (err) {
      return this.failed(err);
    }
    if (this.pending.size === 0) {
      if (this.failures > 0) this.wrote([]); // what failed was `prepare`, and it works again
      return true;
    }
    const keys: string[] = [];
    const batch: R[] = [];
    for (const [key, record] of this.pending) {
      keys.push(key);
      batch.push(record);
      if (batch.length >= this.batchSize) break;
    }
    try {
      this.options.write(batch);
    } catch (err) {
      if (!this.options.isPermanent(err)) return this.failed(err);
      return this.isolate(keys, batch);
    }
    this.wrote(keys);
    if (this.pending.size === 0) this.options.onDrained?.();
    return true;
  }

  /** A permanent error: write the batch record by record and set aside those refused. */
  private isolate(keys: string[], batch: R[]): boolean {
    for (let i = 0; i < batch.length; i++) {
      try {
        this.options.write([batch[i]!]);
        this.wrote([keys[i]!]);
      } catch (err) {
        if (!this.options.isPermanent(err)) return this.failed(err);
        this.pending.delete(keys[i]!);
        this.failedRecords++;
        this.note(err);
        this.options.log?.error('continuity record refused by the database; it is not stored', { record: this.options.describe(batch[i]!), error: this.lastError });
      }
    }
    return true;
  }

  private wrote(keys: string[]): void {
    // A drained queue starts a fresh map: V8 keeps deleted entries in their bucket chains until
    // a rehash, and the same keys (a busy A-leg) come back batch after batch.
    if (keys.length === this.pending.size) this.pending = new Map();
    else for (const key of keys) this.pending.delete(key);
    this.written += keys.length;
    this.lastFlushAt = this.options.scheduler.now();
    const dropped = this.pending.size < this.capacity ? this.droppingNow : 0;
    if (this.failures > 0 || dropped > 0) {
      this.options.log?.warn('continuity writes recovered', { failed_flushes: this.failures, dropped, pending: this.pending.size });
      this.failures = 0;
      this.loggedError = null;
    }
    if (dropped > 0) this.droppingNow = 0;
  }

  private failed(err: unknown): boolean {
    this.failures++;
    this.writeErrors++;
    this.note(err);
    // One line per transition: the first failure, and a failure with a different error.
    const kind = this.lastError!.split(':')[0]!;
    if (this.loggedError !== kind) {
      this.loggedError = kind;
      this.options.log?.error('continuity write failed; records kept and retried', {
        error: this.lastError, pending: this.pending.size, consecutive_failures: this.failures, retry_in_ms: this.backoff(),
      });
    }
    return false;
  }

  private note(err: unknown): void {
    this.lastError = err instanceof Error ? `${(err as Error & { code?: string }).code ?? err.name}: ${err.message}` : String(err);
    this.lastErrorAt = this.options.scheduler.now();
  }

  /** Writes everything now, batch after batch; true when nothing is left pending. */
  flushNow(): boolean {
    while (this.pending.size > 0) {
      if (!this.flushBatch()) break;
    }
    if (this.pending.size > 0 && this.timer === undefined && !this.closed) this.schedule(this.backoff());
    return this.pending.size === 0;
  }

  /** Stops the timer after one last flush; returns how many records could not be written. */
  close(): number {
    this.closed = true;
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.flushNow();
    return this.pending.size;
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
