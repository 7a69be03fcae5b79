import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import OpenAI from 'openai';
import { Reloader } from '../../lib/cli/reloader.js';
import type { Config } from '../../lib/config/index.js';
import { createLogger } from '../../lib/observability/logger.js';
import { until } from '../helpers/batches.js';
import { testConfig } from '../helpers/config.js';
import { startHeldUpstream, type HeldUpstream } from '../helpers/held-upstream.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { parseSse } from '../helpers/sse-client.js';

/** server.shutdown_timeout in these configs. */
const SHUTDOWN_TIMEOUT_MS = 50;

/**
 * Past `server.shutdown_timeout` as a reload counted it: a timer of that duration set after the
 * reload's. Node runs the timers of one duration in the order they were set, so whatever the
 * reload started counting has run by then (no sleep: an ordering fence on the same timer list).
 */
const pastShutdownTimeout = () => new Promise((resolve) => setTimeout(resolve, SHUTDOWN_TIMEOUT_MS));

/**
 * Regression: a request still running `server.shutdown_timeout` after a reload lost what it
 * stores. The runtime a reload replaces stays open for the requests that began on it, but a
 * timer closed it after `server.shutdown_timeout` with plain requests still running on it (only
 * batches and background responses were waited for): a stored Responses stream then completed
 * for the client (`response.completed`) while its response, attempt rows and recording arrived
 * at closed stores and were dropped ("continuity record arrived after the store closed"; a GET
 * of the response was a 404), and a recorded exchange was dropped without a word. A reload now
 * never cuts or degrades a running request: a retired runtime closes when the last request that
 * began on it has ended, however long that takes. As defense in depth, a record that reaches a
 * closed store makes `persisted()` reject, so a stream that would be answered as stored ends with
 * the protocol's failure instead of a false completion.
 */
