import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killLip, type LipProcess, runLip, serveLip } from '../helpers/spawn-lip.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { httpRequest, openStream, parseSse } from '../helpers/sse-client.js';

const dir = mkdtempSync(join(tmpdir(), 'lip-workers-'));
const SECRET = 'workers-secret-0123456789';
const configText = (text: string, level = 'info') => `server: { host: 127.0.0.1, port: 0, drain_delay: 300ms, shutdown_timeout: 20s }
logging: { format: json, level: ${level} }
observability: { metrics: { enabled: true } }
diagnostics: { enabled: true, shared_secret: "${SECRET}" }
routing: { default_route: "s:m" }
recording: { enabled: true, path: "${join(dir, 'rec', 'traffic.jsonl')}" }
backends:
  - { id: s, kind: localstub, models: [m], text: "${text}" }
  - { id: slow, kind: localstub, models: [m], text: "a b c d e f", chunks: 6, chunk_delay: 300ms }
`;

type Line = Record<string, unknown> & { message: string };
const lines = (p: LipProcess): Line[] => p.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
async function until(what: string, predicate: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const chat = async (url: string, model = 'm') => {
  const res = await httpRequest(`${url}/v1/chat/completions`, { body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }) });
  expect(res.status).to.equal(200);
  return JSON.parse(res.body).choices[0].message.content as string;
};
const admin = (url: string, method: 'GET' | 'POST', path: string) => httpRequest(`${url}${path}`, { method, headers: { 'x-lip-diagnostics-secret': SECRET }, ...(method === 'POST' ? { body: '' } : {}) });
/** The worker ids in the access log lines of chat requests. */
const servedBy = (p: LipProcess) => lines(p).filter((l) => l.message === 'request' && l.route === '/v1/chat/completions').map((l) => l.worker as number);

/**
 * `lip serve --workers 2`, spawned as operators run it: one primary, two workers behind one
 * port (node:cluster), the primary forwarding signals and restarting a crashed worker.
 * The cases run in order on one cluster (starting processes is the slow part on a busy machine).
 */
