import type { Redis } from 'ioredis';
import { firstConnection, redisClient } from '../circuit/redis/redis-client.js';
import { BudgetNotSent, DAY_MS, type BudgetLedger, type PeriodWindow, type Spent } from './key-budgets.js';

/**
 * Budget totals in Redis: one hash per key and period (`{prefix}budget:{key id}:{period start}`,
 * fields `cost` and `tokens`), added to atomically and kept until a day after the period ends.
 * @see spec/server/regression-budget-spent-during-outage.spec.ts, spec/e2e/key-budgets-redis.spec.ts
 */
export class RedisBudgetLedger implements BudgetLedger {
  private readonly client: Redis;
  /** What is charged right after a start waits for the connection rather than being lost. */
  private readonly connected: { readonly pending: Promise<void> | undefined };

  constructor(url: string, private readonly prefix: string, timeoutMs = 1_000) {
    this.client = redisClient(url, {
      commandTimeout: timeoutMs, connectTimeout: Math.max(1_000, timeoutMs * 5), enableOfflineQueue: false, maxRetriesPerRequest: 0,
      retryStrategy: (times: number) => Math.min(times * 100, 2_000), connectionName: 'lip-budgets',
    });
    // Failures surface through the calls (the budgets log once); the continuity store reports Redis itself.
    this.client.on('error', () => undefined);
    this.connected = firstConnection(this.client);
  }

  /**
   * One transaction. Not connected (or a connection that cannot be written), it sends nothing and
   * rejects with BudgetNotSent; a transaction sent and not answered in time may still run.
   */
  async add(keyId: string, window: PeriodWindow, spent: Spent): Promise<Spent> {
    if (this.connected.pending) await this.connected.pending;
    if (this.client.status !== 'ready') throw new BudgetNotSent(`Redis is not connected (${this.client.status})`);
    const key = this.keyOf(keyId, window);
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await this.client.multi()
        .hincrbyfloat(key, 'cost', spent.cost)
        .hincrby(key, 'tokens', spent.tokens)
        .pexpireat(key, window.end + DAY_MS)
        .exec();
    } catch (err) {
      // ioredis refuses a command it cannot write with no offline queue: that one was never sent.
      if (/Stream isn't writeable/.test((err as Error)?.message ?? '')) throw new BudgetNotSent(`Redis is not connected (${(err as Error).message})`);
      throw err;
    }
    if (replies === null) throw new Error('the budget update was not applied');
    for (const [err] of replies) if (err) throw err;
    return { cost: Number(replies[0]![1]), tokens: Number(replies[1]![1]) };
  }

  async read(entries: readonly { readonly keyId: string; readonly window: PeriodWindow }[]): Promise<(Spent | undefined)[]> {
    if (this.connected.pending) await this.connected.pending;
    const pipeline = this.client.pipeline();
    for (const e of entries) pipeline.hmget(this.keyOf(e.keyId, e.window), 'cost', 'tokens');
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([err, value]) => {
      if (err) throw err;
      const [cost, tokens] = value as [string | null, string | null];
      return cost === null && tokens === null ? undefined : { cost: Number(cost ?? 0), tokens: Number(tokens ?? 0) };
    });
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  private keyOf(keyId: string, window: PeriodWindow): string {
    return `${this.prefix}budget:${keyId}:${window.start}`;
  }
}