describe('regression: a request running past server.shutdown_timeout after a reload', function () {
  this.timeout(30_000);
  let upstream: HeldUpstream;
  let dir: string;
  let lip: RunningLip | undefined;
  let next: Config;
  let reloader: Reloader;

  const retired = () => (lip!.server as unknown as { retired: Map<unknown, unknown> }).retired.size;
  const closedStoreLines = () => lip!.logs.filter((l) => String(l.message).includes('after the store closed'));
  const configWith = (extra: string) => testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: k-0123456789 }`,
    `server: { host: 127.0.0.1, port: 0, shutdown_timeout: ${SHUTDOWN_TIMEOUT_MS}ms }\nrouting: { default_route: "up:chat" }\n${extra}`);
  const sqlite = (file = 'lip.db') => configWith(`continuity: { store: sqlite, sqlite_path: "${join(dir, file)}" }`);
  const recording = (file: string) => configWith(`recording: { enabled: true, path: "${join(dir, file)}" }`);
  /** What the client asked in each exchange recorded in `file` (none while it does not exist). */
  const asked = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean) : [])
    .map((line) => (JSON.parse(line) as { request: { body: { messages: { content: string }[] } } }).request.body.messages[0]!.content);

  async function start(config: Config): Promise<void> {
    next = config;
    lip = await startLip(config);
    reloader = new Reloader(lip.server, () => next, createLogger({ level: 'error', format: 'json', stream: new PassThrough() }));
  }

  /** A stored Responses stream read to its end: its events' types, its id, and the error code of a `response.failed`. */
  async function responsesStream(): Promise<{ types: string[]; id?: string; error?: string }> {
    const res = await fetch(`${lip!.url}/v1/responses`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up:chat', input: 'hi', stream: true, store: true }),
    });
    const events = parseSse(await res.text()).messages.map((m) => JSON.parse(m.data) as { type: string; response?: { id: string; error?: { code: string } } });
    const failed = events.find((e) => e.type === 'response.failed');
    return { types: events.map((e) => e.type), id: events[0]?.response?.id, ...(failed ? { error: failed.response?.error?.code } : {}) };
  }

  beforeEach(async () => {
    upstream = await startHeldUpstream();
    dir = mkdtempSync(join(tmpdir(), 'lip-reload-long-'));
  });
  afterEach(async () => {
    await lip?.close();
    lip = undefined;
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a stored Responses stream completes and is stored, with its attempt row, in the store it began on, which closes after it', async () => {
    await start(sqlite());
    const client = new OpenAI({ baseURL: `${lip!.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const first = lip!.server.runtimeNow;
    const stream = responsesStream();
    await until(() => upstream.held.length === 1, 'the stream upstream');
    // Another file: a new store.
    next = sqlite('other.db');
    expect((await reloader.reload('signal')).status).to.equal('reloaded');
    await pastShutdownTimeout();
    expect(retired(), 'the previous runtime is kept while its request runs').to.equal(1);
    expect(first.continuity.status().state).to.equal('ok');

    upstream.answer(upstream.held.shift()!);
    const { types, id } = await stream;
    expect(types.at(-1)).to.equal('response.completed');
    await until(() => retired() === 0, 'the previous runtime closed once its request ended');
    expect(first.continuity.status()).to.deep.include({ state: 'closed', lost: 0 });
    // Read from its file through a store opened on it again.
    next = sqlite();
    expect((await reloader.reload('signal')).status).to.equal('reloaded');
    const stored = await client.responses.retrieve(id!);
    expect([stored.status, stored.output_text]).to.deep.equal(['completed', 'hello']);
    const aLegId = (await lip!.server.runtimeNow.continuity.loadResponse(id!, 'local')).aLegId!;
    const rows = await lip!.server.runtimeNow.continuity.attempts(aLegId);
    expect(rows?.map((r) => [r.candidate_key, r.outcome])).to.deep.equal([['up:chat', 'success']]);
    expect(closedStoreLines()).to.deep.equal([]);
  });

  it('a recorded exchange is written to the recording it began on, whose recorder closes after it', async () => {
    await start(recording('before.jsonl'));
    const send = (content: string) => fetch(`${lip!.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up:chat', stream: true, messages: [{ role: 'user', content }] }),
    }).then((res) => res.text());
    const long = send('long one');
    await until(() => upstream.held.length === 1, 'the stream upstream');
    next = recording('after.jsonl');
    expect((await reloader.reload('signal')).status).to.equal('reloaded');
    await pastShutdownTimeout();
    expect(retired(), 'the previous runtime is kept while its request runs').to.equal(1);
    // Meanwhile the new runtime serves and records (what closing a recorder takes has had its time over and over).
    const short = send('short one');
    await until(() => upstream.held.length === 2, 'the second request upstream');
    upstream.answer(upstream.held.pop()!);
    expect(await short).to.contain('[DONE]');
    await until(() => asked('after.jsonl').length === 1, 'the second exchange recorded');

    upstream.answer(upstream.held.shift()!);
    expect(await long).to.contain('[DONE]');
    await until(() => retired() === 0, 'the previous runtime closed once its request ended');
    expect([asked('before.jsonl'), asked('after.jsonl')]).to.deep.equal([['long one'], ['short one']]);
    expect(lip!.logs.filter((l) => String(l.message).includes('recording'))).to.deep.equal([]);
  });

  it('a stored stream whose store closed under it ends with response.failed, not a completion it cannot keep', async () => {
    await start(sqlite());
    const stream = responsesStream();
    await until(() => upstream.held.length === 1, 'the stream upstream');
    // What no reload does any more, done by hand: the store goes while the request runs.
    await lip!.server.runtimeNow.continuity.close();
    upstream.answer(upstream.held.shift()!);
    const { types, error } = await stream;
    // The protocol's in-band failure: `response.failed`, then an `error` event.
    expect(types.slice(-2)).to.deep.equal(['response.failed', 'error']);
    expect(types).to.not.include('response.completed');
    expect(error).to.equal('LIP_ERR_CONTINUITY_UNAVAILABLE');
  });

  it('so does a stored answer that is not streamed: an error, not a 200 it cannot keep', async () => {
    await start(sqlite());
    const client = new OpenAI({ baseURL: `${lip!.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const answer = client.responses.create({ model: 'up:chat', input: 'hi', store: true }).then(() => undefined, (err: unknown) => err);
    await until(() => upstream.held.length === 1, 'the request upstream');
    await lip!.server.runtimeNow.continuity.close();
    upstream.answer(upstream.held.shift()!);
    const err = await answer;
    expect(err).to.be.instanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).to.equal(503);
  });
});
