import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { firstConnection, redisClient, RedisOutageNotice } from '../circuit/redis/redis-client.js';
import type { LedgerAdmission, LedgerLimits, LimitsLedger } from './key-limits.js';

const MINUTE_MS = 60_000;
/** Tokens are counted in buckets of one second (a window of the last 60 to 61 seconds). */
const BUCKET_MS = 1_000;
/** How long a concurrency slot holds without renewal: an instance that dies frees its slots after this. */
export const SLOT_LEASE_MS = 30_000;

/**
 * One request's admission, atomically. KEYS: the key's request window (sorted set: member per
 * request, score its start), its slots (sorted set: member per request in flight, score when
 * its lease ends) and its token buckets (hash: bucket start -> tokens). ARGV: now, the three
 * limits (-1: none), the member naming this request, the slots' lease. Checked in the order this
 * process checks its own (requests, slots, then tokens), and counted only when all pass. Answers
 * `{'ok', requests, tokens, newest}` (the window's requests with this one, its tokens and its newest
 * bucket; -1 for a limit not checked) or `{limit, until, count, tokens, newest}`: which limit
 * refused, when enough of it frees, how much is used, and the tokens window as for `ok`.
 */
const ADMIT = `
local now = tonumber(ARGV[1])
local rpm = tonumber(ARGV[2])
local maxc = tonumber(ARGV[3])
local tpm = tonumber(ARGV[4])
local count = -1
local sum = -1
local newest = -1
local buckets = {}
if tpm >= 0 then
  local fields = redis.call('HGETALL', KEYS[3])
  sum = 0
  for i = 1, #fields, 2 do
    local at = tonumber(fields[i])
    if at + ${BUCKET_MS} <= now - ${MINUTE_MS} then
      redis.call('HDEL', KEYS[3], fields[i])
    else
      local n = tonumber(fields[i + 1])
      sum = sum + n
      if at > newest then newest = at end
      buckets[#buckets + 1] = { at, n }
    end
  end
end
if rpm >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ${MINUTE_MS})
  count = redis.call('ZCARD', KEYS[1])
  if count >= rpm then
    local leaving = redis.call('ZRANGE', KEYS[1], count - rpm, count - rpm, 'WITHSCORES')
    return { 'requests', tonumber(leaving[2]) + ${MINUTE_MS}, count, sum, newest }
  end
end
if maxc >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  local inflight = redis.call('ZCARD', KEYS[2])
  if inflight >= maxc then return { 'concurrent', now, inflight, sum, newest } end
end
if tpm >= 0 and sum >= tpm then
  table.sort(buckets, function(a, b) return a[1] < b[1] end)
  local left = sum
  local untilAt = now
  for _, b in ipairs(buckets) do
    left = left - b[2]
    untilAt = b[1] + ${BUCKET_MS} + ${MINUTE_MS}
    if left < tpm then break end
  end
  return { 'tokens', untilAt, sum, sum, newest }
end
if maxc >= 0 then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[6]), ARGV[5])
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[6]))
end
if rpm >= 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ${MINUTE_MS})
  count = count + 1
end
return { 'ok', count, sum, newest }
`;

type AdmitReply = [string, number, number, number?, number?];
type LimitsClient = Redis & { lipAdmit(requests: string, slots: string, tokens: string, ...args: (string | number)[]): Promise<AdmitReply> };

/**
 * Per-key limits in Redis (`auth.limits_store: redis`), one set of keys per API key id under
 * `{prefix}limits:{<key id>}:` (one hash slot): `requests` (a sorted set of the last minute's
 * request starts), `slots` (a sorted set of the requests in flight, each with a lease that this
 * instance renews every `SLOT_LEASE_MS / 3` while it runs, so an instance that dies frees its
 * slots within `SLOT_LEASE_MS`) and `tokens` (a hash of tokens per second). Admission is one
 * script (one round trip, atomic); giving a slot back and counting tokens are sent without
 * waiting. Times are the instances' own clocks (milliseconds), so they should agree (NTP).
 * A call that fails is said once in the log until one succeeds again; the caller then decides
 * on its own counts (and an admission that timed out is taken back after it runs).
 * @see spec/server/key-limits-redis.spec.ts
 */
export class RedisLimitsLedger implements LimitsLedger {
  private readonly client: LimitsClient;
  private readonly instance = randomBytes(6).toString('hex');
  private seq = 0;
  /** This instance's slots in flight (member -> the sorted set it is in), renewed while they run. */
  private readonly slots = new Map<string, string>();
  private renewal: NodeJS.Timeout | undefined;
  private readonly notice: RedisOutageNotice;
  private closed = false;
  /** Requests right after a start wait for the connection rather than count alone. */
  private readonly connected: { readonly pending: Promise<void> | undefined };

  constructor(
    url: string,
    private readonly prefix: string,
    warn: (message: string, meta: Record<string, unknown>) => void = () => undefined,
    private readonly now: () => number = Date.now,
    timeoutMs = 500,
  ) {
    this.notice = new RedisOutageNotice('per-key limits', 'each instance counts its own meanwhile', 'the instances share the limits again', warn);
    this.client = redisClient(url, {
      commandTimeout: timeoutMs, connectTimeout: Math.max(1_000, timeoutMs * 5), enableOfflineQueue: false, maxRetriesPerRequest: 0,
      retryStrategy: (times: number) => Math.min(times * 100, 2_000), connectionName: 'lip-key-limits',
    }) as LimitsClient;
    this.client.defineCommand('lipAdmit', { numberOfKeys: 3, lua: ADMIT });
    // Failures surface through the calls (said once); the connection's own errors add nothing.
    this.client.on('error', () => undefined);
    this.connected = firstConnection(this.client);
  }

