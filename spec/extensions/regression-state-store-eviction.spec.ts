import { expect } from 'chai';
import { MemoryStateStore, scopedState, STATE_LIMITS, type ScopedState } from '../../lib/extensions/state-store.js';

const values = (view: ScopedState, keys: readonly string[]) => Promise.all(keys.map((k) => view.get(k)));

/**
 * Regression (plugin probe t10): the memory store had one 100,000-entry budget for every feature,
 * scope and principal and evicted the oldest entry first, so the request-scoped values of one
 * feature (10 minutes) pushed out another feature's values without a TTL within minutes at a
 * modest rate; and it had no byte budget at all (a 200 MiB value was kept).
 */
describe('extensions/MemoryStateStore limits (regression: one feature evicted another\'s values without a TTL)', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => { now = 0; });

  it('a feature flooding request-scoped values past the value cap evicts its own, never another feature\'s value without a TTL', async () => {
    const store = new MemoryStateStore({ maxEntries: 100 }, clock);
    const settings = scopedState(store, 'feat', 'global', '');
    await settings.put('never-expires', { important: true });
    for (let i = 0; i < 1_000; i++) await scopedState(store, 'other', 'request', `req${i}`).put('k', i);
    expect(await settings.get('never-expires')).to.deep.equal({ important: true });
    expect(store.size).to.equal(100);
    expect(await scopedState(store, 'other', 'request', 'req999').get('k')).to.equal(999);
    expect(await scopedState(store, 'other', 'request', 'req0').get('k')).to.equal(undefined);
  });

  it('within a feature: the values that expire next go first, values without a TTL last (the oldest first)', async () => {
    const store = new MemoryStateStore({ maxEntries: 4 }, clock);
    const s = scopedState(store, 'f', 'global', '');
    await s.put('lasting-1', 1);
    await s.put('late', 2, { ttlMs: 5_000 });
    await s.put('soon', 3, { ttlMs: 1_000 });
    await s.put('lasting-2', 4);
    await s.put('a', 5, { ttlMs: 3_000 });
    expect(await values(s, ['lasting-1', 'late', 'soon', 'lasting-2', 'a'])).to.deep.equal([1, 2, undefined, 4, 5]);
    await s.put('b', 6);
    expect(await values(s, ['lasting-1', 'late', 'lasting-2', 'a', 'b'])).to.deep.equal([1, 2, 4, undefined, 6]);
    await s.put('c', 7);
    expect(await values(s, ['lasting-1', 'late', 'lasting-2', 'b', 'c'])).to.deep.equal([1, undefined, 4, 6, 7]);
    await s.put('d', 8);
    expect(await values(s, ['lasting-1', 'lasting-2', 'b', 'c', 'd'])).to.deep.equal([undefined, 4, 6, 7, 8]);
  });

  it('expired values go first, whoever holds them: a feature at its share keeps its values while an expired one frees the room', async () => {
    const store = new MemoryStateStore({ maxEntries: 4 }, clock);
    const big = scopedState(store, 'big', 'global', '');
    const small = scopedState(store, 'small', 'session', 's1');
    await big.put('1', 1);
    await big.put('2', 2);
    await big.put('3', 3);
    await small.put('gone', 'x', { ttlMs: 1_000 });
    now = 2_000;
    await big.put('4', 4);
    expect(await values(big, ['1', '2', '3', '4'])).to.deep.equal([1, 2, 3, 4]);
  });

  it('shares the byte budget fairly: a feature writing large values evicts its own, not a feature holding fewer bytes', async () => {
    const store = new MemoryStateStore({ maxBytes: 20_000, maxValueBytes: 4_000 }, clock);
    const modest = scopedState(store, 'modest', 'global', '');
    for (let i = 0; i < 3; i++) await modest.put(`k${i}`, 'm'.repeat(1_000));
    const greedy = scopedState(store, 'greedy', 'principal', 'mallory');
    for (let i = 0; i < 100; i++) await greedy.put(`v${i}`, 'g'.repeat(3_000));
    expect(store.bytes).to.be.at.most(20_000);
    expect(await values(modest, ['k0', 'k1', 'k2'])).to.deep.equal(['m'.repeat(1_000), 'm'.repeat(1_000), 'm'.repeat(1_000)]);
    expect(await greedy.get('v99')).to.equal('g'.repeat(3_000));
    expect(await greedy.get('v0')).to.equal(undefined);
  });

  it('holds at most 100,000 values and 64 MiB, each value at most 1 MiB as JSON, by default', () => {
    expect(new MemoryStateStore().limits).to.deep.equal({ maxEntries: 100_000, maxBytes: 64 * 1024 ** 2, maxValueBytes: 1024 ** 2 });
    expect(STATE_LIMITS.maxValueBytes).to.equal(1024 ** 2);
  });

  it('a value over the per-value cap is refused (RangeError) before it takes any room; the key keeps its value', async () => {
    const store = new MemoryStateStore({}, clock);
    const s = scopedState(store, 'f', 'global', '');
    await s.put('k', 'small');
    const err = await s.put('k', 'x'.repeat(200 * 1024 ** 2)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(RangeError);
    expect((err as Error).message).to.equal(`a state value must be at most 1MiB as JSON (this one is ${200 * 1024 ** 2 + 2} bytes)`);
    expect(await s.get('k')).to.equal('small');
    expect(store.bytes).to.be.below(100);
  });
});
