import { expect } from 'chai';
import { autoWorkers } from '../../lib/cli/parse-workers.js';

/**
 * Found by probing the command line: `--workers auto` forked one worker per host core inside a
 * container limited to fewer (`docker run --cpus 2` on a 16-core host: 16 workers sharing 2
 * cores), because Node's availableParallelism() ignores the cgroup's CPU quota. The quota now
 * caps it.
 */
describe('regression: --workers auto follows a container\'s CPU quota', () => {
  const files = (entries: Record<string, string>) => (path: string) => entries[path];

  it('cgroup v2: cpu.max caps the host\'s cores, rounded up; "max" is no cap', () => {
    expect(autoWorkers(16, files({ '/sys/fs/cgroup/cpu.max': '200000 100000\n' }))).to.equal(2);
    expect(autoWorkers(16, files({ '/sys/fs/cgroup/cpu.max': '150000 100000' }))).to.equal(2);
    expect(autoWorkers(16, files({ '/sys/fs/cgroup/cpu.max': '50000 100000' }))).to.equal(1);
    expect(autoWorkers(4, files({ '/sys/fs/cgroup/cpu.max': '800000 100000' }))).to.equal(4);
    expect(autoWorkers(16, files({ '/sys/fs/cgroup/cpu.max': 'max 100000' }))).to.equal(16);
  });

  it('cgroup v1: cfs quota over period; -1 is no cap; no cgroup file at all is the cores', () => {
    expect(autoWorkers(16, files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '300000', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }))).to.equal(3);
    expect(autoWorkers(16, files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }))).to.equal(16);
    expect(autoWorkers(8, files({}))).to.equal(8);
    expect(autoWorkers(8, files({ '/sys/fs/cgroup/cpu.max': 'garbage' }))).to.equal(8);
  });
});
