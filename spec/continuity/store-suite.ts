import { expect } from 'chai';
import { collectEvents, emptyCall, validateCall, type Message } from '../../lib/canonical/index.js';
import { DELETED_RESPONSE, isDeletedResponse, type AttemptRow, type ContinuityStore } from '../../lib/continuity/index.js';
import { LipError } from '../../lib/errors/index.js';
import { T0, VirtualClock } from './virtual-clock.js';

export interface StoreHarness {
  /** A fresh, empty store on `clock` with these continuity settings. */
  open(clock: VirtualClock, config: { ttl: number; max_legs: number }): ContinuityStore;
  /** Releases whatever the store left behind (files). */
  cleanup?(): void;
}

const HOUR = 3_600_000;
const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const reply = (text: string) => collectEvents([{ type: 'response_started' }, { type: 'text_delta', text }, { type: 'response_finished', reason: 'stop' }]);

function expectLipError(fn: () => unknown, code: string, status: number): LipError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(LipError);
    expect([(err as LipError).code, (err as LipError).status]).to.deep.equal([code, status]);
    return err as LipError;
  }
  throw new Error(`expected ${code}`);
}

async function expectRejected(promise: Promise<unknown>, code: string, status: number): Promise<LipError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(LipError);
    expect([(err as LipError).code, (err as LipError).status]).to.deep.equal([code, status]);
    return err as LipError;
  }
  throw new Error(`expected ${code}`);
}

/**
 * The one behaviour every continuity store must have, run against each implementation (the
 * memory, SQLite and Redis stores call this from their own spec files). Reads go through
 * `flush()` first where a store writes behind, so the same assertions hold for both.
 */
