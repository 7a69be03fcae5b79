import { expect } from 'chai';
import { Redis } from 'ioredis';
import { collectEvents, type Message } from '../../lib/canonical/index.js';
import { createContinuityStore, RedisContinuityStore, SecureSessions, type ContinuityStore, type RedisStoreOptions } from '../../lib/continuity/index.js';
import { LipError } from '../../lib/errors/index.js';
import { linkToConversation, newConversationId, readConversation, writeConversation } from '../../lib/frontends/openai-responses/conversation-record.js';
import { storedResponses } from '../../lib/server/stored-responses.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { logRecorder } from './log-recorder.js';
import { runSessionSuite } from './session-suite.js';
import { runStoreSuite } from './store-suite.js';
import { VirtualClock } from './virtual-clock.js';

/**
 * The Redis continuity store against a real redis-server this spec starts: first the contract
 * every store passes (the same suites as memory and SQLite), then what only a shared store has:
 * two instances on one Redis continuing one conversation, seqs allocated across instances, and
 * an outage that degrades instead of failing (and never leaves a promise waiting).
 */
describe('continuity/RedisContinuityStore', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let prefixes = 0;
  const fresh = () => `lipspec:${process.pid}:${++prefixes}:`;

  before(async function () {
    redis = await requireRedisServer(this);
  });
  after(() => redis?.close());

  describe('the shared contract', () => {
    runStoreSuite('redis', {
      open: (clock, config) => createContinuityStore({ store: 'redis', sqlite_path: 'unused', ...config }, { scheduler: clock, redis: { url: redis.url, key_prefix: fresh() } }),
    });
    runSessionSuite('redis', {
      open: (clock, config) => createContinuityStore({ store: 'redis', sqlite_path: 'unused', ...config }, { scheduler: clock, redis: { url: redis.url, key_prefix: fresh() } }),
    });
  });

  describe('shared between instances', () => {
    const HOUR = 3_600_000;
    const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
    const reply = (text: string) => collectEvents([{ type: 'text_delta', text }, { type: 'response_finished', reason: 'stop' }]);
    const start = { candidateKey: 'a:m', backendId: 'a', model: 'm' };
    let clock: VirtualClock;
    let prefix: string;
    let log: ReturnType<typeof logRecorder>;
    const stores: RedisContinuityStore[] = [];
    const open = (options: Partial<RedisStoreOptions> = {}): RedisContinuityStore => {
      const store = new RedisContinuityStore({ url: redis.url, keyPrefix: prefix, ttlMs: HOUR, maxLegs: 1_000, scheduler: clock, log, timeoutMs: 300, reconnectMaxMs: 100, ...options });
      stores.push(store);
      return store;
    };
    const sessionsOf = (store: ContinuityStore) => new SecureSessions(store, { resumeWindowMs: 168 * HOUR, clientSessionIds: false, now: () => clock.now() });
    const until = async (check: () => boolean, ms = 10_000) => {
      const deadline = Date.now() + ms;
      while (!check()) {
        if (Date.now() > deadline) throw new Error('condition not met in time');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    beforeEach(async () => {
      if (!redis.running) await redis.start();
      clock = new VirtualClock();
      prefix = fresh();
      log = logRecorder();
    });

    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
    });

    it('a session started on one instance resumes on another, with its [first], affinity and seqs', async () => {
      const a = open();
      const b = open();
      const [onA, onB] = [sessionsOf(a), sessionsOf(b)];
      await onA.prepare({ principal: 'alice' });
      const grant = onA.open({ principal: 'alice' });
      const first = a.beginAttempt(grant.aLeg.aLegId, start);
      a.finishAttempt(first, { outcome: 'success' });
      a.markFirstConsumed(grant.aLeg.aLegId);
      a.bindAffinity(grant.aLeg.aLegId, 'b:m');
      await a.flush();

      const request = { principal: 'alice', resumeToken: grant.resumeToken! };
      expect(() => onB.open(request), 'nothing read from Redis yet').to.throw(LipError);
      await onB.prepare(request);
      const resumed = onB.open(request).aLeg;
      expect(resumed).to.deep.include({ aLegId: grant.aLeg.aLegId, sessionId: grant.aLeg.sessionId, created: false, firstConsumed: true });
      expect(resumed.affinity?.candidateKey).to.equal('b:m');
      expect(a.fingerprintKey().equals(b.fingerprintKey())).to.equal(true);

      const second = b.beginAttempt(resumed.aLegId, { ...start, candidateKey: 'b:m' });
      expect(second.seq).to.equal(2);
      b.clearAffinity(resumed.aLegId, 'b:m');
      b.finishAttempt(second, { outcome: 'success' });
      await b.flush();
      await onA.prepare(request);
      expect(a.routing(resumed.aLegId)).to.deep.equal({ firstConsumed: true, affinity: undefined });
      expect((await a.attempts(resumed.aLegId, 'alice'))?.map((r) => [r.seq, r.candidate_key, r.outcome])).to.deep.equal([[1, 'a:m', 'success'], [2, 'b:m', 'success']]);
      expect(await b.describeALeg(resumed.aLegId, 'mallory')).to.equal(undefined);
    });

    it('continuity.lineage: conversations: a conversation started without a record on one instance resumes on another from its token', async () => {
      const a = open();
      const b = open();
      const lazily = (store: ContinuityStore) => new SecureSessions(store, { resumeWindowMs: 168 * HOUR, clientSessionIds: false, now: () => clock.now(), lazy: true });
      const [onA, onB] = [lazily(a), lazily(b)];
      await onA.prepare({ principal: 'alice' });
      const grant = onA.open({ principal: 'alice' });
      expect(grant.pending?.stored).to.equal(false);
      await a.flush();
      const request = { principal: 'alice', resumeToken: grant.resumeToken! };
      await onB.prepare(request);
      const resumed = onB.open(request).aLeg;
      expect(resumed).to.deep.include({ aLegId: grant.aLeg.aLegId, sessionId: grant.aLeg.sessionId, created: false });
      b.finishAttempt(b.beginAttempt(resumed.aLegId, start), { outcome: 'success' });
      await b.flush();
      // Now stored in Redis: the first instance finds it by the token's fingerprint, rows and all.
      await onA.prepare(request);
      expect(onA.open(request).aLeg.aLegId).to.equal(grant.aLeg.aLegId);
      expect(a.findSession(onA.fingerprint('alice', grant.resumeToken!))?.aLegId).to.equal(grant.aLeg.aLegId);
      expect((await a.attempts(grant.aLeg.aLegId, 'alice'))?.map((r) => [r.seq, r.outcome])).to.deep.equal([[1, 'success']]);
      // Another principal is refused on either instance.
      await onB.prepare({ principal: 'mallory', resumeToken: grant.resumeToken! });
      expect(() => onB.open({ principal: 'mallory', resumeToken: grant.resumeToken! })).to.throw(LipError, /could not be resumed/);
    });

    describe('after Redis lost its data (restarted without persistence, flushed)', () => {
      const sharedKey = async () => {
        const raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
        try {
          await raw.connect();
          const key = await raw.get(`${prefix}cont:fpkey`);
          return key === null ? undefined : Buffer.from(key, 'base64');
        } finally {
          raw.disconnect();
        }
      };
      const flushAll = async () => {
        const raw = new Redis(redis.url);
        try {
          await raw.flushdb(); // this server is the spec's own
        } finally {
          raw.disconnect();
        }
      };
      const resumes = async (sessions: SecureSessions, resumeToken: string) => {
        const request = { principal: 'alice', resumeToken };
        await sessions.prepare(request);
        return sessions.open(request).aLeg.aLegId;
      };

      it('an instance that writes first puts its key back; one started afterwards adopts it', async () => {
        const a = open();
        const b = open();
        const [onA, onB] = [sessionsOf(a), sessionsOf(b)];
        await onA.prepare({ principal: 'alice' });
        await onB.prepare({ principal: 'alice' });
        await flushAll();
        const grant = onA.begin('alice');
        await a.flush();
        expect((await sharedKey())?.equals(a.fingerprintKey())).to.equal(true);
        const c = open();
        const onC = sessionsOf(c);
        expect(await resumes(onC, grant.resumeToken!)).to.equal(grant.aLeg.aLegId);
        const onCsGrant = onC.begin('alice');
        await c.flush();
        expect(await resumes(onB, onCsGrant.resumeToken!)).to.equal(onCsGrant.aLeg.aLegId);
      });

      it('an instance that started first sets a new key; the running ones adopt it when they next meet Redis', async () => {
        const a = open({ keyCheckMs: 0 }); // its confirmation is always stale: it asks again before each new session
        const b = open();
        const [onA, onB] = [sessionsOf(a), sessionsOf(b)];
        await onA.prepare({ principal: 'alice' });
        await onB.prepare({ principal: 'alice' });
        await flushAll();
        const c = open();
        const onC = sessionsOf(c);
        await onC.prepare({ principal: 'alice' });
        const grant = onC.begin('alice');
        await c.flush();
        expect(c.fingerprintKey().equals(b.fingerprintKey())).to.equal(false);
        // b has confirmed its key within keyCheckMs and written nothing since: the token's lookup finds the new key and adopts it.
        expect(await resumes(onB, grant.resumeToken!)).to.equal(grant.aLeg.aLegId);
        // a asks before its next new session, and issues it under the new key.
        await onA.prepare({ principal: 'alice' });
        const onAsGrant = onA.begin('alice');
        await a.flush();
        expect(await resumes(onC, onAsGrant.resumeToken!)).to.equal(onAsGrant.aLeg.aLegId);
        expect(await resumes(onB, onAsGrant.resumeToken!)).to.equal(onAsGrant.aLeg.aLegId);
        expect(log.lines.some(([level, m]) => level === 'warn' && m.includes('another instance set a new key first'))).to.equal(true);
      });

      it('after a restart, the running instances put their key back as they reconnect', async () => {
        const a = open();
        const onA = sessionsOf(a);
        await onA.prepare({ principal: 'alice' });
        await redis.stop('SIGKILL');
        await redis.start();
        await until(() => a.status().state === 'ok');
        let back: Buffer | undefined;
        for (const deadline = Date.now() + 10_000; back === undefined && Date.now() < deadline;) back = await sharedKey();
        expect(back?.equals(a.fingerprintKey())).to.equal(true);
        const grant = onA.begin('alice');
        await a.flush();
        const c = open();
        expect(await resumes(sessionsOf(c), grant.resumeToken!)).to.equal(grant.aLeg.aLegId);
      });

      // Found by the review of the key confirmation: a stale confirmation (older than keyCheckMs)
      // cost every request a key round trip before its lookup, which checks the key itself.
      it('a request that reads is one round trip (its lookup confirms the key); only a new conversation asks for the key first', async () => {
        const a = open({ keyCheckMs: 0 }); // its confirmation is always stale
        const onA = sessionsOf(a);
        await onA.prepare({ principal: 'alice' });
        const grant = onA.begin('alice');
        await a.flush();
        const client = (a as unknown as { client: Record<'lipContKey' | 'lipContLoad', (...args: unknown[]) => Promise<unknown>> }).client;
        const calls: string[] = [];
        for (const name of ['lipContKey', 'lipContLoad'] as const) {
          const real = client[name].bind(client);
          client[name] = (...args) => { calls.push(name); return real(...args); };
        }
        expect(await resumes(onA, grant.resumeToken!)).to.equal(grant.aLeg.aLegId);
        expect(calls.splice(0)).to.deep.equal(['lipContLoad']);
        // Redis lost its data and another instance set its key: a lookup of A-legs alone adopts it.
        await flushAll();
        const c = open();
        await sessionsOf(c).prepare({ principal: 'alice' });
        await a.preload({ principal: 'alice', aLegIds: [grant.aLeg.aLegId] });
        expect(calls.splice(0)).to.deep.equal(['lipContLoad']);
        expect(a.fingerprintKey().equals(c.fingerprintKey())).to.equal(true);
        await onA.prepare({ principal: 'alice' });
        expect(calls.splice(0)).to.deep.equal(['lipContKey']);
      });
    });

    it('never stores one seq twice when two instances begin attempts on one A-leg at once', async () => {
      const a = open();
      const b = open();
      const leg = a.resolveALeg('alice', 'busy');
      await a.flush();
      await b.preload({ principal: 'alice', sessionId: 'busy' });
      expect(b.resolveALeg('alice', 'busy').aLegId).to.equal(leg.aLegId);
      const onA = a.beginAttempt(leg.aLegId, start);
      const onB = b.beginAttempt(leg.aLegId, start);
      expect([onA.seq, onB.seq]).to.deep.equal([1, 1]); // each instance's local guess
      a.finishAttempt(onA, { outcome: 'success' });
      b.finishAttempt(onB, { outcome: 'swallowed_failure' });
      await Promise.all([a.flush(), b.flush()]);
      const rows = (await a.attempts(leg.aLegId))!;
      expect(rows.map((r) => r.seq).sort()).to.deep.equal([1, 2]);
      expect(new Set(rows.map((r) => r.b_leg_id))).to.deep.equal(new Set([onA.bLegId, onB.bLegId]));
      expect((await a.describeALeg(leg.aLegId))?.last_seq).to.equal(2);
    });

    it('runs the exclusive changes of one key on different instances one at a time (a lock in Redis)', async () => {
      const a = open();
      const b = open();
      const log: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => { release = resolve; });
      let started!: () => void;
      const onA = a.exclusive('conv_x', async () => { log.push('a start'); started(); await held; log.push('a end'); });
      await new Promise<void>((resolve) => { started = resolve; });
      const onB = b.exclusive('conv_x', async () => { log.push('b'); });
      const elsewhere = b.exclusive('conv_y', async () => { log.push('other key'); });
      await elsewhere;
      // b keeps trying the lock meanwhile; give it time to (wrongly) get in before a ends.
      await new Promise((resolve) => setTimeout(resolve, 100));
      release();
      await Promise.all([onA, onB]);
      expect(log).to.deep.equal(['a start', 'other key', 'a end', 'b']);
      const client = new Redis(redis.url);
      try {
        expect(await client.keys(`${prefix}cont:X:*`)).to.deep.equal([]); // released
      } finally {
        client.disconnect();
      }
    });

    it('keeps both of two turns that join one conversation at the same moment on different instances', async () => {
      const a = open();
      const b = open();
      const onA = storedResponses(a, 'alice');
      const onB = storedResponses(b, 'alice');
      const id = newConversationId();
      writeConversation(onA, { id, createdAt: 1, metadata: { topic: 't' }, deleted: [], head: undefined });
      await a.flush();
      for (let round = 0; round < 5; round++) {
        const head = (await readConversation(onB, id, 'conversation')).head;
        onA.save({ id: `resp_a${round}`, ...(head ? { previousResponseId: head } : {}), input: [user(`a${round}`)], output: reply(`A${round}`) });
        onB.save({ id: `resp_b${round}`, ...(head ? { previousResponseId: head } : {}), input: [user(`b${round}`)], output: reply(`B${round}`) });
        await Promise.all([a.flush(), b.flush()]);
        await Promise.all([linkToConversation(onA, id, head, `resp_a${round}`), linkToConversation(onB, id, head, `resp_b${round}`)]);
      }
      const conversation = await readConversation(onA, id, 'conversation');
      expect(conversation.metadata).to.deep.equal({ topic: 't' });
      const chain = (await onB.chain(conversation.head!)).map((r) => r.id).filter((r) => r.startsWith('resp_'));
      expect(chain).to.have.length(10);
      expect(new Set(chain)).to.deep.equal(new Set([0, 1, 2, 3, 4].flatMap((i) => [`resp_a${i}`, `resp_b${i}`])));
    });

    it('continues a Responses conversation whose turns were saved on different instances', async () => {
      const a = open();
      const b = open();
      a.saveResponse({ id: 'resp_1', principal: 'alice', input: [user('one')], output: reply('1') });
      await a.flush();
      b.saveResponse({ id: 'resp_2', principal: 'alice', previousResponseId: 'resp_1', input: [user('two')], output: reply('2') });
      await b.flush();
      a.saveResponse({ id: 'resp_3', principal: 'alice', previousResponseId: 'resp_2', input: [user('three')], output: reply('3') });
      await a.flush();
      expect((await b.loadConversation('resp_3', 'alice')).messages).to.have.length(6);
      try {
        await b.loadConversation('resp_3', 'mallory');
        expect.fail('another principal read the conversation');
      } catch (err) {
        expect((err as LipError).code).to.equal('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND');
      }
    });

    it('never drops a durable response (a batch\'s results) from a full queue: it reaches Redis beyond the capacity', async () => {
      const a = open({ queue: { capacity: 2 } });
      const b = open();
      a.saveResponse({ id: 'results-0', principal: 'alice', input: [], output: reply('line'), durable: true });
      for (const id of ['r1', 'r2', 'r3']) a.saveResponse({ id, principal: 'alice', input: [user(id)], output: reply(id) });
      expect(a.status()).to.deep.include({ pending: 2, dropped: 2 });
      await a.flush();
      expect((await b.loadResponse('results-0', 'alice')).output).to.deep.equal(reply('line'));
      expect((await b.loadResponse('r3', 'alice')).id).to.equal('r3');
    });

    it('a response deleted on one instance is gone on every instance, also the one that saved it and keeps its own copy', async () => {
      const a = open();
      const b = open();
      a.saveResponse({ id: 'resp_1', principal: 'alice', input: [user('one')], output: reply('1') });
      a.saveResponse({ id: 'resp_2', principal: 'alice', previousResponseId: 'resp_1', input: [user('two')], output: reply('2') });
      await a.flush();
      try {
        await b.deleteResponse('resp_1', 'mallory');
        expect.fail('another principal deleted the response');
      } catch (err) {
        expect((err as LipError).code).to.equal('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND');
      }
      await b.deleteResponse('resp_1', 'alice');
      const raw = new Redis(redis.url);
      try {
        expect(await raw.hgetall(`${prefix}cont:R:resp_1`)).to.deep.equal({ gone: '1' }); // the tombstone
        expect(await raw.pttl(`${prefix}cont:R:resp_1`)).to.be.above(0);
      } finally {
        raw.disconnect();
      }
      for (const store of [a, b]) {
        for (const read of [() => store.loadResponse('resp_1', 'alice'), () => store.loadConversation('resp_2', 'alice')]) {
          try {
            await read();
            expect.fail('read a deleted response');
          } catch (err) {
            expect((err as LipError).code).to.equal('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND');
          }
        }
        expect((await store.loadResponse('resp_2', 'alice')).input).to.deep.equal([user('two')]);
      }
    });

    it('a deletion Redis cannot take is a 503, stays queued and hides the response here, and reaches Redis once it is back', async () => {
      const a = open();
      const b = open();
      a.saveResponse({ id: 'resp_x', principal: 'alice', input: [user('x')], output: reply('y') });
      await a.flush();
      await redis.stop('SIGKILL');
      await until(() => a.status().state === 'degraded');
      let refused: unknown;
      await a.deleteResponse('resp_x', 'alice').catch((err: unknown) => { refused = err; });
      expect([(refused as LipError).code, (refused as LipError).status, (refused as LipError).retryAfter]).to.deep.equal(['LIP_ERR_CONTINUITY_UNAVAILABLE', 503, 1]);
      let hidden: unknown;
      await a.loadResponse('resp_x', 'alice').catch((err: unknown) => { hidden = err; });
      expect((hidden as LipError).code).to.equal('LIP_ERR_CONTINUITY_UNAVAILABLE'); // Redis cannot say, and this instance no longer shows it
      await redis.start();
      await until(() => a.status().pending === 0);
      const raw = new Redis(redis.url);
      try {
        expect(await raw.hgetall(`${prefix}cont:R:resp_x`)).to.deep.equal({ gone: '1' });
      } finally {
        raw.disconnect();
      }
      // b's own connection comes back on its own schedule: until it has, b cannot read Redis either.
      let gone: unknown;
      const read = async () => { gone = undefined; await b.loadResponse('resp_x', 'alice').catch((err: unknown) => { gone = err; }); };
      await read();
      for (const deadline = Date.now() + 10_000; (gone as LipError | undefined)?.code === 'LIP_ERR_CONTINUITY_UNAVAILABLE' && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        await read();
      }
      expect((gone as LipError).code).to.equal('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND');
    });

    it('bounds what it keeps in Redis: max_legs across instances by fair share, attempt rows per A-leg', async () => {
      const a = open({ maxLegs: 3, maxAttemptsPerLeg: 2 });
      const b = open({ maxLegs: 3, maxAttemptsPerLeg: 2 });
      const kept = a.resolveALeg('alice', 'kept');
      for (let i = 0; i < 3; i++) {
        const ticket = a.beginAttempt(kept.aLegId, start);
        a.finishAttempt(ticket, { outcome: 'success' });
      }
      await a.flush();
      for (let i = 0; i < 5; i++) {
        clock.advance(1);
        b.resolveALeg('mallory', `flood-${i}`);
        await b.flush();
      }
      const raw = new Redis(redis.url);
      try {
        expect(await raw.zcard(`${prefix}cont:legs`)).to.equal(3);
        expect(Number(await raw.zscore(`${prefix}cont:held`, 'mallory'))).to.equal(2);
        expect(await raw.exists(`${prefix}cont:L:${kept.aLegId}`)).to.equal(1);
      } finally {
        raw.disconnect();
      }
      expect((await a.attempts(kept.aLegId))?.map((r) => r.seq)).to.deep.equal([2, 3]);
    });

    it('keeps serving through an outage: reads degrade, records queue within a bound, the rest are counted; then catches up', async () => {
      const a = open({ queue: { capacity: 5 } });
      const b = open();
      const leg = a.resolveALeg('alice', 'outage');
      a.saveResponse({ id: 'resp_before', principal: 'alice', input: [user('hi')], output: reply('hello') });
      const [onA, onB] = [sessionsOf(a), sessionsOf(b)];
      await onA.prepare({ principal: 'alice' });
      const token = { principal: 'alice', resumeToken: onA.begin('alice').resumeToken! };
      await a.flush();
      await redis.stop('SIGKILL');
      await until(() => a.status().state === 'degraded');
      expect(a.status()).to.deep.include({ ready: true, store: 'redis' });
      expect(a.status().reason).to.match(/served from local state/);

      const began = Date.now();
      await a.preload({ principal: 'alice', sessionId: 'outage', aLegIds: [leg.aLegId] }); // resolves, never hangs
      expect(Date.now() - began).to.be.below(5_000);
      expect(a.resolveALeg('alice', 'outage').aLegId).to.equal(leg.aLegId);
      await onA.prepare(token);
      expect(onA.open(token).aLeg.created).to.equal(false); // the instance that holds it continues it
      await onB.prepare(token);
      let refused: unknown;
      try {
        onB.open(token);
      } catch (err) {
        refused = err;
      }
      expect([(refused as LipError).code, (refused as LipError).status, (refused as LipError).retryAfter]).to.deep.equal(['LIP_ERR_CONTINUITY_UNAVAILABLE', 503, 1]);
      for (let i = 0; i < 3; i++) {
        const ticket = a.beginAttempt(leg.aLegId, start);
        a.finishAttempt(ticket, { outcome: 'success' });
      }
      expect((await a.loadConversation('resp_before', 'alice')).messages).to.have.length(2); // this instance saved it
      try {
        await b.loadConversation('resp_before', 'alice');
        expect.fail('read a conversation Redis could not give');
      } catch (err) {
        expect([(err as LipError).code, (err as LipError).status]).to.deep.equal(['LIP_ERR_CONTINUITY_UNAVAILABLE', 503]);
      }
      let failed: unknown;
      await a.flush().catch((err: unknown) => { failed = err; });
      expect((failed as LipError).code).to.equal('LIP_ERR_CONTINUITY_UNAVAILABLE');
      const during = a.status();
      expect([during.pending, during.dropped]).to.deep.equal([5, 0]); // 2 A-legs + 3 attempts, coalesced
      a.saveResponse({ id: 'resp_during', principal: 'alice', input: [user('x')], output: reply('y') });
      expect(a.status()).to.deep.include({ pending: 5, dropped: 1, state: 'full' });
      expect(log.lines.filter(([, m]) => m.includes('queue is full'))).to.have.length(1);

      await redis.start();
      await until(() => a.status().pending < 5);
      await until(() => b.status().state === 'ok');
      await a.flush();
      expect(a.status()).to.deep.include({ state: 'ok', pending: 0, dropped: 1 });
      expect(log.lines.some(([level, m]) => level === 'warn' && m === 'continuity writes recovered')).to.equal(true);
      expect((await b.loadResponse('resp_during', 'alice')).id).to.equal('resp_during');
    });

    it('answers within its timeout while Redis is frozen, and closes without waiting for it', async () => {
      const a = open({ timeoutMs: 200 });
      const leg = a.resolveALeg('alice', 'frozen');
      await a.flush();
      redis.pause();
      try {
        const began = Date.now();
        await a.preload({ principal: 'alice', aLegIds: [leg.aLegId] });
        expect(a.routing(leg.aLegId)).to.deep.equal({ firstConsumed: false, affinity: undefined });
        a.markFirstConsumed(leg.aLegId);
        await a.flush().catch(() => undefined);
        expect(a.status().state).to.equal('degraded');
        await a.close();
        expect(Date.now() - began).to.be.below(5_000);
        expect(a.status()).to.deep.include({ state: 'closed', lost: 1 });
      } finally {
        redis.resume();
      }
    });
  });
});
