import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Reloader } from '../../lib/cli/reloader.js';
import type { Config } from '../../lib/config/index.js';
import { createRuntime } from '../../lib/core/runtime.js';
import { createLogger } from '../../lib/observability/logger.js';
import { LipServer } from '../../lib/server/lip-server.js';
import { testConfig } from '../helpers/config.js';
import { httpRequest, type RawResponse } from '../helpers/sse-client.js';

/**
 * Found by probing: a reload that changed only `continuity.ttl`, `max_legs`,
 * `max_response_bytes` or `resume_window` built a new continuity store, and a memory store
 * starts empty: every session, its lineage and every stored response were gone, with nothing in
 * the log but "configuration reloaded". Those limits now apply to the running store in place
 * (`reconfigure`, evicting what a lowered cap leaves over); only `store`, its `sqlite_path` and,
 * for a Redis store, the `redis` settings open another one.
 */
describe('regression: a reload of the continuity limits keeps the store and what it holds', function () {
  this.timeout(30_000);
  let server: LipServer;
  let reloader: Reloader;
  let next: Config;
  const config = (continuity: string): Config => testConfig('  - { id: s, kind: localstub, models: [m] }', `routing: { default_route: "s:m" }\ncontinuity: { ${continuity} }`);

  const start = async (continuity: string) => {
    const logger = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
    next = config(continuity);
    server = new LipServer(createRuntime(next, { logger }), logger);
    reloader = new Reloader(server, () => next, logger);
    await server.listen('127.0.0.1', 0);
  };
  afterEach(() => server?.shutdown(1_000));

  const chat = (headers: Record<string, string> = {}) =>
    httpRequest(`${server.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }), headers });
  const respond = (body: Record<string, unknown>) => httpRequest(`${server.url}/v1/responses`, { body: JSON.stringify({ model: 'm', ...body }) });
  const reload = async (continuity: string) => {
    next = config(continuity);
    return reloader.reload('api');
  };
  const aLeg = (res: RawResponse) => res.headers['x-lip-a-leg-id'];

  for (const [change, field] of [
    ['ttl: 12h', 'continuity.ttl'],
    ['max_legs: 5000', 'continuity.max_legs'],
    ['max_response_bytes: 64MiB', 'continuity.max_response_bytes'],
    ['resume_window: 100h', 'continuity.resume_window'],
  ] as const) {
    it(`memory store, ${field}: the same store; its sessions resume and its stored responses continue`, async () => {
      await start('store: memory');
      const store = server.runtimeNow.continuity;
      const first = await chat();
      const token = first.headers['x-lip-resume-token'] as string;
      const stored = await respond({ input: 'hi' });
      const id = JSON.parse(stored.body).id as string;
      const outcome = await reload(`store: memory, ${change}`);
      expect([outcome.status, outcome.changed]).to.deep.equal(['reloaded', [field]]);
      expect(server.runtimeNow.continuity, 'the store is kept').to.equal(store);
      const resumed = await chat({ 'x-lip-resume-token': token });
      expect([resumed.status, aLeg(resumed)]).to.deep.equal([200, aLeg(first)]);
      const continued = await respond({ input: 'and?', previous_response_id: id });
      expect([continued.status, aLeg(continued)]).to.deep.equal([200, aLeg(stored)]);
    });
  }

  it('memory store: a lowered max_legs evicts at once, by the fair-share rule', async () => {
    await start('store: memory, max_legs: 100');
    for (let i = 0; i < 6; i++) expect((await chat()).status).to.equal(200);
    const store = server.runtimeNow.continuity;
    expect(store.status().legs).to.equal(6);
    expect((await reload('store: memory, max_legs: 4')).status).to.equal('reloaded');
    expect(server.runtimeNow.continuity).to.equal(store);
    expect(store.status().legs).to.equal(4);
  });

  it('SQLite: the limits keep the store (one writer); another sqlite_path or store opens another', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lip-reload-limits-'));
    try {
      const path = join(dir, 'a.db');
      await start(`store: sqlite, sqlite_path: "${path}"`);
      const store = server.runtimeNow.continuity;
      const first = await chat();
      expect((await reload(`store: sqlite, sqlite_path: "${path}", ttl: 12h, max_legs: 5000, resume_window: 100h`)).status).to.equal('reloaded');
      expect(server.runtimeNow.continuity).to.equal(store);
      expect(aLeg(await chat({ 'x-lip-resume-token': first.headers['x-lip-resume-token'] as string }))).to.equal(aLeg(first));
      expect((await reload(`store: sqlite, sqlite_path: "${join(dir, 'b.db')}", ttl: 12h, max_legs: 5000, resume_window: 100h`)).status).to.equal('reloaded');
      expect(server.runtimeNow.continuity).to.not.equal(store);
      const other = server.runtimeNow.continuity;
      expect((await reload(`store: memory, ttl: 12h, max_legs: 5000, resume_window: 100h`)).status).to.equal('reloaded');
      expect(server.runtimeNow.continuity).to.not.equal(other);
    } finally {
      await server.shutdown(1_000);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
