import { randomBytes } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import type { Subscription } from 'rxjs';
import { redisClient, redisRefusal } from '../../circuit/redis/redis-client.js';
import { LipError } from '../../errors/index.js';
import type {
  ALegInfo, AttemptRow, AttemptStart, AttemptTicket, ContinuityLogger, ContinuityStatus, Conversation, PreloadRequest, SessionRecord, StoredResponse, UsageQuery, UsageSummary,
} from '../continuity-store.js';
import { LegStore, type LegStoreOptions, type MutableAttemptRow } from '../leg-store.js';
import type { LegState } from '../leg-table.js';
import { MemoryResponses } from '../memory-responses.js';
import type { ResponseRow } from '../response-row.js';
import { UsageTotals } from '../usage-summary.js';
import { ATTEMPT_LUA, CHAIN_LUA, FORGET_LUA, KEY_LUA, LEG_LUA, LOAD_LUA, RESPONSE_LUA, RETIRE_LUA, UNLOCK_LUA } from './continuity-scripts.js';
import { RedisWriter, type RedisWriterOptions } from './redis-writer.js';

type QueueTuning = Partial<Pick<RedisWriterOptions<unknown>, 'capacity' | 'batchSize' | 'flushDelayMs' | 'retryBaseMs' | 'retryMaxMs'>>;

export interface RedisStoreOptions extends LegStoreOptions {
  /** `redis.url`. */
  readonly url: string;
  /** `redis.key_prefix`; the store's keys start with it and `cont:`. */
  readonly keyPrefix: string;
  /** `continuity.max_legs`, across all instances sharing the Redis. */
  readonly maxLegs: number;
  /** Bound on every Redis command in ms: a slower answer counts as an outage (default 500). */
  readonly timeoutMs?: number;
  /** Longest pause between reconnection attempts in ms (default 2 s). */
  readonly reconnectMaxMs?: number;
  /** How long a confirmation of the shared fingerprint key with Redis lasts before a new session asks again, in ms (default 1 s). */
  readonly keyCheckMs?: number;
  /** A-legs this instance keeps in memory (a cache of the shared ones; default min(max_legs, 10 000)). */
  readonly cacheLegs?: number;
  /** Attempt rows kept per A-leg in Redis (default 1 000, as in memory). */
  readonly maxAttemptsPerLeg?: number;
  /** Bytes of the responses this instance saved that it keeps locally to serve through an outage (default 64 MiB). */
  readonly localResponseBytes?: number;
  readonly queue?: QueueTuning;
  readonly log?: ContinuityLogger;
}

export const REDIS_DEFAULTS = { timeoutMs: 500, keyCheckMs: 1_000, cacheLegs: 10_000, maxAttemptsPerLeg: 1_000, localResponseBytes: 64 * 1024 * 1024 } as const;

/** Longest response chain read or kept alive in one script call (a guard, as in LegStore). */
const MAX_CHAIN = 100_000;

type RedisRecord =
  | { readonly kind: 'leg'; readonly state: LegState }
  | { readonly kind: 'retire'; readonly state: LegState }
  | { readonly kind: 'attempt'; readonly row: MutableAttemptRow }
  /** `durable`: never pushed out of a full queue (ResponseRecord.durable). */
  | { readonly kind: 'response'; readonly row: ResponseRow; readonly durable: boolean }
  /** A deleted response (same key as its `response` record, which it replaces while pending). */
  | { readonly kind: 'forget'; readonly responseId: string };

type Script = (...args: (string | number)[]) => Promise<unknown>;
interface Scripts {
  lipContLeg: Script;
  lipContRetire: Script;
  lipContAttempt: Script;
  lipContResponse: Script;
  lipContForget: Script;
  lipContChain: Script;
  lipContLoad: Script;
  lipContKey: Script;
  lipContUnlock: Script;
}
type PipelineScripts = { [K in keyof Scripts]: (...args: (string | number)[]) => ChainableCommander };

/** A stored response as read from Redis, with the creation time of its newest continuation. */
interface FetchedResponse {
  readonly row: ResponseRow;
  readonly keptFrom: number;
}

function describeRecord(record: RedisRecord): string {
  switch (record.kind) {
    case 'leg': return `a_leg ${record.state.aLegId}`;
    case 'retire': return `retire ${record.state.aLegId}`;
    case 'attempt': return `attempt ${record.row.a_leg_id}#${record.row.seq}`;
    case 'response': return `response ${record.row.response_id}`;
    case 'forget': return `delete response ${record.responseId}`;
  }
}

