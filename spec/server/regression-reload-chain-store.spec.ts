import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { Reloader } from '../../lib/cli/reloader.js';
import type { Config } from '../../lib/config/index.js';
import { createRuntime } from '../../lib/core/runtime.js';
import { createLogger } from '../../lib/observability/logger.js';
import { LipServer } from '../../lib/server/lip-server.js';
import { testConfig } from '../helpers/config.js';
import { startHeldUpstream, type HeldUpstream } from '../helpers/held-upstream.js';
import { until } from '../helpers/hostile-rig.js';

/**
 * Regression: a stream that began before two reloads lost what it stores. The first reload
 * (routing changed, the store kept) retired runtime A, its stream in flight, and handed A's
 * SQLite store to runtime B. The second (another `sqlite_path`) found B itself idle and closed it
 * at once, and with it the store A's stream still wrote to: the stored response and the attempt
 * rows arrived after the store closed ("continuity record arrived after the store closed"), and
 * the response was a 404 afterwards. A runtime now stays open while a runtime it replaced is
 * still open, so what it was handed closes only after the last request that used it.
 */
describe('regression: a store handed on through two reloads', function () {
  this.timeout(30_000);
  let upstream: HeldUpstream;
  let dir: string;

  before(async () => {
    upstream = await startHeldUpstream();
  });
  after(async () => {
    await upstream?.close();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-reload-chain-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a response streamed across two reloads (the store kept, then replaced) is stored in the store it began on', async () => {
    const config = (db: string, model: string): Config => testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: k-0123456789 }`,
      `routing: { default_route: "up:${model}" }\ncontinuity: { store: sqlite, sqlite_path: "${join(dir, db)}" }`);
    const logs: Record<string, unknown>[] = [];
    const sink = new PassThrough();
    sink.on('data', (c: Buffer) => c.toString('utf8').split('\n').filter(Boolean).forEach((l) => logs.push(JSON.parse(l) as Record<string, unknown>)));
    const logger = createLogger({ level: 'info', format: 'json', stream: sink });
    let next = config('b1.db', 'chat');
    const server = new LipServer(createRuntime(next, { logger }), logger);
    const reloader = new Reloader(server, () => next, logger);
    const retired = () => (server as unknown as { retired: Map<unknown, unknown> }).retired.size;
    await server.listen('127.0.0.1', 0);
    try {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const events = (async () => {
        const seen: ResponseStreamEvent[] = [];
        for await (const event of await client.responses.create({ model: 'm1', input: 'hi', stream: true, store: true })) seen.push(event);
        return seen;
      })();
      await until(() => upstream.held.length === 1, 'the stream upstream');

      // Runtime A keeps its stream; B takes over its store; C opens another one.
      next = config('b1.db', 'chat-2');
      expect((await reloader.reload('signal')).status).to.equal('reloaded');
      next = config('b2.db', 'chat-2');
      expect((await reloader.reload('signal')).status).to.equal('reloaded');

      upstream.answer(upstream.held.shift()!);
      const completed = (await events).find((e) => e.type === 'response.completed');
      expect(completed, 'the stream completed').to.not.equal(undefined);
      const id = (completed as Extract<ResponseStreamEvent, { type: 'response.completed' }>).response.id;
      await until(() => retired() === 0, 'the replaced runtimes closed');

      // Back on b1.db: the response is there.
      next = config('b1.db', 'chat');
      expect((await reloader.reload('signal')).status).to.equal('reloaded');
      const stored = await client.responses.retrieve(id);
      expect(stored.id).to.equal(id);
      expect(stored.status).to.equal('completed');
      expect(logs.filter((l) => String(l.msg ?? l.message).includes('after the store closed'))).to.deep.equal([]);
    } finally {
      await server.shutdown(1_000);
    }
  });
});
