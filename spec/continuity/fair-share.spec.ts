import { expect } from 'chai';
import { fairShareCuts } from '../../lib/continuity/index.js';
import { LegTable, newLegState } from '../../lib/continuity/leg-table.js';

const cuts = (holdings: Record<string, number>, over: number, oldest: Record<string, number> = {}) =>
  Object.fromEntries(fairShareCuts(new Map(Object.entries(holdings)), over, new Map(Object.entries(oldest))));

describe('continuity/fairShareCuts', () => {
  it('takes from the largest holder only, while it stays the largest', () => {
    expect(cuts({ mallory: 90, alice: 6, bob: 4 }, 10)).to.deep.equal({ mallory: 10 });
  });

  it('levels the largest holders down together, then reaches the next', () => {
    const after = (h: Record<string, number>, over: number) => {
      const c = cuts(h, over);
      return Object.fromEntries(Object.entries(h).map(([p, n]) => [p, n - (c[p] ?? 0)]));
    };
    expect(after({ a: 10, b: 8, c: 3 }, 2)).to.deep.equal({ a: 8, b: 8, c: 3 });
    expect(after({ a: 10, b: 8, c: 3 }, 5)).to.deep.equal({ a: 6, b: 7, c: 3 });
    expect(after({ a: 10, b: 8, c: 3 }, 16)).to.deep.equal({ a: 1, b: 2, c: 2 }); // at an uneven level, the larger holder gives the extra one
  });

  it('breaks ties by the oldest least recently seen A-leg, then by name', () => {
    expect(cuts({ a: 5, b: 5 }, 1, { a: 20, b: 10 })).to.deep.equal({ b: 1 });
    expect(cuts({ a: 5, b: 5 }, 3)).to.deep.equal({ a: 2, b: 1 });
  });

  it('never cuts more than is held, nor anything for nothing over', () => {
    expect(cuts({ a: 2, b: 1 }, 10)).to.deep.equal({ a: 2, b: 1 });
    expect(cuts({ a: 2 }, 0)).to.deep.equal({});
    expect(cuts({}, 3)).to.deep.equal({});
  });
});

describe('continuity/LegTable.fairShareVictim', () => {
  it('is the least recently seen idle leg of the largest holder, skipping `keep` and legs in flight', () => {
    const table = new LegTable();
    const legs = [['a1', 'alice'], ['m1', 'mallory'], ['m2', 'mallory'], ['a2', 'alice'], ['m3', 'mallory']].map(([id, p], i) => newLegState(id!, p!, `s-${id}`, i));
    for (const leg of legs) table.add(leg);
    expect(table.held('mallory')).to.equal(3);
    expect(table.fairShareVictim()?.aLegId).to.equal('m1');
    legs[1]!.open = 1;
    expect(table.fairShareVictim()?.aLegId).to.equal('m2');
    table.touch(legs[2]!, 10);
    expect(table.fairShareVictim()?.aLegId).to.equal('m3');
    expect(table.fairShareVictim(legs[4])?.aLegId).to.equal('m2');
    table.delete(legs[4]!);
    table.delete(legs[2]!);
    // One each now (m1 is in flight): the tie goes to the least recently seen candidate.
    expect([table.held('mallory'), table.held('alice')]).to.deep.equal([1, 2]);
    expect(table.fairShareVictim()?.aLegId).to.equal('a1');
  });
});