/**
 * The shared store: every `lip serve` instance (and every worker) pointed at one Redis sees the
 * same A-legs, attempt rows, sessions and stored responses. Layout and atomic steps are the
 * Lua scripts of continuity-scripts.ts.
 *
 * The request path stays synchronous, as with memory and SQLite: each instance keeps a local
 * table of the A-legs it works with, and writes every change behind, in pipelined batches (the
 * `RedisWriter`, WriteQueue's contract). What must be fresh is read before the request needs
 * it: `preload` (awaited by the handler before the session is opened, only for this store)
 * loads the A-legs a request names, its session id and its resume-token fingerprint in one
 * script call and merges them into the local table (last seen and seq take the larger value,
 * `[first]` once set stays set, the newest affinity change wins); `loadConversation` reads the
 * response chain in one call. What must be atomic across instances is done in Redis: the seq
 * of a B-leg is allocated (HINCRBY) when its row is first written, `[first]` consumption is a
 * flag that is only ever set, and the fingerprint key is created once (the first instance to
 * ask sets it). So a conversation whose turns land on different instances keeps its context,
 * its `[first]` and its affinity.
 *
 * An outage never stops serving: commands fail fast (no offline queue, a timeout on each),
 * preload and reads fall back to the local table (a conversation continues on the instance
 * that served it; elsewhere a `previous_response_id` it cannot read is a 503, retryable), and
 * writes stay queued within the queue's bound, then the oldest are dropped, counted
 * (`lip_continuity_dropped_records_total`) and logged once. `status()` says `degraded` (or
 * `full`) with the reason, and stays ready: every instance shares the outage, so none should
 * leave the load balancer for it.
 * @see spec/continuity/redis-store.spec.ts, spec/e2e/continuity-redis.spec.ts
 */
export class RedisContinuityStore extends LegStore {
  readonly kind = 'redis' as const;
  private readonly client: Redis & Scripts;
  private readonly prefix: string;
  private readonly writer: RedisWriter<RedisRecord>;
  private readonly responses: MemoryResponses;
  private readonly timeoutMs: number;
  private cacheLegs: number;
  private readonly maxAttemptsPerLeg: number;
  /** When each A-leg's affinity last changed here (merged by the newest change). */
  private readonly affinityAt = new WeakMap<LegState, number>();
  /** Responses read from Redis for the one synchronous chain walk in progress (see `withChain`). */
  private fetched: Map<string, FetchedResponse> | undefined;
  private key = randomBytes(32);
  private keyShared = false;
  /** Wall time at which Redis last answered with the shared key. */
  private keyConfirmedAt = 0;
  private keyUsed = false;
  private keyLoading: Promise<void> | undefined;
  /** Why the last command failed, until one succeeds (undefined: Redis answers). */
  private failure: string | undefined;
  /** Settles at the first connection: until then commands wait for it (bounded), later they fail fast. */
  private readonly firstReady: Promise<void>;
  private connectedOnce = false;
  /** Wall time until which a command waits for the first connection (the connect timeout after construction). */
  private readonly startBy: number;
  /** The next write of the A-legs of running attempts (see `keepRunningAlive`). */
  private keepAlive: Subscription | undefined;

  constructor(private readonly redis: RedisStoreOptions) {
    super(redis);
    this.prefix = `${redis.keyPrefix}cont:`;
    this.timeoutMs = redis.timeoutMs ?? REDIS_DEFAULTS.timeoutMs;
    this.cacheLegs = this.legsToCache();
    this.maxAttemptsPerLeg = redis.maxAttemptsPerLeg ?? REDIS_DEFAULTS.maxAttemptsPerLeg;
    this.responses = new MemoryResponses(redis.ttlMs, redis.localResponseBytes ?? REDIS_DEFAULTS.localResponseBytes);
    this.startBy = Date.now() + Math.max(1_000, this.timeoutMs * 5);
    this.client = redisClient(redis.url, {
      commandTimeout: this.timeoutMs,
      connectTimeout: Math.max(1_000, this.timeoutMs * 5),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (times) => Math.min(times * 100, redis.reconnectMaxMs ?? 2_000),
      connectionName: 'lip-continuity',
    }) as Redis & Scripts;
    const scripts: [keyof Scripts, string][] = [
      ['lipContLeg', LEG_LUA], ['lipContRetire', RETIRE_LUA], ['lipContAttempt', ATTEMPT_LUA], ['lipContResponse', RESPONSE_LUA],
      ['lipContForget', FORGET_LUA], ['lipContChain', CHAIN_LUA], ['lipContLoad', LOAD_LUA], ['lipContKey', KEY_LUA], ['lipContUnlock', UNLOCK_LUA],
    ];
    for (const [name, lua] of scripts) this.client.defineCommand(name, { numberOfKeys: 0, lua });
    this.client.on('error', (err: Error) => { this.failure = err.message; });
    this.client.on('close', () => { this.failure ??= 'connection lost'; });
    let connected: () => void = () => undefined;
    this.firstReady = new Promise<void>((resolve) => { connected = resolve; });
    this.client.on('ready', () => {
      this.connectedOnce = true;
      connected();
      this.failure = undefined;
      void this.loadKey().catch(() => undefined); // also after a reconnect: Redis may have come back empty
      if (this.writer.size > 0) void this.writer.flush();
    });
    this.writer = new RedisWriter<RedisRecord>({
      // No batching window: a record goes out on the next tick (what piles up meanwhile goes in
      // one pipeline), so a turn saved here is in Redis before its client can ask another instance.
      flushDelayMs: 0,
      ...redis.queue,
      write: (batch) => this.write(batch),
      scheduler: redis.scheduler,
      log: redis.log,
      describe: describeRecord,
      durable: (record) => record.kind === 'response' && record.durable,
    });
  }

