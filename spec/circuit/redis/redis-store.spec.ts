import { expect } from 'chai';
import { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CircuitStore } from '../../../lib/circuit/circuit-store.js';
import { RedisCircuitStore } from '../../../lib/circuit/redis/redis-store.js';
import type { CircuitPolicy } from '../../../lib/circuit/types.js';
import { until } from '../../helpers/hostile-rig.js';
import { requireRedisServer, type RedisServer } from '../../helpers/redis-server.js';
import { nextChange, runStoreSuite, SUITE_POLICY } from '../store-suite.js';

/**
 * The Redis store (Lua scripts, pub/sub) under the shared store contract, against a private
 * redis-server, then what only Redis has: real key expiry, versions that survive a restart,
 * a channel shared with strangers, fail-fast calls while Redis is gone. Each case gets its own
 * key prefix, so cases never see each other's circuits.
 */
describe('circuit/redis/RedisCircuitStore', function () {
  let redis: RedisServer;
  let prefixes = 0;
  const opened: CircuitStore[] = [];
  const connect = (keyPrefix: string, policy: CircuitPolicy = SUITE_POLICY, origin = 'r0', timeoutMs = 1_000, maxKeys?: number) => {
    const store = new RedisCircuitStore({ url: redis.url, keyPrefix, policy, origin, timeoutMs, reconnectMaxMs: 100, ...(maxKeys === undefined ? {} : { maxKeys }) });
    opened.push(store);
    return store;
  };

  before(async function () {
    redis = await requireRedisServer(this);
  });
  after(() => redis?.close());

  runStoreSuite({
    name: 'redis',
    async open(policy, count, maxKeys) {
      const keyPrefix = `suite${++prefixes}:`;
      const stores = Array.from({ length: count }, (_, i) => new RedisCircuitStore({ url: redis.url, keyPrefix, policy, origin: `r${i}`, timeoutMs: 1_000, ...(maxKeys === undefined ? {} : { maxKeys }) }));
      await Promise.all(stores.map(untilUp));
      return stores;
    },
    // Redis expires keys by its own clock: real time has to pass.
    elapse: (ms) => sleep(ms),
  });

  describe('on Redis itself', () => {
    let raw: Redis;
    beforeEach(async () => {
      if (!redis.running) await redis.start();
      raw = new Redis(redis.url, { lazyConnect: true });
      await raw.connect();
    });
    afterEach(async () => {
      raw.disconnect();
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    it('lays out one hash per failing candidate with a TTL, a key set, and a version counter that never expires', async () => {
      const store = connect('layout:', { ...SUITE_POLICY, keyTtlMs: 45_000 });
      await untilUp(store);
      await store.record('a:m?x=1', 'failure', false, 1_000);
      expect(await raw.hgetall('layout:circuit:a:m?x=1')).to.deep.equal({ s: 'closed', f: '1', o: '0', p: '0', w: '0', u: '1000' });
      expect(await raw.pttl('layout:circuit:a:m?x=1')).to.be.within(44_000, 45_000);
      expect(await raw.smembers('layout:circuits')).to.deep.equal(['a:m?x=1']);
      expect(await raw.pttl('layout:circuits')).to.be.within(44_000, 45_000);
      expect(await raw.pttl('layout:circuits:version')).to.equal(-1);
      await store.record('a:m?x=1', 'success', false, 1_001);
      expect(await raw.exists('layout:circuit:a:m?x=1', 'layout:circuits')).to.equal(0);
    });

    it('at maxKeys, a member of the key set whose hash expired is pruned to make room for a new circuit', async () => {
      const store = connect('prune:', SUITE_POLICY, 'r0', 1_000, 2);
      await untilUp(store);
      await store.record('a:m', 'failure', false, 1_000);
      await store.record('b:m', 'failure', false, 1_000);
      await raw.del('prune:circuit:a:m'); // expired: Redis dropped the hash, the set still names it
      expect((await store.record('c:m', 'failure', false, 1_001)).record).to.deep.include({ failures: 1 });
      expect((await raw.smembers('prune:circuits')).sort()).to.deep.equal(['b:m', 'c:m']);
      expect((await store.record('d:m', 'failure', false, 1_002)).full).to.equal(true);
    });

    it('lists the key set a page at a time (SSCAN), one script call per page, so no call holds Redis for long', async () => {
      // One call over every circuit (SMEMBERS, then a read per member) took 2-5 s with 13,000
      // circuits: past the command timeout, so a resync never succeeded and was retried every few seconds.
      const store = connect('pages:');
      await untilUp(store);
      const n = 2_000;
      const pipeline = raw.pipeline();
      for (let i = 0; i < n; i++) {
        pipeline.hset(`pages:circuit:k${i}:m`, 's', 'open', 'f', 3, 'o', 1_000, 'p', 0, 'w', 0, 'u', 1_000 + i);
        pipeline.sadd('pages:circuits', `k${i}:m`);
      }
      pipeline.sadd('pages:circuits', 'gone:m'); // its hash expired: pruned by the listing
      await pipeline.exec();
      const calls = async () => {
        const stats = await raw.info('commandstats');
        return [...stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
      };
      const before = await calls();
      const listing = await store.list();
      const made = (await calls()) - before;
      expect(listing.records.size).to.equal(n);
      expect(listing.records.get('k1999:m')).to.deep.include({ state: 'open', failures: 3, updatedAt: 2_999 });
      expect(made).to.be.at.least(n / 256);
      expect(await raw.sismember('pages:circuits', 'gone:m')).to.equal(0);
    });

    it('versions keep growing when Redis loses its data (restart or FLUSHALL)', async () => {
      const store = connect('versions:');
      await untilUp(store);
      const before = (await store.record('k:m', 'failure', false, 1)).version;
      expect(before).to.be.greaterThan(1_600_000_000_000_000); // the counter starts at the server's time in µs
      await raw.flushall();
      const after = (await store.record('k:m', 'failure', false, 2)).version;
      expect(after).to.be.greaterThan(before);
    });

    it('never repeats a version after a FLUSHALL, even when changes outran the clock (a millisecond seed did)', async () => {
      const store = connect('burst:');
      const watcher = connect('burst:', SUITE_POLICY, 'r1');
      await Promise.all([untilUp(store), untilUp(watcher)]);
      const announced: number[] = [];
      watcher.onChange((change) => announced.push(change.version));
      // 3,000 changes in well under 3 s: a counter seeded in ms would now be ahead of the clock.
      const burst = await Promise.all(Array.from({ length: 3_000 }, (_, i) => store.record(`k${i % 50}:m`, 'failure', false, 1 + i)));
      const versions = burst.map((ack) => ack.version);
      expect(new Set(versions).size).to.equal(3_000);
      await raw.flushall();
      const after = await Promise.all(Array.from({ length: 100 }, (_, i) => store.record(`k${i}:m`, 'failure', false, 5_000 + i)));
      const afterVersions = after.map((ack) => ack.version);
      expect(Math.min(...afterVersions)).to.be.greaterThan(Math.max(...versions));
      expect(new Set([...versions, ...afterVersions]).size).to.equal(3_100);
      // What subscribers hear is exact too (Redis's cjson keeps only 14 significant digits of a number).
      await until(() => announced.length >= 3_100, 'all 3,100 changes announced');
      expect(announced.length).to.equal(3_100);
      expect(announced).to.deep.equal([...versions, ...afterVersions].sort((a, b) => a - b));
    });

    it('re-seeds above the highest version the caller has seen, when that is ahead of the server clock', async () => {
      const store = connect('ahead:');
      await untilUp(store);
      const ahead = (Date.now() + 86_400_000) * 1_000; // a counter a day ahead (a clock that stepped back)
      await raw.set('ahead:circuits:version', String(ahead));
      expect((await store.record('k:m', 'failure', false, 1)).version).to.equal(ahead + 1);
      await raw.flushall();
      expect((await store.record('k:m', 'failure', false, 2)).version).to.equal(ahead + 3); // re-seeded at ahead + 2, the change takes the next
    });

    it('a listing carries the epoch, the seed of the counter: whoever lists after a re-seed sees that the data was lost', async () => {
      const a = connect('epoch:');
      const b = connect('epoch:', SUITE_POLICY, 'r1');
      await Promise.all([untilUp(a), untilUp(b)]);
      const first = await a.list();
      expect(first.version).to.equal(0); // a found the counter missing and seeded it
      expect(first.epoch).to.be.greaterThan(1_600_000_000_000_000);
      expect(await raw.get('epoch:circuits:version:epoch')).to.equal(String(first.epoch));
      expect(await raw.pttl('epoch:circuits:version:epoch')).to.equal(-1);
      const last = (await a.record('k:m', 'failure', false, 2)).version;
      expect(await b.list()).to.deep.include({ version: last, epoch: first.epoch }); // the same counter
      await raw.flushall();
      const reseeded = await a.list();             // a finds it gone: version 0, as before
      expect(reseeded.version).to.equal(0);
      expect(reseeded.epoch).to.be.greaterThan(last);
      const late = await b.list();                  // b comes after: the version looks newer, the epoch says why
      expect(late.version).to.equal(reseeded.epoch);
      expect(late.epoch).to.equal(reseeded.epoch);
      expect(late.records.size).to.equal(0);
    });

    it('ignores messages on its channel that are not circuit changes', async () => {
      const store = connect('noise:');
      await untilUp(store);
      const seen: string[] = [];
      store.onChange((c) => seen.push(c.key));
      const real = nextChange(store);
      await raw.publish('noise:circuits:changes', 'hello');
      await raw.publish('noise:circuits:changes', '["k", 1, "x", 0, "melted", 1, 2, 3, 4, 5]');
      await store.record('k:m', 'failure', false, 1);
      await real;
      expect(seen).to.deep.equal(['k:m']);
    });

    it('while Redis is gone: not up, every call rejects at once, nothing queues; back: up again by itself', async () => {
      const store = connect('gone:');
      await untilUp(store);
      const down = new Promise<string>((resolve) => store.onLink((up, reason) => { if (!up) resolve(reason); }));
      await redis.stop();
      expect(await down).to.match(/^(connection|subscription) lost/);
      expect(store.up).to.equal(false);
      // Settling at all while Redis is still down proves nothing was queued for its return.
      const results = await Promise.allSettled([store.record('k:m', 'failure', false, 1), store.admit('k:m', 1), store.list(), store.ping()]);
      expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected', 'rejected', 'rejected']);
      await redis.start();
      await untilUp(store);
      expect((await store.record('k:m', 'failure', false, 2)).record).to.deep.include({ failures: 1 });
    });

    it('a frozen Redis fails a call after timeoutMs and takes the store down; a ping after the thaw brings it up', async () => {
      const store = connect('frozen:', SUITE_POLICY, 'r0', 200);
      await untilUp(store);
      redis.pause();
      try {
        const started = performance.now();
        const err = await store.record('k:m', 'failure', false, 1).then(() => undefined, (e: Error) => e);
        expect(err?.message).to.equal('Command timed out');
        expect(performance.now() - started).to.be.at.least(150); // it waited for the timeout
        expect(store.up).to.equal(false);
      } finally {
        redis.resume();
      }
      await store.ping();
      expect(store.up).to.equal(true);
    });
  });
});

/** Resolves once the store's connections are ready and subscribed. */
export function untilUp(store: CircuitStore): Promise<void> {
  if (store.up) return Promise.resolve();
  return new Promise((resolve) => {
    const off = store.onLink((up) => {
      if (!up) return;
      off();
      resolve();
    });
  });
}
