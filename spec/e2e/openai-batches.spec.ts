import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import type { FileObject } from 'openai/resources/files';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, type Emulator, type RecordedRequest, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { openaiRejection as rejection } from '../helpers/openai-errors.js';

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-0123456789ab';
const CAROL = 'carol-key-0123456789';
const CHAT = 'oc:gpt-4o';
const GATED = 'gt:gpt-4o';
const CLAUDE = 'an:claude-sonnet-4-6';
const CHAT_URL = '/v1/chat/completions';
const RESPONSES_URL = '/v1/responses';
const ENDED = ['completed', 'failed', 'cancelled', 'expired'];

type Json = Record<string, any>;

/** The last user turn's text of an upstream request (Chat: string content; Anthropic: text blocks). */
function lastUserText(request: RecordedRequest | { body: any }): string {
  const messages: { role: string; content: unknown }[] = request.body?.messages ?? [];
  const last = [...messages].reverse().find((m) => m.role === 'user');
  if (typeof last?.content === 'string') return last.content;
  return ((last?.content ?? []) as { text?: string }[]).map((p) => p.text ?? '').join('');
}

/** The emulators' answer by prompt: `STALL…` never answers, `E400…` is the upstream's 400, anything else is echoed. */
function byPrompt(request: RecordedRequest): Script {
  const text = lastUserText(request);
  if (text.startsWith('STALL')) return { fault: { stall: 'before_headers' } };
  if (text.startsWith('E400')) return { status: 400, error: { message: 'the emulated upstream refuses this prompt', type: 'invalid_request_error' } };
  return { text: `echo: ${text}`, usage: { input: 7, output: 3 } };
}

/** One line of a batch's input file: a Chat Completions request. */
const chatLine = (customId: string, prompt: string, extra: Json = {}, model = CHAT) =>
  ({ custom_id: customId, method: 'POST', url: CHAT_URL, body: { model, messages: [{ role: 'user', content: prompt }], ...extra } });

const jsonl = (lines: readonly unknown[]) => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');

const clientOf = (lip: RunningLip, key: string) => new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: key, maxRetries: 0 });

/** Uploads `content` (JSON lines, or the exact bytes) with purpose `batch`. */
async function upload(client: OpenAI, content: readonly unknown[] | string | Buffer, name = 'input.jsonl'): Promise<FileObject> {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(typeof content === 'string' ? content : jsonl(content), 'utf8');
  return client.files.create({ file: await toFile(bytes, name), purpose: 'batch' });
}

/** Polls `check` until it is true (generous deadline: the suite may run beside another). */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Retrieves batch `id` until it has ended (completed, failed, cancelled, expired). */
async function ended(client: OpenAI, id: string): Promise<Batch> {
  let batch: Batch | undefined;
  await until(async () => ENDED.includes((batch = await client.batches.retrieve(id)).status), `batch ${id} to end`);
  return batch!;
}

/** A file's content exactly as served. */
async function bytesOf(client: OpenAI, fileId: string): Promise<Buffer> {
  return Buffer.from(await (await client.files.content(fileId)).arrayBuffer());
}

/** A results' file's lines, parsed (the file ends with a newline after its last line). */
async function linesOf(client: OpenAI, fileId: string): Promise<Json[]> {
  const text = (await bytesOf(client, fileId)).toString('utf8');
  expect(text.endsWith('\n'), 'a JSON lines file ends with a newline').to.equal(true);
  return text.slice(0, -1).split('\n').map((line) => JSON.parse(line) as Json);
}

