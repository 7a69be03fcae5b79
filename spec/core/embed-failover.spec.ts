import { expect } from 'chai';
import { attemptShare } from '../../lib/core/embed-failover.js';

/** An embeddings call's own bound within the request's deadline; the failover itself: spec/e2e/embeddings*.spec.ts. */
describe('attemptShare', () => {
  it('is an equal share of what is left among the candidates still to try, this one included', () => {
    expect(attemptShare(60_000, 2)).to.equal(30_000);
    expect(attemptShare(60_000, 3)).to.equal(20_000);
    expect(attemptShare(1_000, 3)).to.equal(333);
  });

  it('is none for the last candidate: the deadline bounds it', () => {
    expect(attemptShare(60_000, 1)).to.equal(undefined);
    expect(attemptShare(60_000, 0)).to.equal(undefined);
  });

  it('is none once the deadline has passed, and at least 1 ms before', () => {
    expect(attemptShare(0, 2)).to.equal(undefined);
    expect(attemptShare(-5, 3)).to.equal(undefined);
    expect(attemptShare(1, 3)).to.equal(1);
  });

  it('leaves every later candidate at least the same share: what the first did not use goes to the next', () => {
    // Three candidates that each hang for their whole share: each gets a third.
    let left = 60_000;
    const shares: number[] = [];
    for (let n = 3; n > 1; n--) {
      const share = attemptShare(left, n)!;
      shares.push(share);
      left -= share;
    }
    shares.push(left); // the last one: until the deadline
    expect(shares).to.deep.equal([20_000, 20_000, 20_000]);
  });
});
