import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisStateStore } from '../../lib/extensions/redis-state-store.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { runStateStoreSuite } from './state-store-suite.js';

/** The plugin state contract against a real redis-server; each case gets its own key prefix. */
describe('extensions/RedisStateStore', function () {
  this.timeout(20_000);
  let redis: RedisServer;
  let run = 0;
  before(async function () { redis = await requireRedisServer(this); });
  after(async () => { await redis?.close(); });

  runStateStoreSuite({
    name: 'redis',
    ttlMs: 100,
    async open(count) {
      const prefix = `t${++run}:`;
      return Array.from({ length: count }, () => new RedisStateStore({ url: redis.url, keyPrefix: prefix }));
    },
    elapse: (ms) => sleep(ms),
  });

  it('a Redis that is gone reaches the caller as a rejected command, never a hang', async () => {
    const store = new RedisStateStore({ url: 'redis://127.0.0.1:1', keyPrefix: 'x:', timeoutMs: 200 });
    try {
      const err = await store.get('k').catch((e: unknown) => e);
      expect(err).to.be.instanceOf(Error);
    } finally {
      await store.close();
    }
  });
});
