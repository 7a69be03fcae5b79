import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { lastValueFrom } from 'rxjs';
import type { LipEvent } from '../../lib/canonical/index.js';
import { runtimeWith, type Runtime } from '../../lib/core/runtime.js';
import { RedisStateStore } from '../../lib/extensions/redis-state-store.js';
import { registerFeature } from '../../lib/extensions/registry.js';
import { testConfig } from '../helpers/config.js';
import { ScriptedBackend } from '../helpers/scripted-backend.js';
import { userCall } from './fixtures.js';
import { requireRedisServer, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { runStateStoreSuite } from './state-store-suite.js';

/**
 * 'at once' when `promise` settles on microtasks alone (a command refused without being sent or
 * queued), 'later' when it waits for anything (a reconnection, a timeout).
 */
const settles = (promise: Promise<unknown>): Promise<'at once' | 'later'> =>
  Promise.race([promise.then(() => 'at once' as const, () => 'at once' as const), new Promise<'later'>((resolve) => setImmediate(() => resolve('later')))]);

const ok: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: 'x' }, { type: 'response_finished', reason: 'stop' }];

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

  it('with redis.url set, two runtimes (two lip instances) share plugin state', async () => {
    const off = registerFeature<Record<string, never>>({
      id: 'test-counter', description: 'counts requests per principal', configSchema: { type: 'object' },
      create: () => ({ submitHooks: [{ id: 'count', async run(call, ctx) {
        const n = ((await ctx.state('principal').get<number>('n')) ?? 0) + 1;
        await ctx.state('principal').put('n', n);
        return { ...call, metadata: { ...call.metadata, n: String(n) } };
      } }] }),
    });
    const runtimes: Runtime[] = [];
    try {
      const yaml = `redis: { url: "${redis.url}", key_prefix: "shared${++run}:" }\nfeatures: [{ id: test-counter }]`;
      const backends = [new ScriptedBackend('s', new Map([['a', ok]])), new ScriptedBackend('s', new Map([['a', ok]]))];
      for (const backend of backends) runtimes.push(runtimeWith(testConfig('  - { id: s, kind: localstub }', `routing: { default_route: "s:a" }\n${yaml}`), new Map([['s', backend]])));
      expect(runtimes.map((r) => r.extensions!.state.kind)).to.deep.equal(['redis', 'redis']);
      for (const r of [0, 1, 0]) await lastValueFrom(runtimes[r]!.executor.execute(userCall(), { requestId: `q${r}`, meta: {}, principal: 'alice' }));
      expect(backends.map((b) => b.calls.map((c) => c.call.metadata.n))).to.deep.equal([['1', '3'], ['2']]);
    } finally {
      off();
      for (const r of runtimes) await r.close();
    }
  });

  // Regression (multi-instance probe): an offline queue and a retry per command held each
  // command while Redis was down until a reconnection failed: every request of a hook using the
  // state (ref-autoappend-file) took 1.5-2 s.
  it('a Redis that is down refuses each command at once (no offline queue), never holding it for a reconnection', async () => {
    const never = new RedisStateStore({ url: 'redis://127.0.0.1:1', keyPrefix: 'x:', timeoutMs: 5_000 });
    const own = await startRedisServer();
    const gone = new RedisStateStore({ url: own.url, keyPrefix: 'x:', timeoutMs: 5_000 });
    try {
      // Never reached: the first command waits for the first connection attempt, the next ones are refused at once.
      expect(await never.get('k').then(() => 'answered', (err: unknown) => err)).to.be.instanceOf(Error);
      expect(await settles(never.get('k'))).to.equal('at once');
      expect(await settles(never.put('k', 1))).to.equal('at once');
      // Reached, then gone: once the client knows the connection is lost, commands are refused at once.
      await gone.put('k', 1);
      await own.stop('SIGKILL');
      let refusedAtOnce = false;
      for (let i = 0; i < 200 && !refusedAtOnce; i++) {
        refusedAtOnce = (await settles(gone.get('k'))) === 'at once';
        if (!refusedAtOnce) await sleep(10);
      }
      expect(refusedAtOnce).to.equal(true);
    } finally {
      await never.close();
      await gone.close();
      await own.close();
    }
  });

  it('a command sent right after the store is built waits for the first connection rather than being refused', async () => {
    const store = new RedisStateStore({ url: redis.url, keyPrefix: `t${++run}:` });
    try {
      await store.put('k', { n: 1 });
      expect(await store.get('k')).to.deep.equal({ n: 1 });
    } finally {
      await store.close();
    }
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
