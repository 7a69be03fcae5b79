import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisContinuityStore } from '../../lib/continuity/index.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { logRecorder } from './log-recorder.js';
import { VirtualClock } from './virtual-clock.js';

/**
 * 'at once' when `promise` settles on microtasks alone (no Redis round trip, no timer), 'later'
 * otherwise: a promise that waits for a reply from a frozen Redis, or for a timeout, settles
 * after the next turn of the event loop.
 */
const settles = (promise: Promise<unknown>): Promise<'at once' | 'later'> =>
  Promise.race([promise.then(() => 'at once' as const, () => 'at once' as const), new Promise<'later'>((resolve) => setImmediate(() => resolve('later')))]);

/**
 * A frozen Redis (every command times out, the connection stays up) once cost every request of
 * `continuity.store: redis` about a second for as long as it lasted, while /readyz already said
 * degraded: a pipelined write resolves with an error per command rather than rejecting, so the
 * store took the failed write for a success and went on asking Redis (a new conversation's key
 * confirmation, 500 ms), and `persisted()` held every answer up to two command timeouts though
 * the store knew the write had failed. Found by the multi-instance probe (CLIENT PAUSE: 100 req/s
 * fell to 5). Now a failed write marks the store failing, and while it is, neither waits on Redis.
 */
describe('continuity/RedisContinuityStore: a frozen Redis is not waited on once a write failed', function () {
  this.timeout(20_000);
  let redis: RedisServer;
  let store: RedisContinuityStore | undefined;
  let clock: VirtualClock;
  let prefix: string;

  before(async function () {
    redis = await requireRedisServer(this);
  });
  after(() => redis?.close());
  beforeEach(() => {
    clock = new VirtualClock();
    prefix = `lipspec:frozen:${process.pid}:${Math.random().toString(36).slice(2)}:`;
  });
  afterEach(async () => {
    redis.resume();
    await store?.close();
    store = undefined;
  });

  /** A store whose key confirmation is always stale (a new conversation asks Redis for it unless Redis is known to fail). */
  const open = () => (store = new RedisContinuityStore({
    url: redis.url, keyPrefix: prefix, ttlMs: 3_600_000, maxLegs: 1_000,
    scheduler: clock, log: logRecorder(), timeoutMs: 200, keyCheckMs: 0,
  }));

  it('a write whose commands time out marks the store failing: a new conversation then does not ask Redis for the key', async () => {
    const a = open();
    a.resolveALeg('alice', 'before');
    await a.flush(); // connected, the shared key adopted
    expect(await settles(a.preload({ principal: 'alice' }))).to.equal('later'); // healthy: the stale key is confirmed first
    redis.pause();
    a.resolveALeg('alice', 'during');
    let refused: unknown;
    await a.flush().catch((err: unknown) => { refused = err; });
    expect((refused as { code?: string }).code).to.equal('LIP_ERR_CONTINUITY_UNAVAILABLE');
    expect(a.status().reason).to.match(/Command timed out; requests are served from local state/);
    expect(await settles(a.preload({ principal: 'alice' }))).to.equal('at once');
  });

  it('persisted() answers at once while Redis is known to fail, and waits for the write again once it answers', async () => {
    const a = open();
    a.resolveALeg('alice', 'before');
    await a.flush();
    redis.pause();
    a.resolveALeg('alice', 'during');
    await a.flush().catch(() => undefined);
    a.resolveALeg('alice', 'answer');
    expect(await settles(a.persisted())).to.equal('at once');
    expect(a.status().pending).to.equal(2); // kept, retried by the queue

    redis.resume();
    await a.flush(); // the queue's retry (here by hand: its timers run on virtual time)
    expect(a.status().state).to.equal('ok');
    const leg = a.resolveALeg('alice', 'after');
    expect(await settles(a.persisted())).to.equal('later');
    await a.persisted();
    const raw = new Redis(redis.url);
    try {
      expect(await raw.exists(`${prefix}cont:L:${leg.aLegId}`)).to.equal(1);
    } finally {
      raw.disconnect();
    }
  });
});
