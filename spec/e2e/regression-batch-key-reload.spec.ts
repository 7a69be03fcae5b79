import Anthropic from '@anthropic-ai/sdk';
import type { MessageBatchIndividualResponse } from '@anthropic-ai/sdk/resources/messages/batches';
import { expect } from 'chai';
import type { ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { Reloader } from '../../lib/cli/reloader.js';
import type { Config } from '../../lib/config/index.js';
import { createLogger } from '../../lib/observability/logger.js';
import { ended, params, resultsOf, until } from '../helpers/batches.js';
import { testConfig } from '../helpers/config.js';
import { chatChunk, startHeldUpstream, type HeldUpstream } from '../helpers/held-upstream.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const KEY = 'batch-key-0123456789ab';
const OTHER = 'other-key-0123456789ab';

/** Answers a held upstream request with `hello` and its usage (5 tokens: what a budget counts). */
function answer(res: ServerResponse): void {
  const usage = `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'chat', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } })}\n\n`;
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(chatChunk({ role: 'assistant', content: 'hello' }) + chatChunk({}, 'stop') + usage + 'data: [DONE]\n\n');
}

/**
 * Regression: a running batch kept spending after a reload revoked or narrowed its caller's API
 * key. Each request of a batch used the key as it was when the batch was made (its `allow`, its
 * budget), never looked up again in `auth.api_keys`: a key removed by a reload, refused at once
 * on direct requests, still had every request of its batch sent upstream, and one narrowed to
 * other models or given a budget still reached the old ones, without limit. The key is now read
 * from the running config before each request: removed, the requests still to run end errored
 * (401, its upstream never called); narrowed, they run under its new `allow` and budget.
 */
describe('regression: a batch after a reload revoked or narrowed its key', function () {
  this.timeout(30_000);
  let upstream: HeldUpstream;
  let lip: RunningLip | undefined;
  /** The caller's client (key r) and its team mate's (key o, which no reload touches: it reads the batch's results). */
  let client: Anthropic;
  let reader: Anthropic;
  let next: Config;
  let reloader: Reloader;

  /** One backend `up` at the held upstream; the API keys `keyRow` (key r's row, or nothing) and key o. */
  const config = (keyRow: string) => testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: k-0123456789 }`,
    `server: { host: 127.0.0.1, port: 0, batch_concurrency: 1 }\nauth: { api_keys: [ ${keyRow}{ id: o, key: ${OTHER}, principal: team } ] }`);

  /** A batch of four requests to `up:chat`, its first held upstream, the config reloaded to `keyRow`, then the first answered. */
  async function batchAcrossReload(keyRow: string): Promise<MessageBatchIndividualResponse[]> {
    const requests = [0, 1, 2, 3].map((i) => ({ custom_id: `r${i}`, params: params('up:chat', `r${i}`) }));
    const made = await client.messages.batches.create({ requests });
    await until(() => upstream.held.length === 1, 'the first request upstream');
    next = config(keyRow);
    expect((await reloader.reload('signal')).status).to.equal('reloaded');
    answer(upstream.held.shift()!);
    // Each request that still reaches the upstream is answered (before the fix: all of them).
    const answering = setInterval(() => { for (const res of upstream.held.splice(0)) answer(res); }, 10);
    try {
      await ended(reader, made.id);
    } finally {
      clearInterval(answering);
    }
    return resultsOf(reader, made.id);
  }

  const errorOf = (line: MessageBatchIndividualResponse) => {
    if (line.result.type !== 'errored') throw new Error(`${line.custom_id} did not error: ${JSON.stringify(line.result)}`);
    return (line.result.error as unknown as { error: { type: string; message: string } }).error;
  };

  beforeEach(async () => {
    upstream = await startHeldUpstream();
    next = config(`{ id: r, key: ${KEY}, principal: team }, `);
    lip = await startLip(next);
    reloader = new Reloader(lip.server, () => next, createLogger({ level: 'error', format: 'json', stream: new PassThrough() }));
    client = new Anthropic({ baseURL: lip.url, apiKey: KEY, maxRetries: 0 });
    reader = new Anthropic({ baseURL: lip.url, apiKey: OTHER, maxRetries: 0 });
  });
  afterEach(async () => {
    await lip?.close();
    lip = undefined;
    await upstream?.close();
  });

  it('a key removed by a reload: the requests still to run end errored with the invalid key\'s 401, none sent upstream', async () => {
    const lines = await batchAcrossReload('');
    expect(lines.map((l) => [l.custom_id, l.result.type])).to.deep.equal([['r0', 'succeeded'], ['r1', 'errored'], ['r2', 'errored'], ['r3', 'errored']]);
    for (const line of lines.slice(1)) expect(errorOf(line).type).to.equal('authentication_error');
    expect(upstream.received()).to.equal(1);
  });

  it('a key given another secret by a reload is revoked as well', async () => {
    const lines = await batchAcrossReload('{ id: r, key: batch-key-rotated-00000, principal: team }, ');
    expect(lines.map((l) => l.result.type)).to.deep.equal(['succeeded', 'errored', 'errored', 'errored']);
    expect(errorOf(lines[1]!).type).to.equal('authentication_error');
    expect(upstream.received()).to.equal(1);
  });

  it("a key whose allow a reload narrowed to other models: the requests still to run are refused the old model (403)", async () => {
    const lines = await batchAcrossReload(`{ id: r, key: ${KEY}, principal: team, allow: ["up:other"] }, `);
    expect(lines.map((l) => l.result.type)).to.deep.equal(['succeeded', 'errored', 'errored', 'errored']);
    for (const line of lines.slice(1)) expect(errorOf(line).type).to.equal('permission_error');
    expect(upstream.received()).to.equal(1);
  });

  it('a key given a budget by a reload: the requests still to run are charged to it, and refused once it is spent (429)', async () => {
    const lines = await batchAcrossReload(`{ id: r, key: ${KEY}, principal: team, budget: { max_tokens: 1, period: day } }, `);
    // r0 began before the budget; r1 is admitted (nothing spent yet) and spends it; r2 and r3 are refused.
    expect(lines.map((l) => l.result.type)).to.deep.equal(['succeeded', 'succeeded', 'errored', 'errored']);
    for (const line of lines.slice(2)) expect(errorOf(line).type).to.equal('rate_limit_error');
    expect(upstream.received()).to.equal(2);
  });
});