  async admit(keyId: string, limits: LedgerLimits, now: number): Promise<LedgerAdmission> {
    const base = this.base(keyId);
    const member = `${this.instance}:${(this.seq++).toString(36)}`;
    let reply: AdmitReply;
    if (this.connected.pending) await this.connected.pending;
    try {
      reply = await this.client.lipAdmit(`${base}requests`, `${base}slots`, `${base}tokens`, now, limits.requestsPerMinute ?? -1, limits.maxConcurrent ?? -1, limits.tokensPerMinute ?? -1, member, SLOT_LEASE_MS);
    } catch (err) {
      this.notice.failed(err);
      // A script that timed out is still on the connection and runs when Redis answers again,
      // taking a slot and a window entry for a request this process decides on its own counts:
      // taken back right after it (same connection, so in order), or the slot would hold its
      // key for the whole lease.
      this.client.multi().zrem(`${base}slots`, member).zrem(`${base}requests`, member).exec()
        .then(() => this.notice.succeeded(), (e: unknown) => this.notice.failed(e));
      throw err;
    }
    this.notice.succeeded();
    const [answer, a, b, c, d] = reply;
    // The newest second's end: by then its tokens were spent.
    const spent = (sum: unknown, newest: unknown) => (limits.tokensPerMinute !== undefined ? { tokens: { sum: Number(sum), latest: Number(newest) < 0 ? -1 : Number(newest) + BUCKET_MS } } : {});
    if (answer !== 'ok') return { admitted: false, limit: answer as 'requests' | 'concurrent' | 'tokens', until: Number(a), count: Number(b), ...spent(c, d) };
    const usage = { ...(limits.requestsPerMinute !== undefined ? { requests: Number(a) } : {}), ...spent(b, c) };
    if (limits.maxConcurrent === undefined) return { admitted: true, ...usage };
    this.slots.set(member, `${base}slots`);
    this.renewal ??= setInterval(() => void this.renew(), SLOT_LEASE_MS / 3).unref();
    return { admitted: true, slot: member, ...usage };
  }

  leave(keyId: string, slot: string): void {
    this.slots.delete(slot);
    if (this.closed) return;
    this.client.zrem(`${this.base(keyId)}slots`, slot).then(() => this.notice.succeeded(), (err: unknown) => this.notice.failed(err));
    if (this.slots.size === 0) this.stopRenewal();
  }

  charge(keyId: string, at: number, tokens: number): void {
    if (this.closed) return;
    const key = `${this.base(keyId)}tokens`;
    const send = () => this.client.multi()
      .hincrby(key, String(Math.floor(at / BUCKET_MS) * BUCKET_MS), tokens)
      .pexpire(key, MINUTE_MS + 2 * BUCKET_MS)
      .exec()
      .then(() => this.notice.succeeded(), (err: unknown) => this.notice.failed(err));
    const pending = this.connected.pending;
    if (pending === undefined) void send();
    else void pending.then(send);
  }

  async view(keyIds: readonly string[], now: number): Promise<readonly { readonly requests: number; readonly inflight: number; readonly tokens: number }[]> {
    if (this.connected.pending) await this.connected.pending;
    const pipeline = this.client.pipeline();
    for (const id of keyIds) {
      const base = this.base(id);
      pipeline.zcount(`${base}requests`, `(${now - MINUTE_MS}`, '+inf').zcount(`${base}slots`, `(${now}`, '+inf').hgetall(`${base}tokens`);
    }
    const replies = (await pipeline.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    return keyIds.map((_, i) => {
      const buckets = replies[i * 3 + 2]![1] as Record<string, string>;
      let tokens = 0;
      for (const [at, n] of Object.entries(buckets)) if (Number(at) + BUCKET_MS > now - MINUTE_MS) tokens += Number(n);
      return { requests: Number(replies[i * 3]![1]), inflight: Number(replies[i * 3 + 1]![1]), tokens };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopRenewal();
    this.slots.clear();
    this.client.disconnect();
  }

  /**
   * Extends the lease of every slot this instance holds (one pipeline; a slot already gone stays
   * gone); every `SLOT_LEASE_MS / 3` while any is held. A pipeline's `exec` resolves even when its
   * commands timed out (an error per reply): those errors are the failure.
   */
  async renew(): Promise<void> {
    if (this.slots.size === 0) return this.stopRenewal();
    const until = this.now() + SLOT_LEASE_MS;
    const pipeline = this.client.pipeline();
    for (const [member, key] of this.slots) pipeline.zadd(key, 'XX', until, member).pexpire(key, SLOT_LEASE_MS);
    await pipeline.exec().then((replies) => {
      const failed = replies?.find(([err]) => err)?.[0];
      if (failed) this.notice.failed(failed);
      else this.notice.succeeded();
    }, (err: unknown) => this.notice.failed(err));
  }

  private stopRenewal(): void {
    clearInterval(this.renewal);
    this.renewal = undefined;
  }

  private base(keyId: string): string {
    return `${this.prefix}limits:{${keyId}}:`;
  }
}
