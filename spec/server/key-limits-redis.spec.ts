import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { ApiKeyConfig } from '../../lib/config/index.js';
import { LipError } from '../../lib/errors/index.js';
import { KeyLimits, TokenRate, type RateLimitSink } from '../../lib/server/key-limits.js';
import { RedisLimitsLedger, SLOT_LEASE_MS } from '../../lib/server/key-limits-redis.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';

/** The refusal of an admission (thrown at once by this instance's own counts, or rejected by the shared ones). */
async function refusal(admit: () => (() => void) | Promise<() => void>): Promise<LipError> {
  try {
    await admit();
  } catch (err) {
    return err as LipError;
  }
  throw new Error('expected a refusal');
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Per-key limits shared by instances through a real redis-server (`auth.limits_store: redis`):
 * two KeyLimits, each with its own ledger (its own connection) on one Redis, stand for two lip
 * instances; their clocks are one injected clock.
 */
describe('server/key-limits-redis (shared per-key limits)', function () {
  this.timeout(20_000);
  let redis: RedisServer;
  let probe: Redis;
  let now = 1_000_000;
  const clock = () => now;
  const ledgers: RedisLimitsLedger[] = [];
  const warnings: string[] = [];
  let prefix = '';

  /** One instance: its KeyLimits and TokenRate on its own ledger. */
  function instance(): { limits: KeyLimits; tokens: TokenRate; ledger: RedisLimitsLedger } {
    const ledger = new RedisLimitsLedger(redis.url, prefix, (message) => warnings.push(message), clock);
    ledgers.push(ledger);
    const limits = new KeyLimits(clock);
    const tokens = new TokenRate(clock);
    limits.useLedger(ledger);
    tokens.useLedger(ledger);
    return { limits, tokens, ledger };
  }

  before(async function () {
    redis = await requireRedisServer(this);
    probe = new Redis(redis.url, { lazyConnect: true });
    await probe.connect();
  });
  beforeEach(() => {
    prefix = `t${Math.random().toString(36).slice(2)}:`;
    now = 1_000_000;
    warnings.length = 0;
  });
  afterEach(async () => {
    for (const l of ledgers.splice(0)) await l.close();
  });
  after(async () => {
    probe?.disconnect();
    await redis?.close();
  });

  const key = (limits: Partial<ApiKeyConfig>): ApiKeyConfig => ({ id: 'team', key: 'k'.repeat(16), principal: 'p', ...limits });

  it('requests_per_minute is one sliding minute across instances; Retry-After from the oldest request of any', async () => {
    const a = instance();
    const b = instance();
    const team = key({ requests_per_minute: 3 });
    await a.limits.admit(team, { concurrent: false });
    now += 10_000;
    await a.limits.admit(team, { concurrent: false });
    now += 10_000;
    await b.limits.admit(team, { concurrent: false }); // b's own count is 1: only the shared window refuses next
    now += 5_000;
    const err = await refusal(() => b.limits.admit(team, { concurrent: false }));
    expect([err.code, err.status, err.retryAfter, err.message]).to.deep.equal(['LIP_ERR_AUTH_KEY_LIMITED', 429, 35, 'API key "team" is over its limit of 3 requests per minute']);
    // A refused request takes nothing: when the first one leaves the window, exactly one more fits.
    now = 1_000_000 + 60_000;
    await b.limits.admit(team, { concurrent: false });
    expect((await refusal(() => a.limits.admit(team, { concurrent: false }))).retryAfter).to.equal(10);
    expect(await probe.zcard(`${prefix}limits:{team}:requests`)).to.equal(3);
  });

  it('requests_per_minute lowered by a reload (window kept): Retry-After until enough requests leave to bring it under the new limit', async () => {
    const a = instance();
    for (let i = 0; i < 10; i++) {
      await a.limits.admit(key({ requests_per_minute: 10 }), { concurrent: false });
      now += 5_000;
    }
    // The window holds 10 requests (0 s … 45 s in); under a limit of 3 the 8th (35 s) must leave: 45 s from now.
    const lowered = key({ requests_per_minute: 3 });
    expect((await refusal(() => a.limits.admit(lowered, { concurrent: false }))).retryAfter).to.equal(45);
    now += 45_000 - 1;
    expect((await refusal(() => a.limits.admit(lowered, { concurrent: false }))).code).to.equal('LIP_ERR_AUTH_KEY_LIMITED');
    now += 1;
    await a.limits.admit(lowered, { concurrent: false });
  });

  it('max_concurrent_requests counts the slots of every instance; a slot given back frees one for any', async () => {
    const a = instance();
    const b = instance();
    const team = key({ max_concurrent_requests: 2 });
    const endA = await a.limits.admit(team, { concurrent: true });
    const endB = await b.limits.admit(team, { concurrent: true });
    const err = await refusal(() => a.limits.admit(team, { concurrent: true }));
    expect([err.retryAfter, err.message]).to.deep.equal([1, 'API key "team" is at its limit of 2 concurrent requests']);
    endB();
    endB(); // once only
    await until(async () => (await probe.zcard(`${prefix}limits:{team}:slots`)) === 1, 'the slot to be given back');
    const again = await a.limits.admit(team, { concurrent: true });
    expect((await refusal(() => b.limits.admit(team, { concurrent: true }))).code).to.equal('LIP_ERR_AUTH_KEY_LIMITED');
    endA();
    again();
    await until(async () => (await probe.zcard(`${prefix}limits:{team}:slots`)) === 0, 'every slot to be given back');
  });

  it('an instance that dies frees its slots when their lease ends; a live one renews its leases', async () => {
    const dying = instance();
    const live = instance();
    const team = key({ max_concurrent_requests: 2 });
    await dying.limits.admit(team, { concurrent: true });
    await live.limits.admit(team, { concurrent: true });
    await dying.ledger.close(); // gone without giving its slot back
    now += SLOT_LEASE_MS - 1_000;
    await live.ledger.renew();
    const [renewed, score] = await probe.zrange(`${prefix}limits:{team}:slots`, '-1', '-1', 'WITHSCORES');
    expect([renewed!.length > 0, Number(score)]).to.deep.equal([true, now + SLOT_LEASE_MS]);
    const other = instance();
    expect((await refusal(() => other.limits.admit(team, { concurrent: true }))).code).to.equal('LIP_ERR_AUTH_KEY_LIMITED');
    now += 1_001; // the dead instance's lease has ended; the live one's (renewed) has not
    await other.limits.admit(team, { concurrent: true });
    expect((await refusal(() => other.limits.admit(team, { concurrent: true }))).code).to.equal('LIP_ERR_AUTH_KEY_LIMITED');
  });

  it('tokens_per_minute: what one instance spent refuses the other; Retry-After until enough of the minute has passed', async () => {
    const a = instance();
    const b = instance();
    const team = key({ tokens_per_minute: 500 });
    a.tokens.charge(team, 300);
    now += 20_000;
    a.tokens.charge(team, 250);
    await until(async () => Object.keys(await probe.hgetall(`${prefix}limits:{team}:tokens`)).length === 2, 'the tokens to be counted');
    b.tokens.check(team); // b's own window is empty
    const err = await refusal(() => b.limits.admit(team, { concurrent: false, tokens: true }));
    expect([err.status, err.message]).to.deep.equal([429, 'API key "team" is over its limit of 500 tokens per minute (550 in the last minute)']);
    // The first 300 leave the window after a minute (counted by the second, so one more second at most).
    expect(err.retryAfter).to.be.within(40, 41);
    // A request that spends nothing (a model list) is not refused by the tokens.
    await b.limits.admit(team, { concurrent: false });
    now += 41_000;
    await b.limits.admit(team, { concurrent: false, tokens: true });
  });

  it('into: the shared windows as each request found them (requests with this one; tokens of every instance)', async () => {
    const a = instance();
    const b = instance();
    const team = key({ requests_per_minute: 4, tokens_per_minute: 500 });
    const seenA: RateLimitSink = {};
    await a.limits.admit(team, { concurrent: false, tokens: true, into: seenA });
    expect(seenA.rateLimit).to.deep.equal({ requests: { limit: 4, remaining: 3, resetMs: 60_000 }, tokens: { limit: 500, remaining: 500, resetMs: 0 } });
    a.tokens.charge(team, 120);
    await until(async () => Number(await probe.hget(`${prefix}limits:{team}:tokens`, String(now))) === 120, 'the tokens to be counted');
    now += 10_250;
    const seenB: RateLimitSink = {};
    await b.limits.admit(team, { concurrent: false, tokens: true, into: seenB });
    // The tokens' newest second ends at +1 s: whole again a minute later, 50.75 s from now.
    expect(seenB.rateLimit).to.deep.equal({ requests: { limit: 4, remaining: 2, resetMs: 60_000 }, tokens: { limit: 500, remaining: 380, resetMs: 50_750 } });
  });

  it('into, on a refusal by the requests or the slots: the shared tokens window, not this instance\'s own', async () => {
    const a = instance();
    const b = instance();
    const team = key({ requests_per_minute: 1, max_concurrent_requests: 1, tokens_per_minute: 500 });
    await a.limits.admit(team, { concurrent: true, tokens: true });
    a.tokens.charge(team, 120);
    await until(async () => Number(await probe.hget(`${prefix}limits:{team}:tokens`, String(now))) === 120, 'the tokens to be counted');
    now += 10_250;
    // As the server admits: this instance's own tokens window first (empty here), then the shared limits.
    const refused: RateLimitSink = {};
    b.tokens.check(team, refused);
    expect((await refusal(() => b.limits.admit(team, { concurrent: true, tokens: true, into: refused }))).message).to.include('1 requests per minute');
    expect(refused.rateLimit).to.deep.equal({ requests: { limit: 1, remaining: 0, resetMs: 49_750 }, tokens: { limit: 500, remaining: 380, resetMs: 50_750 } });
    const busy: RateLimitSink = {};
    const slots = key({ max_concurrent_requests: 1, tokens_per_minute: 500 });
    b.tokens.check(slots, busy);
    expect((await refusal(() => b.limits.admit(slots, { concurrent: true, tokens: true, into: busy }))).message).to.include('1 concurrent requests');
    expect(busy.rateLimit).to.deep.equal({ tokens: { limit: 500, remaining: 380, resetMs: 50_750 } });
  });

  it('view: every instance\'s requests in the last minute, slots in flight and tokens, per key', async () => {
    const a = instance();
    const b = instance();
    const team = key({ requests_per_minute: 10, max_concurrent_requests: 5, tokens_per_minute: 1_000 });
    const end = await a.limits.admit(team, { concurrent: true });
    await b.limits.admit(team, { concurrent: true });
    await b.limits.admit(team, { concurrent: false });
    b.tokens.charge(team, 70);
    await until(async () => Number(await probe.hget(`${prefix}limits:{team}:tokens`, String(now))) === 70, 'the tokens to be counted');
    expect(await a.ledger.view(['team', 'nobody'], now)).to.deep.equal([{ requests: 3, inflight: 2, tokens: 70 }, { requests: 0, inflight: 0, tokens: 0 }]);
    end();
    now += 61_000; // the requests and the tokens' second have left the window; b's slot, never renewed here, has ended with its lease
    expect(await a.ledger.view(['team'], now)).to.deep.equal([{ requests: 0, inflight: 0, tokens: 0 }]);
  });

  it('a key without limits, or a request that checks none of its limits, never reaches Redis', async () => {
    const a = instance();
    expect(typeof a.limits.admit(key({}), { concurrent: true, tokens: true })).to.equal('function');
    expect(typeof a.limits.admit(key({ max_concurrent_requests: 1 }), { concurrent: false })).to.equal('function');
    expect(typeof a.limits.admit(key({ tokens_per_minute: 5 }), { concurrent: false })).to.equal('function');
    expect(await probe.keys(`${prefix}*`)).to.deep.equal([]);
  });

  it('a Redis that is away when the instance starts: requests are decided on its own counts at once, not held', async () => {
    const away = new RedisLimitsLedger('redis://127.0.0.1:1', prefix, (message) => warnings.push(message), clock);
    ledgers.push(away);
    const limits = new KeyLimits(clock);
    limits.useLedger(away);
    const team = key({ requests_per_minute: 1 });
    await limits.admit(team, { concurrent: false });
    expect((await refusal(() => limits.admit(team, { concurrent: false }))).message).to.include('1 requests per minute');
    expect(warnings.filter((w) => w.includes('cannot be reached'))).to.have.length(1);
  });

  it('a Redis that answers too late leaves no slot or window entry behind: the admission it runs afterwards is taken back', async () => {
    const a = instance();
    const team = key({ id: 'conc', max_concurrent_requests: 1, requests_per_minute: 10 });
    (await a.limits.admit(team, { concurrent: true }))();
    await until(async () => (await probe.zcard(`${prefix}limits:{conc}:slots`)) === 0, 'the first slot to be given back');
    redis.pause();
    let end: () => void;
    try {
      // Past the ledger's 500 ms this instance decides alone; the script is already on the connection.
      end = await a.limits.admit(team, { concurrent: true });
    } finally {
      redis.resume();
    }
    expect(warnings.filter((w) => w.includes('cannot be reached'))).to.have.length(1);
    end();
    // The ledger's own connection answers in order: once it answers, the late script (and what follows it) has run.
    let seen: { readonly requests: number; readonly inflight: number } | undefined;
    await until(async () => {
      seen = (await a.ledger.view(['conc'], now).catch(() => undefined))?.[0];
      return seen !== undefined;
    }, 'the ledger to answer again');
    expect(await probe.zrange(`${prefix}limits:{conc}:slots`, '0', '-1')).to.deep.equal([]);
    expect(seen).to.include({ inflight: 0, requests: 1 });
    // Another instance (nothing in flight anywhere) is admitted at once, not held off for the 30 s lease.
    await instance().limits.admit(team, { concurrent: true });
  });

  it('a lease renewal whose commands time out (a frozen Redis) says Redis cannot be reached, not that it answers', async () => {
    const a = instance();
    await a.limits.admit(key({ id: 'renewed', max_concurrent_requests: 2 }), { concurrent: true });
    redis.pause();
    try {
      await a.ledger.renew(); // a pipeline: it resolves with an error per command rather than rejecting
    } finally {
      redis.resume();
    }
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include('cannot be reached');
    await a.ledger.renew();
    expect(warnings[1]).to.include('answers again');
  });

  it('while Redis cannot be reached each instance decides on its own counts (said once), and shares again when it is back', async () => {
    const a = instance();
    const b = instance();
    const team = key({ requests_per_minute: 2 });
    await a.limits.admit(team, { concurrent: false });
    await redis.stop();
    try {
      // b alone: its own window is empty, so it admits two more.
      await b.limits.admit(team, { concurrent: false });
      await b.limits.admit(team, { concurrent: false });
      expect((await refusal(() => b.limits.admit(team, { concurrent: false }))).message).to.include('2 requests per minute');
      expect(warnings.filter((w) => w.includes('cannot be reached'))).to.have.length(1);
    } finally {
      await redis.start();
    }
    now += 61_000;
    // Another key's requests until the ledger is connected again (meanwhile they are admitted locally).
    const other = key({ id: 'other', requests_per_minute: 1_000 });
    await until(async () => {
      await a.limits.admit(other, { concurrent: false });
      return warnings.some((w) => w.includes('answers again'));
    }, 'the ledger to reconnect');
    await a.limits.admit(team, { concurrent: false });
    // Shared again: a's request is in the (new) shared window, so b gets one and then a refusal.
    await b.limits.admit(team, { concurrent: false });
    expect((await refusal(() => b.limits.admit(team, { concurrent: false }))).code).to.equal('LIP_ERR_AUTH_KEY_LIMITED');
  });
});