  protected admit(): void {
    // Never refuses: an unreachable Redis must not stop serving. The queue's bound drops and counts.
  }

  protected loadLeg(): LegState | undefined {
    return undefined; // reads are asynchronous here: `preload` brings A-legs into the table first
  }

  protected loadSession(): LegState | undefined {
    return undefined;
  }

  protected loadFingerprint(): LegState | undefined {
    return undefined;
  }

  /**
   * A token this instance does not hold while Redis cannot be read is a 503 (retry), not the
   * 403 of an unknown token: that answer tells the client to drop its conversation.
   */
  override findSession(fingerprint: string): SessionRecord | undefined {
    const found = super.findSession(fingerprint);
    if (found || this.failure === undefined || this.closed) return found;
    throw new LipError('LIP_ERR_CONTINUITY_UNAVAILABLE', `the session cannot be looked up while Redis cannot be read (${this.failure})`, { retryAfter: 1 });
  }

  /** The shared key once Redis answered; until then a provisional one of this process. */
  fingerprintKey(): Buffer {
    this.keyUsed = true;
    return this.key;
  }

  /**
   * Reads (or, first of all instances, sets) the shared fingerprint key. The key is also set
   * again wherever this instance meets Redis without it (it lost its data: restarted without
   * persistence, flushed): here at every (re)connection and before a new session when the last
   * confirmation is older than `keyCheckMs`, first in every batch written, and in each preload
   * that reads (LOAD_LUA). So the first instance back puts its key there and the others adopt it.
   */
  private loadKey(): Promise<void> {
    return (this.keyLoading ??= this.run(() => this.client.lipContKey(`${this.prefix}fpkey`, this.key.toString('base64')))
      .then((reply) => { this.adoptKey(String(reply)); })
      .finally(() => { this.keyLoading = undefined; }));
  }

  /** Takes the key Redis holds (base64); true when it is not the one this instance had. */
  private adoptKey(encoded: string): boolean {
    const shared = Buffer.from(encoded, 'base64');
    if (shared.length < 32) throw new Error('malformed fingerprint key in Redis');
    const changed = !shared.equals(this.key);
    if (changed && this.keyUsed) {
      this.redis.log?.warn(this.keyShared
        ? 'continuity: Redis holds another resume-token fingerprint key (it lost its data and another instance set a new key first); sessions this instance started under its old key cannot be resumed'
        : 'continuity: Redis holds another resume-token fingerprint key; sessions this instance started before it could reach Redis cannot be resumed', {});
    }
    this.key = shared;
    this.keyShared = true;
    this.keyConfirmedAt = Date.now();
    return changed;
  }

