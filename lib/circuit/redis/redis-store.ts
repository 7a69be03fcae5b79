import type { Redis, RedisOptions } from 'ioredis';
import type { AdmitAck, CircuitChange, CircuitListing, CircuitStore, MergeEntry, StoreAck } from '../circuit-store.js';
import type { CircuitOutcome, CircuitPolicy, CircuitRecord } from '../types.js';
import { DEFAULT_MAX_KEYS } from '../circuit-table.js';
import { decodeAck, decodeAcks, decodeAdmit, decodeChannelMessage, decodeListingPage, decodeRecord, encodeRecord } from './redis-codec.js';
import { ADMIT_LUA, LIST_LUA, MERGE_LUA, RECORD_LUA } from './lua-scripts.js';
import { redisClient } from './redis-client.js';

export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` (TLS). */
  readonly url: string;
  /** `redis.key_prefix`, e.g. `lip:`. */
  readonly keyPrefix: string;
  readonly policy: CircuitPolicy;
  /** This instance's id, carried by the changes it publishes. */
  readonly origin: string;
  /** The bound on every command, in ms: a slower answer counts as an outage. */
  readonly timeoutMs: number;
  /** Longest pause between reconnection attempts, in ms (attempts back off up to it). */
  readonly reconnectMaxMs?: number;
  /** The most circuits Redis holds (default DEFAULT_MAX_KEYS): a new one past them is refused, `full`. */
  readonly maxKeys?: number;
}

type Script = (...args: (string | number)[]) => Promise<unknown>;

/** Circuits merged per script call at a resync: one call stays well under a millisecond of Redis time. */
const MERGE_CHUNK = 100;
/** Members of the key set a listing call reads (SSCAN's COUNT, a hint): one page, a bounded call. */
const LIST_PAGE = 256;
interface CircuitScripts {
  lipCircuitAdmit: Script;
  lipCircuitRecord: Script;
  lipCircuitMerge: Script;
  lipCircuitList: Script;
}

/**
 * The Redis circuit store (ioredis): transitions are the Lua scripts of `lua-scripts.ts`, and
 * changes arrive on a second, subscribed connection. Both connections fail fast instead of
 * queueing: commands have `commandTimeout`, the offline queue is off and nothing is replayed
 * after a reconnect. A dead or slow Redis therefore costs a rejected promise, never a waiting
 * request or a growing buffer. ioredis keeps reconnecting with capped backoff.
 *
 * `up` means the command connection is ready, the subscription is in place and no command has
 * failed since. A failed command sets it false; a successful `ping()` (or a reconnect) sets it
 * true again. Listeners hear each change once.
 * @see spec/circuit/redis/redis-store.spec.ts
 */
export class RedisCircuitStore implements CircuitStore {
  readonly kind = 'redis' as const;
  readonly origin: string;
  private readonly client: Redis & CircuitScripts;
  private readonly subscriber: Redis;
  private readonly names: { row: string; set: string; version: string; channel: string };
  private readonly policyArgs: (string | number)[];
  private readonly maxKeys: number;
  private readonly changeListeners = new Set<(change: CircuitChange) => void>();
  private readonly linkListeners = new Set<(up: boolean, reason: string) => void>();
  private readonly emptiedListeners = new Set<() => void>();
  private clientReady = false;
  private subscribed = false;
  private linkUp = false;
  private lastError = '';
  private closed = false;
  /** The highest version seen: a re-seeded counter starts above it (see lua-scripts.ts). */
  private maxVersion = 0;

  constructor(private readonly options: RedisStoreOptions) {
    this.origin = options.origin;
    const prefix = options.keyPrefix;
    this.names = { row: `${prefix}circuit:`, set: `${prefix}circuits`, version: `${prefix}circuits:version`, channel: `${prefix}circuits:changes` };
    const { policy } = options;
    this.policyArgs = [policy.keyTtlMs, policy.failureThreshold, policy.openForMs, policy.halfOpenProbes];
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    const common: RedisOptions = {
      commandTimeout: options.timeoutMs,
      connectTimeout: Math.max(1_000, options.timeoutMs * 5),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      retryStrategy: (times) => Math.min(times * 100, options.reconnectMaxMs ?? 2_000),
      connectionName: 'lip-circuit',
    };
    this.client = redisClient(options.url, common) as Redis & CircuitScripts;
    this.client.defineCommand('lipCircuitAdmit', { numberOfKeys: 3, lua: ADMIT_LUA });
    this.client.defineCommand('lipCircuitRecord', { numberOfKeys: 3, lua: RECORD_LUA });
    this.client.defineCommand('lipCircuitMerge', { lua: MERGE_LUA }); // the key count comes first in each call
    this.client.defineCommand('lipCircuitList', { numberOfKeys: 2, lua: LIST_LUA });
    this.subscriber = redisClient(options.url, common);
    this.watch();
  }

  get up(): boolean {
    return this.linkUp;
  }

  admit(key: string, now: number, op = 0): Promise<AdmitAck> {
    return this.run(this.client.lipCircuitAdmit(...this.keys([key]), ...this.args(op, now), key), (reply) => this.saw(decodeAdmit(reply)));
  }

  record(key: string, outcome: CircuitOutcome, probe: boolean, now: number, op = 0): Promise<StoreAck> {
    return this.run(this.client.lipCircuitRecord(...this.keys([key]), ...this.args(op, now), key, outcome, probe ? '1' : '0'), (reply) => this.saw(decodeAck(reply)));
  }

  /** Sends the entries in chunks of MERGE_CHUNK keys, one script call each. */
  async merge(entries: readonly MergeEntry[], now: number, op = 0): Promise<StoreAck[]> {
    const acks: StoreAck[] = [];
    for (let at = 0; at < entries.length; at += MERGE_CHUNK) {
      const chunk = entries.slice(at, at + MERGE_CHUNK);
      const args = chunk.flatMap(({ key, record }) => [key, ...encodeRecord(record)]);
      acks.push(...await this.run(this.client.lipCircuitMerge(2 + chunk.length, ...this.keys(chunk.map((e) => e.key)), ...this.args(op, now), ...args),
        (reply) => decodeAcks(reply).map((ack) => this.saw(ack))));
    }
    return acks;
  }

  get(key: string): Promise<CircuitRecord | undefined> {
    return this.run(this.client.hmget(this.names.row + key, 's', 'f', 'o', 'p', 'w', 'u'),
      (fields) => (fields[0] === null ? undefined : decodeRecord(fields, 0)));
  }

  /**
   * Reads the key set a page at a time (SSCAN, LIST_PAGE members per script call), so that no
   * call holds Redis for long however many circuits it has. The listing reflects every change
   * up to the lowest version a page found (a page's records may be newer: the breaker replays
   * every change after that version on top), and the highest epoch.
   */
  async list(): Promise<CircuitListing> {
    const records = new Map<string, CircuitRecord>();
    let version = Number.POSITIVE_INFINITY;
    let epoch = 0;
    let cursor = '0';
    do {
      const page = await this.run(this.client.lipCircuitList(this.names.version, this.names.set, this.names.row, this.names.channel, this.maxVersion, cursor, LIST_PAGE),
        (reply) => decodeListingPage(reply, records));
      this.saw(page);
      this.saw({ version: page.epoch }); // the seed is a version too (a page's version is 0 when it re-seeded)
      version = Math.min(version, page.version);
      epoch = Math.max(epoch, page.epoch);
      cursor = page.cursor;
    } while (cursor !== '0');
    return this.saw({ version, epoch, records });
  }

  onChange(listener: (change: CircuitChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  onLink(listener: (up: boolean, reason: string) => void): () => void {
    this.linkListeners.add(listener);
    return () => this.linkListeners.delete(listener);
  }

  onEmptied(listener: () => void): () => void {
    this.emptiedListeners.add(listener);
    return () => this.emptiedListeners.delete(listener);
  }

  async ping(): Promise<void> {
    if (!this.clientReady) throw new Error(this.because('not connected'));
    await this.run(this.client.ping(), () => undefined);
    if (!this.subscribed && this.subscriber.status === 'ready') await this.subscribe();
    if (!this.clientReady || !this.subscribed) throw new Error(this.because('not subscribed'));
    this.setLink(true, 'ready');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.changeListeners.clear();
    this.linkListeners.clear();
    this.emptiedListeners.clear();
    this.client.disconnect();
    this.subscriber.disconnect();
  }

  private watch(): void {
    this.client.on('error', (err: Error) => { this.lastError = err.message; });
    this.subscriber.on('error', (err: Error) => { this.lastError = err.message; });
    this.client.on('ready', () => {
      this.clientReady = true;
      this.lastError = '';
      this.refreshLink();
    });
    this.client.on('close', () => {
      this.clientReady = false;
      this.setLink(false, this.because('connection lost'));
    });
    this.subscriber.on('ready', () => {
      this.subscribe().catch(() => undefined);
    });
    this.subscriber.on('close', () => {
      this.subscribed = false;
      this.setLink(false, this.because('subscription lost'));
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.names.channel) return;
      let decoded: ReturnType<typeof decodeChannelMessage>;
      try {
        decoded = decodeChannelMessage(message);
      } catch {
        return; // not ours: someone else publishing on the channel
      }
      if ('emptied' in decoded) {
        this.saw({ version: decoded.emptied });
        for (const listener of [...this.emptiedListeners]) listener();
        return;
      }
      const { change } = decoded;
      this.saw(change);
      for (const listener of this.changeListeners) listener(change);
    });
  }

  private async subscribe(): Promise<void> {
    try {
      await this.subscriber.subscribe(this.names.channel);
      this.subscribed = true;
      this.refreshLink();
    } catch (err) {
      this.lastError = (err as Error).message;
      this.setLink(false, this.because('cannot subscribe'));
      throw err;
    }
  }

  private because(what: string): string {
    return this.lastError ? `${what}: ${this.lastError}` : what;
  }

  private refreshLink(): void {
    if (this.clientReady && this.subscribed) this.setLink(true, 'ready');
  }

  private setLink(up: boolean, reason: string): void {
    if (this.closed || this.linkUp === up) return;
    this.linkUp = up;
    for (const listener of [...this.linkListeners]) listener(up, reason);
  }

  private async run<T, R>(command: Promise<T>, decode: (reply: T) => R): Promise<R> {
    try {
      return decode(await command);
    } catch (err) {
      this.lastError = (err as Error).message;
      this.setLink(false, this.lastError);
      throw err;
    }
  }

  private keys(keys: readonly string[]): string[] {
    return [this.names.version, this.names.set, ...keys.map((key) => this.names.row + key)];
  }

  private args(op: number, now: number): (string | number)[] {
    return [this.names.channel, this.origin, op, Math.floor(now), ...this.policyArgs, this.maxVersion, this.maxKeys];
  }

  private saw<T extends { readonly version: number }>(answer: T): T {
    if (answer.version > this.maxVersion) this.maxVersion = answer.version;
    return answer;
  }
}