/** `GET /metrics`, one sample's value (0 when absent). */
async function metric(lip: RunningLip, sample: string): Promise<number> {
  const body = await (await fetch(`${lip.url}/metrics`, { headers: { authorization: `Bearer ${ALICE}` } })).text();
  const escaped = sample.replace(/[{}"\\]/g, (c) => `\\${c}`);
  const m = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(body);
  return m === null ? 0 : Number(m[1]);
}

/**
 * An upstream in front of the chat emulator that holds every request until the test releases it,
 * counting the requests open at once (arrived and not yet answered; exact, since a request is
 * counted as answered before its answer is written).
 */
interface Gate {
  url: string;
  /** The prompts of the requests that arrived, in order. */
  readonly arrived: string[];
  /** Releases of the requests held (forwarded to the emulator and answered), oldest first. */
  readonly held: (() => void)[];
  open: number;
  most: number;
  close(): Promise<void>;
}

async function startGate(target: Emulator): Promise<Gate> {
  const gate: Gate = { url: '', arrived: [], held: [], open: 0, most: 0, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      gate.open++;
      gate.most = Math.max(gate.most, gate.open);
      gate.arrived.push(lastUserText({ body: JSON.parse(body) }));
      gate.held.push(() => {
        void fetch(`${target.origin}${req.url}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' }, body })
          .then(async (answer) => {
            const text = await answer.text();
            gate.open--;
            res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
          }, () => {
            gate.open--;
            res.destroy();
          });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gate.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  gate.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return gate;
}

/**
 * OpenAI's Batch API (`client.batches`) and the Files API it reads its input from and writes its
 * results to (`client.files`), through the official SDK against a real lip and emulated
 * upstreams. It proves that: files round-trip byte for byte (retrieve, list with its filters and
 * pager, content, delete, `expires_after`) and that lip refuses what it does not keep (other
 * purposes, non-multipart bodies, non-UTF-8 and oversized files); a batch runs each input line
 * through lip's normal routing on any backend kind (a Chat Completions batch on an OpenAI Chat
 * upstream, a Responses batch translated to Anthropic Messages) and ends `completed` with the
 * succeeded lines in an output file and the others (lip's refusals, `stream: true`, the
 * upstream's errors) in an error file, with exact request counts and usage; an invalid input file
 * makes the batch `failed` with line-numbered errors and no upstream call; a cancel aborts the
 * running upstream requests and cancels the rest, never running more than
 * `server.batch_concurrency` at once; refusals (unknown input file, other endpoints, windows,
 * metadata), per-key and per-protocol isolation (an Anthropic Message Batch is no OpenAI batch)
 * and pagination; and, on SQLite, that an ended batch and its files
 * survive a restart (a batch the shutdown interrupted ends `expired`).
 */
describe('e2e: OpenAI Batch and Files APIs', function () {
  this.timeout(30_000);

  describe('memory store, server.batch_concurrency: 2', () => {
    let lip: RunningLip;
    let chat: Emulator;
    let claude: Emulator;
    let gate: Gate;
    let alice: OpenAI;
    let bob: OpenAI;

    before(async () => {
      [chat, claude] = await Promise.all([startOpenAIChatEmulator(), startAnthropicEmulator()]);
      gate = await startGate(chat);
      lip = await startLip(testConfig(`
  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }
  - { id: gt, kind: openai-chat, base_url: "${gate.url}", api_key: k-0123456789 }
  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789 }
`, `server: { host: 127.0.0.1, port: 0, batch_concurrency: 2, max_batch_requests: 20, max_batch_body_bytes: 64KiB }
auth: { api_keys: [ { id: alice, key: "${ALICE}" }, { id: bob, key: "${BOB}" }, { id: carol, key: "${CAROL}" } ] }
routing: { unknown_model: reject }
observability: { metrics: { enabled: true } }`));
      alice = clientOf(lip, ALICE);
      bob = clientOf(lip, BOB);
    });
    after(async () => {
      await lip?.close();
      await gate?.close();
      await Promise.all([chat?.close(), claude?.close()]);
    });
    beforeEach(() => {
      chat.reset();
      claude.reset();
      chat.handler = byPrompt;
      claude.handler = byPrompt;
    });
    afterEach(async () => {
      // A failed test leaves no batch running (it would hold the concurrency of the next).
      for (const client of [alice, bob]) {
        for (const batch of (await client.batches.list({ limit: 100 })).data) {
          if (ENDED.includes(batch.status)) continue;
          await client.batches.cancel(batch.id).catch(() => undefined);
          await ended(client, batch.id).catch(() => undefined);
        }
      }
      while (gate.held.length > 0) gate.held.shift()!();
    });

    describe('files', () => {
      it('an upload is retrieved, listed and read back byte for byte; deleted, it is a 404 everywhere', async () => {
        // Non-ASCII text, CRLF line ends, no final newline: the bytes come back as they were sent.
        const content = Buffer.from(`${JSON.stringify(chatLine('naïve-€', 'Grüße, 世界'))}\r\n${JSON.stringify(chatLine('two', 'Two.'))}`, 'utf8');
        const before = Math.floor(Date.now() / 1000);
        const file = await upload(alice, content, 'requests 1.jsonl');
        expect(file).to.deep.include({ object: 'file', bytes: content.length, filename: 'requests 1.jsonl', purpose: 'batch', status: 'processed', status_details: null });
        expect(file.id).to.match(/^file-[A-Za-z0-9]+$/);
        expect(file.created_at).to.be.within(before, Math.floor(Date.now() / 1000));
        // Kept for continuity.ttl (24 h by default) when no expiry is asked for.
        expect(file.expires_at).to.equal(file.created_at + 86_400);

        expect(await alice.files.retrieve(file.id)).to.deep.equal(file);
        const listed: FileObject[] = [];
        for await (const f of alice.files.list()) listed.push(f);
        expect(listed.find((f) => f.id === file.id)).to.deep.equal(file);
        expect((await alice.files.list({ purpose: 'batch' })).data.map((f) => f.id)).to.include(file.id);
        expect((await alice.files.list({ purpose: 'batch_output' })).data.map((f) => f.id)).to.not.include(file.id);

        const read = await alice.files.content(file.id);
        expect(read.headers.get('content-type')).to.equal('application/octet-stream');
        expect(Buffer.from(await read.arrayBuffer()).equals(content)).to.equal(true);

        expect(await alice.files.delete(file.id)).to.deep.equal({ id: file.id, object: 'file', deleted: true });
        for (const gone of [alice.files.retrieve(file.id), alice.files.content(file.id), alice.files.delete(file.id)]) {
          const err = await rejection(gone);
          expect(err).to.be.instanceOf(OpenAI.NotFoundError);
          expect(err.message).to.contain(file.id);
          expect(err.param).to.equal('file_id');
        }
        expect((await alice.files.list({ limit: 10_000 })).data.map((f) => f.id)).to.not.include(file.id);
        // A batch of a deleted file is refused like one of a file never uploaded.
        const err = await rejection(alice.batches.create({ input_file_id: file.id, endpoint: CHAT_URL, completion_window: '24h' }));
        expect(err).to.be.instanceOf(OpenAI.NotFoundError);
        expect(err.param).to.equal('input_file_id');
        expect(chat.requests).to.have.length(0);
      });

      it('lists newest first, or oldest first with order=asc; the pager follows `after` with limit 2', async () => {
        const carol = clientOf(lip, CAROL);
        const made: FileObject[] = [];
        for (let i = 0; i < 5; i++) made.push(await upload(carol, [chatLine(`c${i}`, `Carol ${i}.`)], `carol-${i}.jsonl`));
        const first = await carol.files.list({ limit: 2 });
        expect(first.data.map((f) => f.filename)).to.deep.equal(['carol-4.jsonl', 'carol-3.jsonl']);
        expect(first.has_more).to.equal(true);
        const all: string[] = [];
        for await (const f of carol.files.list({ limit: 2 })) all.push(f.id);
        expect(all).to.deep.equal(made.map((f) => f.id).reverse());
        const asc: string[] = [];
        for await (const f of carol.files.list({ limit: 2, order: 'asc' })) asc.push(f.id);
        expect(asc).to.deep.equal(made.map((f) => f.id));
        // Carol's files only: nobody else's upload shows.
        expect((await carol.files.list({ limit: 10_000 })).data.map((f) => f.id).sort()).to.deep.equal(made.map((f) => f.id).sort());
        const bad = await rejection(carol.files.list({ limit: 0 }));
        expect([bad.status, bad.param]).to.deep.equal([400, 'limit']);
      });

      it('expires_after sets expires_at (capped at continuity.ttl); seconds out of 3600..2592000 are refused', async () => {
        const line = [chatLine('x', 'X.')];
        const twoHours = await alice.files.create({ file: await toFile(Buffer.from(jsonl(line)), 'a.jsonl'), purpose: 'batch', expires_after: { anchor: 'created_at', seconds: 7_200 } });
        expect(twoHours.expires_at).to.equal(twoHours.created_at + 7_200);
        expect((await alice.files.retrieve(twoHours.id)).expires_at).to.equal(twoHours.created_at + 7_200);
        // 30 days asked; lip keeps nothing longer than continuity.ttl (24 h here), and says so.
        const month = await alice.files.create({ file: await toFile(Buffer.from(jsonl(line)), 'b.jsonl'), purpose: 'batch', expires_after: { anchor: 'created_at', seconds: 2_592_000 } });
        expect(month.expires_at).to.equal(month.created_at + 86_400);
        for (const seconds of [60, 2_592_001]) {
          const err = await rejection(alice.files.create({ file: await toFile(Buffer.from(jsonl(line)), 'c.jsonl'), purpose: 'batch', expires_after: { anchor: 'created_at', seconds } }));
          expect(err).to.be.instanceOf(OpenAI.BadRequestError);
          expect(err.param).to.equal('expires_after[seconds]');
          expect(err.message).to.contain('3600 to 2592000');
        }
      });

      it('refuses other purposes, a body that is not multipart, a file that is not UTF-8 and one beyond max_batch_body_bytes', async () => {
        const ft = await rejection(alice.files.create({ file: await toFile(Buffer.from('{}'), 'tune.jsonl'), purpose: 'fine-tune' }));
        expect(ft).to.be.instanceOf(OpenAI.BadRequestError);
        expect([ft.code, ft.param]).to.deep.equal(['LIP_ERR_REQUEST_UNSUPPORTED', 'purpose']);
        expect(ft.message).to.contain('"fine-tune"');

        const asJson = await fetch(`${lip.url}/v1/files`, {
          method: 'POST', headers: { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json' },
          body: JSON.stringify({ purpose: 'batch', file: jsonl([chatLine('x', 'X.')]) }),
        });
        expect(asJson.status).to.equal(400);
        const envelope = (await asJson.json()) as { error: Json };
        expect(envelope.error).to.include({ type: 'invalid_request_error', code: 'LIP_ERR_REQUEST_INVALID' });
        expect(envelope.error.message).to.contain('multipart/form-data');

        const binary = await rejection(upload(alice, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])));
        expect([binary.status, binary.param]).to.deep.equal([400, 'file']);
        expect(binary.message).to.contain('UTF-8');

        // max_batch_body_bytes is 64 KiB here: one byte more is a 413 naming it.
        const big = await rejection(upload(alice, Buffer.alloc(64 * 1024 + 1, 'a')));
        expect(big.status).to.equal(413);
        expect([big.code, big.param]).to.deep.equal(['LIP_ERR_REQUEST_TOO_LARGE', 'file']);
        expect(big.message).to.contain('max_batch_body_bytes');
        // Far beyond it the body is refused while it is read, naming the same setting.
        const huge = await rejection(upload(alice, Buffer.alloc(200 * 1024, 'a')));
        expect([huge.status, huge.message]).to.deep.equal([413, '413 request body exceeds the limit of 131072 bytes (server.max_batch_body_bytes, plus 64 KiB for the form)']);
        // Exactly the limit is kept.
        expect((await upload(alice, Buffer.alloc(64 * 1024, 'a'))).bytes).to.equal(64 * 1024);
      });
    });

    describe('batches', () => {
      it('a chat request of a batch with store: true is a stored completion of the caller: retrieved and listed', async () => {
        const input = await upload(alice, [chatLine('kept', 'Keep me.', { store: true, metadata: { source: 'batch' } }), chatLine('not-kept', 'Not me.')]);
        const created = await alice.batches.create({ input_file_id: input.id, endpoint: CHAT_URL, completion_window: '24h' });
        const done = await ended(alice, created.id);
        const lines = await linesOf(alice, done.output_file_id!);
        const byId = Object.fromEntries(lines.map((l) => [l.custom_id, l.response.body.id as string]));
        const stored = await alice.chat.completions.retrieve(byId.kept!) as Json;
        expect(stored.choices[0].message.content).to.equal('echo: Keep me.');
        expect(stored.metadata).to.deep.equal({ source: 'batch' });
        expect((await alice.chat.completions.list({ metadata: { source: 'batch' } })).data.map((c) => c.id)).to.deep.equal([byId.kept]);
        expect((await rejection(alice.chat.completions.retrieve(byId['not-kept']!))).status).to.equal(404);
      });

      it('a Chat Completions batch on an OpenAI Chat backend: completed, with an output file and an error file', async () => {
        const count = (outcome: string) => metric(lip, `lip_batch_requests_total{outcome="${outcome}"}`);
        const metricsBefore = { succeeded: await count('succeeded'), errored: await count('errored') };
        const input = await upload(alice, [
          chatLine('greet', 'Say hi.'),
          chatLine('hot', 'Too hot.', { temperature: 9 }),
          chatLine('streamy', 'Stream it.', { stream: true }),
          chatLine('refused', 'E400 please refuse.'),
          chatLine('second', 'Say bye.', { max_tokens: 16 }),
        ]);
        const before = Math.floor(Date.now() / 1000);
        const created = await alice.batches.create({ input_file_id: input.id, endpoint: CHAT_URL, completion_window: '24h', metadata: { job: 'nightly', owner: 'alice' } });
        expect(created).to.deep.include({
          object: 'batch', endpoint: CHAT_URL, input_file_id: input.id, completion_window: '24h', status: 'in_progress', errors: null,
          output_file_id: null, error_file_id: null, metadata: { job: 'nightly', owner: 'alice' },
        });
        expect(created.id).to.match(/^batch_[A-Za-z0-9]+$/);
        expect(created.request_counts).to.deep.equal({ total: 5, completed: 0, failed: 0 });
        expect(created.created_at).to.be.at.least(before);
        expect(created.in_progress_at).to.equal(created.created_at);
        expect(created.expires_at).to.equal(created.created_at + 86_400);

        const done = await ended(alice, created.id);
        expect(done.status).to.equal('completed');
        expect(done.request_counts).to.deep.equal({ total: 5, completed: 2, failed: 3 });
        // Two answers of 7 tokens in and 3 out.
        expect(done.usage).to.deep.equal({ input_tokens: 14, input_tokens_details: { cached_tokens: 0 }, output_tokens: 6, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 20 });
        expect(done.completed_at).to.be.a('number').and.at.least(created.created_at);
        expect(done.finalizing_at).to.equal(done.completed_at);
        expect([done.failed_at, done.cancelled_at, done.cancelling_at, done.expired_at, done.errors]).to.deep.equal([null, null, null, null, null]);
        expect(done.metadata).to.deep.equal({ job: 'nightly', owner: 'alice' });

        // The output file: the succeeded lines, in input order.
        const outputFile = await alice.files.retrieve(done.output_file_id!);
        expect(outputFile).to.deep.include({ purpose: 'batch_output', filename: `${done.id}_output.jsonl`, status: 'processed' });
        // Kept for continuity.ttl when output_expires_after is not given.
        expect(outputFile.expires_at).to.equal(outputFile.created_at + 86_400);
        expect(outputFile.bytes).to.equal((await bytesOf(alice, outputFile.id)).length);
        const output = await linesOf(alice, outputFile.id);
        expect(output.map((l) => l.custom_id)).to.deep.equal(['greet', 'second']);
        for (const [line, prompt] of [[output[0]!, 'Say hi.'], [output[1]!, 'Say bye.']] as const) {
          expect(line.id).to.match(/^batch_req_/);
          expect(line.error).to.equal(null);
          expect(line.response.status_code).to.equal(200);
          expect(line.response.request_id).to.be.a('string').and.not.equal('');
          const body = line.response.body;
          expect(body).to.include({ object: 'chat.completion', model: 'gpt-4o' });
          expect(body.id).to.match(/^chatcmpl-/);
          expect(body.choices[0]).to.deep.include({ index: 0, finish_reason: 'stop' });
          expect(body.choices[0].message).to.include({ role: 'assistant', content: `echo: ${prompt}` });
          expect(body.usage).to.include({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
        }
        expect(new Set(output.map((l) => l.id)).size).to.equal(2);

        // The error file: lip's refusals (temperature, stream) and the upstream's, as OpenAI error envelopes.
        const errorFile = await alice.files.retrieve(done.error_file_id!);
        expect(errorFile).to.deep.include({ purpose: 'batch_output', filename: `${done.id}_error.jsonl` });
        expect(errorFile.bytes).to.equal((await bytesOf(alice, errorFile.id)).length);
        const errors = await linesOf(alice, errorFile.id);
        expect(errors.map((l) => [l.custom_id, l.response.status_code, l.error])).to.deep.equal([['hot', 400, null], ['streamy', 400, null], ['refused', 400, null]]);
        expect(errors[0]!.response.body.error).to.include({ type: 'invalid_request_error', param: 'temperature', code: 'LIP_ERR_REQUEST_INVALID' });
        expect(errors[1]!.response.body.error).to.include({ type: 'invalid_request_error', param: 'stream', code: 'LIP_ERR_REQUEST_INVALID' });
        expect(errors[2]!.response.body.error.message).to.contain('the emulated upstream refuses this prompt');
        for (const line of errors) expect(line.response.body.error).to.have.all.keys('message', 'type', 'param', 'code');

        // The upstream got the three requests lip let through, non-streamed, with the backend's key and model.
        expect(chat.requests.map(lastUserText).sort()).to.deep.equal(['E400 please refuse.', 'Say bye.', 'Say hi.']);
        for (const request of chat.requests) {
          expect([request.path, request.key, request.model, request.stream]).to.deep.equal([CHAT_URL, 'k-0123456789', 'gpt-4o', false]);
        }
        // Chat's max_tokens goes out as max_completion_tokens, as lip sends it to an OpenAI Chat upstream.
        expect(chat.requests.find((r) => lastUserText(r) === 'Say bye.')!.body.max_completion_tokens).to.equal(16);

        // Both files are listed as the caller's, newest first, above the input.
        const ids = (await alice.files.list({ limit: 10_000 })).data.map((f) => f.id);
        expect(ids.indexOf(done.output_file_id!)).to.be.below(ids.indexOf(input.id));
        expect(ids.indexOf(done.error_file_id!)).to.be.below(ids.indexOf(input.id));
        expect((await alice.files.list({ purpose: 'batch_output', limit: 10_000 })).data.map((f) => f.id)).to.include.members([done.output_file_id!, done.error_file_id!]);
        // Cancelling an ended batch changes nothing.
        expect(await alice.batches.cancel(done.id)).to.deep.equal(done);
        expect(await count('succeeded') - metricsBefore.succeeded).to.equal(2);
        expect(await count('errored') - metricsBefore.errored).to.equal(3);
      });

      it('a Responses batch on an Anthropic backend: translated to /v1/messages, its output lines are Response objects', async () => {
        const input = await upload(alice, [
          { custom_id: 'colour', method: 'POST', url: RESPONSES_URL, body: { model: CLAUDE, input: 'Name a colour.', instructions: 'Be brief.', max_output_tokens: 50 } },
          { custom_id: 'fruit', method: 'POST', url: RESPONSES_URL, body: { model: CLAUDE, input: [{ role: 'user', content: 'Name a fruit.' }], max_output_tokens: 40 } },
          { custom_id: 'bg', method: 'POST', url: RESPONSES_URL, body: { model: CLAUDE, input: 'In the background.', background: true } },
        ]);
        const created = await alice.batches.create({ input_file_id: input.id, endpoint: RESPONSES_URL, completion_window: '24h', output_expires_after: { anchor: 'created_at', seconds: 3_600 } });
        const done = await ended(alice, created.id);
        expect(done).to.deep.include({ status: 'completed', endpoint: RESPONSES_URL, request_counts: { total: 3, completed: 2, failed: 1 } });
        expect(done.usage).to.deep.include({ input_tokens: 14, output_tokens: 6, total_tokens: 20 });

        const output = await linesOf(alice, done.output_file_id!);
        expect(output.map((l) => l.custom_id)).to.deep.equal(['colour', 'fruit']);
        for (const [line, prompt] of [[output[0]!, 'Name a colour.'], [output[1]!, 'Name a fruit.']] as const) {
          expect(line.response.status_code).to.equal(200);
          const body = line.response.body;
          expect(body).to.include({ object: 'response', status: 'completed', model: 'claude-sonnet-4-6' });
          expect(body.id).to.match(/^resp_/);
          const message = body.output.find((item: Json) => item.type === 'message');
          expect(message.content.map((c: Json) => [c.type, c.text])).to.deep.equal([['output_text', `echo: ${prompt}`]]);
          expect(body.usage).to.include({ input_tokens: 7, output_tokens: 3, total_tokens: 10 });
        }
        expect(output[0]!.response.body).to.include({ instructions: 'Be brief.', max_output_tokens: 50 });
        // Stored as /v1/responses stores it (store, the default): retrievable by its id.
        const stored = await alice.responses.retrieve(output[0]!.response.body.id);
        expect([stored.id, stored.status, stored.output_text]).to.deep.equal([output[0]!.response.body.id, 'completed', 'echo: Name a colour.']);
        const errors = await linesOf(alice, done.error_file_id!);
        expect(errors.map((l) => [l.custom_id, l.response.status_code, l.response.body.error.param])).to.deep.equal([['bg', 400, 'background']]);
        // output_expires_after: both results' files expire an hour after they were made.
        for (const id of [done.output_file_id!, done.error_file_id!]) {
          const file = await alice.files.retrieve(id);
          expect(file.expires_at).to.equal(file.created_at + 3_600);
        }

        // Anthropic Messages upstream: what the Responses requests were translated into.
        expect(claude.requests).to.have.length(2);
        const colour = claude.requests.find((r) => lastUserText(r) === 'Name a colour.')!;
        expect([colour.path, colour.key, colour.model, colour.body.max_tokens, colour.stream]).to.deep.equal(['/v1/messages', 'k-0123456789', 'claude-sonnet-4-6', 50, false]);
        expect(JSON.stringify(colour.body.system)).to.contain('Be brief.');
        expect(claude.requests.find((r) => lastUserText(r) === 'Name a fruit.')!.body.max_tokens).to.equal(40);
        expect(chat.requests).to.have.length(0);
      });

      it('an invalid input file fails the batch with line-numbered errors, and nothing is sent upstream', async () => {
        const input = await upload(alice, [
          chatLine('ok', 'Fine.'),
          'this is not JSON',
          '',
          { ...chatLine('wrong-url', 'Embed.'), url: '/v1/embeddings' },
          chatLine('ok', 'Same id.'),
          { ...chatLine('get', 'Get.'), method: 'GET' },
          { ...chatLine('x', 'No id.'), custom_id: '' },
          { custom_id: 'nobody', method: 'POST', url: CHAT_URL, body: 'text' },
          '[1, 2]',
        ]);
        const created = await alice.batches.create({ input_file_id: input.id, endpoint: CHAT_URL, completion_window: '24h' });
        expect(created.status).to.equal('failed');
        expect(created.errors!.object).to.equal('list');
        // Line numbers count every line of the file (the blank line 3 included).
        expect(created.errors!.data!.map((e) => [e.line, e.code, e.param])).to.deep.equal([
          [2, 'invalid_json_line', null],
          [4, 'mismatched_endpoint', 'url'],
          [5, 'duplicate_custom_id', 'custom_id'],
          [6, 'invalid_method', 'method'],
          [7, 'invalid_custom_id', 'custom_id'],
          [8, 'invalid_body', 'body'],
          [9, 'invalid_request', null],
        ]);
        expect(created.errors!.data![1]!.message).to.contain(CHAT_URL);
        expect(created.errors!.data![2]!.message).to.contain('"ok"');
        expect(created).to.deep.include({ request_counts: { total: 0, completed: 0, failed: 0 }, output_file_id: null, error_file_id: null, in_progress_at: null, completed_at: null });
        expect(created.failed_at).to.equal(created.created_at);
        expect(await alice.batches.retrieve(created.id)).to.deep.equal(created);

        // An empty file, and one beyond server.max_batch_requests (20 here), fail too.
        const empty = await alice.batches.create({ input_file_id: (await upload(alice, '\n\n')).id, endpoint: CHAT_URL, completion_window: '24h' });
        expect(empty.status).to.equal('failed');
        expect(empty.errors!.data!.map((e) => [e.code, e.line])).to.deep.equal([['empty_file', null]]);
        const many = await upload(alice, Array.from({ length: 21 }, (_, i) => chatLine(`r${i}`, `Request ${i}.`)));
        const tooMany = await alice.batches.create({ input_file_id: many.id, endpoint: CHAT_URL, completion_window: '24h' });
        expect(tooMany.status).to.equal('failed');
        expect(tooMany.errors!.data!.map((e) => e.code)).to.deep.equal(['too_many_requests']);
        expect(tooMany.errors!.data![0]!.message).to.contain('max_batch_requests');

        // None of them ran a request.
        await sleep(200);
        expect(chat.requests).to.have.length(0);
      });

      it('never runs more than batch_concurrency requests at once, and starts the next as one ends', async () => {
        const input = await upload(alice, Array.from({ length: 5 }, (_, i) => chatLine(`g${i + 1}`, `Gated ${i + 1}.`, {}, GATED)));
        const created = await alice.batches.create({ input_file_id: input.id, endpoint: CHAT_URL, completion_window: '24h' });
        await until(() => gate.arrived.length === 2, 'two requests at the upstream');
        expect(await metric(lip, 'lip_batch_requests_running')).to.equal(2);
        expect(await metric(lip, 'lip_batches_running')).to.equal(1);
        await sleep(300);
        expect(gate.arrived, 'no third request while two run').to.have.length(2);
        for (let released = 0; released < 5; released++) {
          await until(() => gate.held.length > 0, 'a request held at the upstream');
          const arrived = gate.arrived.length;
          gate.held.shift()!();
          // The next one starts once this one ended (and only then).
          if (arrived < 5) await until(() => gate.arrived.length === arrived + 1, 'the next request');
          expect(gate.open).to.be.at.most(2);
        }
        const done = await ended(alice, created.id);
        expect(done.request_counts).to.deep.equal({ total: 5, completed: 5, failed: 0 });
        expect(gate.most).to.equal(2);
        expect([...gate.arrived].sort()).to.deep.equal(['Gated 1.', 'Gated 2.', 'Gated 3.', 'Gated 4.', 'Gated 5.']);
        expect((await linesOf(alice, done.output_file_id!)).map((l) => [l.custom_id, l.response.body.choices[0].message.content]))
          .to.deep.equal([1, 2, 3, 4, 5].map((i) => [`g${i}`, `echo: Gated ${i}.`]));
        expect(done.error_file_id).to.equal(null);
      });

      it('a cancel aborts the running upstream requests and cancels the rest: cancelling, then cancelled', async () => {
        const canceled = await metric(lip, 'lip_batch_requests_total{outcome="canceled"}');
        const input = await upload(alice, Array.from({ length: 5 }, (_, i) => chatLine(`s${i + 1}`, `STALL ${i + 1}`)));
        const created = await alice.batches.create({ input_file_id: input.id, endpoint: CHAT_URL, completion_window: '24h' });
        await until(() => chat.requests.length === 2, 'two stalled requests at the upstream');
        await sleep(300);
        expect(chat.requests, 'batch_concurrency is 2').to.have.length(2);
        expect(await metric(lip, 'lip_batch_requests_running')).to.equal(2);
        expect((await alice.batches.retrieve(created.id))).to.deep.include({ status: 'in_progress', request_counts: { total: 5, completed: 0, failed: 0 } });

        const cancelling = await alice.batches.cancel(created.id);
        expect(cancelling.status).to.equal('cancelling');
        expect(cancelling.cancelling_at).to.be.a('number').and.at.least(created.created_at);
        expect(cancelling.cancelled_at).to.equal(null);
        // The running requests' connections are closed by lip.
        await until(() => chat.closes.length === 2, 'the upstream to see both requests closed');
        expect(chat.closes.map((c) => c.path)).to.deep.equal([CHAT_URL, CHAT_URL]);

        const done = await ended(alice, created.id);
        expect(done.status).to.equal('cancelled');
        expect(done.cancelling_at).to.equal(cancelling.cancelling_at);
        expect(done.cancelled_at).to.be.a('number').and.at.least(done.cancelling_at!);
        expect([done.completed_at, done.failed_at, done.expired_at, done.output_file_id]).to.deep.equal([null, null, null, null]);
        expect(done.request_counts).to.deep.include({ total: 5, completed: 0 });
        const errors = await linesOf(alice, done.error_file_id!);
        expect(errors.map((l) => l.custom_id)).to.deep.equal(['s1', 's2', 's3', 's4', 's5']);
        for (const line of errors) {
          expect(line.response).to.equal(null);
          expect(line.error.code).to.equal('batch_cancelled');
          expect(line.error.message).to.be.a('string').and.not.equal('');
          expect(line.id).to.match(/^batch_req_/);
        }
        // The three never started, never will; nothing left running.
        expect(chat.requests).to.have.length(2);
        expect(await metric(lip, 'lip_batch_requests_total{outcome="canceled"}') - canceled).to.equal(5);
        await until(async () => await metric(lip, 'lip_batches_running') === 0, 'no batch running');
        expect(await metric(lip, 'lip_batch_requests_running')).to.equal(0);
        // Cancelling again answers the ended batch as it is.
        expect(await alice.batches.cancel(created.id)).to.deep.equal(done);
      });

      it('refuses an unknown input file, an endpoint it does not batch, other windows, and more than 16 metadata pairs; has no delete nor results route', async () => {
        const input = await upload(alice, [chatLine('one', 'One.')]);
        const unknown = await rejection(alice.batches.create({ input_file_id: 'file-doesnotexist', endpoint: CHAT_URL, completion_window: '24h' }));
        expect(unknown).to.be.instanceOf(OpenAI.NotFoundError);
        expect(unknown.param).to.equal('input_file_id');
        expect(unknown.message).to.contain('file-doesnotexist');

        const completions = await rejection(alice.batches.create({ input_file_id: input.id, endpoint: '/v1/completions', completion_window: '24h' }));
        expect(completions).to.be.instanceOf(OpenAI.BadRequestError);
        expect([completions.code, completions.param]).to.deep.equal(['LIP_ERR_REQUEST_UNSUPPORTED', 'endpoint']);
        expect(completions.message).to.contain('/v1/completions');

        const window = await rejection(alice.batches.create({ input_file_id: input.id, endpoint: CHAT_URL, completion_window: '1h' as '24h' }));
        expect(window).to.be.instanceOf(OpenAI.BadRequestError);
        expect(window.param).to.equal('completion_window');

        const pairs = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]));
        const metadata = await rejection(alice.batches.create({ input_file_id: input.id, endpoint: CHAT_URL, completion_window: '24h', metadata: pairs(17) }));
        expect(metadata).to.be.instanceOf(OpenAI.BadRequestError);
        expect(metadata.param).to.equal('metadata');

        // A batch's results are not an input.
        const sixteen = await alice.batches.create({ input_file_id: input.id, endpoint: CHAT_URL, completion_window: '24h', metadata: pairs(16) });
        expect(sixteen.metadata).to.deep.equal(pairs(16));
        const done = await ended(alice, sixteen.id);
        const results = await rejection(alice.batches.create({ input_file_id: done.output_file_id!, endpoint: CHAT_URL, completion_window: '24h' }));
        expect([results.status, results.param]).to.deep.equal([400, 'input_file_id']);

        const missing = await rejection(alice.batches.retrieve('batch_doesnotexist'));
        expect(missing).to.be.instanceOf(OpenAI.NotFoundError);
        expect(missing.param).to.equal('batch_id');

        // The Anthropic batch routes (delete, results) are not OpenAI's.
        const auth = { authorization: `Bearer ${ALICE}` };
        expect((await fetch(`${lip.url}/v1/batches/${done.id}`, { method: 'DELETE', headers: auth })).status).to.equal(405);
        expect((await fetch(`${lip.url}/v1/batches/${done.id}/results`, { headers: auth })).status).to.equal(404);
        expect((await alice.batches.retrieve(done.id)).status).to.equal('completed');
        // Only the one valid batch ran a request.
        expect(chat.requests.map(lastUserText)).to.deep.equal(['One.']);
      });

      it('another key\'s batches and files are 404s (retrieve, cancel, content, delete); lists show only one\'s own', async () => {
        const input = await upload(alice, [chatLine('mine', 'STALL private')]);
        const batch = await alice.batches.create({ input_file_id: input.id, endpoint: CHAT_URL, completion_window: '24h' });
        await until(() => chat.requests.length === 1, 'the request at the upstream');

        for (const attempt of [bob.batches.retrieve(batch.id), bob.batches.cancel(batch.id)]) {
          const err = await rejection(attempt);
          expect(err).to.be.instanceOf(OpenAI.NotFoundError);
          expect(err.param).to.equal('batch_id');
        }
        for (const attempt of [bob.files.retrieve(input.id), bob.files.content(input.id), bob.files.delete(input.id)]) {
          expect(await rejection(attempt)).to.be.instanceOf(OpenAI.NotFoundError);
        }
        const notBobs = await rejection(bob.batches.create({ input_file_id: input.id, endpoint: CHAT_URL, completion_window: '24h' }));
        expect([notBobs.status, notBobs.param]).to.deep.equal([404, 'input_file_id']);
        // Bob's cancel did nothing: still running; Alice's file is still there.
        expect((await alice.batches.retrieve(batch.id)).status).to.equal('in_progress');
        expect(chat.closes).to.have.length(0);
        expect((await bytesOf(alice, input.id)).toString()).to.contain('STALL private');

        const bobsInput = await upload(bob, [chatLine('bobs', 'Bob here.')]);
        const bobsBatch = await bob.batches.create({ input_file_id: bobsInput.id, endpoint: CHAT_URL, completion_window: '24h' });
        const bobsDone = await ended(bob, bobsBatch.id);
        const bobBatches: string[] = [];
        for await (const b of bob.batches.list()) bobBatches.push(b.id);
        const bobFiles: string[] = [];
        for await (const f of bob.files.list()) bobFiles.push(f.id);
        expect(bobBatches).to.include(bobsBatch.id).and.not.include(batch.id);
        expect(bobFiles).to.include.members([bobsInput.id, bobsDone.output_file_id!]);
        expect(bobFiles).to.not.include(input.id);
        const aliceBatches = (await alice.batches.list({ limit: 100 })).data.map((b) => b.id);
        expect(aliceBatches).to.include(batch.id).and.not.include(bobsBatch.id);
        const aliceFiles = (await alice.files.list({ limit: 10_000 })).data.map((f) => f.id);
        expect(aliceFiles).to.not.include.members([bobsInput.id]);
        expect(aliceFiles).to.not.include(bobsDone.output_file_id!);
        // And Alice's content of Bob's results is a 404.
        expect((await rejection(alice.files.content(bobsDone.output_file_id!))).status).to.equal(404);

        await alice.batches.cancel(batch.id);
        expect((await ended(alice, batch.id)).status).to.equal('cancelled');
      });

      it('an Anthropic Message Batch is not one of OpenAI\'s batches, nor the other way round, even while they run', async () => {
        const anthropic = new Anthropic({ baseURL: lip.url, apiKey: ALICE, maxRetries: 0 });
        const messageBatch = await anthropic.messages.batches.create({ requests: [{ custom_id: 'a', params: { model: CHAT, max_tokens: 16, messages: [{ role: 'user', content: 'STALL anthropic' }] } }] });
        const input = await upload(alice, [chatLine('o', 'STALL openai')]);
        const batch = await alice.batches.create({ input_file_id: input.id, endpoint: CHAT_URL, completion_window: '24h' });
        await until(() => chat.requests.length === 2, 'both batches\' requests at the upstream');
        for (const attempt of [alice.batches.retrieve(messageBatch.id), alice.batches.cancel(messageBatch.id)]) {
          const err = await rejection(attempt);
          expect([err.status, err.param]).to.deep.equal([404, 'batch_id']);
        }
        expect((await alice.batches.list({ limit: 100 })).data.map((b) => b.id)).to.include(batch.id).and.not.include(messageBatch.id);
        const asMessageBatch = await anthropic.messages.batches.retrieve(batch.id).then(() => undefined, (e: unknown) => e);
        expect(asMessageBatch).to.be.instanceOf(Anthropic.NotFoundError);
        // Neither was cancelled by the other protocol's routes.
        expect(chat.closes).to.have.length(0);
        expect((await anthropic.messages.batches.retrieve(messageBatch.id)).processing_status).to.equal('in_progress');
        expect((await alice.batches.retrieve(batch.id)).status).to.equal('in_progress');
        await anthropic.messages.batches.cancel(messageBatch.id);
        await until(async () => (await anthropic.messages.batches.retrieve(messageBatch.id)).processing_status === 'ended', 'the message batch to end');
        expect((await alice.batches.cancel(batch.id)).status).to.equal('cancelling');
        expect((await ended(alice, batch.id)).status).to.equal('cancelled');
      });

      it('lists batches newest first; the SDK\'s pager walks them two at a time', async () => {
        const carol = clientOf(lip, CAROL);
        const input = await upload(carol, [chatLine('one', 'Page.')]);
        const made: string[] = [];
        for (let i = 0; i < 5; i++) made.push((await carol.batches.create({ input_file_id: input.id, endpoint: CHAT_URL, completion_window: '24h', metadata: { n: String(i) } })).id);
        for (const id of made) await ended(carol, id);

        const first = await carol.batches.list({ limit: 2 });
        expect(first.data.map((b) => b.metadata)).to.deep.equal([{ n: '4' }, { n: '3' }]);
        expect(first.has_more).to.equal(true);
        const pages: string[][] = [first.data.map((b) => b.id)];
        let page = first;
        while (page.hasNextPage()) {
          page = await page.getNextPage();
          pages.push(page.data.map((b) => b.id));
        }
        expect(pages.map((p) => p.length)).to.deep.equal([2, 2, 1]);
        expect(page.has_more).to.equal(false);
        const all: string[] = [];
        for await (const b of carol.batches.list({ limit: 2 })) all.push(b.id);
        expect(all).to.deep.equal([...made].reverse());
        expect(pages.flat()).to.deep.equal(all);
        // The default page is 20; limit is 1..100.
        expect((await carol.batches.list()).data.map((b) => b.id)).to.deep.equal(all);
        for (const limit of [0, 101]) expect((await rejection(carol.batches.list({ limit }))).param).to.equal('limit');
        expect(chat.requests).to.have.length(5);
      });
    });
  });

  describe('SQLite store: batches and files survive a restart', () => {
    let dir: string;
    let chat: Emulator;
    let lip: RunningLip | undefined;
    const config = () => testConfig(`  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`, `auth: { api_keys: [ { id: alice, key: "${ALICE}" } ] }
continuity: { store: sqlite, sqlite_path: "${join(dir, 'lip.db')}" }`);

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'lip-openai-batches-'));
      chat = await startOpenAIChatEmulator();
      chat.handler = byPrompt;
    });
    after(async () => {
      await lip?.close();
      await chat?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('an ended batch, its results\' files and its input file are there after a restart; one the shutdown interrupted ended expired', async () => {
      lip = await startLip(config());
      let alice = clientOf(lip, ALICE);
      const inputBytes = Buffer.from(jsonl([chatLine('kept', 'Keep me.'), chatLine('bad', 'E400 nope.')]), 'utf8');
      const input = await upload(alice, inputBytes, 'durable.jsonl');
      const done = await ended(alice, (await alice.batches.create({ input_file_id: input.id, endpoint: CHAT_URL, completion_window: '24h', metadata: { keep: 'yes' } })).id);
      expect(done.status).to.equal('completed');
      expect(done.request_counts).to.deep.equal({ total: 2, completed: 1, failed: 1 });
      const output = await bytesOf(alice, done.output_file_id!);
      const errors = await bytesOf(alice, done.error_file_id!);
      const files = (await alice.files.list()).data;

      // A batch still running when lip stops: its request is aborted and it ends expired.
      const stalled = await upload(alice, [chatLine('late', 'STALL at shutdown')], 'stalled.jsonl');
      const interrupted = await alice.batches.create({ input_file_id: stalled.id, endpoint: CHAT_URL, completion_window: '24h' });
      await until(() => chat.requests.length === 3, 'the stalled request at the upstream');
      await lip.close();
      lip = undefined;
      await until(() => chat.closes.length === 1, 'the upstream to see the stalled request closed');

      lip = await startLip(config());
      alice = clientOf(lip, ALICE);
      expect(await alice.batches.retrieve(done.id)).to.deep.equal(done);
      expect((await bytesOf(alice, done.output_file_id!)).equals(output)).to.equal(true);
      expect((await bytesOf(alice, done.error_file_id!)).equals(errors)).to.equal(true);
      expect(JSON.parse(output.toString().trim()).response.body.choices[0].message.content).to.equal('echo: Keep me.');
      expect(await alice.files.retrieve(input.id)).to.deep.equal(input);
      expect((await bytesOf(alice, input.id)).equals(inputBytes)).to.equal(true);

      const after = await alice.batches.retrieve(interrupted.id);
      expect(after.status).to.equal('expired');
      expect(after.expired_at).to.be.a('number').and.at.least(interrupted.created_at);
      expect([after.completed_at, after.cancelled_at, after.output_file_id]).to.deep.equal([null, null, null]);
      const expired = await linesOf(alice, after.error_file_id!);
      expect(expired.map((l) => [l.custom_id, l.response, l.error.code])).to.deep.equal([['late', null, 'batch_expired']]);

      const listed = (await alice.batches.list()).data.map((b) => b.id);
      expect(listed).to.deep.equal([interrupted.id, done.id]);
      const filesAfter = (await alice.files.list()).data.map((f) => f.id);
      expect(filesAfter).to.include.members(files.map((f) => f.id));
      expect(filesAfter).to.include.members([stalled.id, after.error_file_id!]);
      // Nothing was run again after the restart.
      await sleep(200);
      expect(chat.requests).to.have.length(3);
    });
  });
});
