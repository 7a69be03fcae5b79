import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';

/** ioredis is loaded on first use, so a process without a Redis store never pays for it. */
let RedisClient: typeof Redis | undefined;
export const loadRedis = (): typeof Redis => (RedisClient ??= (createRequire(import.meta.url)('ioredis') as { Redis: typeof Redis }).Redis);

const REFUSALS = new WeakMap<Redis, string>();

/** Why `client` gave up for good (a refused database), or undefined while it connects or reconnects as usual. */
export function redisRefusal(client: Redis): string | undefined {
  return REFUSALS.get(client);
}

/** What Redis answers a SELECT it refuses (an index past `databases`; any index in cluster mode). */
const SELECT_REFUSED = /DB index is out of range|SELECT is not allowed/i;

/**
 * An ioredis client for `redis.url` that never works on another database than the URL names.
 * ioredis reports a refused SELECT (`redis://host/99` against a server with 16 databases) as an
 * error event and then carries on, ready, on database 0: every key lip writes would land among
 * whatever else lives there. This client disconnects instead (no reconnection: the URL has to
 * change), and its last error says why, so the stores report it (readiness, logs) and serve
 * from local state as in any Redis outage.
 */
export function redisClient(url: string, options: RedisOptions): Redis {
  const Client = loadRedis();
  const client = new Client(url, options);
  client.on('error', (err: Error) => {
    if (REFUSALS.has(client) || !SELECT_REFUSED.test(err.message)) return;
    const why = new Error(`the Redis server refused database ${client.options.db ?? 0} of redis.url (${err.message}); lip stays disconnected rather than use database 0`);
    REFUSALS.set(client, why.message);
    // Said when the connection closes, before the stores' own close listeners: their last word
    // (after the errors of the commands the disconnection cut) is this one.
    client.prependOnceListener('close', () => client.emit('error', why));
    client.disconnect();
  });
  return client;
}

/**
 * What a piece of state shared through Redis says in the log when Redis cannot be reached (once,
 * until a call succeeds again) and when it answers again (once): `failed` on every failed call,
 * `succeeded` on every successful one, both cheap when nothing changed.
 *
 * ```ts
 * const notice = new RedisOutageNotice('per-key limits', 'each instance counts its own meanwhile', 'the instances share the limits again', warn);
 * client.get(key).then(() => notice.succeeded(), (err) => notice.failed(err));
 * ```
 */
export class RedisOutageNotice {
  private failing = false;

  constructor(
    private readonly what: string,
    private readonly meanwhile: string,
    private readonly again: string,
    private readonly warn: (message: string, meta: Record<string, unknown>) => void,
  ) {}

  failed(err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.warn(`${this.what}: Redis cannot be reached; ${this.meanwhile}`, { error: String((err as Error)?.message ?? err) });
  }

  succeeded(): void {
    if (!this.failing) return;
    this.failing = false;
    this.warn(`${this.what}: Redis answers again; ${this.again}`, {});
  }
}

/**
 * Settles when `client` is first ready, or when its first connection attempt fails (a Redis that
 * is away at start: refused at once, or after `connectTimeout`): calls made right after a start
 * can wait for the connection instead of failing at once (clients without an offline queue refuse
 * every command until then). Undefined once it has settled, so later calls cost one check.
 *
 * ```ts
 * const first = firstConnection(client);
 * if (first.pending) await first.pending;
 * ```
 */
export function firstConnection(client: Redis): { readonly pending: Promise<void> | undefined } {
  const state: { pending: Promise<void> | undefined } = { pending: undefined };
  if (client.status === 'ready') return state;
  state.pending = new Promise<void>((resolve) => {
    const settle = () => {
      for (const event of ['ready', 'error', 'end'] as const) client.off(event, settle);
      resolve();
    };
    for (const event of ['ready', 'error', 'end'] as const) client.on(event, settle);
  }).then(() => {
    state.pending = undefined;
  });
  return state;
}
