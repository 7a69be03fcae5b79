import { expect } from 'chai';
import { attemptReach } from '../../../lib/routing/selector/attempt-reach.js';
import { parseSelector } from '../../../lib/routing/selector/parse-selector.js';

const reach = (selector: string, maxAttempts: number) => attemptReach(parseSelector(selector), maxAttempts);

describe('routing/selector/attemptReach', () => {
  it('counts one open per leaf, and marks the first arm the earlier ones leave nothing for', () => {
    expect(reach('a:m|b:m^c:m|d:m', 3)).to.deep.equal([
      { usedBefore: 0, reachable: true, neverStarted: [] },
      { usedBefore: 1, reachable: true, neverStarted: [] },
      { usedBefore: 3, reachable: false, neverStarted: [] },
    ]);
  });

  it('a race leg past max_attempts never starts: the fourth of four legs under the default 3', () => {
    expect(reach('a:t400!a:t401!a:t402!a:ok', 3)).to.deep.equal([{ usedBefore: 0, reachable: true, neverStarted: [3] }]);
    expect(reach('a:m!b:m!c:m', 3)[0]!.neverStarted).to.deep.equal([]);
  });

  it('orders legs by when they start: by handicap, then as written', () => {
    expect(reach('[handicap=1s]a:m!b:m!c:m', 2)[0]!.neverStarted).to.deep.equal([0]);
    expect(reach('[handicap=1s]a:m![handicap=1s]b:m!c:m', 2)[0]!.neverStarted).to.deep.equal([1]);
  });

  it('counts the opens of the arms before a race', () => {
    expect(reach('x:m|a:m!b:m!c:m|y:m', 3)).to.deep.equal([
      { usedBefore: 0, reachable: true, neverStarted: [] },
      { usedBefore: 1, reachable: true, neverStarted: [2] },
      { usedBefore: 4, reachable: false, neverStarted: [] },
    ]);
  });
});
