import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { Response, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { createRuntime } from '../../lib/core/runtime.js';
import { settled } from '../helpers/clients/responses-transports.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip } from '../helpers/lip.js';
import { useUpstreams } from '../helpers/upstreams.js';
import { httpRequest } from '../helpers/sse-client.js';
import { openaiRejection as rejection } from '../helpers/openai-errors.js';

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-0123456789ab';

/** Every event of a stream the SDK reads. */
async function eventsOf(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** Opens a streamed create, reads until `until` has come, then leaves (the connection is closed); the text read. */
async function readThenLeave(url: string, body: unknown, until: string): Promise<string> {
  const controller = new AbortController();
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}` }, signal: controller.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes(until)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended before ${until}`);
    text += decoder.decode(value, { stream: true });
  }
  controller.abort();
  await reader.cancel().catch(() => undefined);
  return text;
}

/** The events of an SSE text, parsed (`data:` lines of frames that carry JSON). */
function framesOf(text: string): ResponseStreamEvent[] {
  return text.split('\n\n').flatMap((frame) => {
    const data = frame.split('\n').find((line) => line.startsWith('data: '));
    return data === undefined ? [] : [JSON.parse(data.slice(6)) as ResponseStreamEvent];
  });
}

/**
 * OpenAI background mode (`background: true`) through the official SDK: the create answers at
 * once (`queued`), the response runs detached from its request against an emulated Chat
 * Completions upstream, is polled, cancelled by id with the API key alone, and a streamed one
 * survives its client leaving and is resumed with `starting_after`.
 */
