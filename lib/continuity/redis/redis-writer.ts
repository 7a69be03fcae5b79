import type { SchedulerLike, Subscription } from 'rxjs';
import type { ContinuityLogger } from '../continuity-store.js';
import { WRITE_QUEUE_DEFAULTS, type WriteQueueStatus } from '../write-queue.js';

export interface RedisWriterOptions<R> {
  /** Sends one batch; rejects when Redis refuses or cannot be reached (the batch is retried whole). */
  readonly write: (batch: readonly R[]) => Promise<void>;
  readonly scheduler: SchedulerLike;
  readonly log?: ContinuityLogger | undefined;
  /** Names a record in logs (never its content). */
  readonly describe: (record: R) => string;
  readonly capacity?: number;
  readonly batchSize?: number;
  readonly flushDelayMs?: number;
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
}

/**
 * The write-behind queue of the Redis store: WriteQueue's contract (coalescing by key, bounded,
 * the oldest record dropped and counted at capacity, backoff while failing, one log line per
 * transition) for a writer that answers asynchronously. One batch is in flight at a time (every
 * write runs through one promise chain), and a record stays pending until the batch holding it
 * went through, so a record changed while its batch was in flight is written again. Each write
 * settles: the Redis client fails fast while disconnected and bounds every command by its
 * timeout, so `flush` and `close` never wait on a Redis that is gone.
 * @see spec/continuity/redis-store.spec.ts
 */
export class RedisWriter<R> {
  private pending = new Map<string, R>();
  private timer: Subscription | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private failures = 0;
  private written = 0;
  private writeErrors = 0;
  private retries = 0;
  private dropped = 0;
  private droppingNow = 0;
  private loggedError: string | null = null;
  private lastError: string | null = null;
  private lastErrorAt: number | null = null;
  private lastFlushAt: number | null = null;
  readonly capacity: number;
  private readonly batchSize: number;
  private readonly flushDelayMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(private readonly options: RedisWriterOptions<R>) {
    this.capacity = options.capacity ?? WRITE_QUEUE_DEFAULTS.capacity;
    this.batchSize = options.batchSize ?? WRITE_QUEUE_DEFAULTS.batchSize;
    this.flushDelayMs = options.flushDelayMs ?? WRITE_QUEUE_DEFAULTS.flushDelayMs;
    this.retryBaseMs = options.retryBaseMs ?? WRITE_QUEUE_DEFAULTS.retryBaseMs;
    this.retryMaxMs = options.retryMaxMs ?? WRITE_QUEUE_DEFAULTS.retryMaxMs;
  }

  get size(): number {
    return this.pending.size;
  }

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
      void this.exclusive(() => this.writeBatch()).then((ok) => {
        if (this.pending.size > 0 && this.timer === undefined && !this.closed) this.schedule(ok ? 0 : this.backoff());
      });
    }, delay);
  }

  private backoff(): number {
    return Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(30, this.failures - 1));
  }

  /** Runs `fn` after every write before it: one batch in flight at a time. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Sends the oldest batch; true when it went through (or nothing was pending). */
  private async writeBatch(): Promise<boolean> {
    if (this.pending.size === 0) return true;
    if (this.failures > 0) this.retries++;
    const batch: [string, R][] = [];
    for (const entry of this.pending) {
      batch.push(entry);
      if (batch.length >= this.batchSize) break;
    }
    try {
      await this.options.write(batch.map(([, record]) => record));
    } catch (err) {
      this.failed(err);
      return false;
    }
    for (const [key, record] of batch) if (this.pending.get(key) === record) this.pending.delete(key);
    if (this.pending.size === 0) this.pending = new Map(); // see WriteQueue.wrote: a fresh map after a drain
    this.written += batch.length;
    this.lastFlushAt = this.options.scheduler.now();
    const dropped = this.pending.size < this.capacity ? this.droppingNow : 0;
    if (this.failures > 0 || dropped > 0) {
      this.options.log?.warn('continuity writes recovered', { failed_flushes: this.failures, dropped, pending: this.pending.size });
      this.failures = 0;
      this.loggedError = null;
    }
    if (dropped > 0) this.droppingNow = 0;
    return true;
  }

  private failed(err: unknown): void {
    this.failures++;
    this.writeErrors++;
    this.lastError = err instanceof Error ? `${(err as Error & { code?: string }).code ?? err.name}: ${err.message}` : String(err);
    this.lastErrorAt = this.options.scheduler.now();
    const kind = this.lastError.split(':')[0]!;
    if (this.loggedError === kind) return;
    this.loggedError = kind;
    this.options.log?.error('continuity write to Redis failed; records kept and retried', {
      error: this.lastError, pending: this.pending.size, consecutive_failures: this.failures, retry_in_ms: this.backoff(),
    });
  }

  /**
   * Writes what is pending now, batch after batch (at most as many batches as it takes for the
   * records pending when called); true when nothing is left. Stops at the first failure.
   */
  flush(): Promise<boolean> {
    return this.exclusive(async () => {
      for (let rounds = Math.ceil(this.pending.size / this.batchSize); rounds > 0 && this.pending.size > 0; rounds--) {
        if (!(await this.writeBatch())) break;
      }
      return this.pending.size === 0;
    });
  }

  /** Stops the timer after one last flush; answers how many records could not be written. */
  async close(): Promise<number> {
    this.closed = true;
    this.timer?.unsubscribe();
    this.timer = undefined;
    await this.flush();
    const left = this.pending.size;
    this.pending = new Map();
    return left;
  }

  status(): WriteQueueStatus {
    return {
      pending: this.pending.size, capacity: this.capacity, failing: this.failures > 0,
      written: this.written, write_errors: this.writeErrors, retries: this.retries, dropped: this.dropped,
      failed_records: 0,
      last_error: this.lastError, last_error_at: this.lastErrorAt, last_flush_at: this.lastFlushAt,
    };
  }
}
