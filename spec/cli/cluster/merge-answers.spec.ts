import { expect } from 'chai';
import { mergeCacheClears, mergeCacheStatus, mergeReloads, mergeStatus } from '../../../lib/cli/cluster/merge-answers.js';
import type { ConfigStatus, ReloadOutcome } from '../../../lib/server/config-control.js';

const outcome = (status: ReloadOutcome['status'], changed: string[], restart: string[] = [], error?: string): ReloadOutcome => ({
  status, trigger: 'api', at: '2026-12-03T10:00:00.000Z', config: 'lip.yaml', changed, restart_required: restart, ...(error ? { error } : {}),
});
const at = new Date('2026-12-03T10:00:01.000Z');

describe('mergeReloads / mergeStatus (lip serve --workers)', () => {
  it('reloaded when every worker answered and one applied a change; the fields are the union', () => {
    const merged = mergeReloads([
      { worker: 1, pid: 11, value: outcome('reloaded', ['backends[a]'], ['server.port']) },
      { worker: 2, pid: 12, value: outcome('reloaded', ['backends[a]', 'routing.default_route']) },
    ], at);
    expect(merged).to.deep.include({ status: 'reloaded', trigger: 'api', config: 'lip.yaml', at: at.toISOString(), changed: ['backends[a]', 'routing.default_route'], restart_required: ['server.port'] });
    expect(merged.workers).to.deep.equal([{ worker: 1, pid: 11, status: 'reloaded' }, { worker: 2, pid: 12, status: 'reloaded' }]);
  });

  it('unchanged when no worker applied anything', () => {
    expect(mergeReloads([{ worker: 1, pid: 1, value: outcome('unchanged', []) }], at).status).to.equal('unchanged');
  });

  it('failed when one worker failed or did not answer, naming it', () => {
    const failed = mergeReloads([
      { worker: 1, pid: 11, value: outcome('reloaded', ['x']) },
      { worker: 2, pid: 12, value: outcome('failed', [], [], 'lip.yaml:1:1: bad') },
    ], at);
    expect([failed.status, failed.error]).to.deep.equal(['failed', 'worker 2: lip.yaml:1:1: bad']);
    const silent = mergeReloads([{ worker: 3, pid: 13, error: 'no answer' }], at);
    expect([silent.status, silent.error, silent.workers]).to.deep.equal(['failed', 'worker 3: no answer', [{ worker: 3, pid: 13, status: 'no_answer', error: 'no answer' }]]);
    expect(mergeReloads([], at)).to.deep.include({ status: 'failed', error: 'no worker is running' });
  });

  it('status: the latest reload of any worker, pending fields of all, and each worker', () => {
    const status = (last: ReloadOutcome | null, pending: string[]): ConfigStatus => ({ config: 'lip.yaml', started_at: 's', last_reload: last, pending_restart: pending });
    const later = { ...outcome('reloaded', ['a']), at: '2026-12-03T11:00:00.000Z' };
    const merged = mergeStatus([
      { worker: 1, pid: 11, value: status(outcome('unchanged', []), ['server.port']) },
      { worker: 2, pid: 12, value: status(later, ['logging.level']) },
      { worker: 3, pid: 13, error: 'no answer' },
    ], at);
    expect(merged.last_reload).to.deep.equal(later);
    expect(merged.pending_restart).to.deep.equal(['server.port', 'logging.level']);
    expect(merged.workers!.map((w) => [w.worker, w.pid])).to.deep.equal([[1, 11], [2, 12]]);
    expect(merged.started_at).to.equal(at.toISOString());
  });

  it('the response cache in memory: counts summed, each worker listed; a worker not cleared makes the clear fail', () => {
    const settings = { store: 'memory', ttl_ms: 600_000, scope: 'principal', max_entry_bytes: 1024, max_bytes: 4096 };
    expect(mergeCacheStatus([
      { worker: 1, pid: 11, value: { ...settings, entries: 2, bytes: 300 } },
      { worker: 2, pid: 12, error: 'no answer' },
      { worker: 3, pid: 13, value: { ...settings, entries: 1, bytes: 100 } },
    ])).to.deep.equal({ ...settings, entries: 3, bytes: 400, workers: [
      { worker: 1, pid: 11, entries: 2, bytes: 300 }, { worker: 2, pid: 12, error: 'no answer' }, { worker: 3, pid: 13, entries: 1, bytes: 100 },
    ] });
    expect(mergeCacheClears([{ worker: 1, pid: 11, value: 2 }, { worker: 3, pid: 13, value: 1 }])).to.deep.equal({
      cleared: 3, workers: [{ worker: 1, pid: 11, cleared: 2 }, { worker: 3, pid: 13, cleared: 1 }],
    });
    expect(() => mergeCacheClears([{ worker: 1, pid: 11, value: 2 }, { worker: 2, pid: 12, error: 'no answer' }])).to.throw('worker 2: no answer (1 other workers were cleared)');
  });
});
