import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectEvents, type Message } from '../../lib/canonical/index.js';
import { createContinuityStore, type ContinuityStore } from '../../lib/continuity/index.js';
import { LipError } from '../../lib/errors/index.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { VirtualClock } from './virtual-clock.js';

const TTL = 60_000;
const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const reply = (text: string) => collectEvents([{ type: 'response_started' }, { type: 'text_delta', text }, { type: 'response_finished', reason: 'stop' }]);

/** The status a store answers a load with: 200, or the LipError's. */
async function statusOf(load: Promise<unknown>): Promise<number> {
  try {
    await load;
    return 200;
  } catch (err) {
    if (err instanceof LipError) return err.status;
    throw err;
  }
}

/**
 * Faults the differential property of the three continuity stores found
 * (spec/fuzz/continuity-stores.fuzz.spec.ts), each pinned on every store it touched:
 * a chain of responses in a circle walked by Redis until its command timeout (503, Redis
 * blocked) where the others answer 404; a response kept readable by a continuation that had
 * itself expired (SQLite until it pruned, one level per prune; every store until its next
 * write); an A-leg whose attempt ran past `ttl` pruned by SQLite, with its earlier rows, when
 * another conversation's write came meanwhile (Redis, which let such an A-leg's keys expire,
 * expires them on its own clock: the property drives that on virtual time).
 */
describe('regression: the continuity stores agree', function () {
  this.timeout(20_000);
  let redis: RedisServer;
  let dir: string;
  let prefixes = 0;
  const opened: ContinuityStore[] = [];

  before(async function () {
    redis = await requireRedisServer(this);
    dir = mkdtempSync(join(tmpdir(), 'lip-stores-agree-'));
  });
  after(async () => {
    await redis?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });

  const open = (kind: 'memory' | 'sqlite' | 'redis', clock: VirtualClock): ContinuityStore => {
    const n = ++prefixes;
    const store = createContinuityStore({ store: kind, sqlite_path: join(dir, `lip-${n}.db`), ttl: TTL, max_legs: 1_000 }, {
      scheduler: clock, redis: { url: redis.url, key_prefix: `lipspec-agree:${process.pid}:${n}:` }, sqlite: { pruneIntervalMs: 10_000 },
    });
    opened.push(store);
    return store;
  };

  for (const kind of ['memory', 'sqlite', 'redis'] as const) {
    describe(kind, () => {
      it('a chain in a circle is a 404 at once, like any chain broken before its start', async () => {
        const clock = new VirtualClock();
        const store = open(kind, clock);
        store.saveResponse({ id: 'resp_a', principal: 'alice', previousResponseId: 'resp_b', input: [user('one')], output: reply('1') });
        store.saveResponse({ id: 'resp_b', principal: 'alice', previousResponseId: 'resp_a', input: [user('two')], output: reply('2') });
        await store.flush();
        await store.persisted?.();
        expect(await statusOf(store.loadChain('resp_b', 'alice'))).to.equal(404);
        expect(await statusOf(store.loadConversation('resp_a', 'alice'))).to.equal(404);
      });

      it('a turn whose only continuation has expired expires with it, whenever the store prunes', async () => {
        const clock = new VirtualClock();
        const store = open(kind, clock);
        store.saveResponse({ id: 'resp_1', principal: 'alice', input: [user('one')], output: reply('1') });
        clock.advance(1_000);
        store.saveResponse({ id: 'resp_2', principal: 'alice', previousResponseId: 'resp_1', input: [user('two')], output: reply('2') });
        await store.flush();
        // While the newest turn lives, its ancestor does, past its own ttl.
        clock.advance(TTL - 500);
        expect(await statusOf(store.loadResponse('resp_1', 'alice'))).to.equal(200);
        // Once the newest turn has expired, neither reads (no write has come to sweep them).
        clock.advance(1_000);
        expect(await statusOf(store.loadResponse('resp_2', 'alice'))).to.equal(404);
        expect(await statusOf(store.loadResponse('resp_1', 'alice'))).to.equal(404);
      });

      if (kind !== 'redis') {
        it('an A-leg whose attempt runs past ttl keeps its earlier rows and its seq', async () => {
          const clock = new VirtualClock();
          const store = open(kind, clock);
          const leg = store.resolveALeg('alice');
          const first = store.beginAttempt(leg.aLegId, { candidateKey: 'a:m', backendId: 'a', model: 'm' });
          store.finishAttempt(first, { outcome: 'swallowed_failure', reason: 'LIP_ERR_UPSTREAM_STATUS' });
          const long = store.beginAttempt(leg.aLegId, { candidateKey: 'b:m', backendId: 'b', model: 'm' });
          await store.flush();
          // Meanwhile other conversations write (a store prunes once a write has drained).
          for (let t = 0; t < 5 * TTL; t += 10_000) {
            clock.advance(10_000);
            store.resolveALeg('bob');
            await store.flush();
          }
          store.finishAttempt(long, { outcome: 'success', httpStatus: 200 });
          const next = store.beginAttempt(leg.aLegId, { candidateKey: 'b:m', backendId: 'b', model: 'm' });
          store.finishAttempt(next, { outcome: 'success', httpStatus: 200 });
          await store.flush();
          const rows = await store.attempts(leg.aLegId, 'alice');
          expect(rows?.map((r) => [r.seq, r.outcome])).to.deep.equal([[1, 'swallowed_failure'], [2, 'success'], [3, 'success']]);
        });
      }
    });
  }
});
