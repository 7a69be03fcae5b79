import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import OpenAI from 'openai';
import { Reloader } from '../../lib/cli/reloader.js';
import type { Config } from '../../lib/config/index.js';
import { createLogger } from '../../lib/observability/logger.js';
import { ended, params, resultsOf, until } from '../helpers/batches.js';
import { testConfig } from '../helpers/config.js';
import { startHeldUpstream, type HeldUpstream } from '../helpers/held-upstream.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * Regression: work that outlives its request lost what it stores when a reload replaced the
 * continuity store under it. A batch keeps its records in the store it began on, but the server
 * counted only requests in flight as using a runtime: a reload that changed `continuity` (its
 * `sqlite_path`, here) while a batch ran closed the previous runtime and its store at once.
 * Every record of the batch arrived after the store closed ("continuity record arrived after the
 * store closed"), it stayed `in_progress`, and a minute later it showed ended with every request
 * `expired`, although each had succeeded upstream. A background response held its runtime, but
 * only until `server.shutdown_timeout`: one running longer was never stored (a 404). A running
 * batch now holds the runtime it began on, and the runtime a background response began on is
 * not closed under it past `server.shutdown_timeout`; each closes once the last of them ended.
 */
describe('regression: batches and background responses across a reload that replaces their store', function () {
  this.timeout(30_000);
  let upstream: HeldUpstream;
  let dir: string;
  let lip: RunningLip | undefined;
  let next: Config;
  let reloader: Reloader;

  /** SQLite at `dir/<file>`; a retired runtime waits 100 ms for the requests in flight on it. */
  const config = (file = 'lip.db') => testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: k-0123456789 }`,
    `server: { host: 127.0.0.1, port: 0, batch_concurrency: 1, shutdown_timeout: 100ms }\ncontinuity: { store: sqlite, sqlite_path: "${join(dir, file)}" }`);
  const retired = () => (lip!.server as unknown as { retired: Map<unknown, unknown> }).retired.size;
  const closedStoreLines = () => lip!.logs.filter((l) => String(l.message).includes('after the store closed'));

  /** The config reloaded with another `sqlite_path` (a new store), then past the previous runtime's shutdown_timeout. */
  async function reloadStore(): Promise<void> {
    next = config('other.db');
    expect((await reloader.reload('signal')).status).to.equal('reloaded');
    await new Promise((resolve) => setTimeout(resolve, 300));
  }

  /** Back on `dir/lip.db` (a store opened on it again), to read what the previous runtime wrote there. */
  async function reloadBack(): Promise<void> {
    next = config();
    expect((await reloader.reload('signal')).status).to.equal('reloaded');
  }

  beforeEach(async () => {
    upstream = await startHeldUpstream();
    dir = mkdtempSync(join(tmpdir(), 'lip-reload-detached-'));
    next = config();
    lip = await startLip(next);
    reloader = new Reloader(lip.server, () => next, createLogger({ level: 'error', format: 'json', stream: new PassThrough() }));
  });
  afterEach(async () => {
    await lip?.close();
    lip = undefined;
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a batch running across the reload ends with every request succeeded, its records in the store it began on, which closes after it', async () => {
    const client = new Anthropic({ baseURL: lip!.url, apiKey: 'unused', maxRetries: 0 });
    const made = await client.messages.batches.create({ requests: [0, 1, 2].map((i) => ({ custom_id: `r${i}`, params: params('up:chat', `r${i}`) })) });
    await until(() => upstream.held.length === 1, 'the first request upstream');
    await reloadStore();
    expect(retired(), 'the previous runtime is kept while the batch runs').to.equal(1);
    const answering = setInterval(() => { for (const res of upstream.held.splice(0)) upstream.answer(res); }, 10);
    try {
      await until(() => retired() === 0, 'the previous runtime closed once the batch ended', 5_000);
    } finally {
      clearInterval(answering);
    }
    // Read from its file: the batch and its results as its runner wrote them.
    await reloadBack();
    const batch = await ended(client, made.id, 5_000);
    expect(batch.request_counts).to.deep.equal({ processing: 0, succeeded: 3, errored: 0, canceled: 0, expired: 0 });
    expect((await resultsOf(client, made.id)).map((l) => [l.custom_id, l.result.type])).to.deep.equal([['r0', 'succeeded'], ['r1', 'succeeded'], ['r2', 'succeeded']]);
    expect(closedStoreLines()).to.deep.equal([]);
  });

  it('a shutdown while the batch runs on the previous runtime ends it there (what had not ended expired) before that runtime closes', async () => {
    const client = new Anthropic({ baseURL: lip!.url, apiKey: 'unused', maxRetries: 0 });
    const made = await client.messages.batches.create({ requests: [0, 1, 2].map((i) => ({ custom_id: `r${i}`, params: params('up:chat', `r${i}`) })) });
    await until(() => upstream.held.length === 1, 'the first request upstream');
    await reloadStore();
    await lip!.server.shutdown(200);
    expect(closedStoreLines()).to.deep.equal([]);
    // The next start on the same file finds the batch ended by the shutdown.
    lip = await startLip(config());
    const batch = await new Anthropic({ baseURL: lip.url, apiKey: 'unused', maxRetries: 0 }).messages.batches.retrieve(made.id);
    expect([batch.processing_status, batch.request_counts]).to.deep.equal(['ended', { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 3 }]);
  });

  it('a background response running past server.shutdown_timeout after the reload is stored, and its runtime closes after it', async () => {
    const client = new OpenAI({ baseURL: `${lip!.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const created = await client.responses.create({ model: 'up:chat', input: 'hi', background: true });
    await until(() => upstream.held.length === 1, 'the background response upstream');
    await reloadStore();
    expect(retired(), 'the previous runtime is kept while the response runs').to.equal(1);
    upstream.answer(upstream.held.shift()!);
    await until(() => retired() === 0, 'the previous runtime closed once the response ended', 5_000);
    await reloadBack();
    const stored = await client.responses.retrieve(created.id);
    expect([stored.status, stored.output_text]).to.deep.equal(['completed', 'hello']);
    expect(closedStoreLines()).to.deep.equal([]);
  });
});
