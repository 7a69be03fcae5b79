import Anthropic from '@anthropic-ai/sdk';
import type { MessageBatch } from '@anthropic-ai/sdk/resources/messages/batches';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpForward, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testConfig } from '../helpers/config.js';
import { ended, envelopeOf, lastUserText, params, rejection, resultsOf, textOf, until } from '../helpers/batches.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, type Emulator, type RecordedRequest, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-0123456789ab';
const CAROL = 'carol-key-0123456789';
const DAY_MS = 24 * 3_600_000;
const CHAT = 'oc:gpt-4o';
const CLAUDE = 'an:claude-sonnet-4-6';
const STALL: Script = { fault: { stall: 'before_headers' } };

/** The chat emulator's answer by prompt: `STALL...` never answers, `E400`/`E500` are errors, anything else is echoed. */
function byPrompt(request: RecordedRequest): Script {
  const text = lastUserText(request);
  if (text.startsWith('STALL')) return STALL;
  if (text.startsWith('E400')) return { status: 400, error: { message: 'the emulated upstream refuses this prompt', type: 'invalid_request_error' } };
  if (text.startsWith('E500')) return { status: 500, error: { message: 'the emulated upstream broke', type: 'server_error' } };
  return { text: `echo: ${text}`, usage: { input: 7, output: 3 } };
}

/** A client of `lip` with `key`, no retries unless asked. */
const clientOf = (lip: RunningLip, key: string, options: Partial<ConstructorParameters<typeof Anthropic>[0]> = {}) =>
  new Anthropic({ baseURL: lip.url, apiKey: key, maxRetries: 0, ...options });