  /** Loads what a request names fresh from Redis (see ContinuityStore.preload). Never rejects. */
  async preload(request: PreloadRequest): Promise<void> {
    if (this.closed) return;
    try {
      let key = this.key;
      let fingerprint = request.fingerprint?.();
      const ids = request.aLegIds ?? [];
      if (fingerprint === undefined && request.sessionId === undefined && ids.length === 0) {
        // A new conversation reads nothing, but its token is fingerprinted with the shared key: a
        // stale confirmation is renewed first (not while Redis is known to fail: the reconnection does it).
        const stale = Date.now() - this.keyConfirmedAt >= (this.redis.keyCheckMs ?? REDIS_DEFAULTS.keyCheckMs) && this.failure === undefined;
        if (!this.keyShared || stale) await this.loadKey();
        return;
      }
      // Anything else is read in one call, which confirms (or sets) the shared key as it goes.
      const session = request.sessionId === undefined ? '' : sessionSuffix(request.principal, request.sessionId);
      const load = () => this.run(() => this.client.lipContLoad(this.prefix, fingerprint ?? '', session, key.toString('base64'), ...ids)) as Promise<string[]>;
      let reply = await load();
      this.adoptKey(reply[2]!);
      if (fingerprint !== undefined && !this.key.equals(key)) {
        // Redis holds another key than the one the fingerprint was made with (adopted here or,
        // meanwhile, by the connection's own confirmation): once more with it.
        key = this.key;
        fingerprint = request.fingerprint!();
        reply = await load();
      }
      const found = this.adoptAll(reply.slice(3));
      for (const id of ids) if (!found.has(id)) this.forget(this.legs.get(id));
      if (fingerprint !== undefined && reply[0] === '') this.forget(this.legs.findFingerprint(fingerprint));
      if (request.sessionId !== undefined && reply[1] === '') this.forget(this.legs.findSession(request.principal, request.sessionId));
    } catch {
      // Degraded: the local table answers (the failure is in status()).
    }
  }

  /** Fresh state of A-legs by id; false when Redis could not be read. */
  private async refresh(aLegId: string): Promise<boolean> {
    try {
      const reply = await this.run(() => this.client.lipContLoad(this.prefix, '', '', '', aLegId)) as string[];
      if (!this.adoptAll(reply.slice(3)).has(aLegId)) this.forget(this.legs.get(aLegId));
      return true;
    } catch {
      return false;
    }
  }

  /** Merges `[id, p, s, c, l, f, fp, ak, ab, ac, q, ...]` into the local table; the ids found. */
  private adoptAll(fields: readonly string[]): Set<string> {
    const found = new Set<string>();
    for (let i = 0; i + 10 < fields.length; i += 11) {
      const [id, principal, sessionId, created, seen, first, fingerprint, affKey, boundAt, changedAt, seq] = fields.slice(i, i + 11) as string[] as [string, string, string, string, string, string, string, string, string, string, string];
      found.add(id);
      const lastSeen = Number(seen);
      const affinity = affKey ? { candidateKey: affKey, boundAt: Number(boundAt) } : undefined;
      const affinityAt = Number(changedAt || 0);
      const local = this.legs.get(id);
      if (local) {
        if (lastSeen > local.lastSeenAt) this.legs.touch(local, lastSeen);
        if (first === '1') local.firstConsumed = true;
        local.lastSeq = Math.max(local.lastSeq, Number(seq || 0));
        if (affinityAt > 0 && affinityAt >= (this.affinityAt.get(local) ?? 0)) {
          local.affinity = affinity;
          this.affinityAt.set(local, affinityAt);
        }
        continue;
      }
      const state: LegState = {
        aLegId: id, principal, sessionId, createdAt: Number(created), lastSeenAt: lastSeen, lastSeq: Number(seq || 0),
        firstConsumed: first === '1', affinity, open: 0, fingerprint: fingerprint || undefined,
      };
      this.legs.add(state);
      if (affinityAt > 0) this.affinityAt.set(state, affinityAt);
      this.trim(state);
    }
    return found;
  }

  /** An A-leg Redis no longer has (expired or evicted): dropped here too, unless still in use or unwritten. */
  private forget(state: LegState | undefined): void {
    if (state && state.open === 0 && this.writer.get(`l:${state.aLegId}`) === undefined) this.legs.delete(state);
  }

  /** A-legs kept in memory: `cacheLegs`, else `max_legs` up to REDIS_DEFAULTS.cacheLegs. */
  private legsToCache(): number {
    return this.redis.cacheLegs ?? Math.min(this.limits.maxLegs, REDIS_DEFAULTS.cacheLegs);
  }

  /**
   * A reload's limits. Redis applies them as each A-leg and response is written (past a lowered
   * max_legs the fair-share rule evicts there, as always); here the local table and the responses
   * kept locally follow them, and running A-legs are kept alive at the new half ttl.
   */
  protected limitsChanged(): void {
    this.cacheLegs = this.legsToCache();
    this.responses.reconfigure(this.limits.ttlMs, this.redis.localResponseBytes ?? REDIS_DEFAULTS.localResponseBytes, this.now());
    if (this.keepAlive === undefined) return;
    this.keepAlive.unsubscribe();
    this.keepAlive = undefined;
    this.keepRunningAlive();
  }

  /** Keeps the local table within `cacheLegs` (by the fair-share rule; Redis keeps what goes). */
  private trim(keep: LegState): void {
    while (this.legs.size > this.cacheLegs) {
      const victim = this.legs.fairShareVictim(keep);
      if (!victim) return;
      this.legs.delete(victim);
    }
  }

