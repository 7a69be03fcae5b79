import { expect } from 'chai';
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { CircuitRow } from '../../lib/circuit/index.js';
import { SqliteContinuityStore, type ContinuityStatus } from '../../lib/continuity/index.js';
import { testConfig } from '../helpers/config.js';
import { immutableWorks, sh } from '../helpers/file-faults.js';
import { startOpenAIChatEmulator, type Emulator, type RecordedRequest, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { serveLip, type LipProcess } from '../helpers/spawn-lip.js';
import { httpRequest } from '../helpers/sse-client.js';

/**
 * The stores fail under a running lip: the SQLite file turns read-only or its directory is
 * removed, a reload names a path no database can live at, Redis is killed and restarted under
 * load. Requests go through real sockets to an emulated upstream; every one must succeed.
 * @see spec/continuity/sqlite-faults.spec.ts for the same faults on the store, on virtual time
 */

const SCRIPTS: Record<string, Script> = {
  ok: { text: 'fine' },
  busy: { status: 503, error: { message: 'overloaded' } },
};
const ask = (url: string, model: string) => httpRequest(`${url}/v1/chat/completions`, { body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }) });
const readyz = async (url: string) => {
  const res = await httpRequest(`${url}/readyz`, { method: 'GET' });
  return { status: res.status, checks: JSON.parse(res.body).checks as { continuity: ContinuityStatus; circuit_breaker: { healthy: boolean } } };
};
const circuits = async (url: string): Promise<CircuitRow[]> => (JSON.parse((await httpRequest(`${url}/admin/circuits`, { method: 'GET' })).body) as { circuits: CircuitRow[] }).circuits;
const until = async (check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const count = (path: string, table: string) => {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('e2e: SQLite continuity faults while serving', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let root: string;
  let lip: RunningLip | undefined;
  let undo: (() => void) | undefined;

  before(async () => {
    upstream = await startOpenAIChatEmulator();
    upstream.handler = (req: RecordedRequest) => SCRIPTS[req.model ?? ''] ?? SCRIPTS.ok!;
  });
  after(() => upstream.close());
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'lip-e2e-faults-'));
  });
  afterEach(async () => {
    undo?.();
    undo = undefined;
    await lip?.close();
    lip = undefined;
    rmSync(root, { recursive: true, force: true });
  });

  /** A lip whose SQLite store has the fault seam (used only where the machine refuses a real fault). */
  const start = async (path: string, injected: { error?: Error }) => {
    const config = testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "k" }`,
      `routing: { default_route: "up:ok" }\ncontinuity: { store: sqlite, sqlite_path: "${path}" }`);
    const continuity = new SqliteContinuityStore({
      path, ttlMs: config.continuity.ttl, maxLegs: config.continuity.max_legs, scheduler: (await import('rxjs')).asyncScheduler,
      log: { error: () => undefined, warn: () => undefined, info: () => undefined }, injectWriteFault: () => injected.error,
    });
    lip = await startLip(config, { continuity });
    return lip;
  };
  const burst = async (url: string, n: number) => (await Promise.all(Array.from({ length: n }, () => ask(url, 'up:busy|up:ok')))).map((r) => r.status);

  it('the file turns read-only: every request is served, /readyz says why, and the rows land once writable', async () => {
    const path = join(root, 'lip.db');
    const injected: { error?: Error } = {};
    const { url } = await start(path, injected);
    expect(await burst(url, 5)).to.deep.equal(Array(5).fill(200));
    await until(async () => (await readyz(url)).checks.continuity.pending === 0, 'first rows written');

    // Root writes through every permission but the immutable flag (never on -shm: it is mapped).
    const real = immutableWorks(root);
    if (real) {
      sh('chattr', ['+i', path, `${path}-wal`]);
      undo = () => sh('chattr', ['-i', path, `${path}-wal`]);
    } else {
      injected.error = Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' });
      undo = () => { delete injected.error; };
    }
    expect(await burst(url, 20)).to.deep.equal(Array(20).fill(200));
    await until(async () => (await readyz(url)).status === 503, 'readyz degraded');
    const degraded = await readyz(url);
    expect(degraded.checks.continuity).to.deep.include({ ready: false, state: 'failing', dropped: 0 });
    expect(degraded.checks.continuity.reason).to.match(real ? /are failing \(SQLITE_IOERR/ : /are failing \(SQLITE_READONLY/);

    undo();
    undo = undefined;
    await until(async () => (await readyz(url)).status === 200, 'readyz recovered');
    expect(count(path, 'attempts')).to.equal(25 * 2); // each request: a swallowed 503, then the success
  });

  it('the directory is removed while serving: /readyz degrades with a reason, requests go on, rows go to a fresh file', async () => {
    const path = join(root, 'data', 'lip.db');
    const { url } = await start(path, {});
    expect(await burst(url, 5)).to.deep.equal(Array(5).fill(200));
    await until(async () => (await readyz(url)).checks.continuity.pending === 0, 'first rows written');

    rmSync(join(root, 'data'), { recursive: true, force: true });
    const degraded = await readyz(url);
    expect(degraded.status).to.equal(503);
    expect(degraded.checks.continuity).to.deep.include({ ready: false, state: 'failing' });
    expect(degraded.checks.continuity.reason).to.equal(`the database file ${path} was removed or replaced while open; reopening it`);

    expect(await burst(url, 20)).to.deep.equal(Array(20).fill(200));
    await until(async () => (await readyz(url)).status === 200, 'readyz recovered');
    await until(async () => (await readyz(url)).checks.continuity.pending === 0, 'rows written');
    expect((await readyz(url)).checks.continuity).to.deep.include({ reopened: 1, lost: 10 }); // the 10 attempt rows of the first burst
    expect(count(path, 'attempts')).to.equal(20 * 2);
  });
});

describe('e2e: a reload to an unusable continuity.sqlite_path', function () {
  this.timeout(60_000);
  let lip: (LipProcess & { url: string }) | undefined;
  let dir: string | undefined;
  after(async () => {
    lip?.proc.kill('SIGTERM');
    await lip?.exited;
    // Removed once lip has stopped: while it runs, its database may still write beside it.
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fails cleanly and the running configuration keeps serving (no wedge under /proc)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-reload-'));
    const config = join(dir, 'lip.yaml');
    const write = (sqlitePath: string) => writeFileSync(config, `server: { host: 127.0.0.1, port: 0, drain_delay: 0s }
