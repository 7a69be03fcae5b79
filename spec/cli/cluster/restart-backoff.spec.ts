import { expect } from 'chai';
import { RestartBackoff } from '../../../lib/cli/cluster/restart-backoff.js';

describe('RestartBackoff', () => {
  const options = { baseMs: 100, maxMs: 1_000, stableMs: 10_000 };

  it('doubles the delay for each quick crash, up to the maximum', () => {
    const backoff = new RestartBackoff(options);
    expect([0, 0, 0, 0, 0, 0].map(() => backoff.next(50))).to.deep.equal([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('starts again from the base after a worker ran stable (the boundary counts as stable)', () => {
    const backoff = new RestartBackoff(options);
    backoff.next(50);
    backoff.next(50);
    expect(backoff.next(9_999)).to.equal(400);
    expect(backoff.next(10_000)).to.equal(100);
    expect(backoff.next(20)).to.equal(200);
  });

  it('never overflows after many crashes', () => {
    const backoff = new RestartBackoff(options);
    for (let i = 0; i < 2_000; i++) backoff.next(0);
    expect(backoff.next(0)).to.equal(1_000);
  });
});
