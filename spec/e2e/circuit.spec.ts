import { expect } from 'chai';
import { subscribe as listen, unsubscribe as unlisten } from 'node:diagnostics_channel';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalstubLifecycle } from '../../lib/backends/localstub/index.js';
import type { CircuitRow } from '../../lib/circuit/index.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { serveLip, type LipProcess } from '../helpers/spawn-lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const ask = (url: string, model: string) => httpRequest(`${url}/v1/chat/completions`, { body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }) });
const circuits = async (url: string): Promise<CircuitRow[]> => (JSON.parse((await httpRequest(`${url}/admin/circuits`, { method: 'GET' })).body) as { circuits: CircuitRow[] }).circuits;

describe('e2e: circuit breaker (memory store)', () => {
  let lip: RunningLip;
  before(async () => {
    lip = await startLip(testConfig(`
  - { id: a, kind: localstub, text: "from a" }
  - { id: down, kind: localstub, fail: "before_output:503" }
  - { id: refuses, kind: localstub, fail: "before_output:400" }
`, 'routing: { default_route: "a:m", circuit_breaker: { enabled: true, failure_threshold: 2, open_for: 30s } }\ndiagnostics: { enabled: true }'));
  });
  after(() => lip.close());

  it('opens after failure_threshold failures; an open candidate is skipped without being opened', async () => {
    const stubs: LocalstubLifecycle[] = [];
    const onStub = (m: unknown) => stubs.push(m as LocalstubLifecycle);
    listen('lip:localstub', onStub);
    try {
      for (let i = 0; i < 2; i++) expect((await ask(lip.url, 'down:m|a:m')).headers['x-lip-backend']).to.equal('a:m');
      expect(stubs.filter((s) => s.backend === 'down' && s.phase === 'subscribe')).to.have.length(2);
      const rows = await circuits(lip.url);
      expect(rows.find((r) => r.key === 'down:m')).to.include({ state: 'open', failures: 2 });
      const third = await ask(lip.url, 'down:m|a:m');
      expect(third.headers['x-lip-backend']).to.equal('a:m');
      expect(stubs.filter((s) => s.backend === 'down' && s.phase === 'subscribe')).to.have.length(2);
    } finally {
      unlisten('lip:localstub', onStub);
    }
  });

  it('every candidate open: 503 with Retry-After until the next probe', async () => {
    const res = await ask(lip.url, 'down:m');
    expect(res.status).to.equal(503);
    expect(JSON.parse(res.body).error.code).to.equal('LIP_ERR_ROUTE_NO_CANDIDATE');
    expect(Number(res.headers['retry-after'])).to.be.within(25, 30);
  });

  it('a client\'s own bad request (upstream 400) does not count against the candidate', async () => {
    for (let i = 0; i < 3; i++) expect((await ask(lip.url, 'refuses:m')).status).to.equal(400);
    expect((await circuits(lip.url)).find((r) => r.key === 'refuses:m')).to.equal(undefined);
  });

  it('/readyz shows the breaker', async () => {
    const res = await httpRequest(`${lip.url}/readyz`, { method: 'GET' });
    expect(JSON.parse(res.body).checks.circuit_breaker).to.include({ enabled: true, store: 'memory', healthy: true, open: 1 });
  });
});