/** `GET /metrics` (with `key` where lip has API keys), one sample's value (NaN when absent). */
async function metric(lip: RunningLip, sample: string, key = ALICE): Promise<number> {
  const body = (await httpRequest(`${lip.url}/metrics`, { method: 'GET', headers: { authorization: `Bearer ${key}` } })).body;
  const escaped = sample.replace(/[{}"\\]/g, (c) => `\\${c}`);
  const m = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(body);
  return m === null ? NaN : Number(m[1]);
}

/** Cancels the caller's batches still running and waits for them to end (so that a failed test leaves none behind). */
async function cancelAll(client: Anthropic): Promise<void> {
  const page = await client.messages.batches.list({ limit: 1000 }).catch(() => undefined);
  for (const batch of page?.data ?? []) {
    if (batch.processing_status === 'ended') continue;
    await client.messages.batches.cancel(batch.id).catch(() => undefined);
    await ended(client, batch.id).catch(() => undefined);
  }
}

/** Raw `GET {path}` of lip with an Anthropic key (no SDK checks in the way). */
const raw = (lip: RunningLip, path: string, key: string, method = 'GET') =>
  httpRequest(`${lip.url}${path}`, { method, headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' } });

/**
 * Anthropic Message Batches (`/v1/messages/batches`) through the official SDK against a real lip
 * and emulated upstreams: a batch is made, runs detached from its request (each request routed
 * like any Messages request, to an OpenAI Chat or an Anthropic backend, with failover), is
 * polled, listed (newest first, paged), read as JSON lines, cancelled (the running upstream
 * requests closed, the rest `canceled`) and deleted; malformed requests, upstream errors and a
 * spent key budget are `errored` results while a malformed batch is refused whole, naming the
 * field; another key's batches are 404; `server.batch_concurrency` bounds the upstream requests
 * open at once; batches and their results survive a restart on SQLite (what a shutdown
 * interrupted is `expired`); the metrics count the requests by outcome. Across instances on
 * Redis: spec/e2e/message-batches-redis.spec.ts.
 */
describe('e2e: Anthropic Message Batches', function () {
  this.timeout(60_000);

  describe('on a memory store', () => {
    let lip: RunningLip;
    let chat: Emulator;
    let claude: Emulator;
    let alice: Anthropic;
    let bob: Anthropic;

    before(async () => {
      [chat, claude] = await Promise.all([startOpenAIChatEmulator(), startAnthropicEmulator()]);
      lip = await startLip(testConfig(`
  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }
  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789 }
`, `server: { host: 127.0.0.1, port: 0, max_batch_requests: 8, max_batch_body_bytes: 64KiB }
auth: { api_keys: [ { id: alice, key: "${ALICE}" }, { id: bob, key: "${BOB}" }, { id: carol, key: "${CAROL}" } ] }
observability: { metrics: { enabled: true } }`));
      alice = clientOf(lip, ALICE);
      bob = clientOf(lip, BOB);
    });
    after(async () => {
      await lip?.close();
      await Promise.all([chat?.close(), claude?.close()]);
    });
    afterEach(async () => {
      for (const key of [ALICE, BOB, CAROL]) await cancelAll(clientOf(lip, key));
    });
    beforeEach(() => {
      chat.reset();
      claude.reset();
      chat.handler = byPrompt;
      claude.handler = (request) => ({ text: `claude: ${lastUserText(request)}`, usage: { input: 11, output: 5 } });
    });

    it('lifecycle: created in_progress (24 h to expire), polled until ended, its results one line per request in order with the upstream\'s text; deleted, then 404', async () => {
      const before = Date.now();
      const created = await alice.messages.batches.create({ requests: [
        { custom_id: 'first', params: params(CHAT, 'Name a colour.', { system: 'Be brief.', temperature: 0.5 }) },
        { custom_id: 'second_2', params: params(CHAT, 'Name a fruit.') },
        { custom_id: 'Third-3', params: params(CHAT, 'Name a tree.', { max_tokens: 17, stop_sequences: ['END'] }) },
      ] });
      expect(Object.keys(created).sort()).to.deep.equal(['archived_at', 'cancel_initiated_at', 'created_at', 'ended_at', 'expires_at', 'id', 'processing_status', 'request_counts', 'results_url', 'type']);
      expect(created.id).to.match(/^msgbatch_[A-Za-z0-9]+$/);
      expect(created).to.deep.include({ type: 'message_batch', processing_status: 'in_progress', results_url: null, ended_at: null, cancel_initiated_at: null, archived_at: null });
      expect(created.request_counts).to.deep.equal({ processing: 3, succeeded: 0, errored: 0, canceled: 0, expired: 0 });
      const createdAt = Date.parse(created.created_at);
      expect(createdAt).to.be.within(before - 1_000, Date.now() + 1_000);
      expect(Date.parse(created.expires_at) - createdAt).to.equal(DAY_MS);

      const done = await ended(alice, created.id);
      expect(done).to.deep.include({ id: created.id, type: 'message_batch', processing_status: 'ended', created_at: created.created_at, expires_at: created.expires_at, cancel_initiated_at: null });
      expect(done.request_counts).to.deep.equal({ processing: 0, succeeded: 3, errored: 0, canceled: 0, expired: 0 });
      expect(Date.parse(done.ended_at!)).to.be.at.least(createdAt);
      // Absolute, on lip (the SDK fetches it as given).
      expect(done.results_url).to.equal(`${lip.url}/v1/messages/batches/${created.id}/results`);

      const lines = await resultsOf(alice, created.id);
      expect(lines.map((l) => [l.custom_id, l.result.type])).to.deep.equal([['first', 'succeeded'], ['second_2', 'succeeded'], ['Third-3', 'succeeded']]);
      expect(lines.map(textOf)).to.deep.equal(['echo: Name a colour.', 'echo: Name a fruit.', 'echo: Name a tree.']);
      const message = (lines[0]!.result as { message: Anthropic.Message }).message;
      expect(message).to.deep.include({ type: 'message', role: 'assistant', stop_reason: 'end_turn' });
      expect(message.id).to.be.a('string').and.not.equal('');
      expect(message.usage).to.deep.include({ input_tokens: 7, output_tokens: 3 });

      // What the upstream was asked: each request translated to Chat Completions, non-streamed to the client.
      expect(chat.requests).to.have.length(3);
      const asked = new Map(chat.requests.map((r) => [lastUserText(r), r]));
      expect([...asked.keys()].sort()).to.deep.equal(['Name a colour.', 'Name a fruit.', 'Name a tree.']);
      for (const r of chat.requests) expect([r.path, r.body.model]).to.deep.equal(['/v1/chat/completions', 'gpt-4o']);
      const colour = asked.get('Name a colour.')!.body;
      expect(colour.messages[0]).to.deep.include({ role: 'system' });
      expect(JSON.stringify(colour.messages[0].content)).to.contain('Be brief.');
      expect(colour.temperature).to.equal(0.5);
      const tree = asked.get('Name a tree.')!.body;
      expect(tree.max_completion_tokens ?? tree.max_tokens).to.equal(17);
      expect(tree.stop).to.deep.equal(['END']);

      // The raw results: JSON lines, one per request, in request order.
      const rawResults = await raw(lip, `/v1/messages/batches/${created.id}/results`, ALICE);
      expect(rawResults.status).to.equal(200);
      expect(rawResults.headers['content-type']).to.equal('application/x-jsonl');
      const rawLines = rawResults.body.split('\n');
      expect(rawLines.at(-1)).to.equal('');
      expect(rawLines.slice(0, -1).map((l) => (JSON.parse(l) as { custom_id: string }).custom_id)).to.deep.equal(['first', 'second_2', 'Third-3']);

      const deleted = await alice.messages.batches.delete(created.id);
      expect(deleted).to.deep.equal({ id: created.id, type: 'message_batch_deleted' });
      const gone = await rejection(alice.messages.batches.retrieve(created.id));
      expect(gone).to.be.instanceOf(Anthropic.NotFoundError);
      expect(gone.status).to.equal(404);
      expect(envelopeOf(gone).type).to.equal('not_found_error');
      expect((await raw(lip, `/v1/messages/batches/${created.id}/results`, ALICE)).status).to.equal(404);
      expect((await rejection(alice.messages.batches.delete(created.id))).status).to.equal(404);
      const listed: string[] = [];
      for await (const batch of alice.messages.batches.list({ limit: 100 })) listed.push(batch.id);
      expect(listed).to.not.include(created.id);
    });

    it('lists a caller\'s batches newest first; the SDK\'s auto-pager with limit 2 sees each once, paging by after_id', async () => {
      let pages = 0;
      const carol = clientOf(lip, CAROL, {
        fetch: (input: string | URL | Request, init?: RequestInit) => {
          if (String(input).includes('/v1/messages/batches?')) pages++;
          return fetch(input, init);
        },
      });
      const made: string[] = [];
      for (let i = 0; i < 5; i++) {
        made.push((await carol.messages.batches.create({ requests: [{ custom_id: `only-${i}`, params: params(CHAT, `List ${i}.`) }] })).id);
      }
      const seen: MessageBatch[] = [];
      for await (const batch of carol.messages.batches.list({ limit: 2 })) seen.push(batch);
      expect(seen.map((b) => b.id)).to.deep.equal([...made].reverse());
      expect(pages).to.equal(3);
      for (const batch of seen) expect(batch.type).to.equal('message_batch');
      // One page of everything reads the same; before_id pages back towards the newest.
      const page = await carol.messages.batches.list({ limit: 1000 });
      expect(page.data.map((b) => b.id)).to.deep.equal([...made].reverse());
      expect([page.has_more, page.first_id, page.last_id]).to.deep.equal([false, made[4], made[0]]);
      const newer = await carol.messages.batches.list({ before_id: made[1]!, limit: 2 });
      expect(newer.data.map((b) => b.id)).to.deep.equal([made[3], made[2]]);
      expect(newer.has_more).to.equal(true);
      // Another key lists none of them.
      const bobs: string[] = [];
      for await (const batch of bob.messages.batches.list()) bobs.push(batch.id);
      for (const id of made) expect(bobs).to.not.include(id);
      for (const id of made) await ended(carol, id);
    });

    it('a malformed request, a streamed one and the upstream\'s 400 and 500 are errored results beside good ones; failover inside a batch succeeds', async () => {
      const created = await alice.messages.batches.create({ requests: [
        { custom_id: 'good', params: params(CHAT, 'Good one.') },
        { custom_id: 'no-max-tokens', params: { model: CHAT, messages: [{ role: 'user', content: 'Missing max_tokens.' }] } as never },
        { custom_id: 'streamed', params: params(CHAT, 'Streamed.', { stream: true }) },
        { custom_id: 'refused', params: params(CHAT, 'E400 refuse me.') },
        { custom_id: 'broken', params: params(CHAT, 'E500 break.') },
        // The first candidate answers 500, the second (an Anthropic backend) serves it.
        { custom_id: 'failover', params: params(`${CHAT}|${CLAUDE}`, 'E500 then fail over.') },
      ] });
      const done = await ended(alice, created.id);
      expect(done.request_counts).to.deep.equal({ processing: 0, succeeded: 2, errored: 4, canceled: 0, expired: 0 });
      const lines = await resultsOf(alice, created.id);
      expect(lines.map((l) => [l.custom_id, l.result.type])).to.deep.equal([
        ['good', 'succeeded'], ['no-max-tokens', 'errored'], ['streamed', 'errored'], ['refused', 'errored'], ['broken', 'errored'], ['failover', 'succeeded'],
      ]);
      const error = (i: number) => (lines[i]!.result as { error: { type: string; error: { type: string; message: string } } }).error;
      for (const i of [1, 2, 3, 4]) expect(error(i).type).to.equal('error');
      expect(error(1).error.type).to.equal('invalid_request_error');
      expect(error(1).error.message).to.contain('max_tokens');
      expect(error(2).error.type).to.equal('invalid_request_error');
      expect(error(2).error.message).to.contain('stream');
      expect(error(3).error.type).to.equal('invalid_request_error');
      expect(error(3).error.message).to.contain('the emulated upstream refuses this prompt');
      expect(error(4).error.type).to.equal('api_error');
      expect(textOf(lines[0]!)).to.equal('echo: Good one.');
      expect(textOf(lines[5]!)).to.equal('claude: E500 then fail over.');
      // Neither the malformed nor the streamed request reached an upstream.
      const prompts = chat.requests.map(lastUserText);
      expect(prompts).to.not.include('Missing max_tokens.');
      expect(prompts).to.not.include('Streamed.');
      expect(prompts).to.include.members(['Good one.', 'E400 refuse me.', 'E500 break.', 'E500 then fail over.']);
      expect(claude.requests.map(lastUserText)).to.deep.equal(['E500 then fail over.']);
    });

    it('an Anthropic backend serves a batch\'s requests (the emulator sees /v1/messages bodies); the SDK\'s beta surface reads the same batch', async () => {
      const created = await alice.beta.messages.batches.create({ requests: [
        { custom_id: 'c1', params: { model: CLAUDE, max_tokens: 100, system: 'Terse.', messages: [{ role: 'user', content: 'Who are you?' }] } },
        { custom_id: 'c2', params: { model: CLAUDE, max_tokens: 200, messages: [{ role: 'user', content: 'And then?' }] } },
      ] });
      expect(created).to.deep.include({ type: 'message_batch', processing_status: 'in_progress' });
      let beta = await alice.beta.messages.batches.retrieve(created.id);
      await until(async () => (beta = await alice.beta.messages.batches.retrieve(created.id)).processing_status === 'ended', 'the batch to end');
      expect(beta.request_counts).to.deep.include({ succeeded: 2, errored: 0 });
      const lines: unknown[] = [];
      for await (const line of await alice.beta.messages.batches.results(created.id)) lines.push(line);
      expect(lines).to.have.length(2);
      const ours = await resultsOf(alice, created.id);
      expect(JSON.parse(JSON.stringify(lines))).to.deep.equal(JSON.parse(JSON.stringify(ours)));
      expect(ours.map(textOf)).to.deep.equal(['claude: Who are you?', 'claude: And then?']);
      expect((ours[0]!.result as { message: Anthropic.Message }).message.usage).to.deep.include({ input_tokens: 11, output_tokens: 5 });
      expect(claude.requests.map((r) => r.path)).to.deep.equal(['/v1/messages', '/v1/messages']);
      const bodies = new Map(claude.requests.map((r) => [lastUserText(r), r.body]));
      expect(bodies.get('Who are you?')).to.deep.include({ model: 'claude-sonnet-4-6', max_tokens: 100 });
      expect(JSON.stringify(bodies.get('Who are you?').system)).to.contain('Terse.');
      expect(bodies.get('And then?')).to.deep.include({ model: 'claude-sonnet-4-6', max_tokens: 200 });
      expect(chat.requests).to.have.length(0);
    });

    it('a cancel stops a batch whose upstream stalls: canceling with cancel_initiated_at, the running upstream requests closed, every request canceled', async () => {
      // Six stalled requests: the default batch_concurrency (4) starts four, two wait.
      const created = await alice.messages.batches.create({ requests: Array.from({ length: 6 }, (_, i) => ({ custom_id: `stalled-${i}`, params: params(CHAT, `STALL ${i}`) })) });
      await until(() => chat.requests.length === 4, 'four upstream requests');
      const running = await alice.messages.batches.retrieve(created.id);
      expect(running).to.deep.include({ processing_status: 'in_progress', cancel_initiated_at: null });
      expect(running.request_counts.processing).to.equal(6);
      expect(await metric(lip, 'lip_batch_requests_running')).to.equal(4);
      await until(async () => await metric(lip, 'lip_batches_running') === 1, 'one batch running');
      // Not deletable while it runs, nor its results readable.
      const early = await rejection(alice.messages.batches.delete(created.id));
      expect(early).to.be.instanceOf(Anthropic.BadRequestError);
      expect(envelopeOf(early).message).to.contain('still processing');
      const notYet = await raw(lip, `/v1/messages/batches/${created.id}/results`, ALICE);
      expect(notYet.status).to.equal(400);
      expect(JSON.parse(notYet.body)).to.deep.include({ type: 'error' });
      expect(JSON.parse(notYet.body).error).to.deep.include({ type: 'invalid_request_error' });
      expect(JSON.parse(notYet.body).error.message).to.contain('has not ended');

      const cancelled = await alice.messages.batches.cancel(created.id);
      expect(cancelled.id).to.equal(created.id);
      expect(cancelled.processing_status).to.be.oneOf(['canceling', 'ended']);
      expect(cancelled.cancel_initiated_at).to.be.a('string');
      expect(Date.parse(cancelled.cancel_initiated_at!)).to.be.at.least(Date.parse(created.created_at));
      await until(() => chat.closes.length === 4, 'the four running upstream requests to be closed');
      const done = await ended(alice, created.id);
      expect(done.request_counts).to.deep.equal({ processing: 0, succeeded: 0, errored: 0, canceled: 6, expired: 0 });
      expect(done.cancel_initiated_at).to.equal(cancelled.cancel_initiated_at);
      expect((await resultsOf(alice, created.id)).map((l) => [l.custom_id, l.result.type])).to.deep.equal(Array.from({ length: 6 }, (_, i) => [`stalled-${i}`, 'canceled']));
      // Nothing more was started, and a cancel of an ended batch answers it as it is.
      expect(chat.requests).to.have.length(4);
      const again = await alice.messages.batches.cancel(created.id);
      expect(again).to.deep.include({ processing_status: 'ended', cancel_initiated_at: cancelled.cancel_initiated_at });
      await until(async () => await metric(lip, 'lip_batches_running') === 0, 'no batch running');
      expect(await metric(lip, 'lip_batch_requests_running')).to.equal(0);
    });

    it('refuses a malformed batch whole, naming the field: bad, duplicate or missing custom ids, no requests, too many, extra fields, too large a body', async () => {
      const refused = async (body: unknown) => {
        const err = await rejection(alice.messages.batches.create(body as never));
        return { status: err.status, ...envelopeOf(err), bad: err instanceof Anthropic.BadRequestError };
      };
      const good = (id: string) => ({ custom_id: id, params: params(CHAT, 'x') });
      const bad = await refused({ requests: [good('ok'), good('has space')] });
      expect(bad).to.deep.include({ status: 400, type: 'invalid_request_error', bad: true });
      expect(bad.message).to.contain('requests[1].custom_id');
      expect((await refused({ requests: [good('x'.repeat(65))] })).message).to.contain('requests[0].custom_id');
      expect((await refused({ requests: [{ params: params(CHAT, 'x') }] })).message).to.contain('requests[0].custom_id');
      const duplicate = await refused({ requests: [good('a'), good('b'), good('a')] });
      expect(duplicate).to.deep.include({ status: 400, type: 'invalid_request_error' });
      expect(duplicate.message).to.contain('requests[2].custom_id').and.contain('unique');
      const empty = await refused({ requests: [] });
      expect(empty).to.deep.include({ status: 400, type: 'invalid_request_error' });
      expect(empty.message).to.match(/^requests: /);
      const many = await refused({ requests: Array.from({ length: 9 }, (_, i) => good(`r${i}`)) });
      expect(many).to.deep.include({ status: 400, type: 'invalid_request_error' });
      expect(many.message).to.match(/^requests: /).and.contain('at most 8');
      expect((await refused({ requests: [good('a')], metadata: {} })).message).to.contain('metadata');
      expect((await refused({ requests: [{ ...good('a'), extra: 1 }] })).message).to.contain('requests[0].extra');
      expect((await refused({ requests: [{ custom_id: 'a', params: 'text' }] })).message).to.contain('requests[0].params');
      const large = await refused({ requests: [{ custom_id: 'big', params: params(CHAT, 'x'.repeat(70 * 1024)) }] });
      expect(large.status).to.equal(413);
      // Nothing was made, nothing reached an upstream.
      expect(chat.requests).to.have.length(0);
      const limit = await rejection(alice.messages.batches.list({ limit: 0 }));
      expect(limit.status).to.equal(400);
      expect(envelopeOf(limit).message).to.match(/^limit: /);
    });

    it('another key\'s batch is a 404 not_found_error for retrieve, cancel, delete and results; so is an unknown id', async () => {
      const created = await alice.messages.batches.create({ requests: [{ custom_id: 'mine', params: params(CHAT, 'Private.') }] });
      await ended(alice, created.id);
      for (const call of [
        () => bob.messages.batches.retrieve(created.id),
        () => bob.messages.batches.cancel(created.id),
        () => bob.messages.batches.delete(created.id),
        () => bob.messages.batches.results(created.id),
        () => alice.messages.batches.retrieve('msgbatch_doesnotexist0123456789'),
      ]) {
        const err = await rejection(call());
        expect(err).to.be.instanceOf(Anthropic.NotFoundError);
        expect(envelopeOf(err).type).to.equal('not_found_error');
      }
      const results = await raw(lip, `/v1/messages/batches/${created.id}/results`, BOB);
      expect(results.status).to.equal(404);
      expect(JSON.parse(results.body).error.type).to.equal('not_found_error');
      // Still Alice's, untouched.
      expect((await alice.messages.batches.retrieve(created.id)).request_counts.succeeded).to.equal(1);
      expect((await resultsOf(alice, created.id)).map(textOf)).to.deep.equal(['echo: Private.']);
    });

    it('/metrics counts the requests of batches by outcome, and shows those running', async () => {
      const count = (outcome: string) => metric(lip, `lip_batch_requests_total{outcome="${outcome}"}`).then((n) => (Number.isNaN(n) ? 0 : n));
      const before = { succeeded: await count('succeeded'), errored: await count('errored'), canceled: await count('canceled') };
      const first = await alice.messages.batches.create({ requests: [
        { custom_id: 'ok-1', params: params(CHAT, 'One.') },
        { custom_id: 'ok-2', params: params(CHAT, 'Two.') },
        { custom_id: 'bad', params: params(CHAT, 'E400 no.') },
      ] });
      await ended(alice, first.id);
      expect(await count('succeeded') - before.succeeded).to.equal(2);
      expect(await count('errored') - before.errored).to.equal(1);
      const second = await alice.messages.batches.create({ requests: [{ custom_id: 'stuck', params: params(CHAT, 'STALL metrics') }] });
      await until(async () => await metric(lip, 'lip_batch_requests_running') === 1, 'one batch request running');
      await until(async () => await metric(lip, 'lip_batches_running') === 1, 'one batch running');
      await alice.messages.batches.cancel(second.id);
      await ended(alice, second.id);
      expect(await count('canceled') - before.canceled).to.equal(1);
      await until(async () => await metric(lip, 'lip_batches_running') === 0, 'no batch running');
      expect(await metric(lip, 'lip_batch_requests_running')).to.equal(0);
    });
  });

  describe('server.batch_concurrency: 2', () => {
    let lip: RunningLip;
    let chat: Emulator;
    let counter: Server;
    let open = 0;
    let most = 0;

    before(async () => {
      chat = await startOpenAIChatEmulator();
      // A pass-through in front of the emulator that counts the requests open at once.
      counter = createServer((req, res) => {
        open++;
        most = Math.max(most, open);
        let closed = false;
        res.on('close', () => {
          if (!closed) open--;
          closed = true;
        });
        const upstream = httpForward(`${chat.origin}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        res.on('close', () => upstream.destroy());
        req.pipe(upstream);
      });
      await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
      const port = (counter.address() as AddressInfo).port;
      lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "http://127.0.0.1:${port}/v1", api_key: k-0123456789 }`,
        `server: { host: 127.0.0.1, port: 0, batch_concurrency: 2, max_running_batches: 1 }
observability: { metrics: { enabled: true } }
logging: { access_log: true }`));
    });
    after(async () => {
      await lip?.close();
      counter?.closeAllConnections();
      await new Promise<void>((resolve) => (counter ? counter.close(() => resolve()) : resolve()));
      await chat?.close();
    });
    afterEach(() => cancelAll(clientOf(lip, 'k')));
    beforeEach(() => {
      chat.reset();
      chat.handler = byPrompt;
      open = 0;
      most = 0;
    });

    it('five slow requests: never more than two open upstream at once, all five served', async () => {
      const client = clientOf(lip, 'k');
      chat.handler = (request) => ({ text: `slow: ${lastUserText(request)}`, dripMs: 150 });
      const created = await client.messages.batches.create({ requests: Array.from({ length: 5 }, (_, i) => ({ custom_id: `slow-${i}`, params: params(CHAT, `Slow ${i}.`) })) });
      const done = await ended(client, created.id);
      expect(done.request_counts).to.deep.include({ succeeded: 5, errored: 0 });
      expect((await resultsOf(client, created.id)).map(textOf)).to.deep.equal(Array.from({ length: 5 }, (_, i) => `slow: Slow ${i}.`));
      expect(chat.requests).to.have.length(5);
      expect(most).to.equal(2);
      // Each request of the batch has its access-log line: its endpoint, the batch, who served it.
      const lines = lip.logs.filter((l) => l.batch_id === created.id);
      expect(lines.map((l) => l.request_id).sort()).to.deep.equal(Array.from({ length: 5 }, (_, i) => `${created.id}/slow-${i}`));
      for (const line of lines) expect(line).to.include({ route: '/v1/messages', method: 'POST', status: 200, frontend: 'anthropic', model: CHAT, backend: CHAT, attempts: 1, stream: false });
    });

    it('five stalled requests: two reach the upstream; the running batch makes another create a 429; a cancel closes the two and cancels all five', async () => {
      const client = clientOf(lip, 'k');
      const created = await client.messages.batches.create({ requests: Array.from({ length: 5 }, (_, i) => ({ custom_id: `s${i}`, params: params(CHAT, `STALL ${i}`) })) });
      await until(() => chat.requests.length === 2, 'two upstream requests');
      await until(async () => await metric(lip, 'lip_batch_requests_running') === 2, 'two batch requests running');
      // Given time, no third one starts.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(chat.requests).to.have.length(2);
      expect(most).to.equal(2);
      // server.max_running_batches: 1
      const busy = await rejection(client.messages.batches.create({ requests: [{ custom_id: 'later', params: params(CHAT, 'Later.') }] }));
      expect(busy).to.be.instanceOf(Anthropic.RateLimitError);
      expect(envelopeOf(busy).message).to.contain('max_running_batches');
      const cancelled = await client.messages.batches.cancel(created.id);
      expect(cancelled.processing_status).to.be.oneOf(['canceling', 'ended']);
      expect(cancelled.cancel_initiated_at).to.be.a('string');
      await until(() => chat.closes.length === 2, 'the two running upstream requests to be closed');
      const done = await ended(client, created.id);
      expect(done.request_counts).to.deep.equal({ processing: 0, succeeded: 0, errored: 0, canceled: 5, expired: 0 });
      expect((await resultsOf(client, created.id)).map((l) => l.result.type)).to.deep.equal(['canceled', 'canceled', 'canceled', 'canceled', 'canceled']);
      expect(chat.requests).to.have.length(2);
      await until(async () => await metric(lip, 'lip_batches_running') === 0, 'no batch running');
    });
  });

  describe('server.batch_concurrency: 0', () => {
    let lip: RunningLip;
    before(async () => {
      lip = await startLip(testConfig('  - { id: stub, kind: localstub, text: "never" }', 'server: { host: 127.0.0.1, port: 0, batch_concurrency: 0 }'));
    });
    after(() => lip?.close());

    it('switches batches off: a create is a 400 naming the setting', async () => {
      const err = await rejection(clientOf(lip, 'k').messages.batches.create({ requests: [{ custom_id: 'a', params: params('stub:m', 'x') }] }));
      expect(err).to.be.instanceOf(Anthropic.BadRequestError);
      expect(envelopeOf(err).type).to.equal('invalid_request_error');
      expect(envelopeOf(err).message).to.contain('batch_concurrency');
    });
  });

  describe('per-key budgets', () => {
    const SPENDER = 'spender-key-0123456789';
    let lip: RunningLip;
    let chat: Emulator;
    before(async () => {
      chat = await startOpenAIChatEmulator();
      // One request at a time, so that each one sees what the ones before it spent.
      lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`,
        `server: { host: 127.0.0.1, port: 0, batch_concurrency: 1 }
auth: { api_keys: [ { id: spender, key: "${SPENDER}", budget: { max_tokens: 100, period: day } } ] }`));
    });
    after(async () => {
      await lip?.close();
      await chat?.close();
    });

    it('the requests of a batch spend the key\'s budget; once spent, the rest are errored (rate_limit_error) and a new create is a 429 the SDK does not retry', async () => {
      chat.defaultScript = { text: 'Spent.', usage: { input: 30, output: 30 } };
      const client = clientOf(lip, SPENDER);
      const created = await client.messages.batches.create({ requests: Array.from({ length: 4 }, (_, i) => ({ custom_id: `spend-${i}`, params: params(CHAT, `Spend ${i}.`) })) });
      const done = await ended(client, created.id);
      // 0 and 60 of 100 spent when the first two started; 120 when the third did.
      expect(done.request_counts).to.deep.equal({ processing: 0, succeeded: 2, errored: 2, canceled: 0, expired: 0 });
      const lines = await resultsOf(client, created.id);
      expect(lines.map((l) => l.result.type)).to.deep.equal(['succeeded', 'succeeded', 'errored', 'errored']);
      for (const line of lines.slice(2)) {
        const error = (line.result as { error: { error: { type: string; message: string } } }).error.error;
        expect(error.type).to.equal('rate_limit_error');
        expect(error.message).to.match(/API key "spender" has spent 120 of its 100 tokens for this day/);
      }
      expect(chat.requests).to.have.length(2);

      let calls = 0;
      const counted = clientOf(lip, SPENDER, {
        maxRetries: 2,
        fetch: (input: string | URL | Request, init?: RequestInit) => {
          calls++;
          return fetch(input, init);
        },
      });
      const refused = await rejection(counted.messages.batches.create({ requests: [{ custom_id: 'more', params: params(CHAT, 'More.') }] }));
      expect(refused).to.be.instanceOf(Anthropic.RateLimitError);
      expect(refused.status).to.equal(429);
      expect(refused.headers?.get('x-should-retry')).to.equal('false');
      expect(envelopeOf(refused).type).to.equal('rate_limit_error');
      expect(envelopeOf(refused).message).to.contain('API key "spender" has spent');
      expect(calls).to.equal(1);
      expect(chat.requests).to.have.length(2);
    });
  });

  describe('on SQLite, across a restart', () => {
    let chat: Emulator;
    let dir: string;
    before(async () => {
      chat = await startOpenAIChatEmulator();
      chat.handler = byPrompt;
      dir = mkdtempSync(join(tmpdir(), 'lip-batches-'));
    });
    after(async () => {
      await chat?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('an ended batch and its results survive a restart; one running at shutdown (its upstream stalled) is ended with its unfinished requests expired', async () => {
      const config = testConfig(`  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`,
        `continuity: { store: sqlite, sqlite_path: "${join(dir, 'lip.db')}" }
auth: { api_keys: [ { id: alice, key: "${ALICE}" } ] }`);
      const first = await startLip(config);
      let second: RunningLip | undefined;
      let deleted = '';
      let kept = '';
      try {
        const client = clientOf(first, ALICE);
        const done = await client.messages.batches.create({ requests: [
          { custom_id: 'kept-1', params: params(CHAT, 'Kept one.') },
          { custom_id: 'kept-2', params: params(CHAT, 'E400 kept error.') },
        ] });
        const finished = await ended(client, done.id);
        const lines = await resultsOf(client, done.id);
        expect(lines.map((l) => l.result.type)).to.deep.equal(['succeeded', 'errored']);
        const stalled = await client.messages.batches.create({ requests: [
          { custom_id: 'cut-1', params: params(CHAT, 'STALL one') },
          { custom_id: 'cut-2', params: params(CHAT, 'STALL two') },
        ] });
        await until(() => chat.requests.filter((r) => lastUserText(r).startsWith('STALL')).length === 2, 'the two stalled upstream requests');
        await first.server.shutdown(200);
        // The shutdown closed the requests it interrupted.
        await until(() => chat.closes.length === 2, 'the stalled upstream requests to be closed');

        second = await startLip(config);
        const again = clientOf(second, ALICE);
        const reread = await again.messages.batches.retrieve(done.id);
        expect(reread).to.deep.include({ processing_status: 'ended', created_at: finished.created_at, ended_at: finished.ended_at, request_counts: finished.request_counts });
        expect(reread.results_url).to.equal(`${second.url}/v1/messages/batches/${done.id}/results`);
        expect(JSON.parse(JSON.stringify(await resultsOf(again, done.id)))).to.deep.equal(JSON.parse(JSON.stringify(lines)));
        const cut = await again.messages.batches.retrieve(stalled.id);
        expect(cut.processing_status).to.equal('ended');
        expect(cut.request_counts).to.deep.equal({ processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 2 });
        expect((await resultsOf(again, stalled.id)).map((l) => [l.custom_id, l.result.type])).to.deep.equal([['cut-1', 'expired'], ['cut-2', 'expired']]);
        const listed: string[] = [];
        for await (const batch of again.messages.batches.list()) listed.push(batch.id);
        expect(listed).to.deep.equal([stalled.id, done.id]);
        // Ended, so deletable: gone after the next restart too, the other one kept.
        await again.messages.batches.delete(done.id);
        deleted = done.id;
        kept = stalled.id;
      } finally {
        await first.close().catch(() => undefined);
        await second?.close();
      }
      const third = await startLip(config);
      try {
        const client = clientOf(third, ALICE);
        expect((await rejection(client.messages.batches.retrieve(deleted))).status).to.equal(404);
        expect((await client.messages.batches.retrieve(kept)).request_counts.expired).to.equal(2);
        const listed: string[] = [];
        for await (const batch of client.messages.batches.list()) listed.push(batch.id);
        expect(listed).to.deep.equal([kept]);
      } finally {
        await third.close();
      }
    });
  });
});
