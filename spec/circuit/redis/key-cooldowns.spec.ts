import { expect } from 'chai';
import { Redis } from 'ioredis';
import { KeyPool, keyFingerprint } from '../../../lib/backends/credentials/key-pool.js';
import { RedisKeyCooldowns } from '../../../lib/circuit/redis/key-cooldowns.js';
import { requireRedisServer, type RedisServer } from '../../helpers/redis-server.js';

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The indexes of the keys a pool hands out, in one round of rotation. */
const usable = (pool: KeyPool) => {
  const seen = new Set<number>();
  for (let lease = pool.acquire(seen); lease !== undefined; lease = pool.acquire(seen)) seen.add(lease.index);
  return [...seen].sort();
};

/**
 * API key cool-downs shared through a real redis-server: pools of one backend on different
 * instances (each with its own RedisKeyCooldowns, so its own connections) skip a key another
 * instance saw rate-limited, until its cool-down ends.
 */
describe('circuit/redis/key-cooldowns (API key cool-downs shared by instances)', function () {
  this.timeout(20_000);
  let redis: RedisServer;
  let probe: Redis;
  let prefix = '';
  const shared: RedisKeyCooldowns[] = [];
  const warnings: string[] = [];
  const instance = () => {
    const c = new RedisKeyCooldowns(redis.url, prefix, (message) => warnings.push(message));
    shared.push(c);
    return c;
  };
  const ready = (c: RedisKeyCooldowns) => until(() => (c as unknown as { client: Redis }).client.status === 'ready', 'the connection');
  /**
   * Until these instances are settled: both connections ready, every one subscribed (Redis
   * counts them on the channel) and no command awaiting its answer (the reads of a start, of a
   * subscription, of a new pool). Before stopping Redis, so that only what a test does then
   * meets the outage.
   */
  const settled = (...instances: RedisKeyCooldowns[]) => until(async () => {
    const idle = instances.every((c) => {
      const { client, subscriber } = c as unknown as { client: Redis; subscriber: Redis };
      return client.status === 'ready' && subscriber.status === 'ready' && client.commandQueue.length === 0 && subscriber.commandQueue.length === 0;
    });
    const [, subscribers] = await probe.pubsub('NUMSUB', `${prefix}keycool:changes`) as [string, number];
    return idle && Number(subscribers) === instances.length;
  }, 'the instances to settle');

  before(async function () {
    redis = await requireRedisServer(this);
    probe = new Redis(redis.url);
    probe.on('error', () => undefined); // Redis is stopped on purpose: the probe reconnects
  });
  beforeEach(() => {
    prefix = `kc${Math.random().toString(36).slice(2)}:`;
    warnings.length = 0;
  });
  afterEach(async () => {
    for (const c of shared.splice(0)) await c.close();
  });
  after(async () => {
    probe?.disconnect();
    await redis?.close();
  });

  it('a key cooled down on one instance is skipped on the other until its cool-down ends; the key itself never reaches Redis', async () => {
    const a = instance();
    const b = instance();
    await Promise.all([ready(a), ready(b)]);
    const poolA = new KeyPool(['key-one-secret', 'key-two-secret'], Date.now, { cooldowns: a, backendId: 'openai' });
    const poolB = new KeyPool(['key-one-secret', 'key-two-secret'], Date.now, { cooldowns: b, backendId: 'openai' });
    const other = new KeyPool(['key-one-secret', 'key-two-secret'], Date.now, { cooldowns: b, backendId: 'other' });
    await settled(a, b);
    const lease = poolA.acquire()!;
    expect(lease.index).to.equal(0);
    poolA.coolDown(lease, 600);
    await until(() => usable(poolB).join() === '1', "b to skip a's cooling key");
    expect(usable(other)).to.deep.equal([0, 1]); // another backend's key of the same value is its own
    expect(poolB.state()).to.deep.equal({ usable: 1, cooling: 1, retired: 0 });
    const keys = await probe.keys(`${prefix}*`);
    expect(keys).to.deep.equal([`${prefix}keycool:openai:${keyFingerprint('key-one-secret')}`]);
    expect(JSON.stringify(keys)).not.to.include('secret');
    await until(() => usable(poolB).join() === '0,1', 'the cool-down to end');
    poolA.close();
    poolB.close();
    other.close();
  });

  it('a pool that starts later (a restart, a reload) takes the cool-downs in effect; a shorter one never shortens a longer one', async () => {
    const a = instance();
    await ready(a);
    const poolA = new KeyPool(['k1-0123456789', 'k2-0123456789'], Date.now, { cooldowns: a, backendId: 'up' });
    poolA.coolDown(poolA.acquire()!, 30_000);
    const state = `${prefix}keycool:up:${keyFingerprint('k1-0123456789')}`;
    await until(async () => Number(await probe.get(state)) > Date.now() + 20_000, 'the cool-down in Redis');
    const longest = Number(await probe.get(state));
    // b's pool sees k1 cooling as soon as it has read the key's state.
    const b = instance();
    const poolB = new KeyPool(['k1-0123456789', 'k2-0123456789'], Date.now, { cooldowns: b, backendId: 'up' });
    await until(() => usable(poolB).join() === '1', 'the new pool to read the cool-down');
    poolB.coolDown({ key: 'k1-0123456789', index: 0 }, 1_000); // shorter: changes nothing here or there
    expect(usable(poolB).join()).to.equal('1');
    await new Promise((r) => setTimeout(r, 50));
    expect(Number(await probe.get(state))).to.equal(longest);
    expect(await probe.pttl(state)).to.be.greaterThan(20_000);
    poolA.close();
    poolB.close();
  });

  it('while Redis is away each pool keeps its own cool-downs (said once), and shares them again when it is back', async () => {
    const a = instance();
    const b = instance();
    await Promise.all([ready(a), ready(b)]);
    const poolA = new KeyPool(['k1-0123456789', 'k2-0123456789'], Date.now, { cooldowns: a, backendId: 'up' });
    const poolB = new KeyPool(['k1-0123456789', 'k2-0123456789'], Date.now, { cooldowns: b, backendId: 'up' });
    await settled(a, b); // else a read of b's, cut by the stop, says the outage too
    await redis.stop();
    try {
      poolA.coolDown({ key: 'k1-0123456789', index: 0 }, 60_000);
      poolA.coolDown({ key: 'k2-0123456789', index: 1 }, 60_000);
      expect(usable(poolA)).to.deep.equal([]);
      expect(usable(poolB)).to.deep.equal([0, 1]);
      await until(() => warnings.some((w) => w.includes('cannot be reached')), 'the outage to be said');
      await new Promise((r) => setTimeout(r, 50));
      expect(warnings.filter((w) => w.includes('cannot be reached'))).to.have.length(1); // once for both failed announcements
    } finally {
      await redis.start();
    }
    await until(() => (a as unknown as { client: Redis }).client.status === 'ready' && (b as unknown as { subscriber: Redis }).subscriber.status === 'ready', 'the connections to come back');
    await until(() => usable(poolB).join() === '', 'b to learn of both cool-downs of the outage');
    poolA.coolDown({ key: 'k1-0123456789', index: 0 }, 120_000); // longer: announced
    const k1 = `${prefix}keycool:up:${keyFingerprint('k1-0123456789')}`;
    await until(async () => await probe.pttl(k1) > 90_000, 'the longer cool-down in Redis');
    expect(await probe.pttl(`${prefix}keycool:up:${keyFingerprint('k2-0123456789')}`)).to.be.within(1, 60_000);
    expect(warnings.some((w) => w.includes('answers again'))).to.equal(true);
    poolA.close();
    poolB.close();
  });

  const back = async (...instances: RedisKeyCooldowns[]) => until(() => instances.every((c) => {
    const { client, subscriber } = c as unknown as { client: Redis; subscriber: Redis };
    return client.status === 'ready' && subscriber.status === 'ready';
  }), 'the connections to come back');

  it('a cool-down learnt while Redis is away is written to Redis when it is back: the other instances and later ones skip the key', async () => {
    const a = instance();
    const b = instance();
    await Promise.all([ready(a), ready(b)]);
    const keys = ['k1-0123456789', 'k2-0123456789'];
    const poolA = new KeyPool(keys, Date.now, { cooldowns: a, backendId: 'up' });
    const poolB = new KeyPool(keys, Date.now, { cooldowns: b, backendId: 'up' });
    const state = `${prefix}keycool:up:${keyFingerprint('k1-0123456789')}`;
    await redis.stop('SIGKILL');
    try {
      poolA.coolDown({ key: 'k1-0123456789', index: 0 }, 600_000);   // the announcement fails: Redis is gone
      await until(() => warnings.some((w) => w.includes('cannot be reached')), 'the failed announcement');
    } finally {
      await redis.start();
    }
    await back(a, b);
    await until(async () => Number(await probe.get(state)) > Date.now() + 500_000, 'the cool-down written back to Redis');
    expect(await probe.pttl(state)).to.be.greaterThan(500_000);
    await until(() => usable(poolB).join() === '1', 'b to learn of the cool-down after the outage');
    const c = instance();                                              // an instance started after the outage
    const poolC = new KeyPool(keys, Date.now, { cooldowns: c, backendId: 'up' });
    await until(() => usable(poolC).join() === '1', 'a later instance to read the cool-down');
    for (const pool of [poolA, poolB, poolC]) pool.close();
  });

  it('cool-downs held when Redis comes back empty (restarted without persistence) are written back, learnt ones included', async () => {
    const a = instance();
    const b = instance();
    await Promise.all([ready(a), ready(b)]);
    const keys = ['k1-0123456789', 'k2-0123456789'];
    const poolA = new KeyPool(keys, Date.now, { cooldowns: a, backendId: 'up' });
    const poolB = new KeyPool(keys, Date.now, { cooldowns: b, backendId: 'up' });
    await settled(a, b);
    poolA.coolDown({ key: 'k1-0123456789', index: 0 }, 600_000);
    await until(() => usable(poolB).join() === '1', 'b to learn of the cool-down');
    poolA.close();
    await a.close();                                                   // only b, which learnt it, is left
    const state = `${prefix}keycool:up:${keyFingerprint('k1-0123456789')}`;
    await redis.stop('SIGKILL');
    await redis.start();                                               // empty: nothing was persisted
    await back(b);
    await until(async () => Number(await probe.get(state)) > Date.now() + 500_000, 'the cool-down written back by b');
    const c = instance();
    const poolC = new KeyPool(keys, Date.now, { cooldowns: c, backendId: 'up' });
    await until(() => usable(poolC).join() === '1', 'a later instance to read the cool-down');
    poolB.close();
    poolC.close();
  });
});
