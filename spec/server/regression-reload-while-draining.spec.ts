import BetterSqlite3 from 'better-sqlite3';
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Reloader } from '../../lib/cli/reloader.js';
import type { Config } from '../../lib/config/index.js';
import { createRuntime } from '../../lib/core/runtime.js';
import { createLogger } from '../../lib/observability/logger.js';
import type { ConfigControl } from '../../lib/server/config-control.js';
import { LipServer } from '../../lib/server/lip-server.js';
import { until } from '../helpers/batches.js';
import { testConfig } from '../helpers/config.js';
import { startHeldUpstream, type HeldUpstream } from '../helpers/held-upstream.js';
import { httpRequest } from '../helpers/sse-client.js';

const SECRET = 'drain-secret-0123456789';
/** server.shutdown_timeout in these configs. */
const SHUTDOWN_TIMEOUT_MS = 50;

/**
 * Regression: a reload just before or during a graceful stop lost what the stop cancels. A
 * reload while lip drained was applied (SIGHUP, `POST /admin/config/reload`, the primary of
 * `--workers` reloading every worker while it stopped them), and the runtime it replaced was
 * closed by a timer of `server.shutdown_timeout` while the drain still let its requests run: the
 * shutdown then cancelled them on a closed runtime, and their attempt rows and recorded exchanges
 * were dropped. A reload is now refused once lip drains (the endpoint answers 503
 * `LIP_ERR_SERVER_SHUTTING_DOWN`; SIGHUP is ignored with a log line, spec/cli/
 * regression-reload-while-draining.spec.ts), and a runtime a reload replaced just before the stop
 * closes only after the shutdown has cancelled its requests (no timer is left to race it).
 */
describe('regression: reloads and the graceful stop', function () {
  this.timeout(30_000);
  let upstream: HeldUpstream;
  let dir: string;
  let server: LipServer;
  let next: Config;
  let reloads: number;

  const config = (file: string, extra = '') => testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: k-0123456789 }`,
    `server: { host: 127.0.0.1, port: 0, shutdown_timeout: ${SHUTDOWN_TIMEOUT_MS}ms }\nrouting: { default_route: "up:chat" }
diagnostics: { enabled: true, shared_secret: "${SECRET}" }\nrecording: { enabled: true, path: "${join(dir, file)}" }\n${extra}`);
  /** What the client asked in each exchange recorded in `file` (none while it does not exist). */
  const asked = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean) : [])
    .map((line) => (JSON.parse(line) as { request: { body: { messages: { content: string }[] } } }).request.body.messages[0]!.content);

  async function start(first: Config): Promise<Reloader> {
    const sink = new PassThrough();
    sink.resume();
    const logger = createLogger({ level: 'error', format: 'json', stream: sink });
    let reloader: Reloader | undefined;
    reloads = 0;
    const control: ConfigControl = { reload: (trigger) => { reloads++; return reloader!.reload(trigger); }, status: () => reloader!.status() };
    next = first;
    server = new LipServer(createRuntime(first, { logger }), logger, { control });
    reloader = new Reloader(server, () => next, logger);
    await server.listen('127.0.0.1', 0);
    return reloader;
  }

  beforeEach(async () => {
    upstream = await startHeldUpstream();
    dir = mkdtempSync(join(tmpdir(), 'lip-reload-draining-'));
  });
  afterEach(async () => {
    await server?.shutdown(1_000);
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('POST /admin/config/reload while draining answers 503 LIP_ERR_SERVER_SHUTTING_DOWN and reloads nothing', async () => {
    await start(config('before.jsonl'));
    const running = server.runtimeNow;
    next = config('after.jsonl');
    const reload = () => httpRequest(`${server.url}/admin/config/reload`, { method: 'POST', body: '', headers: { 'x-lip-diagnostics-secret': SECRET } });
    server.drain();
    // The operator gate still comes first.
    expect((await httpRequest(`${server.url}/admin/config/reload`, { method: 'POST', body: '' })).status).to.equal(403);
    const refused = await reload();
    expect([refused.status, JSON.parse(refused.body).error.code]).to.deep.equal([503, 'LIP_ERR_SERVER_SHUTTING_DOWN']);
    expect([reloads, server.runtimeNow]).to.deep.equal([0, running]);
  });

  it('a reload just before the stop: the request the shutdown cancels on the replaced runtime is recorded there, its attempt row written', async () => {
    const db = join(dir, 'lip.db');
    const reloader = await start(config('before.jsonl', `continuity: { store: sqlite, sqlite_path: "${db}" }`));
    const answer = httpRequest(`${server.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'up:chat', stream: true, messages: [{ role: 'user', content: 'cut by the stop' }] }) });
    await until(() => upstream.held.length === 1, 'the stream upstream');
    // Another recording path and another store (another file).
    next = config('after.jsonl', `continuity: { store: sqlite, sqlite_path: "${join(dir, 'other.db')}" }`);
    expect((await reloader.reload('signal')).status).to.equal('reloaded');
    server.drain();
    // Past server.shutdown_timeout as the reload counted it (a timer of that duration set after the
    // reload's runs after it: Node keeps the timers of one duration in the order they were set).
    await new Promise((resolve) => setTimeout(resolve, SHUTDOWN_TIMEOUT_MS));
    expect(await server.shutdown(SHUTDOWN_TIMEOUT_MS)).to.deep.equal({ cancelled: 1 });
    expect(JSON.parse((await answer).body).error.code).to.equal('LIP_ERR_SERVER_SHUTTING_DOWN');
    expect([asked('before.jsonl'), asked('after.jsonl')]).to.deep.equal([['cut by the stop'], []]);
    const file = new BetterSqlite3(db, { readonly: true });
    try {
      expect(file.prepare('SELECT candidate_key, outcome, reason FROM attempts').all()).to.deep.equal([{ candidate_key: 'up:chat', outcome: 'cancelled', reason: 'server shutdown' }]);
    } finally {
      file.close();
    }
  });
});