describe('e2e: background responses (OpenAI background mode)', () => {
  const up = useUpstreams({ up: { kind: 'openai-chat' } }, `auth: { api_keys: [ { id: alice, key: "${ALICE}" }, { id: bob, key: "${BOB}" } ] }
routing: { unknown_model: reject }`);
  const upstream = () => up.emulators.up!;
  let client: OpenAI | undefined;
  const alice = () => (client ??= new OpenAI({ baseURL: `${up.lip().url}/v1`, apiKey: ALICE, maxRetries: 0 }));

  it('a create answers queued at once; polling shows it completed with the upstream\'s answer, stored as any response', async () => {
    upstream().enqueue({ text: ['Otters ', 'float.'], usage: { input: 9, output: 4 } });
    const created = await alice().responses.create({ model: 'up:m', input: 'Tell me about otters.', background: true, metadata: { job: '7' } });
    expect(created).to.deep.include({ object: 'response', status: 'queued', background: true, store: true, output: [], completed_at: null, metadata: { job: '7' } });
    const done = await settled(alice(), created.id);
    expect(done).to.deep.include({ id: created.id, status: 'completed', background: true, error: null, created_at: created.created_at });
    expect(done.output_text).to.equal('Otters float.');
    expect(done.usage).to.deep.include({ input_tokens: 9, output_tokens: 4 });
    expect(upstream().requests).to.have.length(1);
    // Stored: its input items are listed, and a later turn continues from it.
    expect((await alice().responses.inputItems.list(created.id)).data).to.have.length(1);
    upstream().enqueue({ text: 'They hold hands.' });
    const next = await alice().responses.create({ model: 'up:m', previous_response_id: created.id, input: 'And?' });
    expect(next.output_text).to.equal('They hold hands.');
    const history = (upstream().requests[1]!.body as { messages: { role: string; content: unknown }[] }).messages;
    expect(history.map((m) => m.role)).to.deep.equal(['user', 'assistant', 'user']);
    expect(JSON.stringify(history[1]!.content)).to.contain('Otters float.');
  });

  it('a streamed one streams as created (queued first, sequence numbers from 0), and is streamed again after it ended from starting_after', async () => {
    upstream().enqueue({ text: ['One ', 'two ', 'three.'] });
    const events = await eventsOf(await alice().responses.create({ model: 'up:m', input: 'Count.', background: true, stream: true }));
    expect(events.map((e) => e.sequence_number)).to.deep.equal(events.map((_, i) => i));
    expect(events[0]).to.deep.include({ type: 'response.created' });
    expect((events[0] as { response: Response }).response).to.deep.include({ status: 'queued', background: true });
    expect(events.at(-1)!.type).to.equal('response.completed');
    const id = (events[0] as { response: Response }).response.id;
    const again = await eventsOf(await alice().responses.retrieve(id, { stream: true, starting_after: 3 }));
    expect(again).to.deep.equal(events.slice(4));
    const whole = await eventsOf(await alice().responses.retrieve(id, { stream: true }));
    expect(whole).to.deep.equal(events);
    expect((await alice().responses.retrieve(id)).output_text).to.equal('One two three.');
    // The SDK's own resume helper (responses.stream with response_id) reads the same.
    expect((await alice().responses.stream({ response_id: id }).finalResponse()).output_text).to.equal('One two three.');
  });

  it('a streamed one goes on when its client leaves; resumed after the last sequence number read, the two parts are the whole stream', async () => {
    upstream().enqueue({ text: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], dripMs: 40 });
    const head = await readThenLeave(`${up.lip().url}/v1/responses`, { model: 'up:m', input: 'Letters.', background: true, stream: true }, 'response.output_text.delta');
    const first = framesOf(head.slice(0, head.lastIndexOf('\n\n') + 2));
    const id = (first[0] as unknown as { response: Response }).response.id;
    const last = first.at(-1)!.sequence_number;
    const rest = await eventsOf(await alice().responses.retrieve(id, { stream: true, starting_after: last }));
    const all = [...first, ...rest];
    expect(all.map((e) => e.sequence_number)).to.deep.equal(all.map((_, i) => i));
    expect(all.at(-1)!.type).to.equal('response.completed');
    expect(all.filter((e) => e.type === 'response.output_text.delta').map((e) => (e as { delta: string }).delta).join('')).to.equal('abcdefgh');
    // The upstream request was never cut: the client leaving did not cancel the run.
    expect(upstream().closes).to.deep.equal([]);
    expect((await settled(alice(), id)).output_text).to.equal('abcdefgh');
  });

  it('a cancel by id alone (the API key, no resume token) ends it: cancelled, the upstream closed; cancelling again answers the same; another key gets 404', async () => {
    upstream().enqueue({ text: ['started ', 'never'], fault: { stall: 'after_output' } });
    const closed = upstream().nextClose();
    const created = await alice().responses.create({ model: 'up:m', input: 'Long job.', background: true });
    for (let i = 0; i < 500 && upstream().requests.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    const running = await alice().responses.retrieve(created.id);
    expect(running.status).to.be.oneOf(['queued', 'in_progress']);
    // Its input items are listed while it runs, as they will be once it is stored.
    const listed = (await alice().responses.inputItems.list(created.id)).data;
    expect(listed.map((item) => item.type)).to.deep.equal(['message']);
    expect(JSON.stringify(listed[0])).to.contain('Long job.');
    const bob = new OpenAI({ baseURL: `${up.lip().url}/v1`, apiKey: BOB, maxRetries: 0 });
    expect((await rejection(bob.responses.cancel(created.id))).status).to.be.oneOf([401, 404]);
    const cancelled = await alice().responses.cancel(created.id);
    expect(cancelled).to.deep.include({ id: created.id, status: 'cancelled', background: true });
    await closed;
    const stored = await settled(alice(), created.id);
    // OpenAI's cancelled Response has no error (the stream's response.failed says why: see below).
    expect(stored).to.deep.include({ status: 'cancelled', completed_at: null, error: null });
    const again = await alice().responses.cancel(created.id);
    expect(again).to.deep.include({ id: created.id, status: 'cancelled' });
    expect((await alice().responses.inputItems.list(created.id)).data).to.deep.equal(listed);
    expect((await rejection(bob.responses.retrieve(created.id))).status).to.equal(404);
  });

  it('cut off, it shows the same everywhere: the cancel\'s answer, its stream\'s response.failed and a retrieval carry the output so far, the message it ended in incomplete; cancelled with no error, failed with it', async () => {
    for (const ending of ['cancelled', 'failed'] as const) {
      upstream().enqueue({ text: ['started ', 'never'], fault: ending === 'cancelled' ? { stall: 'after_output' } : { reset: 'after_output' } });
      const closed = ending === 'cancelled' ? upstream().nextClose() : undefined;
      const events: ResponseStreamEvent[] = [];
      let cancel: Promise<Response> | undefined;
      const read = (async () => {
        for await (const event of await alice().responses.create({ model: 'up:m', input: 'Long job.', background: true, stream: true })) {
          events.push(event);
          if (ending === 'cancelled' && event.type === 'response.output_text.delta' && cancel === undefined) cancel = alice().responses.cancel((events[0] as { response: Response }).response.id);
        }
      })().then(() => undefined, (err: unknown) => err as Error);
      expect((await read)?.message).to.be.a('string');
      await closed;
      const id = (events[0] as { response: Response }).response.id;
      const failed = events.find((e) => e.type === 'response.failed') as { response: Response } | undefined;
      expect(failed, `the stream of a ${ending} response ends with response.failed`).to.not.equal(undefined);
      const retrieved = await settled(alice(), id);
      expect(retrieved.status).to.equal(ending);
      expect(retrieved.output.map((item) => [item.type, (item as { status?: string }).status])).to.deep.equal([['message', 'incomplete']]);
      expect(JSON.stringify(retrieved.output)).to.contain('started');
      expect(retrieved.output).to.deep.equal(failed!.response.output);
      if (ending === 'cancelled') {
        const answered = await cancel!;
        expect(answered).to.deep.include({ id, status: 'cancelled', error: null });
        expect(answered.output).to.deep.equal(retrieved.output);
        expect(retrieved.error).to.equal(null);
        expect((await alice().responses.cancel(id)).output).to.deep.equal(retrieved.output);
      } else {
        expect(retrieved.error).to.not.equal(null);
      }
    }
  });

  it('an upstream failure ends it failed, with the error; the stream of a streamed one ends with response.failed', async () => {
    upstream().enqueue({ status: 400, error: { message: 'the prompt is not allowed', type: 'invalid_request_error' } });
    const created = await alice().responses.create({ model: 'up:m', input: 'x', background: true });
    const failed = await settled(alice(), created.id);
    expect(failed.status).to.equal('failed');
    expect(failed.error!.message).to.contain('the prompt is not allowed');
    upstream().enqueue({ status: 400, error: { message: 'the prompt is not allowed', type: 'invalid_request_error' } });
    // The SDK reads the stream's `error` event as the failure it is (it throws it).
    const events: ResponseStreamEvent[] = [];
    const thrown = await (async () => {
      for await (const event of await alice().responses.create({ model: 'up:m', input: 'x', background: true, stream: true })) events.push(event);
    })().then(() => undefined, (err: unknown) => err as Error);
    expect(thrown?.message).to.contain('the prompt is not allowed');
    expect(events.map((e) => e.type)).to.deep.equal(['response.created', 'response.in_progress', 'response.failed']);
    const id = (events[0] as { response: Response }).response.id;
    expect((await settled(alice(), id)).status).to.equal('failed');
  });

  it('refusals: store false (400 background), a stream of one created without stream (400 stream), continuing one still running (400), an unknown id (404)', async () => {
    const unstored = await rejection(alice().responses.create({ model: 'up:m', input: 'x', background: true, store: false }));
    expect([unstored.status, (unstored.error as { param: string }).param]).to.deep.equal([400, 'background']);

    // A route that cannot be resolved fails the create itself, as it fails a request that runs in it: no response is made.
    const unrouted = await rejection(alice().responses.create({ model: 'nowhere:m', input: 'x', background: true }));
    const inRequest = await rejection(alice().responses.create({ model: 'nowhere:m', input: 'x' }));
    expect([unrouted.status, (unrouted.error as { code: string }).code]).to.deep.equal([inRequest.status, (inRequest.error as { code: string }).code]);
    expect(unrouted.status).to.be.within(400, 499);
    for (const stream of [true, false]) {
      const failed = await rejection(alice().responses.create({ model: 'nowhere:m', input: 'x', background: true, stream }));
      expect(failed.status).to.equal(inRequest.status);
    }

    upstream().enqueue({ text: 'done' });
    const plain = await alice().responses.create({ model: 'up:m', input: 'x', background: true });
    await settled(alice(), plain.id);
    const noStream = await rejection(alice().responses.retrieve(plain.id, { stream: true }));
    expect([noStream.status, (noStream.error as { param: string }).param]).to.deep.equal([400, 'stream']);
    expect(noStream.message).to.contain('only a background response created with stream: true');
    const unknown = await rejection(alice().responses.retrieve(`resp_${'x'.repeat(48)}`, { stream: true }));
    expect(unknown.status).to.equal(404);
    const badCursor = await httpRequest(`${up.lip().url}/v1/responses/${plain.id}?stream=true&starting_after=-2`, { method: 'GET', headers: { authorization: `Bearer ${ALICE}` } });
    expect([badCursor.status, JSON.parse(badCursor.body).error.param]).to.deep.equal([400, 'starting_after']);

    upstream().enqueue({ text: ['started ', 'never'], fault: { stall: 'after_output' } });
    const closed = upstream().nextClose();
    const running = await alice().responses.create({ model: 'up:m', input: 'x', background: true });
    const early = await rejection(alice().responses.create({ model: 'up:m', previous_response_id: running.id, input: 'next' }));
    expect([early.status, (early.error as { param: string }).param]).to.deep.equal([400, 'previous_response_id']);
    expect(early.message).to.contain('is still running in the background');
    await alice().responses.cancel(running.id);
    await closed;
  });

  it('one that ended cancelled or failed is not continued: previous_response_id naming it is a 400, and nothing reaches the upstream', async () => {
    upstream().enqueue({ text: ['cut ', 'off'], fault: { stall: 'after_output' } });
    const closed = upstream().nextClose();
    const cancelled = await alice().responses.create({ model: 'up:m', input: 'Long job.', background: true });
    for (let i = 0; i < 500 && upstream().requests.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    await alice().responses.cancel(cancelled.id);
    await closed;
    expect((await settled(alice(), cancelled.id)).status).to.equal('cancelled');
    upstream().enqueue({ status: 400, error: { message: 'the prompt is not allowed', type: 'invalid_request_error' } });
    const failed = await alice().responses.create({ model: 'up:m', input: 'x', background: true });
    expect((await settled(alice(), failed.id)).status).to.equal('failed');
    const requests = upstream().requests.length;
    for (const [ended, status] of [[cancelled, 'cancelled'], [failed, 'failed']] as const) {
      for (const stream of [false, true]) {
        const err = await rejection(alice().responses.create({ model: 'up:m', previous_response_id: ended.id, input: 'next', stream }));
        expect([err.status, (err.error as { param: string }).param, (err.error as { type: string }).type]).to.deep.equal([400, 'previous_response_id', 'invalid_request_error']);
        expect(err.message).to.contain(`Response with id '${ended.id}' ended with status ${status} and cannot be continued`);
      }
    }
    expect(upstream().requests).to.have.length(requests);
  });

  it('a background turn of a conversation is added to it once completed; the next turn sees it', async () => {
    const conversation = await alice().conversations.create({});
    upstream().enqueue({ text: 'Noted in the background.' });
    const created = await alice().responses.create({ model: 'up:m', input: 'Remember 42.', conversation: conversation.id, background: true });
    expect(created).to.deep.include({ status: 'queued', conversation: { id: conversation.id } });
    await settled(alice(), created.id);
    const items = (await alice().conversations.items.list(conversation.id, { order: 'asc' })).data;
    expect(items.map((item) => item.type)).to.deep.equal(['message', 'message']);
    upstream().enqueue({ text: '42.' });
    await alice().responses.create({ model: 'up:m', input: 'Which number?', conversation: conversation.id });
    const history = (upstream().requests[1]!.body as { messages: { role: string; content: unknown }[] }).messages;
    expect(history.map((m) => m.role)).to.deep.equal(['user', 'assistant', 'user']);
    expect(JSON.stringify(history[1]!.content)).to.contain('Noted in the background.');
  });

  it('a WebSocket turn refuses background (a background response is created over HTTP)', async () => {
    const { WebSocket } = await import('ws');
    const socket = new WebSocket(`${up.lip().url.replace('http', 'ws')}/v1/responses`, { headers: { authorization: `Bearer ${ALICE}` } });
    await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); });
    const message = new Promise<Record<string, any>>((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)))));
    socket.send(JSON.stringify({ type: 'response.create', model: 'up:m', input: 'x', background: true }));
    const error = await message;
    socket.close();
    expect(error).to.deep.include({ type: 'error', status: 400 });
    expect(error.error).to.deep.include({ param: 'background' });
  });
});

