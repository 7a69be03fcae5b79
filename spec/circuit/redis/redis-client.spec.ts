import { expect } from 'chai';
import { Redis } from 'ioredis';
import { asyncScheduler } from 'rxjs';
import { redisClient, redisRefusal } from '../../../lib/circuit/redis/redis-client.js';
import { RedisCircuitStore } from '../../../lib/circuit/redis/redis-store.js';
import { RedisContinuityStore } from '../../../lib/continuity/index.js';
import { RedisStateStore } from '../../../lib/extensions/redis-state-store.js';
import { requireRedisServer, type RedisServer } from '../../helpers/redis-server.js';
import { SUITE_POLICY } from '../store-suite.js';

const until = async (check: () => boolean, what: string, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not in time`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/**
 * `redis.url` naming a database the server does not have (`/99` against the default 16):
 * ioredis reports the refused SELECT and then carries on, ready, on database 0. Every Redis
 * client of lip gives up instead, and the stores say why; nothing lands in database 0.
 */
describe('circuit/redis/redisClient: a database the server refuses', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let raw: Redis;
  before(async function () {
    redis = await requireRedisServer(this);
    raw = new Redis(redis.url);
  });
  after(async () => {
    raw?.disconnect();
    await redis?.close();
  });

  it('the bare ioredis client would write to database 0 (what the guard is for)', async () => {
    const bare = new Redis(`${redis.url}/99`, { enableOfflineQueue: true });
    bare.on('error', () => undefined);
    await until(() => bare.status === 'ready', 'bare client ready');
    await bare.set('bare-key', '1');
    expect(await raw.get('bare-key')).to.equal('1');
    bare.disconnect();
    await raw.del('bare-key');
  });

  it('gives up for good with the reason, and rejects commands instead of writing to database 0', async () => {
    const client = redisClient(`${redis.url}/99`, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    const errors: string[] = [];
    client.on('error', (err: Error) => errors.push(err.message));
    await until(() => client.status === 'end', 'client ended');
    expect(redisRefusal(client)).to.equal('the Redis server refused database 99 of redis.url (ERR DB index is out of range); lip stays disconnected rather than use database 0');
    expect(errors.at(-1)).to.equal(redisRefusal(client));
    let rejected: unknown;
    await client.set('guarded-key', '1').catch((err: unknown) => { rejected = err; });
    expect(String(rejected)).to.contain('Connection is closed');
    expect(await raw.dbsize()).to.equal(0);
    // A database the server has is used as usual.
    const fine = redisClient(`${redis.url}/3`, { maxRetriesPerRequest: 0 });
    await fine.set('db3-key', 'x');
    expect(redisRefusal(fine)).to.equal(undefined);
    expect(await raw.get('db3-key')).to.equal(null);
    fine.disconnect();
  });

  it('the circuit, continuity and plugin-state stores report the refusal and write nothing', async () => {
    const url = `${redis.url}/99`;
    const circuit = new RedisCircuitStore({ url, keyPrefix: 'guard:', policy: SUITE_POLICY, origin: 'g', timeoutMs: 300, reconnectMaxMs: 50 });
    const continuity = new RedisContinuityStore({ url, keyPrefix: 'guard:', ttlMs: 60_000, maxLegs: 100, timeoutMs: 300, reconnectMaxMs: 50, scheduler: asyncScheduler });
    const state = new RedisStateStore({ url, keyPrefix: 'guard:' });
    try {
      let pinged = '';
      await until(() => { void circuit.ping().catch((err: Error) => { pinged = err.message; }); return pinged.includes('refused database 99'); }, 'circuit ping refused');
      expect(pinged).to.equal('not connected: the Redis server refused database 99 of redis.url (ERR DB index is out of range); lip stays disconnected rather than use database 0');
      await until(() => continuity.status().reason?.includes('refused database 99') === true, 'continuity reason');
      expect(continuity.status().state).to.equal('degraded');
      await circuit.record('a:m', 'failure', false, 1_000).then(() => expect.fail('recorded'), () => undefined);
      await state.put('k', { v: 1 }).then(() => expect.fail('stored'), () => undefined);
      expect(await raw.dbsize()).to.equal(0);
    } finally {
      await circuit.close();
      await continuity.close();
      await state.close();
    }
  });
});
