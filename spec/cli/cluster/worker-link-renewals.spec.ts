import { expect } from 'chai';
import type { Renewed } from '../../../lib/backends/credentials/index.js';
import type { AskMessage } from '../../../lib/cli/cluster/messages.js';
import { WorkerLink } from '../../../lib/cli/cluster/worker-link.js';

/** A worker's side of renewing a credential with the others (WorkerLink.renewals), its primary played by the test over the process's IPC events. */
describe('WorkerLink renewals (lip serve --workers)', () => {
  const send = process.send;
  let asks: AskMessage[];
  let link: WorkerLink;
  beforeEach(() => {
    asks = [];
    process.send = ((message: AskMessage) => { asks.push(message); return true; }) as typeof process.send;
    link = new WorkerLink();
  });
  afterEach(() => {
    link.close();
    process.send = send;
  });
  /** The primary answers the last ask. */
  const answer = (value: unknown) => process.emit('message', { lip: 'answer', id: asks[asks.length - 1]!.id, value }, undefined);
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it('renews here when the primary gives it the turn, and tells the primary what it got', async () => {
    let refreshes = 0;
    const renewal = link.renewals.renew('L', 2, async () => { refreshes++; return { value: 'grant' }; });
    await tick();
    expect(asks.map((a) => [a.op, a.renewal])).to.deep.equal([['renew', { login: 'L', generation: 2 }]]);
    answer({ renewHere: true });
    await tick();
    expect(refreshes).to.equal(1);
    expect(asks[1]).to.deep.include({ op: 'renewed', renewal: { login: 'L', generation: 2, result: { value: 'grant' } } });
    answer({ generation: 3, value: 'grant' });
    expect(await renewal).to.deep.equal({ generation: 3, value: 'grant' });
  });

  it('takes the renewal the primary hands back without renewing', async () => {
    const renewal = link.renewals.renew('L', 0, () => { throw new Error('must not renew'); });
    await tick();
    answer({ generation: 4, value: 'theirs' });
    expect(await renewal).to.deep.equal({ generation: 4, value: 'theirs' });
    expect(asks).to.have.length(1);
  });

  it('hands each announced renewal to the followers of its credential until they stop', () => {
    const seen: Renewed<unknown>[] = [];
    const stop = link.renewals.follow('L', (renewed) => { seen.push(renewed); });
    process.emit('message', { lip: 'renewed', login: 'L', generation: 1, value: 'g1' }, undefined);
    process.emit('message', { lip: 'renewed', login: 'M', generation: 1, value: 'other' }, undefined);
    stop();
    process.emit('message', { lip: 'renewed', login: 'L', generation: 2, value: 'g2' }, undefined);
    expect(seen).to.deep.equal([{ generation: 1, value: 'g1' }]);
  });
});