describe('e2e: a background response holds its request\'s admission while it runs', () => {
  const up = useUpstreams({ up: { kind: 'openai-chat' } }, 'server: { max_concurrent_requests: 1 }');

  it('with max_concurrent_requests: 1, a running background response makes the next request 429; once it ends, requests are served', async () => {
    up.emulators.up!.enqueue({ text: ['started ', 'never'], fault: { stall: 'after_output' } });
    const closed = up.emulators.up!.nextClose();
    const created = await up.openai().responses.create({ model: 'up:m', input: 'Long job.', background: true });
    const busy = await rejection(up.openai().responses.create({ model: 'up:m', input: 'x' }));
    expect([busy.status, (busy.error as { code: string }).code]).to.deep.equal([429, 'LIP_ERR_SERVER_OVERLOADED']);
    await up.openai().responses.cancel(created.id);
    await closed;
    await settled(up.openai(), created.id);
    up.emulators.up!.enqueue({ text: 'served' });
    let served: Response | undefined;
    // The run's admission is given back once its record is written, just after it shows cancelled.
    for (let i = 0; i < 200 && served === undefined; i++) {
      served = await up.openai().responses.create({ model: 'up:m', input: 'x' }).catch(() => undefined);
      if (served === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(served?.output_text).to.equal('served');
  });
});

describe('e2e: a background create refused by a request stage is the request\'s refusal', () => {
  const up = useUpstreams({ up: { kind: 'openai-chat' } }, 'features:\n  - { id: secrets-guard, config: { mode: block } }');

  it('secrets-guard in block mode: the create is the 400 a request gets (no response is made, no upstream request), streamed or not', async () => {
    const input = `deploy with sk-proj-${'a1B2c3D4'.repeat(6)}`;
    const inRequest = await rejection(up.openai().responses.create({ model: 'up:m', input }));
    expect(inRequest.status).to.equal(400);
    for (const stream of [false, true]) {
      const refused = await rejection(up.openai().responses.create({ model: 'up:m', input, background: true, stream }));
      expect([refused.status, (refused.error as { code: string }).code]).to.deep.equal([inRequest.status, (inRequest.error as { code: string }).code]);
    }
    expect(up.emulators.up!.requests).to.have.length(0);
  });
});

describe('e2e: server.max_background_responses bounds the background responses running at once', () => {
  const up = useUpstreams({ up: { kind: 'openai-chat' } }, 'server: { max_background_responses: 1 }\nobservability: { metrics: { enabled: true } }');
  const gauge = async (state: string) => {
    const body = (await httpRequest(`${up.lip().url}/metrics`, { method: 'GET' })).body;
    return Number(new RegExp(`^lip_background_responses\\{state="${state}"\\} (\\d+)$`, 'm').exec(body)?.[1]);
  };

  it('beyond it a create is a 429 (Retry-After), other requests are served; once one ended another starts; 0 refuses background', async () => {
    const upstream = up.emulators.up!;
    upstream.enqueue({ text: ['started ', 'never'], fault: { stall: 'after_output' } });
    const closed = upstream.nextClose();
    const first = await up.openai().responses.create({ model: 'up:m', input: 'Long job.', background: true });
    expect(await gauge('running')).to.equal(1);
    const over = await rejection(up.openai().responses.create({ model: 'up:m', input: 'Another.', background: true }));
    expect([over.status, (over.error as { code: string }).code, over.headers?.get('retry-after')]).to.deep.equal([429, 'LIP_ERR_SERVER_OVERLOADED', '1']);
    expect(over.message).to.contain('limit of 1 background responses');
    upstream.enqueue({ text: 'served' });
    expect((await up.openai().responses.create({ model: 'up:m', input: 'x' })).output_text).to.equal('served');
    await up.openai().responses.cancel(first.id);
    await closed;
    await settled(up.openai(), first.id);
    upstream.enqueue({ text: 'next' });
    let second: Response | undefined;
    for (let i = 0; i < 200 && second === undefined; i++) {
      second = await up.openai().responses.create({ model: 'up:m', input: 'Another.', background: true }).catch(() => undefined);
      if (second === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await settled(up.openai(), second!.id)).output_text).to.equal('next');
    // Both ended; neither was streamed, so no stream is kept.
    expect([await gauge('running'), await gauge('kept')]).to.deep.equal([0, 0]);
    upstream.enqueue({ text: 'streamed' });
    for await (const _ of await up.openai().responses.create({ model: 'up:m', input: 'x', background: true, stream: true })) { /* read it all */ }
    for (let i = 0; i < 200 && await gauge('running') > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect([await gauge('running'), await gauge('kept')]).to.deep.equal([0, 1]);
    // Reloaded with 0: background responses are switched off.
    const config = up.lip().server.config;
    await up.lip().server.reload(createRuntime({ ...config, server: { ...config.server, max_background_responses: 0 } }));
    const off = await rejection(up.openai().responses.create({ model: 'up:m', input: 'x', background: true }));
    expect([off.status, (off.error as { param: string }).param]).to.deep.equal([400, 'background']);
    expect(off.message).to.contain('switched off');
  });
});

describe('e2e: a background response\'s request is logged once its run has ended', () => {
  let upstream: Emulator;
  before(async () => { upstream = await startOpenAIChatEmulator(); });
  after(() => upstream?.close());

  it('its access-log line is written when the run ends, not before, with its attempts, ending, backend and tokens', async () => {
    const lip = await startLip(testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "k-0123456789" }`, 'logging: { access_log: true }'));
    try {
      const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
      const lines = () => lip.logs.filter((l) => l.message === 'request' && l.route === '/v1/responses' && l.method === 'POST');
      const until = async (count: number) => {
        for (let i = 0; i < 500 && lines().length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
        return lines();
      };
      // A run that cannot end by itself: answered, and not logged while it runs.
      upstream.enqueue({ text: ['started ', 'never'], fault: { stall: 'after_output' } });
      const closed = upstream.nextClose();
      const stalled = await client.responses.create({ model: 'up:m', input: 'x', background: true });
      for (let i = 0; i < 500 && upstream.requests.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      expect((await client.responses.retrieve(stalled.id)).status).to.be.oneOf(['queued', 'in_progress']);
      expect(lines()).to.deep.equal([]);
      await client.responses.cancel(stalled.id);
      await closed;
      expect((await until(1))[0]).to.deep.include({ status: 200, error: 'LIP_ERR_REQUEST_CANCELLED', attempts: 1, stream: false });
      // One that completes: its tokens.
      upstream.enqueue({ text: ['Slow ', 'answer.'], usage: { input: 11, output: 6 } });
      const created = await client.responses.create({ model: 'up:m', input: 'x', background: true });
      await settled(client, created.id);
      expect((await until(2))[1]).to.deep.include({ status: 200, backend: 'up:m', input_tokens: 11, output_tokens: 6, stream: false });
    } finally {
      await lip.close();
    }
  });
});

describe('e2e: a background response at shutdown', () => {
  let upstream: Emulator;
  let dir: string;
  before(async () => {
    upstream = await startOpenAIChatEmulator();
    dir = mkdtempSync(join(tmpdir(), 'lip-background-'));
  });
  after(async () => {
    await upstream?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts as in flight: the shutdown waits for it, then ends it (the upstream closed) and stores it failed, as the next start shows', async () => {
    const config = testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "k-0123456789" }`,
      `continuity: { store: sqlite, sqlite_path: "${join(dir, 'lip.db')}" }`);
    const first = await startLip(config);
    upstream.enqueue({ text: ['started ', 'never'], fault: { stall: 'after_output' } });
    const closed = upstream.nextClose();
    const client = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: 'k', maxRetries: 0 });
    const created = await client(first.url).responses.create({ model: 'up:m', input: 'Long job.', background: true });
    for (let i = 0; i < 500 && upstream.requests.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await first.server.shutdown(200)).to.deep.equal({ cancelled: 1 });
    await closed;
    const second = await startLip(config);
    try {
      const stored = await client(second.url).responses.retrieve(created.id);
      expect(stored).to.deep.include({ id: created.id, status: 'failed', background: true });
      expect(stored.error).to.deep.include({ code: 'LIP_ERR_SERVER_SHUTTING_DOWN' });
    } finally {
      await second.close();
    }
  });
});

