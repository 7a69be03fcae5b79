import { expect } from 'chai';
import { workerRecordingPath, workerSlot, WORKER_ENV } from '../../../lib/cli/cluster/messages.js';

describe('cli/cluster: worker slots and their recording files', () => {
  it('puts the slot before the extension, and after the name when there is none', () => {
    expect(workerRecordingPath('/var/log/lip/traffic.jsonl', 2)).to.equal('/var/log/lip/traffic.w2.jsonl');
    expect(workerRecordingPath('traffic', 1)).to.equal('traffic.w1');
    expect(workerRecordingPath('/data.d/traffic', 3)).to.equal('/data.d/traffic.w3');
    expect(workerRecordingPath('./rec/t.jsonl', 12)).to.equal('./rec/t.w12.jsonl');
  });

  it('reads the slot only in a worker, and only a whole number from 1', () => {
    expect(workerSlot({ [WORKER_ENV]: '2' }, true)).to.equal(2);
    expect(workerSlot({ [WORKER_ENV]: '2' }, false)).to.equal(undefined);
    for (const bad of ['0', 'x', '1.5', undefined]) expect(workerSlot({ [WORKER_ENV]: bad }, true), String(bad)).to.equal(undefined);
  });
});