describe('e2e: circuit state shared by two lip serve instances through Redis', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let first: LipProcess & { url: string };
  let second: LipProcess & { url: string };

  before(async function () {
    redis = await requireRedisServer(this);
    const dir = mkdtempSync(join(tmpdir(), 'lip-circuit-'));
    const config = join(dir, 'lip.yaml');
    writeFileSync(config, `server: { host: 127.0.0.1, port: 0, drain_delay: 0s }
diagnostics: { enabled: true }
redis: { url: "${redis.url}", key_prefix: "lip-e2e:" }
routing: { default_route: "a:m", circuit_breaker: { enabled: true, failure_threshold: 2, open_for: 2s, store: redis } }
backends:
  - { id: a, kind: localstub, text: "from a" }
  - { id: down, kind: localstub, fail: "before_output:503" }
  - { id: flaky, kind: localstub, fail: "before_output:502" }
`);
    first = await serveLip(['--config', config]);
    second = await serveLip(['--config', config]);
  });
  after(async () => {
    for (const p of [first, second]) {
      p?.proc.kill('SIGTERM');
      await p?.exited;
    }
    await redis?.close();
  });

  const until = async (check: () => Promise<boolean>, timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('failures seen by instance A open the circuit for instance B', async () => {
    for (let i = 0; i < 2; i++) expect((await ask(first.url, 'down:m|a:m')).status).to.equal(200);
    await until(async () => (await circuits(second.url)).some((r) => r.key === 'down:m' && r.state === 'open'));
    const res = await ask(second.url, 'down:m');
    expect(res.status).to.equal(503);
    expect(res.headers['retry-after']).to.be.a('string');
  });

  it('with Redis down, both instances keep serving on local state, and share again once it is back', async () => {
    await redis.stop();
    for (const url of [first.url, second.url]) expect((await ask(url, 'flaky:m|a:m')).headers['x-lip-backend']).to.equal('a:m');
    await until(async () => {
      const ready = JSON.parse((await httpRequest(`${first.url}/readyz`, { method: 'GET' })).body);
      return ready.checks.circuit_breaker.healthy === false;
    });
    const ready = await httpRequest(`${first.url}/readyz`, { method: 'GET' });
    expect(ready.status).to.equal(200); // not unready: requests never fail because Redis is down
    expect(first.stdout()).to.contain('circuit store unavailable');

    await redis.start();
    await until(async () => JSON.parse((await httpRequest(`${second.url}/readyz`, { method: 'GET' })).body).checks.circuit_breaker.healthy === true, 10_000);
    await until(async () => JSON.parse((await httpRequest(`${first.url}/readyz`, { method: 'GET' })).body).checks.circuit_breaker.healthy === true, 10_000);
    // Shared again: A's local failure streak on flaky (1) plus one more opens it everywhere.
    expect((await ask(first.url, 'flaky:m|a:m')).status).to.equal(200);
    await until(async () => (await circuits(second.url)).some((r) => r.key === 'flaky:m' && r.state === 'open'));
  });
});

describe('e2e: Prometheus metrics', () => {
  it('serves request, attempt, circuit and continuity metrics at observability.metrics.path', async () => {
    const lip = await startLip(testConfig(`
  - { id: a, kind: localstub, text: "from a" }
  - { id: down, kind: localstub, fail: "before_output:503" }
`, 'routing: { default_route: "a:m", circuit_breaker: { enabled: true, failure_threshold: 1, open_for: 30s } }\nobservability: { metrics: { enabled: true, path: /metrics } }'));
    try {
      expect((await ask(lip.url, 'down:m|a:m')).status).to.equal(200);
      const res = await httpRequest(`${lip.url}/metrics`, { method: 'GET' });
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(/^text\/plain/);
      expect(res.body).to.contain('lip_http_requests_total{method="POST",route="/v1/chat/completions",status_class="2xx"} 1');
      expect(res.body).to.contain('lip_attempts_total{backend="down",outcome="failure"} 1');
      expect(res.body).to.contain('lip_attempts_total{backend="a",outcome="success"} 1');
      expect(res.body).to.contain('lip_circuits{state="open"} 1');
      expect(res.body).to.contain('lip_circuit_store_healthy{store="memory"} 1');
      expect(res.body).to.contain('lip_continuity_ready{store="memory"} 1');
      expect(res.body).to.contain('# TYPE lip_continuity_write_errors_total counter');
      expect(res.body).to.contain('lip_continuity_write_errors_total{store="memory"} 0');
      for (const name of ['write_retries', 'dropped_records', 'lost_records', 'reopened']) expect(res.body).to.contain(`lip_continuity_${name}_total{store="memory"} 0`);
      expect(res.body).to.contain('# TYPE lip_internal_errors_total counter');
      expect(res.body).to.match(/lip_attempt_first_output_seconds_count\{backend="a"\} 1/);
    } finally {
      await lip.close();
    }
  });

  it('is not served when disabled', async () => {
    const lip = await startLip(testConfig('  - { id: a, kind: localstub }'));
    try {
      expect((await httpRequest(`${lip.url}/metrics`, { method: 'GET' })).status).to.equal(404);
    } finally {
      await lip.close();
    }
  });
});