export function runStoreSuite(kind: 'memory' | 'sqlite' | 'redis', harness: StoreHarness): void {
  describe(`continuity store contract (${kind})`, () => {
    let clock: VirtualClock;
    let store: ContinuityStore;
    const open = (config: { ttl?: number; max_legs?: number } = {}) => {
      clock = new VirtualClock();
      store = harness.open(clock, { ttl: config.ttl ?? HOUR, max_legs: config.max_legs ?? 1_000 });
      return store;
    };
    const rows = async (aLegId: string, principal?: string): Promise<AttemptRow[] | undefined> => {
      await store.flush();
      return store.attempts(aLegId, principal);
    };

    afterEach(async () => {
      await store?.close();
      harness.cleanup?.();
    });

    it('is the kind it says', () => {
      expect(open().kind).to.equal(kind);
    });

    it('creates a new A-leg with a new session id when the request names none', () => {
      open();
      const a = store.resolveALeg('alice');
      const b = store.resolveALeg('alice');
      expect(a).to.deep.include({ principal: 'alice', created: true, firstConsumed: false, affinity: undefined });
      expect(a.aLegId).to.match(/^a_[0-9a-f]{32}$/);
      expect(a.sessionId).to.match(/^s_[0-9a-f]{32}$/);
      expect([b.created, b.aLegId === a.aLegId, b.sessionId === a.sessionId]).to.deep.equal([true, false, false]);
    });

    it('resumes the A-leg of a session id, and starts one for a session id it does not know', () => {
      open();
      const first = store.resolveALeg('alice', 'conv-1');
      expect([first.created, first.sessionId]).to.deep.equal([true, 'conv-1']);
      clock.advance(1000);
      const again = store.resolveALeg('alice', 'conv-1');
      expect([again.created, again.aLegId, again.sessionId]).to.deep.equal([false, first.aLegId, 'conv-1']);
    });

    it('scopes session ids to the principal: nobody reads or resumes another principal\'s A-leg', async () => {
      open();
      const alice = store.resolveALeg('alice', 'shared-name');
      const ticket = store.beginAttempt(alice.aLegId, { candidateKey: 'stub:m', backendId: 'stub', model: 'm' });
      store.finishAttempt(ticket, { outcome: 'success', httpStatus: 200 });
      const mallory = store.resolveALeg('mallory', 'shared-name');
      expect(mallory.aLegId).to.not.equal(alice.aLegId);
      expect(mallory.created).to.equal(true);
      expect(await rows(alice.aLegId, 'mallory')).to.equal(undefined);
      expect(await store.describeALeg(alice.aLegId, 'mallory')).to.equal(undefined);
      expect((await rows(alice.aLegId, 'alice'))?.map((r) => r.seq)).to.deep.equal([1]);
      expect((await rows(mallory.aLegId, 'mallory'))).to.deep.equal([]);
      expect(store.resolveALeg('alice', 'shared-name').aLegId).to.equal(alice.aLegId);
    });

    it('refuses a malformed session id with a 400 naming the header', () => {
      open();
      for (const bad of ['', 'has space', 'x'.repeat(129), 'semi;colon', 'ünï']) {
        expect(expectLipError(() => store.resolveALeg('alice', bad), 'LIP_ERR_REQUEST_INVALID', 400).param).to.equal('X-LIP-Session-Id');
      }
      expect(store.resolveALeg('alice', 'A-z_0.9:x').created).to.equal(true);
    });

    it('allocates B-leg sequence numbers 1, 2, 3 ... across the requests of one A-leg', async () => {
      open();
      const leg = store.resolveALeg('alice', 'seq');
      const t1 = store.beginAttempt(leg.aLegId, { candidateKey: 'a:m', backendId: 'a', model: 'm' });
      const t2 = store.beginAttempt(leg.aLegId, { candidateKey: 'b:m', backendId: 'b', model: 'm' });
      store.resolveALeg('alice', 'seq');
      const t3 = store.beginAttempt(leg.aLegId, { candidateKey: 'a:m', backendId: 'a', model: 'm' });
      expect([t1.seq, t2.seq, t3.seq]).to.deep.equal([1, 2, 3]);
      expect(new Set([t1.bLegId, t2.bLegId, t3.bLegId]).size).to.equal(3);
      expect(t1.bLegId).to.match(/^b_[0-9a-f]{32}$/);
      const other = store.resolveALeg('alice', 'other');
      expect(store.beginAttempt(other.aLegId, { candidateKey: 'a:m', backendId: 'a', model: 'm' }).seq).to.equal(1);
    });

    it('never hands one seq to two concurrent requests on the same A-leg', async () => {
      open();
      const { aLegId } = store.resolveALeg('alice', 'busy');
      const request = async (i: number) => {
        await Promise.resolve();
        store.resolveALeg('alice', 'busy');
        const first = store.beginAttempt(aLegId, { candidateKey: `x:${i}`, backendId: 'x', model: `${i}` });
        await new Promise<void>((resolve) => setImmediate(resolve));
        const second = store.beginAttempt(aLegId, { candidateKey: `y:${i}`, backendId: 'y', model: `${i}` });
        store.finishAttempt(first, { outcome: 'swallowed_failure' });
        store.finishAttempt(second, { outcome: 'success' });
        return [first.seq, second.seq];
      };
      const seqs = (await Promise.all(Array.from({ length: 50 }, (_, i) => request(i)))).flat();
      expect([...seqs].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 100 }, (_, i) => i + 1));
      const stored = await rows(aLegId);
      expect(stored?.map((r) => r.seq)).to.deep.equal(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(new Set(stored?.map((r) => r.b_leg_id)).size).to.equal(100);
    });

    it('records the full attempt row of CONTRACT section 8', async () => {
      open();
      const leg = store.resolveALeg('alice');
      const ticket = store.beginAttempt(leg.aLegId, { candidateKey: 'fast:m1?temperature=0.2', backendId: 'fast', model: 'm1' });
      expect((await rows(leg.aLegId))?.[0]).to.deep.include({ outcome: null, first_output_at: null, finished_at: null });
      clock.advance(180);
      store.firstOutput(ticket);
      clock.advance(900);
      store.finishAttempt(ticket, { outcome: 'success', httpStatus: 200 });
      expect(await rows(leg.aLegId)).to.deep.equal([{
        a_leg_id: leg.aLegId, seq: 1, b_leg_id: ticket.bLegId, candidate_key: 'fast:m1?temperature=0.2',
        backend_id: 'fast', model: 'm1', started_at: T0, first_output_at: T0 + 180, finished_at: T0 + 1080,
        outcome: 'success', reason: null, http_status: 200, principal: 'alice', key_id: null,
        input_tokens: null, output_tokens: null, cache_read_tokens: null, cache_write_tokens: null, reasoning_tokens: null,
        cost: null, upstream_request_id: null,
      }]);
    });

    it('records usage, cost, key id and the upstream request id, and sums them by model, backend and principal', async () => {
      open();
      const alice = store.resolveALeg('alice');
      const bob = store.resolveALeg('bob');
      const a1 = store.beginAttempt(alice.aLegId, { candidateKey: 'oa:gpt', backendId: 'oa', model: 'gpt', keyId: 'k-alice' });
      store.finishAttempt(a1, { outcome: 'success', usage: { inputTokens: 1000, outputTokens: 100, cacheReadTokens: 200, reasoningTokens: 40 }, cost: 0.25, upstreamRequestId: 'req_1' });
      const a2 = store.beginAttempt(alice.aLegId, { candidateKey: 'an:claude', backendId: 'an', model: 'claude', keyId: 'k-alice' });
      store.finishAttempt(a2, { outcome: 'swallowed_failure', reason: 'LIP_ERR_UPSTREAM_STATUS: 503', httpStatus: 503 });
      clock.advance(1000);
      const b1 = store.beginAttempt(bob.aLegId, { candidateKey: 'oa:gpt', backendId: 'oa', model: 'gpt' });
      store.finishAttempt(b1, { outcome: 'success', usage: { inputTokens: 10, outputTokens: 5, cacheWriteTokens: 3 }, cost: 0.5 });
      const running = store.beginAttempt(bob.aLegId, { candidateKey: 'oa:gpt', backendId: 'oa', model: 'gpt' });
      expect((await rows(alice.aLegId))?.[0]).to.deep.include({
        principal: 'alice', key_id: 'k-alice', input_tokens: 1000, output_tokens: 100, cache_read_tokens: 200, cache_write_tokens: null,
        reasoning_tokens: 40, cost: 0.25, upstream_request_id: 'req_1',
      });
      const zero = { cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0 };
      expect(await store.usage({ groupBy: 'model' })).to.deep.equal({ groups: [
        { group: 'gpt', attempts: 2, input_tokens: 1010, output_tokens: 105, cache_read_tokens: 200, cache_write_tokens: 3, reasoning_tokens: 40, cost: 0.75 },
        { group: 'claude', attempts: 1, input_tokens: 0, output_tokens: 0, ...zero, cost: null },
      ], other: null });
      expect((await store.usage({ groupBy: 'principal' })).groups.map((g) => [g.group, g.attempts, g.cost])).to.deep.equal([['bob', 1, 0.5], ['alice', 2, 0.25]]);
      expect((await store.usage({ groupBy: 'backend', principal: 'alice' })).groups.map((g) => [g.group, g.input_tokens])).to.deep.equal([['oa', 1000], ['an', 0]]);
      expect((await store.usage({ groupBy: 'model', since: T0 + 500 })).groups.map((g) => [g.group, g.attempts, g.input_tokens])).to.deep.equal([['gpt', 1, 10]]);
      store.finishAttempt(running, { outcome: 'cancelled' });
    });

    it('answers at most `limit` usage groups, largest first, and sums the groups left out in `other`', async () => {
      open();
      const leg = store.resolveALeg('alice');
      for (const [model, cost] of [['d', null], ['a', 5], ['e', 1], ['b', 4], ['c', 3]] as const) {
        const ticket = store.beginAttempt(leg.aLegId, { candidateKey: `up:${model}`, backendId: 'up', model });
        store.finishAttempt(ticket, { outcome: 'success', usage: { inputTokens: 10, outputTokens: 2, reasoningTokens: 1 }, ...(cost === null ? {} : { cost }) });
      }
      const all = await store.usage({ groupBy: 'model' });
      expect([all.groups.map((g) => g.group), all.other]).to.deep.equal([['a', 'b', 'c', 'e', 'd'], null]);
      const top = await store.usage({ groupBy: 'model', limit: 2 });
      expect(top.groups.map((g) => [g.group, g.cost])).to.deep.equal([['a', 5], ['b', 4]]);
      expect(top.other).to.deep.equal({
        groups: 3, attempts: 3, input_tokens: 30, output_tokens: 6, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 3, cost: 4,
      });
      const unpriced = await store.usage({ groupBy: 'model', limit: 4 });
      expect([unpriced.groups.length, unpriced.other]).to.deep.equal([4, {
        groups: 1, attempts: 1, input_tokens: 10, output_tokens: 2, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 1, cost: null,
      }]);
      expect((await store.usage({ groupBy: 'model', limit: 5 })).other).to.equal(null);
    });

    it('keeps lineage for failover, a race, a client abort and a failure after output', async () => {
      open();
      const leg = store.resolveALeg('alice');
      const start = (key: string) => store.beginAttempt(leg.aLegId, { candidateKey: key, backendId: key.split(':')[0]!, model: 'm' });
      // Request 1: the first candidate fails before output, the second serves.
      const failed = start('a:m');
      clock.advance(40);
      store.finishAttempt(failed, { outcome: 'swallowed_failure', reason: 'LIP_ERR_UPSTREAM_STATUS: upstream answered 503', httpStatus: 503 });
      const served = start('b:m');
      clock.advance(10);
      store.firstOutput(served);
      store.finishAttempt(served, { outcome: 'success', httpStatus: 200 });
      // Request 2: a race; the winner serves, the loser is cancelled.
      const winner = start('a:m');
      const loser = start('b:m');
      clock.advance(5);
      store.firstOutput(winner);
      store.finishAttempt(loser, { outcome: 'cancelled', reason: 'race loser' });
      store.finishAttempt(winner, { outcome: 'success', httpStatus: 200 });
      // Request 3: the client goes away mid-stream; request 4: the upstream breaks after output.
      const aborted = start('a:m');
      store.firstOutput(aborted);
      store.finishAttempt(aborted, { outcome: 'cancelled', reason: 'client abort' });
      const broken = start('a:m');
      store.firstOutput(broken);
      store.finishAttempt(broken, { outcome: 'surfaced_failure', reason: 'LIP_ERR_UPSTREAM_RESET: connection reset', httpStatus: 502 });
      const lineage = await rows(leg.aLegId);
      expect(lineage?.map((r) => [r.seq, r.candidate_key, r.outcome, r.reason, r.http_status, r.first_output_at !== null])).to.deep.equal([
        [1, 'a:m', 'swallowed_failure', 'LIP_ERR_UPSTREAM_STATUS: upstream answered 503', 503, false],
        [2, 'b:m', 'success', null, 200, true],
        [3, 'a:m', 'success', null, 200, true],
        [4, 'b:m', 'cancelled', 'race loser', null, false],
        [5, 'a:m', 'cancelled', 'client abort', null, true],
        [6, 'a:m', 'surfaced_failure', 'LIP_ERR_UPSTREAM_RESET: connection reset', 502, true],
      ]);
      expect(lineage?.[0]?.finished_at).to.be.at.most(lineage?.[1]?.started_at ?? 0);
    });

    it('counts only the first firstOutput and the first finish; unknown tickets are ignored', async () => {
      open();
      const leg = store.resolveALeg('alice');
      const ticket = store.beginAttempt(leg.aLegId, { candidateKey: 'a:m', backendId: 'a', model: 'm' });
      store.firstOutput(ticket);
      clock.advance(50);
      store.firstOutput(ticket);
      store.finishAttempt(ticket, { outcome: 'cancelled', reason: 'race loser' });
      clock.advance(50);
      store.finishAttempt(ticket, { outcome: 'success' });
      store.finishAttempt({ aLegId: leg.aLegId, seq: 9, bLegId: 'b_unknown' }, { outcome: 'success' });
      store.firstOutput({ aLegId: leg.aLegId, seq: 9, bLegId: 'b_unknown' });
      expect((await rows(leg.aLegId))?.map((r) => [r.first_output_at, r.finished_at, r.outcome])).to.deep.equal([[T0, T0 + 50, 'cancelled']]);
    });

    it('keeps reasons to one line of at most 512 characters', async () => {
      open();
      const leg = store.resolveALeg('alice');
      const ticket = store.beginAttempt(leg.aLegId, { candidateKey: 'a:m', backendId: 'a', model: 'm' });
      store.finishAttempt(ticket, { outcome: 'surfaced_failure', reason: `line one\n  line two ${'x'.repeat(1000)}` });
      const reason = (await rows(leg.aLegId))?.[0]?.reason ?? '';
      expect([reason.length, reason.startsWith('line one line two x'), reason.endsWith('…')]).to.deep.equal([512, true, true]);
    });

    it('keeps a row small whatever the client named: candidate_key and model past 256 characters are cut, saying how much', async () => {
      open();
      const leg = store.resolveALeg('alice');
      // The longest selector a request may bring (MAX_SELECTOR_INPUT_CHARS): the model is client text.
      const model = `m${'x'.repeat(4_095)}`;
      const ticket = store.beginAttempt(leg.aLegId, { candidateKey: `up:${model}`, backendId: 'up', model });
      store.finishAttempt(ticket, { outcome: 'success', httpStatus: 200 });
      const row = (await rows(leg.aLegId))?.[0];
      expect([row?.candidate_key.length, row?.model.length]).to.deep.equal([256, 256]);
      expect(row?.candidate_key).to.equal(`up:m${'x'.repeat(236)}...(+3859 chars)`);
      expect(row?.model).to.equal(`m${'x'.repeat(239)}...(+3856 chars)`);
      expect((await store.usage({ groupBy: 'model' })).groups.map((g) => g.group)).to.deep.equal([row?.model]);
      // At the bound nothing is cut.
      const exact = `n${'y'.repeat(255)}`;
      const kept = store.beginAttempt(leg.aLegId, { candidateKey: 'up:n', backendId: 'up', model: exact });
      store.finishAttempt(kept, { outcome: 'success' });
      expect((await rows(leg.aLegId))?.[1]?.model).to.equal(exact);
    });

    it('keeps [first] consumption and the affinity binding on the A-leg', async () => {
      open();
      const leg = store.resolveALeg('alice', 'routing');
      store.markFirstConsumed(leg.aLegId);
      clock.advance(7);
      store.bindAffinity(leg.aLegId, 'b:m');
      const resumed = store.resolveALeg('alice', 'routing');
      expect([resumed.firstConsumed, resumed.affinity]).to.deep.equal([true, { candidateKey: 'b:m', boundAt: T0 + 7 }]);
      store.clearAffinity(leg.aLegId, 'a:m');
      expect(store.routing(leg.aLegId)?.affinity?.candidateKey).to.equal('b:m');
      store.clearAffinity(leg.aLegId, 'b:m');
      expect(store.routing(leg.aLegId)).to.deep.equal({ firstConsumed: true, affinity: undefined });
      store.bindAffinity(leg.aLegId, 'c:m');
      store.clearAffinity(leg.aLegId);
      expect(store.routing(leg.aLegId)?.affinity).to.equal(undefined);
      await store.flush();
      expect(await store.describeALeg(leg.aLegId, 'alice')).to.deep.include({ first_consumed: true, affinity_candidate_key: null, last_seq: 0, session_id: 'routing' });
      expect(store.routing('a_missing')).to.equal(undefined);
    });

    it('expires an A-leg idle for ttl: its session then starts a fresh A-leg', async () => {
      open({ ttl: 10_000 });
      const leg = store.resolveALeg('alice', 'idle');
      store.markFirstConsumed(leg.aLegId);
      clock.advance(9_999);
      expect(store.resolveALeg('alice', 'idle').aLegId).to.equal(leg.aLegId); // seen again: the clock restarts
      clock.advance(9_999);
      expect(store.resolveALeg('alice', 'idle').aLegId).to.equal(leg.aLegId);
      clock.advance(10_000);
      expect(await rows(leg.aLegId)).to.equal(undefined);
      const fresh = store.resolveALeg('alice', 'idle');
      expect([fresh.created, fresh.aLegId === leg.aLegId, fresh.sessionId, fresh.firstConsumed]).to.deep.equal([true, false, 'idle', false]);
      expect(store.resolveALeg('alice', 'idle').aLegId).to.equal(fresh.aLegId);
    });

    it('never expires an A-leg while one of its attempts runs', async () => {
      open({ ttl: 1_000 });
      const leg = store.resolveALeg('alice', 'long-stream');
      const ticket = store.beginAttempt(leg.aLegId, { candidateKey: 'a:m', backendId: 'a', model: 'm' });
      clock.advance(5_000);
      expect(store.resolveALeg('alice', 'long-stream').aLegId).to.equal(leg.aLegId);
      store.finishAttempt(ticket, { outcome: 'success' });
      expect((await rows(leg.aLegId))?.map((r) => r.outcome)).to.deep.equal(['success']);
    });

    it('evicts the least recently seen A-leg past max_legs', async () => {
      open({ max_legs: 3 });
      const one = store.resolveALeg('alice', 'one');
      clock.advance(1);
      const two = store.resolveALeg('alice', 'two');
      clock.advance(1);
      const three = store.resolveALeg('bob', 'three');
      clock.advance(1);
      store.resolveALeg('alice', 'one'); // seen again: "two" is now the least recently seen
      clock.advance(1);
      const four = store.resolveALeg('bob', 'four');
      await store.flush();
      expect(await rows(two.aLegId)).to.equal(undefined);
      expect(store.resolveALeg('alice', 'one').aLegId).to.equal(one.aLegId);
      expect(store.resolveALeg('bob', 'four').aLegId).to.equal(four.aLegId);
      expect(store.resolveALeg('bob', 'three').aLegId).to.equal(three.aLegId);
      expect(store.resolveALeg('alice', 'two').created).to.equal(true);
    });

    it('takes new limits in place (a reload): a longer ttl keeps what the old one would have dropped, a shorter one expires it at once', async () => {
      open({ ttl: 10_000 });
      const leg = store.resolveALeg('alice', 'kept');
      store.saveResponse({ id: 'resp_kept', principal: 'alice', input: [user('1')], output: reply('one') });
      store.reconfigure({ ttlMs: 20_000, maxLegs: 1_000 });
      clock.advance(15_000);
      await store.flush();
      expect(await rows(leg.aLegId), 'past the old ttl, within the new').to.deep.equal([]);
      expect((await store.loadResponse('resp_kept', 'alice')).id).to.equal('resp_kept');
      expect(store.resolveALeg('alice', 'kept').aLegId).to.equal(leg.aLegId);
      clock.advance(15_000);
      store.reconfigure({ ttlMs: 10_000, maxLegs: 1_000 });
      await store.flush();
      expect(await rows(leg.aLegId), 'idle past the new, shorter ttl').to.equal(undefined);
      await expectRejected(store.loadResponse('resp_kept', 'alice'), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 404);
      expect(store.resolveALeg('alice', 'kept').created).to.equal(true);
    });

    it('takes a lower max_legs in place (a reload): what is past it goes by the fair-share rule, by the next new A-leg at the latest', async () => {
      open({ max_legs: 10 });
      const legs = [store.resolveALeg('alice', 'one'), store.resolveALeg('alice', 'two'), store.resolveALeg('alice', 'three'), store.resolveALeg('bob', 'four')];
      clock.advance(1);
      store.reconfigure({ ttlMs: HOUR, maxLegs: 2 });
      const carol = store.resolveALeg('carol', 'five');
      await store.flush();
      const kept = await Promise.all([...legs, carol].map((leg) => store.describeALeg(leg.aLegId)));
      expect(kept.filter((info) => info !== undefined), 'two A-legs left').to.have.length(2);
      expect(kept[4]?.session_id, 'the new one stays').to.equal('five');
      expect(kept.slice(0, 3).filter((info) => info !== undefined), 'alice, holding the most, gave up hers first').to.have.length.at.most(1);
    });

    it('stores responses per principal; unknown and foreign ids are a 404 (on previous_response_id when continued)', async () => {
      open();
      const output = reply('Paris.');
      const echo = { instructions: 'Be brief.', metadata: { tag: 'x' } };
      store.saveResponse({ id: 'resp_1', principal: 'alice', input: [user('Capital of France?')], output, model: 'stub-default', aLegId: 'a_x', sessionId: 's_x', echo });
      const loaded = await store.loadResponse('resp_1', 'alice');
      expect(loaded).to.deep.equal({
        id: 'resp_1', principal: 'alice', previousResponseId: undefined, aLegId: 'a_x', sessionId: 's_x', model: 'stub-default',
        input: [user('Capital of France?')], output: JSON.parse(JSON.stringify(output)), reasoningDialect: undefined, echo, createdAt: T0,
      });
      const foreign = await expectRejected(store.loadResponse('resp_1', 'mallory'), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 404);
      expect([foreign.param, foreign.message]).to.deep.equal([undefined, "Response with id 'resp_1' not found."]);
      await expectRejected(store.loadResponse('resp_nope', 'alice'), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 404);
      const continued = await expectRejected(store.loadConversation('resp_1', 'mallory'), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 404);
      expect([continued.param, continued.message]).to.deep.equal(['previous_response_id', "Previous response with id 'resp_1' not found."]);
    });

    it('a conversation carries the fields kept with each response of its chain, oldest first (an Anthropic thread\'s system and tools on its first)', async () => {
      open();
      const prompt = { thread_prompt: { system: [{ type: 'text', text: 'You are SYS' }], tools: [{ name: 'add', parameters: { type: 'object' } }] } };
      store.saveResponse({ id: 'msg_a', principal: 'alice', input: [user('one')], output: reply('1'), echo: prompt });
      clock.advance(1);
      store.saveResponse({ id: 'msg_b', principal: 'alice', previousResponseId: 'msg_a', input: [user('two')], output: reply('2') });
      clock.advance(1);
      store.saveResponse({ id: 'msg_c', principal: 'alice', previousResponseId: 'msg_b', input: [user('three')], output: reply('3'), echo: { completed_at: 7 } });
      await store.flush();
      expect((await store.loadConversation('msg_c', 'alice')).echoes).to.deep.equal([prompt, undefined, { completed_at: 7 }]);
      expect((await store.loadConversation('msg_a', 'alice')).echoes).to.deep.equal([prompt]);
    });

    it('deletes a response of its principal only; what continued it stays readable, but the conversation through it is a 404 naming it', async () => {
      open();
      store.saveResponse({ id: 'resp_a', principal: 'alice', input: [user('one')], output: reply('1') });
      clock.advance(1);
      store.saveResponse({ id: 'resp_b', principal: 'alice', previousResponseId: 'resp_a', input: [user('two')], output: reply('2') });
      clock.advance(1);
      store.saveResponse({ id: 'resp_c', principal: 'alice', previousResponseId: 'resp_b', input: [user('three')], output: reply('3') });
      await store.flush();
      await expectRejected(store.deleteResponse('resp_b', 'mallory'), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 404);
      await expectRejected(store.deleteResponse('resp_nope', 'alice'), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 404);
      expect((await store.loadResponse('resp_b', 'alice')).id).to.equal('resp_b');

      await store.deleteResponse('resp_b', 'alice');
      await store.flush();
      const gone = await expectRejected(store.loadResponse('resp_b', 'alice'), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 404);
      expect(gone.message).to.equal("Response with id 'resp_b' not found.");
      await expectRejected(store.loadConversation('resp_b', 'alice'), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 404);
      await expectRejected(store.deleteResponse('resp_b', 'alice'), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 404);
      expect((await store.loadResponse('resp_c', 'alice')).input).to.deep.equal([user('three')]);
      const broken = await expectRejected(store.loadConversation('resp_c', 'alice'), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 404);
      expect(broken.message).to.equal("Previous response with id 'resp_c' not found. Its earlier response 'resp_b' is no longer stored, so the conversation cannot be rebuilt.");
      expect((await store.loadConversation('resp_a', 'alice')).messages).to.have.length(2);
    });

    it('reads a tombstone (a response deleted but kept for the chains through it) through, but never continues from it', async () => {
      open();
      store.saveResponse({ id: 'resp_a', principal: 'alice', input: [user('one')], output: reply('1') });
      store.saveResponse({ id: 'resp_b', principal: 'alice', previousResponseId: 'resp_a', input: [user('two')], output: reply('2'), echo: { [DELETED_RESPONSE]: true } });
      store.saveResponse({ id: 'resp_c', principal: 'alice', previousResponseId: 'resp_b', input: [user('three')], output: reply('3') });
      await store.flush();
      const refused = await expectRejected(store.loadConversation('resp_b', 'alice'), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 404);
      expect([refused.message, refused.param]).to.deep.equal(["Previous response with id 'resp_b' not found.", 'previous_response_id']);
      expect((await store.loadConversation('resp_c', 'alice')).messages).to.have.length(6);
      expect((await store.loadChain('resp_b', 'alice')).map((r) => r.id)).to.deep.equal(['resp_a', 'resp_b']);
      expect(isDeletedResponse(await store.loadResponse('resp_b', 'alice'))).to.equal(true);
    });

    it('deletes a response whose record is still waiting to be written', async () => {
      open();
      store.saveResponse({ id: 'resp_new', principal: 'alice', input: [user('x')], output: reply('y') });
      await store.deleteResponse('resp_new', 'alice');
      await store.flush();
      await expectRejected(store.loadResponse('resp_new', 'alice'), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 404);
    });

    it('keeps a saved response apart from later changes to the objects it was given', async () => {
      open();
      const input = [user('first')];
      const output = reply('one');
      store.saveResponse({ id: 'resp_m', principal: 'alice', input, output });
      (input as Message[]).push(user('sneaky'));
      output.text = 'changed';
      const loaded = await store.loadResponse('resp_m', 'alice');
      expect([loaded.input.length, loaded.output.text]).to.deep.equal([1, 'one']);
    });

    it('rebuilds a conversation from a chain of previous_response_id', async () => {
      open();
      const toolTurn = collectEvents([
        { type: 'response_started' }, { type: 'reasoning_delta', text: 'need weather' }, { type: 'reasoning_signature', signature: 'sig1' },
        { type: 'tool_call_started', id: 'call_1', name: 'weather' }, { type: 'tool_call_delta', id: 'call_1', args: '{"city":"Paris"}' },
        { type: 'tool_call_finished', id: 'call_1' }, { type: 'response_finished', reason: 'tool_calls' },
      ]);
      const toolResult: Message = { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_1', content: '18C' }] };
      store.saveResponse({ id: 'resp_a', principal: 'alice', input: [user('Weather in Paris?')], output: toolTurn, reasoningDialect: 'test.thinking', aLegId: 'a_1', sessionId: 's_1' });
      clock.advance(1000);
      store.saveResponse({ id: 'resp_b', principal: 'alice', previousResponseId: 'resp_a', input: [toolResult], output: reply('It is 18C.'), aLegId: 'a_1', sessionId: 's_1' });
      clock.advance(1000);
      store.saveResponse({ id: 'resp_c', principal: 'alice', previousResponseId: 'resp_b', input: [user('Thanks!')], output: reply('You are welcome.'), aLegId: 'a_2', sessionId: 's_2' });
      const conversation = await store.loadConversation('resp_c', 'alice');
      expect(conversation).to.deep.equal({
        responseId: 'resp_c', aLegId: 'a_2', sessionId: 's_2', echoes: [undefined, undefined, undefined],
        messages: [
          user('Weather in Paris?'),
          { role: 'assistant', parts: [
            { type: 'reasoning', dialect: 'test.thinking', text: 'need weather', signature: 'sig1' },
            { type: 'tool_call', id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
          ] },
          toolResult,
          { role: 'assistant', parts: [{ type: 'text', text: 'It is 18C.' }] },
          user('Thanks!'),
          { role: 'assistant', parts: [{ type: 'text', text: 'You are welcome.' }] },
        ],
      });
      const next = emptyCall({ model: 'm', messages: [...conversation.messages, user('And tomorrow?')] });
      expect(validateCall(next)).to.deep.equal([]);
      expect((await store.loadConversation('resp_a', 'alice')).messages).to.have.length(2);
    });

    it('reads a chain whole, oldest first; a record saved again under its id replaces it and keeps what continues it alive', async () => {
      open({ ttl: 10_000 });
      store.saveResponse({ id: 'resp_1', principal: 'alice', input: [user('1')], output: reply('one') });
      store.saveResponse({ id: 'resp_2', principal: 'alice', previousResponseId: 'resp_1', input: [user('2')], output: reply('two') });
      // A record that continues the chain (as a conversation's does), saved again at each change.
      store.saveResponse({ id: 'conv_1', principal: 'alice', previousResponseId: 'resp_2', input: [], output: reply(''), echo: { v: 1 } });
      clock.advance(6_000);
      store.saveResponse({ id: 'conv_1', principal: 'alice', previousResponseId: 'resp_2', input: [], output: reply(''), echo: { v: 2 } });
      clock.advance(6_000); // resp_1 and resp_2 are 12 s old: kept only by the record
      // Saved again now, the record must not let go of what it keeps alive in between.
      store.saveResponse({ id: 'conv_1', principal: 'alice', previousResponseId: 'resp_2', input: [], output: reply(''), echo: { v: 3 } });
      await store.flush();
      expect((await store.loadResponse('conv_1', 'alice')).echo).to.deep.equal({ v: 3 });
      const chain = await store.loadChain('resp_2', 'alice');
      expect(chain.map((r) => [r.id, r.previousResponseId, r.input])).to.deep.equal([['resp_1', undefined, [user('1')]], ['resp_2', 'resp_1', [user('2')]]]);
      expect((await store.loadChain('conv_1', 'alice')).map((r) => r.id)).to.deep.equal(['resp_1', 'resp_2', 'conv_1']);
      await expectRejected(store.loadChain('resp_2', 'bob'), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 404);
      await expectRejected(store.loadChain('resp_none', 'alice'), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 404);
    });

    it('keeps a response for ttl after it was saved, and longer while a later response continues it', async () => {
      open({ ttl: 10_000 });
      store.saveResponse({ id: 'resp_old', principal: 'alice', input: [user('1')], output: reply('one') });
      store.saveResponse({ id: 'resp_lone', principal: 'alice', input: [user('x')], output: reply('x') });
      clock.advance(6_000);
      store.saveResponse({ id: 'resp_new', principal: 'alice', previousResponseId: 'resp_old', input: [user('2')], output: reply('two') });
      clock.advance(5_000); // resp_old and resp_lone are 11 s old, resp_new 5 s
      await store.flush();
      await expectRejected(store.loadResponse('resp_lone', 'alice'), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 404);
      expect((await store.loadResponse('resp_old', 'alice')).id).to.equal('resp_old');
      expect((await store.loadConversation('resp_new', 'alice')).messages).to.have.length(4);
      clock.advance(5_000);
      await store.flush();
      await expectRejected(store.loadConversation('resp_new', 'alice'), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 404);
    });

    it('runs the exclusive changes of one key one at a time, in call order; other keys meanwhile; a failed change releases', async () => {
      open();
      const log: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => { release = resolve; });
      let started!: () => void;
      const firstStarted = new Promise<void>((resolve) => { started = resolve; });
      const first = store.exclusive('conv_a', async () => { log.push('a1 start'); started(); await held; log.push('a1 end'); return 1; });
      const second = store.exclusive('conv_a', async () => { log.push('a2'); throw new Error('refused'); });
      const third = store.exclusive('conv_a', async () => { log.push('a3'); return 3; });
      await firstStarted;
      const other = await store.exclusive('conv_b', async () => { log.push('b'); return 'b'; });
      expect(other).to.equal('b');
      release();
      expect(await first).to.equal(1);
      try {
        await second;
        expect.fail('the error was not passed on');
      } catch (err) {
        expect((err as Error).message).to.equal('refused');
      }
      expect(await third).to.equal(3);
      expect(log).to.deep.equal(['a1 start', 'b', 'a1 end', 'a2', 'a3']);
    });

    it('reports ready while healthy and refuses new work once closed', async () => {
      open();
      const leg = store.resolveALeg('alice');
      const running = store.beginAttempt(leg.aLegId, { candidateKey: 'a:m', backendId: 'a', model: 'm' });
      await store.flush();
      expect(store.status()).to.deep.include({ store: kind, ready: true, state: 'ok', rejected: 0 });
      await store.close();
      expect(store.status()).to.deep.include({ ready: false, state: 'closed' });
      const err = expectLipError(() => store.resolveALeg('alice'), 'LIP_ERR_CONTINUITY_UNAVAILABLE', 503);
      expect(err.retryAfter).to.equal(1);
      expectLipError(() => store.beginAttempt(leg.aLegId, { candidateKey: 'a:m', backendId: 'a', model: 'm' }), 'LIP_ERR_CONTINUITY_UNAVAILABLE', 503);
      store.finishAttempt(running, { outcome: 'cancelled', reason: 'shutdown' }); // finishing admitted work never throws
      expect(store.status().rejected).to.equal(2);
      await store.close();
    });

    // The memory store keeps nothing behind: it has no `persisted`.
    if (kind !== 'memory') {
      it('says a record put after close is not kept: persisted() rejects from then on, instead of settling as if it were written', async () => {
        open();
        const leg = store.resolveALeg('alice');
        const running = store.beginAttempt(leg.aLegId, { candidateKey: 'a:m', backendId: 'a', model: 'm' });
        await store.persisted!();
        await store.close();
        await store.persisted!(); // what came before the close was written by it
        store.finishAttempt(running, { outcome: 'success' }); // a request that outlived its store
        await expectRejected(store.persisted!(), 'LIP_ERR_CONTINUITY_UNAVAILABLE', 503);
        expect(store.status().lost).to.be.above(0);
      });
    }
  });
}