continuity: { store: sqlite, sqlite_path: "${sqlitePath}" }
routing: { default_route: "stub:m" }
backends:
  - { id: stub, kind: localstub, text: "still here" }
`);
    write(join(dir, 'lip.db'));
    lip = await serveLip(['--config', config]);
    const running = lip;
    // `/proc/lip-spec/x` made Node's recursive mkdir loop forever; `/proc/self` refuses files.
    for (const [i, bad] of ['/proc/lip-spec/x/lip.db', '/proc/self/lip.db'].entries()) {
      write(bad);
      running.proc.kill('SIGHUP');
      await until(() => (running.stdout().match(/reload failed; keeping the running configuration/g) ?? []).length === i + 1, `reload ${bad} refused`, 20_000);
      const res = await ask(running.url, 'stub:m');
      expect([res.status, JSON.parse(res.body).choices[0].message.content]).to.deep.equal([200, 'still here']);
      const ready = await readyz(running.url);
      expect([ready.status, ready.checks.continuity.store, ready.checks.continuity.ready]).to.deep.equal([200, 'sqlite', true]);
    }
    expect(running.stdout()).to.contain(`cannot open the continuity database /proc/lip-spec/x/lip.db`);
  });
});

describe('e2e: Redis killed and restarted under load (circuit_breaker.store: redis)', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let upstream: Emulator;
  let first: RunningLip;
  let second: RunningLip;

  before(async function () {
    redis = await requireRedisServer(this);
    upstream = await startOpenAIChatEmulator();
    upstream.handler = (req: RecordedRequest) => SCRIPTS[req.model ?? ''] ?? SCRIPTS.ok!;
    const config = () => testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "k" }`, `routing: { default_route: "up:ok", circuit_breaker: { enabled: true, failure_threshold: 2, open_for: 30s, store: redis } }
redis: { url: "${redis.url}", key_prefix: "faults:" }
diagnostics: { enabled: true }`);
    first = await startLip(config());
    second = await startLip(config());
    await until(async () => (await readyz(first.url)).checks.circuit_breaker.healthy && (await readyz(second.url)).checks.circuit_breaker.healthy, 'both synced');
  });
  after(async () => {
    await first?.close();
    await second?.close();
    await upstream?.close();
    await redis?.close();
  });

  it('zero failed requests through kill -9 and restart; circuits opened meanwhile reach the other instance after', async () => {
    const results: number[] = [];
    let running = true;
    const worker = async (url: string, model: string) => {
      while (running) results.push((await ask(url, model)).status);
    };
    const load = [first.url, second.url].flatMap((url) => [worker(url, 'up:ok'), worker(url, 'up:busy|up:ok'), worker(url, 'up:ok')]);
    const atLeast = (n: number) => until(() => results.length >= n, `${n} requests`, 30_000);

    await atLeast(24);
    await redis.stop('SIGKILL');
    await until(async () => !(await readyz(first.url)).checks.circuit_breaker.healthy && !(await readyz(second.url)).checks.circuit_breaker.healthy, 'both degraded');
    const atKill = results.length;
    await atLeast(atKill + 24);
    // A circuit that opens only on the first instance while Redis is gone.
    upstream.handler = (req: RecordedRequest) => (req.model === 'late' ? SCRIPTS.busy! : SCRIPTS[req.model ?? ''] ?? SCRIPTS.ok!);
    for (let i = 0; i < 2; i++) expect((await ask(first.url, 'up:late|up:ok')).status).to.equal(200);
    expect((await circuits(first.url)).find((r) => r.key === 'up:late')).to.include({ state: 'open' });
    expect((await circuits(second.url)).find((r) => r.key === 'up:late')).to.equal(undefined);

    await redis.start();
    await until(async () => (await readyz(first.url)).checks.circuit_breaker.healthy && (await readyz(second.url)).checks.circuit_breaker.healthy, 'both resynced', 20_000);
    const atRestart = results.length;
    await atLeast(atRestart + 24);
    running = false;
    await Promise.all(load);

    expect(results.filter((status) => status !== 200)).to.deep.equal([]);
    expect(results.length).to.be.greaterThan(72);
    await until(async () => (await circuits(second.url)).some((r) => r.key === 'up:late' && r.state === 'open'), 'the other instance sees the circuit opened during the outage');
    const raw = new Redis(redis.url);
    try {
      expect(await raw.hget('faults:circuit:up:late', 's')).to.equal('open');
    } finally {
      raw.disconnect();
    }
  });
});
