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

  it('counts a candidate key an earlier arm or branch already opened once: routing skips it as already failed', () => {
    // a fails once; the repeats are skipped without an open, so b is tried with 2 of 3 opens left.
    expect(reach('a:m|a:m|a:m|b:m', 3).map((a) => [a.usedBefore, a.reachable])).to.deep.equal([[0, true], [1, true], [1, true], [1, true]]);
    // A weighted arm's repeated branch is excluded without an open too.
    expect(reach('[weight=1]a:m^a:m|a:m|c:m', 3).map((a) => [a.usedBefore, a.reachable])).to.deep.equal([[0, true], [1, true], [1, true]]);
    // The key is the candidate key: another query, another backend or model is another candidate.
    expect(reach('a:m|a:m?temperature=0.2|b:m|a:n|c:m', 4).map((a) => a.usedBefore)).to.deep.equal([0, 1, 2, 3, 4]);
    expect(reach('a:m?top_p=0.9&temperature=0.2|a:m?temperature=0.2&top_p=0.9|c:m', 2)[2]).to.include({ usedBefore: 1, reachable: true });
  });

  it('race legs run at once: each counts, a repeated one too, but a leg an earlier arm opened is skipped', () => {
    expect(reach('a:m!a:m|b:m', 2)[1]).to.include({ usedBefore: 2, reachable: false });
    // a's race leg is skipped: b and c start with the two opens left, and the last arm is a repeat.
    expect(reach('a:m|a:m!b:m!c:m|c:m', 3)).to.deep.equal([
      { usedBefore: 0, reachable: true, neverStarted: [] },
      { usedBefore: 1, reachable: true, neverStarted: [] },
      { usedBefore: 3, reachable: false, neverStarted: [] },
    ]);
    expect(reach('a:m|a:m!b:m!c:m!d:m', 3)[1]).to.deep.equal({ usedBefore: 1, reachable: true, neverStarted: [3] });
  });
});