  protected retire(state: LegState): void {
    this.legs.delete(state);
    this.enqueue(`l:${state.aLegId}`, { kind: 'retire', state });
  }

  protected legChanged(state: LegState, created: boolean): void {
    this.enqueue(`l:${state.aLegId}`, { kind: 'leg', state });
    if (created) this.trim(state);
  }

  protected attemptChanged(row: MutableAttemptRow): void {
    this.enqueue(`a:${row.b_leg_id}`, { kind: 'attempt', row });
  }

  protected storeResponse(row: ResponseRow, durable: boolean): void {
    // The local copy is a cache (Redis holds the record): its byte budget applies to every record.
    this.responses.put(row, this.now());
    this.enqueue(`r:${row.response_id}`, { kind: 'response', row, durable });
  }

  protected forgetResponse(id: string): void {
    this.responses.delete(id, this.now());
    this.enqueue(`r:${id}`, { kind: 'forget', responseId: id });
  }

  /**
   * Deletes here and in Redis before it answers, so that no instance serves the response
   * afterwards (Redis keeps a tombstone, and an instance that saved the response drops its own
   * copy when it reads that, see `withChain`). While
   * Redis cannot be written the deletion stays queued (and hides the response here) and the
   * answer is a 503: the client may retry, a repeated deletion of what is gone is a 404.
   */
  override async deleteResponse(id: string, principal: string): Promise<void> {
    await this.withChain(id, 1, () => super.deleteResponse(id, principal));
    const written = await this.bounded(this.writer.flush(), this.timeoutMs * 2).catch(() => false);
    if (!written) {
      throw new LipError('LIP_ERR_CONTINUITY_UNAVAILABLE', `response '${id}' is deleted on this instance, but Redis cannot be written (${this.failure ?? 'timeout'}); the deletion is retried`, { retryAfter: 1 });
    }
  }

  /**
   * Settles once what is pending now is in Redis, or writing it failed (it stays queued), or
   * twice the command timeout passed: the flush may first wait for the batch already in flight,
   * then sends its own, each bounded by the command timeout. The flush runs a microtask later,
   * so the records an attempt writes as its stream completes (its end, affinity) are part of it.
   * While Redis is known to fail (the last command failed, a write's too) it settles at once:
   * an outage fails fast, and the queue retries the records on its own (backoff); the first
   * command that succeeds again (the queue's retry, a read) makes it wait for the write again.
   * Rejects once a record arrived after `close` (it is not stored).
   */
  readonly persisted = (): Promise<void> => {
    const late = this.lateRecords();
    if (late !== undefined) return late;
    if (this.closed || this.failure !== undefined) return Promise.resolve();
    return this.bounded(this.writer.flush(), this.timeoutMs * 2).then(() => undefined, () => undefined);
  };

  private enqueue(key: string, record: RedisRecord): void {
    if (!this.closed) return this.writer.put(key, record);
    this.arrivedAfterClose(key, this.redis.log);
  }

  override bindAffinity(aLegId: string, candidateKey: string): void {
    const before = this.legs.get(aLegId)?.affinity;
    super.bindAffinity(aLegId, candidateKey);
    this.affinityMoved(aLegId, before);
  }

  override clearAffinity(aLegId: string, candidateKey?: string): void {
    const before = this.legs.get(aLegId)?.affinity;
    super.clearAffinity(aLegId, candidateKey);
    this.affinityMoved(aLegId, before);
  }

  private affinityMoved(aLegId: string, before: LegState['affinity']): void {
    const state = this.legs.get(aLegId);
    if (state && state.affinity !== before) this.affinityAt.set(state, Math.max(this.now(), (this.affinityAt.get(state) ?? 0) + 1));
  }

  override beginAttempt(aLegId: string, start: AttemptStart): AttemptTicket {
    const ticket = super.beginAttempt(aLegId, start);
    this.keepRunningAlive();
    return ticket;
  }

  /**
   * An A-leg with an attempt running never expires, but its keys in Redis do: while attempts
   * run, their A-legs are written again every half ttl (a running A-leg is written as seen now),
   * so that neither Redis nor another instance's sweep drops them, their rows and their seq.
   */
  private keepRunningAlive(): void {
    if (this.keepAlive !== undefined || this.closed) return;
    this.keepAlive = this.options.scheduler.schedule(() => {
      this.keepAlive = undefined;
      if (this.closed || this.running.size === 0) return;
      for (const row of this.running.values()) {
        const state = this.legs.get(row.a_leg_id);
        if (state) this.legChanged(state, false);
      }
      this.keepRunningAlive();
    }, this.limits.ttlMs / 2);
  }

