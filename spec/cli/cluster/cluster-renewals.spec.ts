import { expect } from 'chai';
import type { Renewed } from '../../../lib/backends/credentials/index.js';
import { ClusterRenewals } from '../../../lib/cli/cluster/cluster-renewals.js';

const grant = (n: number) => ({ token: `at-${n}`, refreshToken: `rt-${n}` });

describe('ClusterRenewals (lip serve --workers)', () => {
  let announced: [string, Renewed<unknown>][];
  const renewals = (waitMs?: number) => new ClusterRenewals((login, renewed) => { announced.push([login, renewed]); }, waitMs);
  beforeEach(() => { announced = []; });

  it('gives one worker the turn; those asking meanwhile get its renewal, which every worker is told of', async () => {
    const r = renewals();
    expect(await r.turn(1, 'L', 0)).to.deep.equal({ renewHere: true });
    const waiting = [r.turn(2, 'L', 0), r.turn(3, 'L', 0)];
    expect(r.done(1, 'L', 0, { value: grant(1) })).to.deep.equal({ generation: 1, value: grant(1) });
    expect(await Promise.all(waiting)).to.deep.equal([{ generation: 1, value: grant(1) }, { generation: 1, value: grant(1) }]);
    expect(announced).to.deep.equal([['L', { generation: 1, value: grant(1) }]]);
    // Another login is renewed on its own.
    expect(await r.turn(2, 'M', 0)).to.deep.equal({ renewHere: true });
  });

  it('hands a worker holding an older generation the last renewal instead of the turn (a restarted worker)', async () => {
    const r = renewals();
    await r.turn(1, 'L', 0);
    r.done(1, 'L', 0, { value: grant(1) });
    expect(await r.turn(3, 'L', 0)).to.deep.equal({ generation: 1, value: grant(1) });
    // Holding the last renewal, refused in its turn: renewed again.
    expect(await r.turn(3, 'L', 1)).to.deep.equal({ renewHere: true });
    expect(r.done(3, 'L', 1, { value: grant(2) })).to.deep.equal({ generation: 2, value: grant(2) });
    expect(announced.map(([, renewed]) => renewed.generation)).to.deep.equal([1, 2]);
  });

  it('a failure reaches those waiting; the next ask gets the turn again', async () => {
    const r = renewals();
    await r.turn(1, 'L', 0);
    const waiting = r.turn(2, 'L', 0);
    const failure = { failure: 'the token endpoint answered 503', forGood: false };
    expect(r.done(1, 'L', 0, failure)).to.deep.equal(failure);
    expect(await waiting).to.deep.equal(failure);
    expect(announced).to.deep.equal([]);
    expect(await r.turn(2, 'L', 0)).to.deep.equal({ renewHere: true });
  });

  it('answers a refused refresh with the renewal another worker made meanwhile (its refresh token was rotated away)', async () => {
    const r = renewals(10);
    await r.turn(1, 'L', 0);
    await new Promise((resolve) => setTimeout(resolve, 20)); // worker 1 is late: the turn is taken back
    expect(await r.turn(2, 'L', 0)).to.deep.equal({ renewHere: true });
    r.done(2, 'L', 0, { value: grant(1) });
    expect(r.done(1, 'L', 0, { failure: 'the token endpoint answered 400', forGood: true })).to.deep.equal({ generation: 1, value: grant(1) });
  });

  it('takes the turn back when its worker stops or is late: those waiting fail for now, and a late renewal still counts', async () => {
    const r = renewals(20);
    await r.turn(1, 'L', 0);
    const waiting = r.turn(2, 'L', 0);
    r.gone(1);
    expect(await waiting).to.deep.equal({ failure: 'the worker renewing it stopped', forGood: false });
    expect(await r.turn(2, 'L', 0)).to.deep.equal({ renewHere: true });
    const late = r.turn(3, 'L', 0);
    expect(await late).to.deep.equal({ failure: 'the worker renewing it did not finish in time', forGood: false });
    // Worker 2's renewal after all: the newest grant, announced, and handed to those holding older ones.
    expect(r.done(2, 'L', 0, { value: grant(1) })).to.deep.equal({ generation: 1, value: grant(1) });
    expect(announced).to.have.length(1);
    expect(await r.turn(3, 'L', 0)).to.deep.equal({ generation: 1, value: grant(1) });
  });
});
