import { asyncScheduler } from 'rxjs/internal/scheduler/async';
import type { SchedulerLike } from 'rxjs';
import type { Redis } from 'ioredis';
import { firstConnection, redisClient, RedisOutageNotice } from './redis-client.js';

/**
 * Extends a key's cool-down and tells the other instances. KEYS[1]: the key's state (its
 * cool-down's end, expiring then). ARGV: the end (ms since the epoch), the channel, the message.
 * A cool-down is only ever extended: a shorter one announced later changes nothing.
 */
const ANNOUNCE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local untilAt = tonumber(ARGV[1])
if untilAt <= current then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`;

type Apply = (fingerprint: string, until: number) => void;
type CooldownClient = Redis & { lipAnnounceCooldown(state: string, until: number, channel: string, message: string): Promise<number> };

/**
 * API key cool-downs shared by the instances on one Redis (`routing.circuit_breaker.store:
 * redis`): when an upstream answers a key with 429, every instance's pool of that backend skips
 * the key until its Retry-After has passed, not only the instance that got the 429. Each key is
 * named by its backend id and fingerprint (`{prefix}keycool:{backend}:{fingerprint}`, holding
 * the cool-down's end and expiring then); changes go out on `{prefix}keycool:changes`. A pool
 * reads its keys' cool-downs when it starts (so a restart or a reload keeps them) and again
 * whenever the connection comes back. Redis being away costs nothing but the sharing: each
 * process goes on with its own cool-downs, said once in the log. When the connection comes
 * back, the cool-downs still running here (learnt meanwhile, or known before a Redis that
 * returns empty) are announced again, through the same extend-only script, so the other
 * instances and those started later learn them too.
 * @see spec/circuit/redis/key-cooldowns.spec.ts
 */
export class RedisKeyCooldowns {
  private readonly client: CooldownClient;
  private readonly subscriber: Redis;
  private readonly channel: string;
  /** `backend\nfingerprint` -> the pools following that key. */
  private readonly followers = new Map<string, Set<Apply>>();
  private readonly notice: RedisOutageNotice;
  /** The cool-downs this instance knows of for followed keys (`backend\nfingerprint` -> end), to announce again after an outage. */
  private readonly held = new Map<string, number>();
  /** Cool-downs announced right after a start wait for the connection. */
  private readonly connected: { readonly pending: Promise<void> | undefined };

  constructor(url: string, private readonly prefix: string, warn: (message: string, meta: Record<string, unknown>) => void = () => undefined, timeoutMs = 1_000,
    /** The clock cool-downs end by (the scheduler's, as every circuit/ clock). */
    private readonly scheduler: SchedulerLike = asyncScheduler) {
    this.notice = new RedisOutageNotice('upstream key cool-downs', 'each instance keeps its own meanwhile', 'the instances share them again', warn);
    const common = { connectTimeout: Math.max(1_000, timeoutMs * 5), retryStrategy: (times: number) => Math.min(times * 100, 2_000) };
    this.client = redisClient(url, { ...common, commandTimeout: timeoutMs, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectionName: 'lip-key-cooldowns' }) as CooldownClient;
    this.client.defineCommand('lipAnnounceCooldown', { numberOfKeys: 1, lua: ANNOUNCE });
    this.connected = firstConnection(this.client);
    this.subscriber = redisClient(url, { ...common, connectionName: 'lip-key-cooldowns-sub' });
    this.channel = `${prefix}keycool:changes`;
    for (const c of [this.client, this.subscriber]) c.on('error', () => undefined); // said once through the calls
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.received(message);
    });
    // Subscribed (again, after a reconnection): what was announced meanwhile is read back.
    this.subscriber.on('ready', () => void this.subscriber.subscribe(this.channel).then(() => this.reread(), (err: unknown) => this.notice.failed(err)));
    // Connected (again): what this instance learnt while Redis was away, or held while Redis
    // lost it (a restart without persistence), goes back to Redis and to the other instances.
    this.client.on('ready', () => {
      void this.reannounce();
      void this.reread();
    });
  }

  announce(backendId: string, fingerprint: string, until: number): void {
    this.hold(`${backendId}\n${fingerprint}`, until);
    const send = () => this.send(backendId, fingerprint, until).then(() => this.notice.succeeded(), (err: unknown) => this.notice.failed(err));
    const pending = this.connected.pending;
    if (pending === undefined) void send();
    else void pending.then(send);
  }

  follow(backendId: string, fingerprints: readonly string[], apply: Apply): () => void {
    const names = fingerprints.map((f) => `${backendId}\n${f}`);
    for (const name of names) {
      let set = this.followers.get(name);
      if (set === undefined) this.followers.set(name, (set = new Set()));
      set.add(apply);
    }
    if (this.client.status === 'ready') void this.read(names);
    return () => {
      for (const name of names) {
        const set = this.followers.get(name);
        set?.delete(apply);
        if (set?.size === 0) this.followers.delete(name);
      }
    };
  }

  async close(): Promise<void> {
    this.followers.clear();
    this.held.clear();
    this.client.disconnect();
    this.subscriber.disconnect();
  }

  private received(message: string): void {
    try {
      const [backendId, fingerprint, until] = JSON.parse(message) as [string, string, number];
      this.hold(`${backendId}\n${fingerprint}`, until);
      for (const apply of this.followers.get(`${backendId}\n${fingerprint}`) ?? []) apply(fingerprint, until);
    } catch {
      // Not one of ours: someone else publishing on the channel.
    }
  }

  /** Reads the cool-downs in effect for these followed keys and applies them. */
  private async read(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    try {
      const values = await this.client.mget(names.map((name) => {
        const [backendId, fingerprint] = name.split('\n') as [string, string];
        return this.stateKey(backendId, fingerprint);
      }));
      this.notice.succeeded();
      names.forEach((name, i) => {
        const until = Number(values[i]);
        if (!(until > 0)) return;
        const fingerprint = name.slice(name.indexOf('\n') + 1);
        this.hold(name, until);
        for (const apply of this.followers.get(name) ?? []) apply(fingerprint, until);
      });
    } catch (err) {
      this.notice.failed(err);
    }
  }

  private send(backendId: string, fingerprint: string, until: number): Promise<number> {
    return this.client.lipAnnounceCooldown(this.stateKey(backendId, fingerprint), until, this.channel, JSON.stringify([backendId, fingerprint, until]));
  }

  /**
   * Remembers a cool-down of a followed key (the longest one). The map holds at most the
   * followed keys plus those a reload stopped following, until their cool-downs end.
   */
  private hold(name: string, until: number): void {
    if (!Number.isFinite(until) || !this.followers.has(name) || until <= (this.held.get(name) ?? 0)) return;
    this.held.set(name, until);
    if (this.held.size > 2 * this.followers.size + 64) this.forgetEnded(this.scheduler.now());
  }

  private forgetEnded(now: number): void {
    for (const [name, until] of this.held) if (until <= now) this.held.delete(name);
  }

  /** Announces again every cool-down still running here (the script only ever extends one). */
  private async reannounce(): Promise<void> {
    this.forgetEnded(this.scheduler.now());
    if (this.held.size === 0) return;
    try {
      await Promise.all([...this.held].map(([name, until]) => {
        const at = name.indexOf('\n');
        return this.send(name.slice(0, at), name.slice(at + 1), until);
      }));
      this.notice.succeeded();
    } catch (err) {
      this.notice.failed(err);
    }
  }

  private reread(): Promise<void> {
    return this.read([...this.followers.keys()]);
  }

  private stateKey(backendId: string, fingerprint: string): string {
    return `${this.prefix}keycool:${backendId}:${fingerprint}`;
  }
}