  /**
   * One batch, pipelined: every script is idempotent, so a failed batch is sent again whole. The
   * fingerprint key goes first, so Redis that lost its data has it back before the sessions
   * this batch stores.
   */
  private async write(batch: readonly RedisRecord[]): Promise<void> {
    const pipeline = this.client.pipeline() as ChainableCommander & PipelineScripts;
    pipeline.lipContKey(`${this.prefix}fpkey`, this.key.toString('base64'));
    const now = this.now();
    const legs: (LegState | undefined)[] = [];
    for (const record of batch) {
      legs.push(record.kind === 'leg' ? record.state : undefined);
      switch (record.kind) {
        case 'leg': {
          const s = record.state;
          const seen = s.open > 0 ? Math.max(s.lastSeenAt, now) : s.lastSeenAt; // a leg with a running attempt does not expire
          pipeline.lipContLeg(this.prefix, now, this.limits.maxLegs, s.aLegId, s.principal, s.sessionId, s.createdAt, seen,
            s.firstConsumed ? 1 : 0, s.fingerprint ?? '', s.affinity?.candidateKey ?? '', s.affinity?.boundAt ?? 0,
            this.affinityAt.get(s) ?? 0, this.lifetime(s));
          break;
        }
        case 'retire':
          pipeline.lipContRetire(this.prefix, now, record.state.aLegId, record.state.principal, this.lifetime(record.state));
          break;
        case 'attempt': {
          const state = this.legs.get(record.row.a_leg_id);
          pipeline.lipContAttempt(this.prefix, record.row.a_leg_id, record.row.b_leg_id, JSON.stringify(record.row),
            this.maxAttemptsPerLeg, state ? this.lifetime(state) : this.limits.ttlMs);
          break;
        }
        case 'response': {
          const row = record.row;
          pipeline.lipContResponse(this.prefix, row.response_id, JSON.stringify(row), row.previous_response_id ?? '', row.created_at,
            this.limits.ttlMs, now, MAX_CHAIN);
          break;
        }
        case 'forget':
          pipeline.lipContForget(this.prefix, record.responseId, this.limits.ttlMs);
          break;
      }
    }
    const [key, ...replies] = await this.run(() => this.bounded(pipeline.exec(), this.timeoutMs * 4), everyReply);
    try {
      this.adoptKey(String(key![1]));
    } catch {
      // a malformed key in Redis: the records are written all the same
    }
    replies.forEach(([, reply], i) => {
      const state = legs[i];
      if (state) state.lastSeq = Math.max(state.lastSeq, Number(reply) || 0);
    });
  }

