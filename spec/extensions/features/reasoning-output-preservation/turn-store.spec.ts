import { expect } from 'chai';
import { REASONING_DIALECTS } from '../../../../lib/canonical/index.js';
import { TurnStore } from '../../../../lib/extensions/features/reasoning-output-preservation/index.js';

const placed = (text: string, at = 0) => [{ at, part: { type: 'reasoning' as const, dialect: REASONING_DIALECTS.openaiChat, text } }];

describe('reasoning-output-preservation: the turn store', () => {
  let now = 0;
  const store = (maxBytes = 1_000_000, ttlMs = 1_000) => new TurnStore({ ttlMs, maxBytes }, () => now);
  beforeEach(() => { now = 1_000_000; });

  it('keeps a turn per scope and anchor; another scope never reads it', () => {
    const s = store();
    expect(s.put('p:alice', 'A', placed('why'), 3)).to.equal('stored');
    expect(s.get('p:alice', 'A')?.reasoning[0]?.part.text).to.equal('why');
    expect(s.get('p:bob', 'A')).to.equal(undefined);
    expect(s.holds('p:alice')).to.equal(true);
    expect(s.holds('p:bob')).to.equal(false);
  });

  it('the same reasoning again refreshes its age; other reasoning makes the key ambiguous for good', () => {
    const s = store();
    s.put('p', 'A', placed('why'), 3);
    now += 900;
    expect(s.put('p', 'A', placed('why'), 3)).to.equal('same');
    now += 900;
    expect(s.get('p', 'A')?.conflicted).to.equal(false); // 1,800 ms after the first, 900 after the refresh
    expect(s.put('p', 'A', placed('other'), 5)).to.equal('conflicted');
    expect(s.get('p', 'A')).to.deep.include({ conflicted: true, reasoning: [] });
    expect(s.put('p', 'A', placed('why'), 3)).to.equal('conflicted');
  });

  it('forgets a turn after its ttl', () => {
    const s = store();
    s.put('p', 'A', placed('why'), 3);
    now += 1_000;
    expect(s.get('p', 'A')).to.equal(undefined);
    expect(s.size).to.equal(0);
    expect(s.holds('p')).to.equal(false);
  });

  it('stays within its bytes: the oldest go first, counted as evicted', () => {
    const s = store(1_000);
    for (let i = 0; i < 10; i++) s.put('p', `anchor-${i}`, placed('x'.repeat(100)), 100);
    expect(s.bytes).to.be.at.most(1_000);
    expect(s.get('p', 'anchor-0')).to.equal(undefined);
    expect(s.get('p', 'anchor-9')?.reasoning[0]?.part.text).to.have.length(100);
    expect(s.evicted).to.be.greaterThan(0);
    s.configure({ ttlMs: 1_000, maxBytes: 300 });
    expect(s.bytes).to.be.at.most(300);
    expect(s.get('p', 'anchor-9')).to.not.equal(undefined);
    expect(s.put('p', 'huge', placed('x'.repeat(1_000)), 1_000)).to.equal('too_large');
    expect(s.get('p', 'huge')).to.equal(undefined);
  });

  it('hands out frozen copies, so a caller cannot change what it keeps', () => {
    const s = store();
    const given = placed('why');
    s.put('p', 'A', given, 3);
    (given[0]!.part as { text: string }).text = 'changed';
    const kept = s.get('p', 'A')!;
    expect(kept.reasoning[0]!.part.text).to.equal('why');
    expect(Object.isFrozen(kept.reasoning[0]!.part)).to.equal(true);
  });
});
