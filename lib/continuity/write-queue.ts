import { RecordQueue, type RecordQueueOptions } from './record-queue.js';

export { WRITE_QUEUE_DEFAULTS, type WriteQueueStatus } from './record-queue.js';

export interface WriteQueueOptions<R> extends RecordQueueOptions<R> {
  /** Writes one batch in one transaction; throws when the database refuses. */
  readonly write: (batch: readonly R[]) => void;
  /** True for errors that retrying cannot fix (a constraint, a value too big): per record. */
  readonly isPermanent: (err: unknown) => boolean;
  /** Called after a write that left nothing pending (housekeeping such as pruning goes here). */
  readonly onDrained?: () => void;
  /**
   * Runs before every write, even with nothing pending (the owner checks and repairs its
   * database here, and may `put` records). A throw counts as a failed write: retried with backoff.
   */
  readonly prepare?: () => void;
}

/**
 * A coalescing, bounded write-behind queue. `put(key, record)` replaces a pending record with
 * the same key in place (so an attempt's start, first output and end become one write), and a
 * timer on the injected scheduler writes batches in transactions, off the request path.
 * Nothing is dropped silently: a failed batch stays queued and is retried with exponential
 * backoff, and the status says `failing` until a batch goes through. The queue never refuses a
 * record and never makes a caller wait (one that must know its record is in the file awaits
 * `whenWritten`, which cuts the batching window short): at `capacity`, a new record pushes
 * out the oldest one that is not `durable`, which is counted in `dropped`. A record the database rejects for itself (a permanent error,
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
export class WriteQueue<R> extends RecordQueue<R> {
  /** Callers of `whenWritten`, told once the write at the end of this turn is done. */
  private waiting: (() => void)[] = [];

  constructor(private readonly options: WriteQueueOptions<R>) {
    super(options);
  }

  /** Runs a write soon even when nothing is pending (so that `prepare` runs). */
  wake(): void {
    if (this.timer === undefined && !this.closed) this.schedule(0);
  }

  /**
   * Settles once every record put so far is written, or once writing it failed (it stays
   * pending and is retried): a waiter does not wait out the batching window but has every
   * record pending written at the end of the event loop's turn (`setImmediate`, whatever the
   * scheduler: an answer waits on it, not on time), together with those of the other callers
   * that asked meanwhile. While writes are failing it settles at once: waiting for the backoff
   * would hold the caller for seconds, and cutting it short would hammer the database.
   */
  whenWritten(): Promise<void> {
    if (this.pending.size === 0 || this.failures > 0 || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      if (this.waiting.push(resolve) === 1) setImmediate(() => this.writeWaited());
    });
  }

  private writeWaited(): void {
    const waiting = this.waiting;
    this.waiting = [];
    if (!this.closed) this.flushNow();
    for (const resolve of waiting) resolve();
  }

  protected schedule(delay: number): void {
    this.timer = this.options.scheduler.schedule(() => {
      this.timer = undefined;
      this.flushBatch();
      // A failure is retried even with nothing pending: `prepare` may be what failed.
      if ((this.pending.size > 0 || this.failures > 0) && this.timer === undefined && !this.closed) this.schedule(this.failures > 0 ? this.backoff() : 0);
    }, delay);
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
      if (this.failures > 0) this.wrote(0); // what failed was `prepare`, and it works again
      return true;
    }
    const entries = this.oldestBatch();
    const keys = entries.map(([key]) => key);
    const batch = entries.map(([, record]) => record);
    try {
      this.options.write(batch);
    } catch (err) {
      if (!this.options.isPermanent(err)) return this.failed(err);
      return this.isolate(keys, batch);
    }
    this.remove(keys);
    if (this.pending.size === 0) this.options.onDrained?.();
    return true;
  }

  /** A permanent error: write the batch record by record and set aside those refused. */
  private isolate(keys: string[], batch: R[]): boolean {
    for (let i = 0; i < batch.length; i++) {
      try {
        this.options.write([batch[i]!]);
        this.remove([keys[i]!]);
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

  private remove(keys: string[]): void {
    if (keys.length === this.pending.size) this.pending = new Map();
    else for (const key of keys) this.pending.delete(key);
    this.wrote(keys.length);
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
    for (const resolve of this.waiting.splice(0)) resolve();
    return this.pending.size;
  }
}
