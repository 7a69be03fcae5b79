import { expect } from 'chai';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { collectEvents, type Message } from '../../lib/canonical/index.js';
import { createContinuityStore, MemoryContinuityStore, type ContinuityStore } from '../../lib/continuity/index.js';
import { responseRowBytes, toResponseRow } from '../../lib/continuity/response-row.js';
import { LipError } from '../../lib/errors/index.js';
import { runStoreSuite } from './store-suite.js';
import { VirtualClock } from './virtual-clock.js';

runStoreSuite('memory', {
  open: (clock, config) => createContinuityStore({ store: 'memory', sqlite_path: './unused.db', ...config }, { scheduler: clock }),
});

const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const reply = (text: string) => collectEvents([{ type: 'text_delta', text }, { type: 'response_finished', reason: 'stop' }]);

describe('continuity/MemoryContinuityStore limits', () => {
  let clock: VirtualClock;
  const open = (options: Partial<ConstructorParameters<typeof MemoryContinuityStore>[0]> = {}): ContinuityStore => {
    clock = new VirtualClock();
    return new MemoryContinuityStore({ ttlMs: 3_600_000, maxLegs: 100, scheduler: clock, ...options });
  };
  const run = (store: ContinuityStore, aLegId: string, n: number) => {
    for (let i = 0; i < n; i++) {
      const t = store.beginAttempt(aLegId, { candidateKey: 'a:m', backendId: 'a', model: 'm' });
      store.finishAttempt(t, { outcome: 'success' });
    }
  };

  it('sums usage a chunk of rows at a time, yielding to the event loop; one query at a time; a principal\'s over its own rows only', async () => {
    // A client key may ask GET /admin/usage: summing every row in one turn held the event loop for seconds.
    const store = open({ maxLegs: 1_000 });
    for (let leg = 0; leg < 50; leg++) {
      const aLegId = store.resolveALeg('alice').aLegId;
      for (let i = 0; i < 1_000; i++) {
        const t = store.beginAttempt(aLegId, { candidateKey: `a:m${leg}-${i}`, backendId: 'a', model: `m${leg}-${i}` });
        store.finishAttempt(t, { outcome: 'success', usage: { inputTokens: 1 } });
      }
    }
    const bob = store.resolveALeg('bob');
    const t = store.beginAttempt(bob.aLegId, { candidateKey: 'a:mine', backendId: 'a', model: 'mine' });
    store.finishAttempt(t, { outcome: 'success', usage: { inputTokens: 7 } });
    const turnsUntil = async <T>(answer: Promise<T>): Promise<[number, T]> => {
      let settled = false;
      let turns = 0;
      const counted = (async () => {
        for (await nextTurn(); !settled; await nextTurn()) turns++;
      })();
      const value = await answer.finally(() => { settled = true; });
      await counted;
      return [turns, value];
    };
    const [turns, all] = await turnsUntil(store.usage({ groupBy: 'model', limit: 10 }));
    expect([all.groups.length, all.other?.groups, all.other?.attempts]).to.deep.equal([10, 49_991, 49_991]);
    expect(turns).to.be.at.least(10);
    // Bob's query walks Bob's rows: no chunk of Alice's 50,000 to wait through.
    const [own, mine] = await turnsUntil(store.usage({ groupBy: 'model', principal: 'bob' }));
    expect([own, mine.groups.map((g) => [g.group, g.input_tokens])]).to.deep.equal([0, [['mine', 7]]]);
    // Queries run one after another: the short one started second ends second.
    const order: string[] = [];
    await Promise.all([
      store.usage({ groupBy: 'model', limit: 1 }).then(() => order.push('all')),
      store.usage({ groupBy: 'model', principal: 'bob' }).then(() => order.push('bob')),
    ]);
    expect(order).to.deep.equal(['all', 'bob']);
  });

  it('keeps the newest maxAttemptsPerLeg rows of a very long A-leg', async () => {
    const store = open({ maxAttemptsPerLeg: 3 });
    const leg = store.resolveALeg('alice');
    run(store, leg.aLegId, 5);
    expect((await store.attempts(leg.aLegId))?.map((r) => r.seq)).to.deep.equal([3, 4, 5]);
    const one = open({ maxAttemptsPerLeg: 1 });
    const short = one.resolveALeg('alice');
    run(one, short.aLegId, 3);
    expect((await one.attempts(short.aLegId))?.map((r) => r.seq)).to.deep.equal([3]);
  });

  it('evicts whole A-legs, least recently seen first, past the total attempt budget', async () => {
    const store = open({ maxAttempts: 4 });
    const old = store.resolveALeg('alice');
    run(store, old.aLegId, 3);
    clock.advance(1);
    const busy = store.resolveALeg('alice');
    run(store, busy.aLegId, 2);
    expect(await store.attempts(old.aLegId)).to.equal(undefined);
    expect((await store.attempts(busy.aLegId))?.map((r) => r.seq)).to.deep.equal([1, 2]);
  });

  it('never evicts an A-leg whose attempt is still running', async () => {
    const store = open({ maxLegs: 1 });
    const streaming = store.resolveALeg('alice', 'streaming');
    const ticket = store.beginAttempt(streaming.aLegId, { candidateKey: 'a:m', backendId: 'a', model: 'm' });
    const second = store.resolveALeg('alice', 'second');
    expect(store.status().legs).to.equal(2);
    store.finishAttempt(ticket, { outcome: 'success' });
    expect((await store.attempts(streaming.aLegId))?.map((r) => r.outcome)).to.deep.equal(['success']);
    store.resolveALeg('alice', 'third');
    expect([await store.attempts(streaming.aLegId), await store.attempts(second.aLegId), store.status().legs]).to.deep.equal([undefined, undefined, 1]);
  });

  it('drops the oldest responses past the byte budget and says why their continuation fails', async () => {
    const big = 'x'.repeat(1_000);
    const one = responseRowBytes(toResponseRow({ id: 'resp_1', principal: 'alice', input: [user(big)], output: reply(big) }, 0));
    const store = open({ maxResponseBytes: Math.floor(one * 2.5) }); // room for two of the responses below
    store.saveResponse({ id: 'resp_1', principal: 'alice', input: [user(big)], output: reply(big) });
    store.saveResponse({ id: 'resp_2', principal: 'alice', previousResponseId: 'resp_1', input: [user(big)], output: reply(big) });
    expect((await store.loadConversation('resp_2', 'alice')).messages).to.have.length(4);
    store.saveResponse({ id: 'resp_3', principal: 'alice', previousResponseId: 'resp_2', input: [user(big)], output: reply(big) });
    expect((await store.loadResponse('resp_2', 'alice')).id).to.equal('resp_2');
    try {
      await store.loadConversation('resp_3', 'alice');
      expect.fail('resp_1 should be gone');
    } catch (err) {
      expect((err as LipError).code).to.equal('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND');
      expect((err as LipError).message).to.equal("Previous response with id 'resp_3' not found. Its earlier response 'resp_1' is no longer stored, so the conversation cannot be rebuilt.");
    }
  });

  it('a reload\'s lower max_legs and max_response_bytes (reconfigure) evict at once, by the fair-share rule', async () => {
    const big = 'x'.repeat(1_000);
    const one = responseRowBytes(toResponseRow({ id: 'resp_1', principal: 'alice', input: [user(big)], output: reply(big) }, 0));
    const store = open({ maxLegs: 10, maxResponseBytes: one * 10 });
    const legs = ['alice', 'alice', 'alice', 'bob'].map((principal) => store.resolveALeg(principal).aLegId);
    for (const id of ['resp_1', 'resp_2', 'resp_3']) store.saveResponse({ id, principal: 'alice', input: [user(big)], output: reply(big) });
    store.saveResponse({ id: 'resp_bob', principal: 'bob', input: [user(big)], output: reply(big) });
    store.reconfigure({ ttlMs: 3_600_000, maxLegs: 2, maxResponseBytes: Math.floor(one * 2.5) });
    expect(store.status().legs).to.equal(2);
    expect(await store.describeALeg(legs[3]!), 'bob\'s one A-leg stays').to.not.equal(undefined);
    const left = await Promise.all(['resp_1', 'resp_2', 'resp_3', 'resp_bob'].map((id) => store.loadResponse(id, id === 'resp_bob' ? 'bob' : 'alice').then(() => id, () => undefined)));
    expect(left.filter((id) => id !== undefined), 'alice\'s oldest went').to.deep.equal(['resp_3', 'resp_bob']);
  });

  it('keeps the newest response even when it alone is over the budget', async () => {
    const store = open({ maxResponseBytes: 100 });
    store.saveResponse({ id: 'resp_big', principal: 'alice', input: [user('y'.repeat(500))], output: reply('ok') });
    expect((await store.loadResponse('resp_big', 'alice')).id).to.equal('resp_big');
  });
});
