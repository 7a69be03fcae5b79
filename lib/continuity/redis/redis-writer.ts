import { RecordQueue, type RecordQueueOptions } from '../record-queue.js';

export interface RedisWriterOptions<R> extends RecordQueueOptions<R> {
  /** Sends one batch; rejects when Redis refuses or cannot be reached (the batch is retried whole). */
  readonly write: (batch: readonly R[]) => Promise<void>;
}

/**
 * The write-behind queue of the Redis store: WriteQueue's contract (RecordQueue: coalescing by
 * key, bounded, the oldest record dropped and counted at capacity, backoff while failing, one
 * log line per transition) for a writer that answers asynchronously. One batch is in flight at
 * a time (every write runs through one promise chain), and a record stays pending until the
 * batch holding it went through, so a record changed while its batch was in flight is written
 * again. Each write settles: the Redis client fails fast while disconnected and bounds every
 * command by its timeout, so `flush` and `close` never wait on a Redis that is gone.
 * @see spec/continuity/redis-store.spec.ts
 */
export class RedisWriter<R> extends RecordQueue<R> {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: RedisWriterOptions<R>) {
    super(options);
  }

  protected schedule(delay: number): void {
    this.timer = this.options.scheduler.schedule(() => {
      this.timer = undefined;
      void this.exclusive(() => this.writeBatch()).then((ok) => {
        if (this.pending.size > 0 && this.timer === undefined && !this.closed) this.schedule(ok ? 0 : this.backoff());
      });
    }, delay);
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
    const batch = this.oldestBatch();
    try {
      await this.options.write(batch.map(([, record]) => record));
    } catch (err) {
      return this.failed(err);
    }
    for (const [key, record] of batch) if (this.pending.get(key) === record) this.pending.delete(key);
    this.wrote(batch.length);
    return true;
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
}
