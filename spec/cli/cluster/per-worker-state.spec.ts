import { expect } from 'chai';
import { perWorkerStateWarnings } from '../../../lib/cli/cluster/per-worker-state.js';
import { testConfig } from '../../helpers/config.js';

const STUB = '  - { id: s, kind: localstub }';

describe('perWorkerStateWarnings', () => {
  it('warns about each store kept in process memory, and the per-worker concurrency limit', () => {
    const config = testConfig(STUB, 'server: { host: 127.0.0.1, port: 0, max_concurrent_requests: 10 }\nrouting: { circuit_breaker: { enabled: true } }');
    const warnings = perWorkerStateWarnings(config, 4);
    expect(warnings).to.have.length(3);
    expect(warnings[0]).to.match(/^continuity\.store: memory with 4 workers: .*previous_response_id/);
    expect(warnings[1]).to.match(/^routing\.circuit_breaker\.store: memory with 4 workers/);
    expect(warnings[2]).to.contain('up to 40 requests in flight');
  });

  it('warns that per-key limits are counted per worker', () => {
    const config = testConfig(STUB, 'auth: { api_keys: [ { id: ci, key: "0123456789abcdef0", requests_per_minute: 60 }, { id: free, key: "fedcba98765432100" } ] }');
    expect(perWorkerStateWarnings(config, 3).at(-1)).to.equal('auth.api_keys limits (requests_per_minute, max_concurrent_requests, tokens_per_minute) are counted per worker: with 3 workers a key may reach up to 3 times its limit (keys: ci; use auth.limits_store: redis to share them)');
    const shared = testConfig(STUB, 'auth: { limits_store: redis, api_keys: [ { id: ci, key: "0123456789abcdef0", requests_per_minute: 60 } ] }');
    expect(perWorkerStateWarnings(shared, 3).join('\n')).not.to.include('auth.api_keys limits');
  });

  it('warns about a response cache kept in memory, not one in Redis', () => {
    expect(perWorkerStateWarnings(testConfig(STUB, 'continuity: { store: redis }\ncache: { enabled: true }'), 2)).to.deep.equal([
      'cache.store: memory with 2 workers: each worker keeps its own answers; a request is a hit only when it reaches the worker that kept the answer (POST /admin/cache/clear clears every worker; use cache.store: redis to share answers between workers and instances)',
    ]);
    expect(perWorkerStateWarnings(testConfig(STUB, 'continuity: { store: redis }\ncache: { enabled: true, store: redis }'), 2)).to.deep.equal([]);
  });

  it('warns about a SQLite continuity file and says nothing of shared or disabled stores', () => {
    const config = testConfig(STUB, 'continuity: { store: sqlite, sqlite_path: /tmp/x.db }\nrouting: { circuit_breaker: { enabled: true, store: redis } }');
    expect(perWorkerStateWarnings(config, 2)).to.have.length(1).and.to.satisfy((w: string[]) => w[0]!.startsWith('continuity.store: sqlite with 2 workers'));
    expect(perWorkerStateWarnings(testConfig(STUB, 'continuity: { store: sqlite, sqlite_path: /tmp/x.db }'), 2)).to.have.length(1);
    expect(perWorkerStateWarnings(config, 2)[0]).to.contain('use continuity.store: redis to share conversations');
    expect(perWorkerStateWarnings(testConfig(STUB, 'continuity: { store: redis }\nrouting: { circuit_breaker: { enabled: true, store: redis } }'), 2)).to.deep.equal([]);
  });
});
