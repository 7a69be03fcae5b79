import { expect } from 'chai';
import { bumpsVerbosity, TurnCounter } from '../../../lib/backends/openai-codex/index.js';

describe('backends/openai-codex/turn-counter', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => { now = 0; });

  it('numbers the turns of a conversation from 1; committed turns stay used', () => {
    const turns = new TurnCounter(clock);
    const a = turns.reserve('c');
    turns.commit('c', a);
    const b = turns.reserve('c');
    turns.commit('c', b);
    expect([a, b, turns.reserve('other')]).to.deep.equal([1, 2, 1]);
  });

  it('gives concurrent turns of one conversation distinct numbers', () => {
    const turns = new TurnCounter(clock);
    expect([turns.reserve('c'), turns.reserve('c'), turns.reserve('c')]).to.deep.equal([1, 2, 3]);
  });

  it('hands a released last turn back, so a failed attempt does not move the conversation on', () => {
    const turns = new TurnCounter(clock);
    turns.commit('c', turns.reserve('c'));
    const failed = turns.reserve('c');
    turns.release('c', failed);
    expect(turns.reserve('c')).to.equal(2);
  });

  it('never rewinds past a later turn in flight or below the committed mark', () => {
    const turns = new TurnCounter(clock);
    const one = turns.reserve('c');
    const two = turns.reserve('c');
    turns.release('c', one); // two is still in flight: 3 comes next
    expect(turns.reserve('c')).to.equal(3);
    turns.commit('c', two);
    turns.release('c', 3);
    expect(turns.reserve('c')).to.equal(3);
  });

  it('ignores a commit or release of a turn it does not hold (twice, unknown)', () => {
    const turns = new TurnCounter(clock);
    const one = turns.reserve('c');
    turns.commit('c', one);
    turns.release('c', one);
    turns.release('nope', 1);
    expect(turns.reserve('c')).to.equal(2);
  });

  it('forgets a conversation after its TTL of idleness, but not one with a turn in flight', () => {
    const turns = new TurnCounter(clock, 1_000);
    turns.commit('idle', turns.reserve('idle'));
    turns.reserve('busy');
    now = 1_000;
    expect(turns.reserve('idle'), 'expired: a new conversation').to.equal(1);
    expect(turns.reserve('busy'), 'in flight: kept').to.equal(2);
  });

  it('keeps its TTL boundary: one millisecond before, the count is still there', () => {
    const turns = new TurnCounter(clock, 1_000);
    turns.commit('c', turns.reserve('c'));
    now = 999;
    expect(turns.reserve('c')).to.equal(2);
  });

  it('is bounded: the least recently used idle conversation is evicted first, busy ones never', () => {
    const turns = new TurnCounter(clock, 60_000, 2);
    turns.reserve('busy');
    turns.commit('a', turns.reserve('a'));
    turns.commit('b', turns.reserve('b')); // over the bound: 'a' (idle, oldest) goes
    expect(turns.size).to.equal(2);
    expect(turns.reserve('busy')).to.equal(2);
    expect(turns.reserve('a')).to.equal(1);
  });

  it('bumps turns 1..5 and every 10th after, and nothing when switched off', () => {
    const bumped = Array.from({ length: 21 }, (_, i) => i + 1).filter((t) => bumpsVerbosity(t, 5, 10));
    expect(bumped).to.deep.equal([1, 2, 3, 4, 5, 10, 20]);
    expect(bumpsVerbosity(0, 5, 10)).to.equal(false);
    expect(bumpsVerbosity(3, 0, 10)).to.equal(false);
    expect(bumpsVerbosity(10, 5, 0)).to.equal(false);
  });
});
