import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { REASONING_DIALECTS } from '../../../../lib/canonical/index.js';
import { TurnStore } from '../../../../lib/extensions/features/reasoning-output-preservation/index.js';

const placed = (text: string, at = 0) => [{ at, part: { type: 'reasoning' as const, dialect: REASONING_DIALECTS.openaiChat, text } }];

describe('reasoning-output-preservation: the turn store', () => {
  let now = 0;
  const store = (maxBytes = 1_000_000, ttlMs = 1_000) => new TurnStore({ ttlMs, maxBytes }, () => now);
  beforeEach(() => { now = 1_000_000; });

  it('keeps a turn per scope and anchor; another scope never reads it', () => {
    const s = store();
    expect(s.put('p:alice', 'A', placed('why'))).to.equal('stored');
    expect(s.get('p:alice', 'A')?.reasoning[0]?.part.text).to.equal('why');
    expect(s.get('p:bob', 'A')).to.equal(undefined);
    expect(s.holds('p:alice')).to.equal(true);
    expect(s.holds('p:bob')).to.equal(false);
  });

  it('the same reasoning again refreshes its age; other reasoning makes the key ambiguous for good', () => {
    const s = store();
    s.put('p', 'A', placed('why'));
    now += 900;
    expect(s.put('p', 'A', placed('why'))).to.equal('same');
    now += 900;
    expect(s.get('p', 'A')?.conflicted).to.equal(false); // 1,800 ms after the first, 900 after the refresh
    expect(s.put('p', 'A', placed('other'))).to.equal('conflicted');
    expect(s.get('p', 'A')).to.deep.include({ conflicted: true, reasoning: [] });
    expect(s.put('p', 'A', placed('why'))).to.equal('conflicted');
  });

  it('forgets a turn after its ttl', () => {
    const s = store();
    s.put('p', 'A', placed('why'));
    now += 1_000;
    expect(s.get('p', 'A')).to.equal(undefined);
    expect(s.size).to.equal(0);
    expect(s.holds('p')).to.equal(false);
  });

  it('stays within its bytes: the oldest go first, counted as evicted', () => {
    const s = store(5_000);
    for (let i = 0; i < 10; i++) s.put('p', `anchor-${i}`, placed('x'.repeat(100)));
    expect(s.bytes).to.be.at.most(5_000);
    expect(s.get('p', 'anchor-0')).to.equal(undefined);
    expect(s.get('p', 'anchor-9')?.reasoning[0]?.part.text).to.have.length(100);
    expect(s.evicted).to.be.greaterThan(0);
    s.configure({ ttlMs: 1_000, maxBytes: 1_500 });
    expect(s.bytes).to.be.at.most(1_500);
    expect(s.get('p', 'anchor-9')).to.not.equal(undefined);
    expect(s.put('p', 'huge', placed('x'.repeat(3_000)))).to.equal('too_large');
    expect(s.get('p', 'huge')).to.equal(undefined);
  });

  it('shares its bytes fairly between principals: one that floods it pushes out its own oldest turns, not another\'s', () => {
    const s = store(5_000);
    s.put('p:alice', 'alice-0', placed('x'.repeat(100)), 'alice');
    s.put('s:alice-conversation', 'alice-1', placed('x'.repeat(100)), 'alice');
    for (let i = 0; i < 20; i++) s.put('p:bob', `bob-${i}`, placed('x'.repeat(100)), 'bob');
    expect(s.bytes).to.be.at.most(5_000);
    expect([s.get('p:alice', 'alice-0') !== undefined, s.get('s:alice-conversation', 'alice-1') !== undefined]).to.deep.equal([true, true]);
    expect([s.get('p:bob', 'bob-0'), s.get('p:bob', 'bob-19') !== undefined]).to.deep.equal([undefined, true]);
    expect(s.bytesOf('alice')).to.be.lessThan(s.bytesOf('bob'));
    // the owner defaults to the scope
    s.put('p:carol', 'carol-0', placed('x'.repeat(100)));
    expect(s.bytesOf('p:carol')).to.be.greaterThan(0);
  });

  it('hands out frozen copies, so a caller cannot change what it keeps', () => {
    const s = store();
    const given = placed('why');
    s.put('p', 'A', given);
    (given[0]!.part as { text: string }).text = 'changed';
    const kept = s.get('p', 'A')!;
    expect(kept.reasoning[0]!.part.text).to.equal('why');
    expect(Object.isFrozen(kept.reasoning[0]!.part)).to.equal(true);
  });

  it('counts what its turns take on the heap: many small turns stay near max_bytes, not three times it', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const settle = () => { for (let i = 0; i < 4; i++) gc(); return process.memoryUsage().heapUsed; };
    const maxBytes = 4 * 1024 * 1024;
    const s = store(maxBytes, 3_600_000);
    // Strings as a decoder makes them (flat, each its own), one short reasoning part per turn.
    const fresh = (text: string) => JSON.parse(JSON.stringify(text)) as string;
    const before = settle();
    for (let i = 0; s.evicted === 0; i++) s.put(fresh(`p:principal-${i % 50}`), fresh(`user: question ${i}`), placed(fresh(`think ${i}`)));
    const grown = settle() - before;
    expect(s.bytes).to.be.within(maxBytes * 0.99, maxBytes);
    expect(grown, `${s.size} turns, ${grown} bytes of heap for ${s.bytes} counted`).to.be.at.most(maxBytes * 1.15);
  });
});