describe('e2e: background responses on every HTTP backend kind', () => {
  const kinds = ['openai-chat', 'openai-responses', 'anthropic', 'gemini', 'custom-openresponses'] as const;
  const up = useUpstreams(Object.fromEntries(kinds.map((kind) => [kind.replace(/[^a-z]/g, ''), { kind }])));

  for (const kind of kinds) {
    const row = kind.replace(/[^a-z]/g, '');
    it(`${kind}: streamed in the background, resumed after it ended from any sequence number, retrieved completed with the upstream's text and usage`, async () => {
      up.emulators[row]!.enqueue({ text: ['The ', 'answer ', 'is ', '42.'], usage: { input: 7, output: 5 } });
      const events = await eventsOf(await up.openai().responses.create({ model: `${row}:m`, input: 'The answer?', background: true, stream: true }));
      expect(events.at(-1)!.type).to.equal('response.completed');
      const id = (events[0] as { response: Response }).response.id;
      for (const after of [0, 4, events.length - 2]) {
        expect(await eventsOf(await up.openai().responses.retrieve(id, { stream: true, starting_after: after }))).to.deep.equal(events.slice(after + 1));
      }
      const stored = await up.openai().responses.retrieve(id);
      expect(stored).to.deep.include({ status: 'completed', background: true });
      expect(stored.output_text).to.equal('The answer is 42.');
      expect(stored.usage).to.deep.include({ input_tokens: 7, output_tokens: 5 });
      // The stored object is the one the stream completed with.
      const completed = (events.at(-1) as { response: Response }).response;
      expect(JSON.parse(JSON.stringify(stored.output))).to.deep.equal(JSON.parse(JSON.stringify(completed.output)));
    });
  }
});
