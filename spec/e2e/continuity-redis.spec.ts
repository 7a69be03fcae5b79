import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { AttemptRow, ContinuityStatus } from '../../lib/continuity/index.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { serveLip, type LipProcess } from '../helpers/spawn-lip.js';
import { httpRequest, openStream } from '../helpers/sse-client.js';

const ALICE = 'alice-key-0123456789';

/**
 * `continuity.store: redis` as deployed: three `lip serve` processes, one real redis-server, and
 * a client that goes round robin, so that consecutive requests of one conversation never reach
 * the same instance. Conversations keep their context, sessions their `[first]` and affinity,
 * and killing Redis mid-run costs no request: the outage's records wait in each instance's
 * queue and reach Redis once it is back.
 */
describe('e2e: continuity shared by three lip serve instances through Redis', function () {
  this.timeout(120_000);
  let redis: RedisServer;
  let upstream: Emulator;
  let dir: string;
  const lips: (LipProcess & { url: string })[] = [];
  let turn = 0;
  /** The next instance, round robin. */
  const next = () => lips[turn++ % lips.length]!;

  before(async function () {
    redis = await requireRedisServer(this);
    upstream = await startOpenAIChatEmulator();
    dir = mkdtempSync(join(tmpdir(), 'lip-continuity-redis-'));
    const config = join(dir, 'lip.yaml');
    writeFileSync(config, `server: { host: 127.0.0.1, port: 0, drain_delay: 0s }
logging: { access_log: false }
observability: { metrics: { enabled: true } }
diagnostics: { enabled: true }
auth: { api_keys: [ { id: alice, key: "${ALICE}" } ] }
redis: { url: "${redis.url}", key_prefix: "lip-e2e-cont:" }
continuity: { store: redis }
routing: { default_route: "a:m" }
backends:
  - { id: a, kind: localstub, text: "from a" }
  - { id: b, kind: localstub, text: "from b" }
  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "upstream-key" }
`);
    for (let i = 0; i < 3; i++) lips.push(await serveLip(['--config', config]));
  });
  after(async () => {
    for (const p of lips) {
      p.proc.kill('SIGTERM');
      await p.exited;
    }
    await upstream?.close();
    await redis?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const until = async (check: () => Promise<boolean>, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const chat = (url: string, model: string, headers: Record<string, string> = {}) => httpRequest(`${url}/v1/chat/completions`, {
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }] }),
    headers: { authorization: `Bearer ${ALICE}`, ...headers },
  });
  const resume = (res: { headers: Record<string, unknown> }): Record<string, string> => ({
    'x-lip-session-id': res.headers['x-lip-session-id'] as string, 'x-lip-resume-token': res.headers['x-lip-resume-token'] as string,
  });
  const attempts = async (url: string, aLegId: string): Promise<AttemptRow[]> => {
    const res = await httpRequest(`${url}/admin/attempts?a_leg_id=${encodeURIComponent(aLegId)}`, { method: 'GET', headers: { authorization: `Bearer ${ALICE}` } });
    return res.status === 200 ? (JSON.parse(res.body) as { attempts: AttemptRow[] }).attempts : [];
  };
  const readiness = async (url: string) => {
    const res = await httpRequest(`${url}/readyz`, { method: 'GET' });
    return { status: res.status, continuity: (JSON.parse(res.body) as { checks: { continuity: ContinuityStatus } }).checks.continuity };
  };

  it('a five-turn Responses conversation keeps its context though every turn lands on another instance (openai SDK, streamed and not)', async () => {
    upstream.reset();
    upstream.enqueue({ text: 'one' }, { text: 'two' }, { text: 'three' }, { text: 'four' }, { text: 'five' });
    let previous: string | undefined;
    const served: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const lip = next();
      served.push(lip.url);
      const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 });
      const params = { model: 'up:gpt-test', input: `turn ${i}`, ...(previous ? { previous_response_id: previous } : {}) };
      // Even turns stream: the next turn is sent the moment response.completed arrives.
      let res: OpenAI.Responses.Response | undefined;
      if (i % 2 === 0) {
        for await (const event of await client.responses.create({ ...params, stream: true })) if (event.type === 'response.completed') { res = event.response; break; }
      } else res = await client.responses.create(params);
      expect(res?.previous_response_id ?? undefined).to.equal(previous);
      previous = res!.id;
    }
    for (let i = 1; i < 5; i++) expect(served[i]).to.not.equal(served[i - 1]);
    const last = upstream.requests[4]!.body as { messages: { role: string; content: unknown }[] };
    expect(last.messages.map((m) => [m.role, typeof m.content === 'string' ? m.content : JSON.stringify(m.content)])).to.deep.equal([
      ['user', 'turn 1'], ['assistant', 'one'], ['user', 'turn 2'], ['assistant', 'two'], ['user', 'turn 3'], ['assistant', 'three'],
      ['user', 'turn 4'], ['assistant', 'four'], ['user', 'turn 5'],
    ]);
  });

  describe('cancels reach the instance where the request runs', () => {
    const cancel = (url: string, path: string, headers: Record<string, string>) => httpRequest(`${url}${path}`, { method: 'POST', body: '', headers: { authorization: `Bearer ${ALICE}`, ...headers } } as never);
    /** A streamed request on `url` that stalls upstream after its first output; resolves once that output arrived. */
    const openStalled = (url: string, path: string, body: unknown) => {
      upstream.enqueue({ text: ['first ', 'never'], fault: { stall: 'after_output' } });
      return openStream(`${url}${path}`, body, { authorization: `Bearer ${ALICE}` });
    };

    it('an A-leg cancel sent to another instance aborts the stream where it runs: the upstream sees the close', async () => {
      upstream.reset();
      const [runs, other] = [lips[0]!, lips[1]!];
      const closed = upstream.nextClose();
      const { response, rest } = await openStalled(runs.url, '/v1/chat/completions', { model: 'up:m', stream: true, messages: [{ role: 'user', content: 'hi' }] });
      const aLegId = response.headers.get('x-lip-a-leg-id')!;
      const res = await cancel(other.url, `/lip/v1/a-legs/${aLegId}/cancel`, { 'x-lip-resume-token': response.headers.get('x-lip-resume-token')! });
      expect([res.status, JSON.parse(res.body)]).to.deep.equal([200, { a_leg_id: aLegId, status: 'cancelled', cancelled_requests: 1 }]);
      expect((await closed).path).to.equal('/v1/chat/completions');
      expect(await rest).to.include('LIP_ERR_REQUEST_CANCELLED');
      // Nothing runs any more, anywhere.
      const again = await cancel(lips[2]!.url, `/lip/v1/a-legs/${aLegId}/cancel`, { 'x-lip-resume-token': response.headers.get('x-lip-resume-token')! });
      expect(JSON.parse(again.body).cancelled_requests).to.equal(0);
    });

    it('a Responses cancel sent to another instance answers the cancelled Response; another conversation\'s token is a 403 and cancels nothing', async () => {
      upstream.reset();
      const [runs, other, third] = [lips[1]!, lips[2]!, lips[0]!];
      const stranger = await chat(third.url, 'a:m');
      const closed = upstream.nextClose();
      const { response, head, rest } = await openStalled(runs.url, '/v1/responses', { model: 'up:m', stream: true, input: 'hi' });
      const id = /"id":"(resp_[^"]+)"/.exec(head)![1]!;
      const crossed = await cancel(other.url, `/v1/responses/${id}/cancel`, { 'x-lip-resume-token': stranger.headers['x-lip-resume-token'] as string });
      expect([crossed.status, JSON.parse(crossed.body).error.code]).to.deep.equal([403, 'LIP_ERR_CANCEL_FORBIDDEN']);
      const res = await cancel(other.url, `/v1/responses/${id}/cancel`, { 'x-lip-resume-token': response.headers.get('x-lip-resume-token')! });
      expect(res.status).to.equal(200);
      expect(JSON.parse(res.body)).to.deep.include({ id, object: 'response', status: 'cancelled' });
      await closed;
      expect(await rest).to.include('LIP_ERR_REQUEST_CANCELLED');
      const gone = await cancel(third.url, `/v1/responses/${id}/cancel`, { 'x-lip-resume-token': response.headers.get('x-lip-resume-token')! });
      expect([gone.status, JSON.parse(gone.body).error.code]).to.deep.equal([404, 'LIP_ERR_CANCEL_NOT_FOUND']);
    });
  });

  it('a background response made on one instance is polled on the others while it runs, its stream resumed on another, cancelled from a third by id alone', async () => {
    upstream.reset();
    const [runs, other, third] = [lips[2]!, lips[0]!, lips[1]!];
    const client = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: ALICE, maxRetries: 0 });
    upstream.enqueue({ text: ['started ', 'never'], fault: { stall: 'after_output' } });
    const closed = upstream.nextClose();
    // Created streamed on one instance; the client leaves after the first text.
    const left = new AbortController();
    const created = await fetch(`${runs.url}/v1/responses`, {
      method: 'POST', signal: left.signal, headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}` },
      body: JSON.stringify({ model: 'up:m', input: 'Long job.', background: true, stream: true }),
    });
    const head = await readUntil(created.body!.getReader(), 'response.output_text.delta');
    left.abort();
    const id = /"id":"(resp_[^"]+)"/.exec(head)![1]!;
    const read = sseEvents(head.slice(0, head.lastIndexOf('\n\n') + 2));
    const last = read.at(-1)!.sequence_number as number;
    // Polled on another instance: the one running it answers through Redis.
    const polled = await client(other.url).responses.retrieve(id);
    expect(polled).to.deep.include({ id, background: true, status: 'in_progress' });
    const items = (await client(other.url).responses.inputItems.list(id)).data;
    expect(JSON.stringify(items)).to.contain('Long job.');
    // Resumed on another instance: its frames come through Redis from where it runs.
    const resumed = await fetch(`${other.url}/v1/responses/${id}?stream=true&starting_after=${last}`, { headers: { authorization: `Bearer ${ALICE}` } });
    expect(resumed.status).to.equal(200);
    const reader = resumed.body!.getReader();
    const cancelled = await client(third.url).responses.cancel(id);
    expect(cancelled).to.deep.include({ id, status: 'cancelled' });
    await closed;
    const rest = sseEvents(await readUntil(reader, undefined));
    const all = [...read, ...rest];
    expect(all.map((e) => e.sequence_number)).to.deep.equal(all.map((_, i) => i));
    expect(rest.map((e) => e.type).slice(-2)).to.deep.equal(['response.failed', 'error']);
    for (const lip of lips) {
      await until(async () => (await client(lip.url).responses.retrieve(id)).status === 'cancelled');
    }
    // Once ended, its whole stream reads the same on every instance; cancelling again anywhere answers it as it ended.
    const whole = await Promise.all(lips.map(async (lip) => readUntil((await fetch(`${lip.url}/v1/responses/${id}?stream=true`, { headers: { authorization: `Bearer ${ALICE}` } })).body!.getReader(), undefined)));
    expect(new Set(whole).size).to.equal(1);
    expect(sseEvents(whole[0]!)).to.deep.equal(all);
    expect(await client(other.url).responses.cancel(id)).to.deep.include({ id, status: 'cancelled' });
  });

  it('a stored response is retrieved, listed and deleted on other instances than the one that made it; once deleted, none shows it', async () => {
    const [maker, reader, lister] = lips.map((lip) => new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 })) as [OpenAI, OpenAI, OpenAI];
    const created = await maker.responses.create({ model: 'a:m', instructions: 'Be brief.', input: [{ role: 'user', content: 'hello' }] });
    const retrieved = await reader.responses.retrieve(created.id);
    expect(retrieved).to.deep.equal(created);
    expect((await lister.responses.inputItems.list(created.id)).data.map((item) => item.type)).to.deep.equal(['message']);
    await reader.responses.delete(created.id);
    for (const client of [maker, reader, lister]) {
      const err = await client.responses.retrieve(created.id).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.NotFoundError);
    }
    // The instance that made it kept its own copy (for a Redis outage): the deletion reached it too.
    const continued = await maker.responses.create({ model: 'a:m', previous_response_id: created.id, input: 'more' }).then(() => undefined, (e: unknown) => e);
    expect(continued).to.be.instanceOf(OpenAI.NotFoundError);
  });

  it('an item_reference made on one instance resolves on another: the upstream gets the items it names', async () => {
    const [maker, user] = lips.map((lip) => new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 })) as [OpenAI, OpenAI];
    upstream.reset();
    upstream.enqueue({ text: 'Paris.' }, { text: 'About 2.1 million.' });
    const first = await maker.responses.create({ model: 'up:gpt-test', input: 'Capital of France?' });
    const question = (await maker.responses.inputItems.list(first.id)).data[0]!;
    const second = await user.responses.create({
      model: 'up:gpt-test',
      input: [{ type: 'item_reference', id: question.id }, { type: 'item_reference', id: first.output[0]!.id! }, { role: 'user', content: 'And its population?' }] as OpenAI.Responses.ResponseInputItem[],
    });
    expect(second.output_text).to.equal('About 2.1 million.');
    const sent = upstream.requests[1]!.body as { messages: { role: string; content: unknown }[] };
    expect(sent.messages.map((m) => [m.role, m.content])).to.deep.equal([['user', 'Capital of France?'], ['assistant', 'Paris.'], ['user', 'And its population?']]);
  });

  it('a conversation made on one instance takes turns on the others, and every instance lists its items', async () => {
    const clients = lips.map((lip) => new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 })) as [OpenAI, OpenAI, OpenAI];
    upstream.reset();
    upstream.enqueue({ text: 'Noted.' }, { text: 'Ada.' });
    const conversation = await clients[0].conversations.create({ items: [{ type: 'message', role: 'user', content: 'My name is Ada.' }] });
    await clients[1].responses.create({ model: 'up:gpt-test', conversation: conversation.id, input: 'Remember it.' });
    const streamed = await clients[2].responses.stream({ model: 'up:gpt-test', conversation: conversation.id, input: 'My name?' }).finalResponse();
    expect(streamed.output_text).to.equal('Ada.');
    const sent = upstream.requests[1]!.body as { messages: { role: string; content: unknown }[] };
    expect(sent.messages.map((m) => [m.role, m.content])).to.deep.equal([['user', 'My name is Ada.'], ['user', 'Remember it.'], ['assistant', 'Noted.'], ['user', 'My name?']]);
    for (const client of clients) {
      const items = (await client.conversations.items.list(conversation.id, { order: 'asc' })).data as { role: string }[];
      expect(items.map((i) => i.role)).to.deep.equal(['user', 'user', 'assistant', 'user', 'assistant']);
    }
  });

  it('a Gemini cached content made on one instance serves requests on the others, is listed and updated on every one, and deleted from a third', async () => {
    const clients = lips.map((lip) => new GoogleGenAI({ apiKey: ALICE, httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } })) as [GoogleGenAI, GoogleGenAI, GoogleGenAI];
    upstream.reset();
    upstream.enqueue({ text: 'Chapter 3.' });
    const cache = await clients[0].caches.create({ model: 'up:gpt-test', config: { systemInstruction: 'Use the book.', contents: [{ role: 'user', parts: [{ text: 'The book.' }] }] } });
    const answer = await clients[1].models.generateContent({ model: 'up:gpt-test', contents: 'Where is the map?', config: { cachedContent: cache.name! } });
    expect(answer.text).to.equal('Chapter 3.');
    const sent = upstream.requests[0]!.body as { messages: { role: string; content: unknown }[] };
    expect(sent.messages.map((m) => [m.role, typeof m.content === 'string' ? m.content : (m.content as { text: string }[]).map((c) => c.text).join('')]))
      .to.deep.equal([['system', 'Use the book.'], ['user', 'The book.'], ['user', 'Where is the map?']]);
    const updated = await clients[2].caches.update({ name: cache.name!, config: { ttl: '120s' } });
    for (const client of clients) {
      const names: string[] = [];
      for await (const c of await client.caches.list()) names.push(c.name!);
      expect(names).to.include(cache.name);
      expect((await client.caches.get({ name: cache.name! })).expireTime).to.equal(updated.expireTime);
    }
    await clients[2].caches.delete({ name: cache.name! });
    for (const client of clients) {
      const err = await client.caches.get({ name: cache.name! }).then(() => undefined, (e: unknown) => e as { status: number });
      expect(err?.status).to.equal(404);
    }
  });

  it('a Gemini file uploaded in chunks that reach three instances (one without a key) is one file, which a request on any instance gets inline', async () => {
    const bytes = Buffer.from('%PDF-1.7 the report, in three chunks');
    const post = (url: string, headers: Record<string, string>, body: string | Buffer) =>
      httpRequest(`${url}/upload/v1beta/files`, { headers: { 'x-goog-api-key': ALICE, ...headers }, body });
    const start = await post(lips[0]!.url, {
      'x-goog-upload-protocol': 'resumable', 'x-goog-upload-command': 'start', 'x-goog-upload-header-content-length': String(bytes.length),
      'x-goog-upload-header-content-type': 'application/pdf',
    }, JSON.stringify({ file: { displayName: 'report' } }));
    const upload = new URL(String(start.headers['x-goog-upload-url']));
    const chunk = (i: number, headers: Record<string, string>, body: Buffer) => httpRequest(`${lips[i]!.url}${upload.pathname}${upload.search}`, { headers, body });
    expect((await chunk(1, { 'x-goog-api-key': ALICE, 'x-goog-upload-command': 'upload', 'x-goog-upload-offset': '0' }, bytes.subarray(0, 10))).headers['x-goog-upload-size-received']).to.equal('10');
    // Without a key, as Google's curl recipe sends it: the upload URL authorizes it on any instance.
    expect((await chunk(2, { 'x-goog-upload-command': 'upload', 'x-goog-upload-offset': '10' }, bytes.subarray(10, 20))).headers['x-goog-upload-size-received']).to.equal('20');
    const last = await chunk(0, { 'x-goog-api-key': ALICE, 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '20' }, bytes.subarray(20));
    const file = (JSON.parse(last.body) as { file: { name: string; uri: string; sizeBytes: string } }).file;
    expect(file.sizeBytes).to.equal(String(bytes.length));
    upstream.reset();
    const client = new GoogleGenAI({ apiKey: ALICE, httpOptions: { baseUrl: lips[1]!.url, apiVersion: 'v1beta' } });
    await client.models.generateContent({ model: 'up:gpt-test', contents: [{ role: 'user', parts: [{ fileData: { fileUri: file.uri, mimeType: 'application/pdf' } }, { text: 'Summarise.' }] }] });
    expect(JSON.stringify(upstream.requests[0]!.body)).to.contain(bytes.toString('base64'));
    const other = new GoogleGenAI({ apiKey: ALICE, httpOptions: { baseUrl: lips[2]!.url, apiVersion: 'v1beta' } });
    await other.files.delete({ name: file.name });
    expect(await client.files.get({ name: file.name }).then(() => 200, (e: { status: number }) => e.status)).to.equal(404);
  });

  it('a session keeps [first] consumed, its affinity and one seq per attempt across instances', async () => {
    // Real processes roll the weights with Math.random: after [first], a:m (weight 1) must be as
    // good as never drawn (at weight 100 it was, 1% a roll: this test failed now and then).
    const selector = '[first]a:m^[weight=1000000]b:m';
    const first = await chat(next().url, selector);
    expect(first.status).to.equal(200);
    expect(first.headers['x-lip-backend']).to.equal('a:m');
    const aLegId = first.headers['x-lip-a-leg-id'] as string;
    for (let i = 0; i < 3; i++) {
      const res = await chat(next().url, selector, resume(first));
      expect([res.status, res.headers['x-lip-a-leg-id'], res.headers['x-lip-backend']]).to.deep.equal([200, aLegId, 'b:m']);
    }
    // Affinity: the first served candidate (a random roll) binds the session on every instance.
    const bound = await chat(next().url, '{affinity=session}a:m^b:m', resume(first));
    const backend = bound.headers['x-lip-backend'];
    for (let i = 0; i < 8; i++) expect((await chat(next().url, '{affinity=session}a:m^b:m', resume(first))).headers['x-lip-backend']).to.equal(backend);
    let rows: AttemptRow[] = [];
    await until(async () => (rows = await attempts(next().url, aLegId)).length === 13 && rows.every((r) => r.outcome === 'success'));
    expect(rows.map((r) => r.seq)).to.deep.equal(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(rows[0]!.candidate_key).to.equal('a:m');
  });

  // After the cancels (mocha runs a suite's own tests before its nested suites): once Redis is
  // back, the relays resubscribe on their own time, which a cancel right after would race.
  describe('a Redis outage', () => {
    it('Redis killed and restarted mid-run: no request fails, readiness says degraded, the outage\'s records reach Redis after', async () => {
      const answered: number[] = [];
      const ask = async () => {
        const res = await chat(next().url, 'a:m');
        answered.push(res.status);
        return res;
      };
      for (let i = 0; i < 6; i++) await ask();
      await redis.stop('SIGKILL');
      await until(async () => (await Promise.all(lips.map((l) => readiness(l.url)))).every((r) => r.continuity.state === 'degraded'));
      const during: string[] = [];
      for (let i = 0; i < 9; i++) during.push((await ask()).headers['x-lip-a-leg-id'] as string);
      const degraded = await readiness(lips[0]!.url);
      expect(degraded.status).to.equal(200);
      expect(degraded.continuity).to.include({ store: 'redis', ready: true, state: 'degraded' });
      expect(degraded.continuity.pending).to.be.above(0);
      expect(degraded.continuity.reason).to.match(/served from local state/);

      await redis.start();
      for (let i = 0; i < 6; i++) await ask();
      expect(answered).to.have.length(21);
      expect(answered.every((s) => s === 200)).to.equal(true);
      await until(async () => (await Promise.all(lips.map((l) => readiness(l.url)))).every((r) => r.continuity.state === 'ok' && r.continuity.pending === 0));
      for (const lip of lips) {
        const { continuity } = await readiness(lip.url);
        expect([continuity.dropped, continuity.lost]).to.deep.equal([0, 0]);
        expect(continuity.write_errors).to.be.above(0);
      }
      // Each A-leg begun during the outage is readable from every instance now (an instance other than the one that served it).
      for (const [i, aLegId] of during.entries()) {
        const rows = await attempts(lips[(i + 1) % 3]!.url, aLegId);
        expect(rows.map((r) => [r.seq, r.outcome])).to.deep.equal([[1, 'success']]);
      }
      const metrics = (await httpRequest(`${lips[0]!.url}/metrics`, { method: 'GET', headers: { authorization: `Bearer ${ALICE}` } })).body;
      expect(metrics).to.match(/lip_continuity_dropped_records_total\{store="redis"\} 0/);
      expect(metrics).to.match(/lip_continuity_write_errors_total\{store="redis"\} [1-9]/);
      expect(metrics).to.match(/lip_continuity_store_healthy\{store="redis"\} 1/);
    });
  });
});

/** Reads a stream's text until `until` has come (undefined: its end). */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, until: string | undefined): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  while (until === undefined || !text.includes(until)) {
    const { value, done } = await reader.read();
    if (done) {
      if (until !== undefined) throw new Error(`the stream ended before ${until}`);
      return text;
    }
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

/** The JSON events of an SSE text (keepalive comments left out). */
function sseEvents(text: string): Record<string, unknown>[] {
  return text.split('\n\n').flatMap((frame) => {
    const data = frame.split('\n').find((line) => line.startsWith('data: '));
    return data === undefined ? [] : [JSON.parse(data.slice(6)) as Record<string, unknown>];
  });
}
