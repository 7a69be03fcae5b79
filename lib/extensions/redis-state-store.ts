import type { Redis } from 'ioredis';
import { firstConnection, redisClient } from '../circuit/redis/redis-client.js';
import { INCR_NOT_INTEGER, stateJson, type StateStore } from './state-store.js';

/** INCRBY and its TTL in one step (ARGV[2]: PX ms, or '' for none, as a put without ttlMs). */
const INCR = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if ARGV[2] == '' then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n
`;

type StateClient = Redis & { lipStateIncr(key: string, by: number, ttlMs: string): Promise<number> };


export interface RedisStateStoreOptions {
  readonly url: string;
  /** `redis.key_prefix`; state keys go under `<prefix>state:`. */
  readonly keyPrefix: string;
  /** The bound on every command, in ms. */
  readonly timeoutMs?: number;
}

/**
 * Plugin state shared by several lip instances through Redis: JSON values under
 * `<prefix>state:<key>`, TTLs as `PX`, `incr` as INCRBY and its TTL in one script. Commands fail fast (command timeout, no offline queue, no
 * retry), so a Redis outage reaches the calling hook as a rejected promise, which its failure
 * mode handles, and never as a waiting request. Only the commands sent before the first
 * connection settled (right after a start) wait for it: refused or connected, bounded by the
 * connect timeout. A value over STATE_LIMITS.maxValueBytes is refused before it is sent; what
 * Redis evicts beyond its own `maxmemory` is its `maxmemory-policy`'s choice.
 * @see spec/extensions/redis-state-store.spec.ts
 */
export class RedisStateStore implements StateStore {
  readonly kind = 'redis' as const;
  private readonly client: StateClient;
  private readonly prefix: string;
  private readonly connected: { readonly pending: Promise<void> | undefined };

  constructor(options: RedisStateStoreOptions) {
    this.prefix = `${options.keyPrefix}state:`;
    const timeoutMs = options.timeoutMs ?? 1_000;
    this.client = redisClient(options.url, {
      commandTimeout: timeoutMs,
      connectTimeout: Math.max(1_000, timeoutMs * 5),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(times * 100, 2_000),
      connectionName: 'lip-state',
    }) as StateClient;
    this.client.defineCommand('lipStateIncr', { numberOfKeys: 1, lua: INCR });
    this.client.on('error', () => undefined); // failures reach callers as rejected commands
    this.connected = firstConnection(this.client);
  }

  async get(key: string): Promise<unknown> {
    if (this.connected.pending) await this.connected.pending;
    const text = await this.client.get(this.prefix + key);
    return text === null ? undefined : (JSON.parse(text) as unknown);
  }

  async put(key: string, value: unknown, ttlMs?: number): Promise<void> {
    const json = stateJson(value);
    if (this.connected.pending) await this.connected.pending;
    if (ttlMs === undefined) await this.client.set(this.prefix + key, json);
    else await this.client.set(this.prefix + key, json, 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async incr(key: string, by: number, ttlMs?: number): Promise<number> {
    if (this.connected.pending) await this.connected.pending;
    try {
      return await this.client.lipStateIncr(this.prefix + key, by, ttlMs === undefined ? '' : String(Math.max(1, Math.round(ttlMs))));
    } catch (err) {
      // INCRBY's own refusal ("value is not an integer or out of range"), as the memory store words it.
      if (/not an integer/.test((err as Error)?.message ?? '')) throw new TypeError(INCR_NOT_INTEGER, { cause: err });
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    if (this.connected.pending) await this.connected.pending;
    await this.client.del(this.prefix + key);
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