describe('lip serve --workers (spawned)', function () {
  this.timeout(120_000);
  const path = join(dir, 'lip.yaml');
  let lip: LipProcess & { url: string };

  before(async () => {
    writeFileSync(path, configText('one'));
    lip = await serveLip(['--config', path, '--workers', '2']);
  });
  after(async () => {
    await killLip(lip);
  });

  it('logs one startup line for the cluster once both workers listen, and both serve', async () => {
    const started = lines(lip).filter((l) => l.message === 'worker started');
    expect(started.map((l) => l.worker)).to.deep.equal([1, 2]);
    expect(lines(lip).filter((l) => l.message.startsWith('lip listening on'))).to.have.length(1).and.to.satisfy((ls: Line[]) => ls[0]!.workers === 2);
    for (let i = 0; i < 6; i++) expect(await chat(lip.url)).to.equal('one');
    await until('six access log lines', () => servedBy(lip).length === 6);
    expect(new Set(servedBy(lip))).to.deep.equal(new Set([1, 2]));
    expect(lines(lip).filter((l) => l.message.startsWith('continuity.store: memory with 2 workers'))).to.have.length(1);
  });

  it('/metrics answers with the sum over the workers', async () => {
    const served = servedBy(lip);
    const res = await httpRequest(`${lip.url}/metrics`, { method: 'GET', headers: { 'x-lip-diagnostics-secret': SECRET } });
    expect(res.status).to.equal(200);
    const total = /^lip_http_requests_total\{method="POST",route="\/v1\/chat\/completions",status_class="2xx"\} (\d+)$/m.exec(res.body);
    expect(Number(total?.[1])).to.equal(served.length);
    // Neither worker alone served them all: the number is a sum.
    expect(served.filter((w) => w === 1).length).to.be.lessThan(served.length);
    expect(res.body).to.match(/^lip_continuity_ready\{store="memory"\} 1$/m);
  });

  it('restarts a killed worker, which then serves', async () => {
    const victim = lines(lip).find((l) => l.message === 'worker started' && l.worker === 1)!;
    process.kill(victim.pid as number, 'SIGKILL');
    await until('the restart', () => lines(lip).some((l) => l.message === 'worker listening' && l.worker === 3));
    const exited = lines(lip).find((l) => l.message === 'worker exited; restarting it')!;
    expect(exited).to.deep.include({ worker: 1, pid: victim.pid, signal: 'SIGKILL' });
    expect(exited.restart_in_ms).to.be.a('number');
    // The sum now covers the living workers: worker 1's counts went with it.
    const scrape = await httpRequest(`${lip.url}/metrics`, { method: 'GET', headers: { 'x-lip-diagnostics-secret': SECRET } });
    const total = /^lip_http_requests_total\{method="POST",route="\/v1\/chat\/completions",status_class="2xx"\} (\d+)$/m.exec(scrape.body);
    expect([scrape.status, Number(total?.[1])]).to.deep.equal([200, servedBy(lip).filter((w) => w === 2).length]);
    const before = servedBy(lip).length;
    for (let i = 0; i < 4; i++) expect(await chat(lip.url)).to.equal('one');
    await until('four more access log lines', () => servedBy(lip).length === before + 4);
    expect(new Set(servedBy(lip).slice(before))).to.deep.equal(new Set([2, 3]));
  });

  it('SIGHUP to the primary reloads every worker', async () => {
    writeFileSync(path, configText('two'));
    lip.proc.kill('SIGHUP');
    await until('both workers reloaded', () => new Set(lines(lip).filter((l) => l.message === 'configuration reloaded' && l.trigger === 'signal').map((l) => l.worker)).size === 2);
    expect(new Set(lines(lip).filter((l) => l.message === 'configuration reloaded').map((l) => l.worker))).to.deep.equal(new Set([2, 3]));
    for (let i = 0; i < 4; i++) expect(await chat(lip.url)).to.equal('two');
    // The primary read the file once and sent its text: one reload of all workers, by signal.
    await until('the primary\'s summary', () => lines(lip).some((l) => l.message === 'reload of all workers' && l.trigger === 'signal' && l.status === 'reloaded'));
  });

  it('SIGHUP with the file gone: the primary reads it (once, for all) and no worker reloads', async () => {
    renameSync(path, `${path}.away`);
    try {
      lip.proc.kill('SIGHUP');
      await until('the primary\'s refusal', () => lines(lip).some((l) => l.message === 'reload failed; every worker keeps its running configuration'));
      const refusal = lines(lip).find((l) => l.message === 'reload failed; every worker keeps its running configuration')!;
      expect(refusal).to.deep.include({ trigger: 'signal' });
      expect(refusal.worker).to.equal(undefined); // the primary's own line
      expect(String(refusal.error)).to.contain('cannot read config file');
      expect(lines(lip).filter((l) => l.message === 'reload failed; keeping the running configuration')).to.deep.equal([]);
      expect(await chat(lip.url)).to.equal('two');
    } finally {
      renameSync(`${path}.away`, path);
    }
  });

  it('POST /admin/config/reload on any worker reloads all and says what changed; status lists every worker', async () => {
    writeFileSync(path, configText('three', 'debug'));
    const res = await admin(lip.url, 'POST', '/admin/config/reload');
    const body = JSON.parse(res.body);
    expect(res.status).to.equal(200);
    expect(body).to.deep.include({ status: 'reloaded', trigger: 'api', changed: ['backends[s]'], restart_required: ['logging.level'] });
    expect(body.workers.map((w: { worker: number; status: string }) => [w.worker, w.status]).sort()).to.deep.equal([[2, 'reloaded'], [3, 'reloaded']]);
    for (let i = 0; i < 4; i++) expect(await chat(lip.url)).to.equal('three');
    const status = JSON.parse((await admin(lip.url, 'GET', '/admin/config/status')).body);
    expect(status.workers.map((w: { worker: number }) => w.worker).sort()).to.deep.equal([2, 3]);
    expect(status.pending_restart).to.deep.equal(['logging.level']);
    writeFileSync(path, 'server: { prot: 1 }\n');
    const bad = await admin(lip.url, 'POST', '/admin/config/reload');
    expect([bad.status, JSON.parse(bad.body).error.code]).to.deep.equal([422, 'LIP_ERR_ADMIN_RELOAD_FAILED']);
    expect(await chat(lip.url)).to.equal('three');
  });

  it('SIGTERM drains every worker: an in-flight stream finishes, then the primary exits 0', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${lip.url}/v1/chat/completions`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.once('data', () => lip.proc.kill('SIGTERM'));
        res.on('data', (c: string) => { text += c; });
        res.on('end', () => resolve(text));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ model: 'slow:m', stream: true, messages: [{ role: 'user', content: 'x' }] }));
    });
    const data = parseSse(body).messages.map((m) => m.data);
    expect(data.at(-1)).to.equal('[DONE]');
    expect(data.slice(0, -1).map((d) => JSON.parse(d).choices[0]?.delta.content ?? '').join('')).to.equal('a b c d e f');
    expect(await lip.exited).to.equal(0);
    const draining = lines(lip).filter((l) => l.message === 'draining');
    expect(draining.map((l) => l.worker).sort()).to.deep.equal([2, 3]);
    expect(draining.every((l) => l.signal === 'SIGTERM' && l.drain_delay_ms === 300)).to.equal(true);
    expect(lines(lip).at(-1)).to.deep.include({ message: 'stopped', exit_code: 0 });
  });

  it('recorded to one file per worker slot (a restarted worker kept its slot, a reload its file), and the files replay', async () => {
    const started = lines(lip).filter((l) => l.message === 'worker started').map((l) => [l.worker, l.slot]);
    expect(started).to.deep.equal([[1, 1], [2, 2], [3, 1]]);
    expect(lines(lip).find((l) => l.message.startsWith('recording with 2 workers'))?.message).to.contain('traffic.w1.jsonl … ');
    const files = readdirSync(join(dir, 'rec')).sort();
    expect(files).to.deep.equal(['traffic.w1.jsonl', 'traffic.w2.jsonl']);
    const recorded = files.flatMap((f) => readFileSync(join(dir, 'rec', f), 'utf8').trim().split('\n'));
    expect(recorded.length).to.equal(servedBy(lip).length);
    const replayConfig = join(dir, 'replay.yaml');
    writeFileSync(replayConfig, configText('replayed'));
    const replay = await runLip(['replay', ...files.map((f) => join(dir, 'rec', f)), '--config', replayConfig]);
    expect(replay.code, replay.stdout + replay.stderr).to.equal(0);
    expect(replay.stdout).to.match(new RegExp(`same\\s+${recorded.length}\\b`));
  });
});

/**
 * With the conversations in Redis, a cancel that lands on one worker reaches a request another
 * worker runs (lib/server/cancel-relay.ts): each connection goes to one of the workers, so
 * without the relay about half of these cancels found nothing.
 */
describe('lip serve --workers with continuity in Redis: cancels (spawned)', function () {
  this.timeout(120_000);
  let redis: RedisServer;
  let lip: (LipProcess & { url: string }) | undefined;

  before(async function () {
    redis = await requireRedisServer(this);
    const path = join(dir, 'lip-redis.yaml');
    writeFileSync(path, `server: { host: 127.0.0.1, port: 0, drain_delay: 0s, shutdown_timeout: 2s }
logging: { format: json, level: info }
redis: { url: "${redis.url}", key_prefix: "lip-workers-cancel:" }
continuity: { store: redis }
routing: { default_route: "slow:m" }
backends:
  - { id: slow, kind: localstub, models: [m], text: "a b c d e f g h i j k l m n o p", chunks: 16, chunk_delay: 2s }
`);
    lip = await serveLip(['--config', path, '--workers', '2']);
  });
  after(async () => {
    await killLip(lip);
    await redis?.close();
  });

  it('a cancel reaches the stream on whichever worker runs it', async () => {
    const url = lip!.url;
    const streams = await Promise.all([1, 2, 3, 4].map(async () => {
      const { response, rest } = await openStream(`${url}/v1/chat/completions`, { model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }, {}, '"content":"a');
      return { aLegId: response.headers.get('x-lip-a-leg-id')!, token: response.headers.get('x-lip-resume-token')!, rest };
    }));
    for (const { aLegId, token } of streams) {
      const res = await httpRequest(`${url}/lip/v1/a-legs/${aLegId}/cancel`, { body: '', headers: { 'x-lip-resume-token': token } });
      expect([res.status, JSON.parse(res.body)]).to.deep.equal([200, { a_leg_id: aLegId, status: 'cancelled', cancelled_requests: 1 }]);
    }
    for (const { rest } of streams) expect(await rest).to.include('LIP_ERR_REQUEST_CANCELLED');
    // The streams ran on both workers (so some cancels crossed from one to the other).
    await until('the access log lines of the streams', () => servedBy(lip!).length >= 4);
    expect(new Set(servedBy(lip!)).size).to.equal(2);
  });
});

/**
 * With `cache.store: memory` each worker keeps its own answers: the cache endpoints, on
 * whichever worker receives them, go through the primary to every worker (as a reload does).
 */
describe('lip serve --workers with the response cache in memory (spawned)', function () {
  this.timeout(120_000);
  let lip: (LipProcess & { url: string }) | undefined;
  type Served = Line & { worker: number; cache: string };
  const served = (): Served[] => lines(lip!).filter((l): l is Served => l.message === 'request' && l.route === '/v1/chat/completions');
  /** Asks the same question until each worker has answered it once more (connections alternate between them). */
  const untilBothAnswer = async (): Promise<Served[]> => {
    const from = served().length;
    for (let i = 0; i < 40 && new Set(served().slice(from).map((l) => l.worker)).size < 2; i++) {
      expect(await chat(lip!.url)).to.equal('kept');
      await until('its access log line', () => served().length > from + i);
    }
    const answered = served().slice(from);
    expect(new Set(answered.map((l) => l.worker)).size).to.equal(2);
    return answered;
  };

  before(async () => {
    const path = join(dir, 'lip-cache.yaml');
    writeFileSync(path, `server: { host: 127.0.0.1, port: 0, drain_delay: 0s, shutdown_timeout: 2s }
logging: { format: json, level: info }
diagnostics: { enabled: true, shared_secret: "${SECRET}" }
cache: { enabled: true }
routing: { default_route: "s:m" }
backends:
  - { id: s, kind: localstub, models: [m], text: "kept" }
`);
    lip = await serveLip(['--config', path, '--workers', '2']);
  });
  after(async () => {
    await killLip(lip);
  });

  it('GET /admin/cache sums every worker\'s cache and POST /admin/cache/clear clears them all', async () => {
    expect(lines(lip!).filter((l) => l.message.startsWith('cache.store: memory with 2 workers'))).to.have.length(1);
    await untilBothAnswer(); // each worker keeps the answer once
    const status = JSON.parse((await admin(lip!.url, 'GET', '/admin/cache')).body);
    expect(status).to.include({ store: 'memory', entries: 2 });
    expect(status.workers.map((w: { entries: number }) => w.entries)).to.deep.equal([1, 1]);
    const res = await admin(lip!.url, 'POST', '/admin/cache/clear');
    const cleared = JSON.parse(res.body);
    expect([res.status, cleared.cleared, cleared.workers.map((w: { cleared: number }) => w.cleared)]).to.deep.equal([200, 2, [1, 1]]);
    expect(JSON.parse((await admin(lip!.url, 'GET', '/admin/cache')).body)).to.include({ entries: 0, bytes: 0 });
    // Neither worker gives the old answer again: each one's first answer after the clear is a miss.
    const after = await untilBothAnswer();
    for (const worker of new Set(after.map((l) => l.worker))) expect(after.find((l) => l.worker === worker)?.cache).to.equal('miss');
  });
});

describe('lip serve --workers: start failures (spawned)', function () {
  this.timeout(120_000);

  it('exits 1 when the workers cannot listen (port in use)', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const res = await runLip(['serve', '--workers', '2', '--port', String(port)]);
      expect(res.code).to.equal(1);
      expect(res.stderr).to.contain(`cannot listen on 127.0.0.1:${port}: the port is already in use`);
      expect(res.stdout).to.contain('a worker exited before every worker was listening');
    } finally {
      blocker.close();
    }
  });

  it('rejects a --workers value that is not a whole number from 1, or auto (exit 2)', async () => {
    for (const value of ['0', 'two', '1.5']) {
      const res = await runLip(['serve', '--workers', value]);
      expect([res.code, res.stderr]).to.satisfy(([code, err]: [number, string]) => code === 2 && err.includes(`--workers must be a whole number from 1 to 1024, or auto (got "${value}")`));
    }
  });
});
