import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { killLip, type LipProcess, serveLip } from '../helpers/spawn-lip.js';
import { httpRequest } from '../helpers/sse-client.js';

type Line = Record<string, unknown> & { message: string };
const lines = (p: LipProcess): Line[] => p.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);

/**
 * Regression (found by probing): with `lip serve --workers N` and circuits in Redis, one open
 * circuit read N times over. Every worker mirrors the shared circuits, and the primary summed
 * their `lip_circuits`; every worker also counted the transition it learnt from the store, so
 * `lip_circuit_transitions_total` counted the one change once per worker.
 */
describe('regression: lip serve --workers with circuits in Redis counts one open circuit once (spawned)', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'lip-circuit-metrics-'));
  let redis: RedisServer;
  let lip: (LipProcess & { url: string }) | undefined;

  before(async function () {
    redis = await requireRedisServer(this);
    const path = join(dir, 'lip.yaml');
    writeFileSync(path, `server: { host: 127.0.0.1, port: 0, drain_delay: 0s, shutdown_timeout: 2s }
logging: { format: json, level: info, access_log: true }
observability: { metrics: { enabled: true } }
redis: { url: "${redis.url}", key_prefix: "lip-circuit-metrics:" }
routing: { default_route: "down:m", circuit_breaker: { enabled: true, failure_threshold: 1, open_for: 1h, store: redis } }
backends:
  - { id: down, kind: localstub, models: [m], fail: "before_output:503" }
`);
    lip = await serveLip(['--config', path, '--workers', '2']);
  });
  after(async () => {
    await killLip(lip);
    await redis?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lip_circuits{state="open"} 1 and one closed → open transition, once both workers know the circuit is open', async () => {
    const url = lip!.url;
    const chat = () => httpRequest(`${url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) });
    // The first failure opens the circuit; then ask until both workers have refused for it
    // (each connection goes to one worker), so both hold the open circuit.
    const refusedBy = new Set<unknown>();
    for (let i = 0; i < 200 && refusedBy.size < 2; i++) {
      await chat();
      for (const l of lines(lip!)) if (l.message === 'request' && l.attempts === 0) refusedBy.add(l.worker);
    }
    expect([...refusedBy].sort()).to.deep.equal([1, 2]);
    // Almost always one attempt; a worker asked before the store's news reached it tries too
    // (and opens the circuit in its own view: a change it made, counted).
    const attempted = lines(lip!).filter((l) => l.message === 'request' && (l.attempts as number) > 0);
    expect(attempted.length).to.be.within(1, 2);

    const res = await httpRequest(`${url}/metrics`, { method: 'GET' });
    expect(res.status).to.equal(200);
    const value = (pattern: RegExp) => Number(pattern.exec(res.body)?.[1] ?? NaN);
    expect(value(/^lip_circuits\{state="open"\} (\d+)$/m)).to.equal(1);
    expect(value(/^lip_circuit_transitions_total\{backend="down",from="closed",to="open"\} (\d+)$/m)).to.equal(attempted.length);
  });
});