  /**
   * Holds the Redis lock of `key` around `change` (after this process's own queue for the key,
   * LegStore.exclusive): set with NX and an expiry of eight command timeouts (a holder that dies
   * holds it no longer), tried again every 5-15 ms for as long; released by its token once
   * what `change` saved is in Redis. When it cannot be had in that time (or Redis fails), the
   * change runs without it, on what this instance can read.
   */
  protected override async exclusiveChange<T>(key: string, change: () => Promise<T>): Promise<T> {
    const lock = `${this.prefix}X:${key}`;
    const token = randomBytes(12).toString('base64url');
    const holdMs = this.timeoutMs * 8;
    const deadline = Date.now() + holdMs;
    let held = false;
    while (!this.closed) {
      held = await this.run(() => this.client.set(lock, token, 'PX', holdMs, 'NX')).then((reply) => reply === 'OK', () => false);
      if (held || this.failure !== undefined || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(Math.random() * 10)));
    }
    try {
      return await change();
    } finally {
      if (held) {
        await this.persisted();
        await this.run(() => this.client.lipContUnlock(lock, token)).catch(() => undefined);
      }
    }
  }

  /** A promise that rejects after `ms` when it has not settled (the timer never keeps the process up). */
  private bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expiry = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
      timer.unref();
    });
    return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
  }

  /**
   * Runs a command: a failure marks the store degraded until a command succeeds (a pipeline's
   * too: its `exec` resolves with an error per command that failed, and `everyReply` makes the
   * first of them the failure). Within the
   * connect timeout after the store was built, a command waits for the first connection, so a
   * store used right after it was built does not count its own start as an outage (a Redis
   * down at startup costs the first requests that wait, then commands fail fast).
   */
  private async run<T, R = T>(command: () => Promise<T>, decode: (reply: T) => R = (reply) => reply as unknown as R): Promise<R> {
    try {
      const wait = this.connectedOnce ? 0 : this.startBy - Date.now();
      if (wait > 0) await this.bounded(this.firstReady, wait).catch(() => undefined);
      const reply = decode(await command());
      this.failure = undefined;
      return reply;
    } catch (err) {
      this.failure = (err as Error).message;
      throw err;
    }
  }

  protected attemptRows(state: LegState): AttemptRow[] {
    return this.localRows(state.aLegId);
  }

  /** Rows not yet written, and those running here, of one A-leg. */
  private localRows(aLegId: string): MutableAttemptRow[] {
    const rows: MutableAttemptRow[] = [];
    for (const record of this.writer.values()) if (record.kind === 'attempt' && record.row.a_leg_id === aLegId) rows.push(record.row);
    for (const row of this.running.values()) if (row.a_leg_id === aLegId) rows.push(row);
    return rows;
  }

  override async attempts(aLegId: string, principal?: string): Promise<AttemptRow[] | undefined> {
    const fresh = await this.refresh(aLegId);
    const state = this.visibleLeg(aLegId, principal);
    if (!state) return undefined;
    const byBLeg = new Map<string, AttemptRow>();
    if (fresh) {
      try {
        for (const row of decodeAttempts(await this.run(() => this.client.hgetall(`${this.prefix}A:${aLegId}`)))) byBLeg.set(row.b_leg_id, row);
      } catch {
        // degraded: the rows this instance holds
      }
    }
    for (const row of this.localRows(aLegId)) byBLeg.set(row.b_leg_id, { ...row, seq: byBLeg.get(row.b_leg_id)?.seq ?? row.seq });
    return [...byBLeg.values()].sort((a, b) => a.seq - b.seq);
  }

  override async describeALeg(aLegId: string, principal?: string): Promise<ALegInfo | undefined> {
    await this.refresh(aLegId);
    return super.describeALeg(aLegId, principal);
  }

  /**
   * Writes what is pending, then sums every A-leg's rows in Redis (SCAN; an admin read, not the
   * request path), a page of keys at a time: only the sums are kept, never every row at once.
   */
  protected async sumUsage(query: UsageQuery): Promise<UsageSummary> {
    await this.writer.flush();
    const totals = new UsageTotals(query);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await this.run(() => this.client.scan(cursor, 'MATCH', `${this.prefix}A:*`, 'COUNT', 1000));
        cursor = next;
        if (keys.length === 0) continue;
        const pipeline = this.client.pipeline();
        for (const key of keys) pipeline.hgetall(key);
        for (const [, hash] of await this.run(() => this.bounded(pipeline.exec(), this.timeoutMs * 4), everyReply)) {
          await totals.addAll(decodeAttempts(hash as Record<string, string>));
        }
      } while (cursor !== '0');
    } catch (err) {
      throw new LipError('LIP_ERR_CONTINUITY_UNAVAILABLE', `cannot read usage from Redis: ${(err as Error).message}`, { cause: err, retryAfter: 1 });
    }
    return totals.summary();
  }

  protected findResponse(id: string): ResponseRow | undefined {
    const pending = this.writer.get(`r:${id}`);
    if (pending?.kind === 'response') return pending.row;
    if (pending?.kind === 'forget') return undefined;
    return this.fetched?.get(id)?.row ?? this.responses.get(id);
  }

  /** Read from Redis: kept while its newest continuation is younger than ttl; else what this instance knows. */
  protected override hasContinuation(id: string): boolean {
    const fetched = this.fetched?.get(id);
    if (fetched && this.now() - fetched.keptFrom < this.limits.ttlMs) return true;
    return super.hasContinuation(id);
  }

  /** Those this instance has not written yet, and those it keeps of its own. */
  protected continuations(id: string): ResponseRow[] {
    const rows: ResponseRow[] = [];
    for (const record of this.writer.values()) if (record.kind === 'response' && record.row.previous_response_id === id) rows.push(record.row);
    return [...rows, ...this.responses.continuations(id)];
  }

  override loadResponse(id: string, principal: string): Promise<StoredResponse> {
    return this.withChain(id, 1, () => super.loadResponse(id, principal));
  }

  override loadConversation(id: string, principal: string): Promise<Conversation> {
    return this.withChain(id, MAX_CHAIN, () => super.loadConversation(id, principal));
  }

  override loadChain(id: string, principal: string): Promise<StoredResponse[]> {
    return this.withChain(id, MAX_CHAIN, () => super.loadChain(id, principal));
  }

  /**
   * Reads the chain from `id` (one script call), then runs LegStore's walk over it: that walk is
   * synchronous (no await inside), so `fetched` is set for exactly its duration. A chain that
   * cannot be read while Redis fails is a 503, not a 404 (the response may well exist). A chain
   * that ends at a response deleted on some instance (its tombstone, CHAIN_LUA) drops this
   * instance's own copy of it.
   */
  private async withChain<T>(id: string, depth: number, read: () => Promise<T>): Promise<T> {
    const fetched = new Map<string, FetchedResponse>();
    let failed: unknown;
    try {
      const reply = await this.run(() => this.client.lipContChain(this.prefix, id, depth)) as string[];
      for (let i = 0; i + 1 < reply.length; i += 2) {
        if (reply[i] === '') {
          this.responses.delete(reply[i + 1]!, this.now());
          continue;
        }
        const row = decodeResponse(reply[i]!);
        if (row) fetched.set(row.response_id, { row, keptFrom: Number(reply[i + 1]) || row.created_at });
      }
    } catch (err) {
      failed = err;
    }
    this.fetched = fetched;
    let result: Promise<T>;
    try {
      result = read();
    } finally {
      this.fetched = undefined;
    }
    try {
      return await result;
    } catch (err) {
      if (failed === undefined || (err as LipError).code !== 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND') throw err;
      throw new LipError('LIP_ERR_CONTINUITY_UNAVAILABLE', `cannot read response '${id}' from Redis: ${(failed as Error).message}`, { cause: failed, retryAfter: 1 });
    }
  }

  status(): ContinuityStatus {
    const q = this.writer.status();
    const linkDown = this.client.status !== 'ready' ? `not connected to Redis (${redisRefusal(this.client) ?? this.failure ?? this.client.status})` : this.failure;
    const state = this.closed ? 'closed' : this.writer.full ? 'full' : linkDown !== undefined || q.failing ? 'degraded' : 'ok';
    const reason = state === 'ok' ? null
      : state === 'closed' ? 'the continuity store is closed'
        : state === 'full' ? `the write queue is full (${q.capacity} records; last error: ${q.last_error ?? 'none'}); the oldest are being dropped`
          : `${linkDown ?? `writes to Redis are failing (${q.last_error ?? 'unknown error'})`}; requests are served from local state and records are kept and retried`;
    return {
      store: 'redis', ready: !this.closed, state, reason, legs: this.legs.size,
      pending: q.pending, capacity: q.capacity, written: q.written, write_errors: q.write_errors,
      retries: q.retries, dropped: q.dropped, failed_records: 0, rejected: this.rejected,
      lost: this.lost, reopened: 0,
      last_error: q.last_error, last_error_at: q.last_error_at, last_flush_at: q.last_flush_at,
    };
  }

  async flush(): Promise<void> {
    if (this.closed) return;
    if (!(await this.writer.flush())) {
      throw new LipError('LIP_ERR_CONTINUITY_UNAVAILABLE', `continuity records could not be written to Redis (${this.writer.size} waiting): ${this.writer.status().last_error ?? 'unknown error'}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.keepAlive?.unsubscribe();
    const left = await this.writer.close();
    if (left > 0) {
      this.lost += left;
      this.redis.log?.error('continuity store closed with records it could not write to Redis', { lost: left, error: this.writer.status().last_error });
    }
    this.client.disconnect();
  }
}

/**
 * The replies of a pipeline, or its first error thrown: ioredis resolves `exec` even when every
 * command in it timed out (a frozen Redis), each reply then `[error, null]`; decoded inside `run`,
 * that is the failure it is.
 */
function everyReply(replies: [Error | null, unknown][] | null): [null, unknown][] {
  for (const [err] of replies ?? []) if (err) throw err;
  return (replies ?? []) as [null, unknown][];
}

/** The lookup key of a session (the principal's UTF-8 length first, as Lua's `#`: any principal, no ambiguity). */
function sessionSuffix(principal: string, sessionId: string): string {
  return `${Buffer.byteLength(principal)}:${principal}:${sessionId}`;
}

/** Attempt rows from an `A:` hash, each with the seq Redis allocated; malformed fields are skipped. */
function decodeAttempts(hash: Record<string, string>): AttemptRow[] {
  const rows: AttemptRow[] = [];
  for (const [field, value] of Object.entries(hash)) {
    if (!field.startsWith('r:')) continue;
    try {
      const row = JSON.parse(value) as AttemptRow;
      const seq = Number(hash[`s:${field.slice(2)}`]);
      rows.push(Number.isInteger(seq) && seq > 0 ? { ...row, seq } : row);
    } catch {
      // not a row lip wrote: ignored
    }
  }
  return rows;
}

function decodeResponse(json: string): ResponseRow | undefined {
  try {
    const row = JSON.parse(json) as ResponseRow;
    return typeof row.response_id === 'string' && typeof row.input_json === 'string' && typeof row.output_json === 'string' ? row : undefined;
  } catch {
    return undefined;
  }
}
