import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { until } from '../helpers/batches.js';
import { redisPrefix, startLip, startLipsOnRedis, type RunningLip } from '../helpers/lip.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { httpRequest } from '../helpers/sse-client.js';
import { openaiRejection as rejection } from '../helpers/openai-errors.js';

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-0123456789ab';
const STORED_ID = /^chatcmpl-[A-Za-z0-9]{48}$/;

type Json = Record<string, any>;

async function all<T>(page: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of page) out.push(item);
  return out;
}

/**
 * OpenAI's stored Chat Completions through the official SDK (`store: true`, then
 * `chat.completions.retrieve`, `list`, `update`, `delete`, `messages.list`), held by lip whatever
 * backend answered (an OpenAI Chat upstream, an Anthropic one, localstub), per principal.
 */
describe('e2e: stored chat completions', function () {
  this.timeout(30_000);
  let chat: Emulator;
  let claude: Emulator;
  let lip: RunningLip;
  let alice: OpenAI;
  let bob: OpenAI;
  before(async () => {
    [chat, claude] = await Promise.all([startOpenAIChatEmulator(), startAnthropicEmulator()]);
    lip = await startLip(testConfig(`
  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }
  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789 }
  - { id: stub, kind: localstub, models: [stub-default] }
`, `auth: { api_keys: [ { id: alice, key: "${ALICE}" }, { id: bob, key: "${BOB}" } ] }`));
    alice = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 });
    bob = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: BOB, maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([chat?.close(), claude?.close()]);
  });
  beforeEach(() => {
    chat.reset();
    claude.reset();
  });

  it('store: true keeps the answer under its own id, on any backend: retrieve shows it with its metadata and request fields', async () => {
    claude.enqueue({ text: 'stored by claude', usage: { input: 9, output: 4 } });
    const made = await alice.chat.completions.create({
      model: 'an:claude-sonnet-4-6', messages: [{ role: 'user', content: 'keep this' }], store: true,
      metadata: { topic: 'evals', run: '7' }, temperature: 0.5, seed: 42,
    });
    expect(made.id).to.match(STORED_ID);
    const got = await alice.chat.completions.retrieve(made.id) as ChatCompletion & Json;
    expect(got).to.deep.include({ id: made.id, object: 'chat.completion', created: made.created, model: made.model });
    expect(got.choices).to.deep.equal(made.choices);
    expect(got.usage).to.deep.equal(made.usage);
    expect(got.choices[0]!.message.content).to.equal('stored by claude');
    expect(got).to.deep.include({ metadata: { topic: 'evals', run: '7' }, temperature: 0.5, seed: 42, top_p: null, tools: null, input_user: null });
  });

  it('a streamed completion with store: true is kept whole under the id its chunks carried', async () => {
    chat.enqueue({ text: ['one ', 'two ', 'three'], usage: { input: 5, output: 3 } });
    const stream = await alice.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'stream it' }], store: true, stream: true, stream_options: { include_usage: true } });
    const ids = new Set<string>();
    let text = '';
    for await (const chunk of stream) {
      ids.add(chunk.id);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(ids.size).to.equal(1);
    const [id] = [...ids];
    expect(id).to.match(STORED_ID);
    const got = await alice.chat.completions.retrieve(id!);
    expect(got.choices[0]!.message.content).to.equal(text).and.equal('one two three');
    expect(got.choices[0]!.finish_reason).to.equal('stop');
    expect(got.usage).to.include({ prompt_tokens: 5, completion_tokens: 3 });
  });

  it('a completion not stored (store absent or false) is a 404 by its id, in OpenAI\'s envelope', async () => {
    const plain = await alice.chat.completions.create({ model: 'stub:stub-default', messages: [{ role: 'user', content: 'not kept' }] });
    const err = await rejection(alice.chat.completions.retrieve(plain.id));
    expect(err).to.be.instanceOf(OpenAI.NotFoundError);
    expect(err.message).to.contain(`Chat completion with id '${plain.id}' not found`);
    expect((err.error as Json).code).to.equal('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND');
    const off = await alice.chat.completions.create({ model: 'stub:stub-default', messages: [{ role: 'user', content: 'not kept' }], store: false });
    expect((await rejection(alice.chat.completions.retrieve(off.id))).status).to.equal(404);
  });

  it('another principal sees none of them: retrieve, update, delete and messages are 404, the list is empty', async () => {
    const made = await alice.chat.completions.create({ model: 'stub:stub-default', messages: [{ role: 'user', content: 'mine' }], store: true });
    for (const call of [
      () => bob.chat.completions.retrieve(made.id), () => bob.chat.completions.update(made.id, { metadata: { x: 'y' } }),
      () => bob.chat.completions.delete(made.id), () => bob.chat.completions.messages.list(made.id),
    ]) expect((await rejection(call())).status).to.equal(404);
    expect((await bob.chat.completions.list()).data).to.deep.equal([]);
    expect((await alice.chat.completions.retrieve(made.id)).id).to.equal(made.id);
  });

  describe('list, update, messages, delete', () => {
    let carol: OpenAI;
    let ids: string[];
    before(async () => {
      // A principal of its own for this group: its list holds only what these tests store.
      await lip.close();
      lip = await startLip(testConfig(`
  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }
  - { id: stub, kind: localstub, models: [stub-default, other] }
`, `auth: { api_keys: [ { id: carol, key: "${ALICE}" } ] }`));
      carol = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 });
      ids = [];
      // 105: more than a page of the list (100), so that paging crosses pages.
      for (let i = 0; i < 105; i++) {
        const made = await carol.chat.completions.create({
          model: i % 2 === 0 ? 'stub:stub-default' : 'stub:other', messages: [{ role: 'user', content: `n${i}` }], store: true,
          metadata: { parity: i % 2 === 0 ? 'even' : 'odd', ...(i % 10 === 0 ? { tens: 'yes' } : {}) },
        });
        ids.push(made.id);
      }
    });

    it('lists oldest first by default and newest first with order=desc; the SDK pages through all of them with after', async () => {
      const first = await carol.chat.completions.list({ limit: 3 });
      expect(first.data.map((c) => c.id)).to.deep.equal(ids.slice(0, 3));
      const raw = first as unknown as { has_more: boolean; first_id: string; last_id: string };
      expect(raw.has_more).to.equal(true);
      expect(await all(carol.chat.completions.list({ limit: 40 })).then((cs) => cs.map((c) => c.id))).to.deep.equal(ids);
      expect(await all(carol.chat.completions.list({ limit: 100, order: 'desc' })).then((cs) => cs.map((c) => c.id))).to.deep.equal([...ids].reverse());
      const page = await carol.chat.completions.list({ limit: 2, after: ids[99]! });
      expect(page.data.map((c) => c.id)).to.deep.equal([ids[100], ids[101]]);
    });

    it('filters by model and by metadata[key]=value (several: all must match)', async () => {
      const others = await all(carol.chat.completions.list({ model: 'other', limit: 100 }));
      expect(others.map((c) => c.id)).to.deep.equal(ids.filter((_, i) => i % 2 === 1));
      expect(others.every((c) => c.model === 'other')).to.equal(true);
      const tens = await all(carol.chat.completions.list({ metadata: { parity: 'even', tens: 'yes' } }));
      expect(tens.map((c) => c.id)).to.deep.equal(ids.filter((_, i) => i % 10 === 0));
      expect((await carol.chat.completions.list({ metadata: { parity: 'odd', tens: 'yes' } })).data).to.deep.equal([]);
    });

    it('update replaces the metadata (retrieve and the list filters see it); any other field is a 400 naming it', async () => {
      const id = ids[3]!;
      const updated = await carol.chat.completions.update(id, { metadata: { parity: 'odd', label: 'golden' } }) as ChatCompletion & Json;
      expect(updated.id).to.equal(id);
      expect(updated.metadata).to.deep.equal({ parity: 'odd', label: 'golden' });
      expect((await carol.chat.completions.retrieve(id) as ChatCompletion & Json).metadata).to.deep.equal({ parity: 'odd', label: 'golden' });
      expect((await carol.chat.completions.list({ metadata: { label: 'golden' } })).data.map((c) => c.id)).to.deep.equal([id]);
      const bad = await rejection(carol.chat.completions.update(id, { metadata: { a: 'b' }, temperature: 1 } as never));
      expect([bad.status, (bad.error as Json).param]).to.deep.equal([400, 'temperature']);
      const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
      const tooMany = await rejection(carol.chat.completions.update(id, { metadata: many }));
      expect(tooMany.message).to.contain('metadata: at most 16 pairs (got 17)');
    });

    it('messages.list: the request\'s messages with ids {completion}-{index}, text and parts, paged and in either order', async () => {
      const made = await carol.chat.completions.create({
        model: 'stub:stub-default', store: true,
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'https://example.test/a.png' } }, { type: 'text', text: 'here' }] },
          { role: 'assistant', content: 'earlier answer' },
          { role: 'user', content: 'and now?', name: 'dana' },
        ],
      });
      const listed = await all(carol.chat.completions.messages.list(made.id, { limit: 3 }));
      expect(listed.map((m) => m.id)).to.deep.equal([0, 1, 2, 3].map((i) => `${made.id}-${i}`));
      expect(listed.map((m) => [m.role, m.content])).to.deep.equal([['system', 'be brief'], ['user', 'look\nhere'], ['assistant', 'earlier answer'], ['user', 'and now?']]);
      expect(listed[1]!.content_parts).to.deep.equal([{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'https://example.test/a.png' } }, { type: 'text', text: 'here' }]);
      expect([listed[0]!.content_parts, (listed[3] as Json).name]).to.deep.equal([null, 'dana']);
      const desc = await carol.chat.completions.messages.list(made.id, { order: 'desc', limit: 2 });
      expect(desc.data.map((m) => m.id)).to.deep.equal([`${made.id}-3`, `${made.id}-2`]);
    });

    it('delete answers chat.completion.deleted; then it is a 404 and gone from the list', async () => {
      const id = ids[50]!;
      expect(await carol.chat.completions.delete(id)).to.deep.equal({ object: 'chat.completion.deleted', id, deleted: true });
      expect((await rejection(carol.chat.completions.retrieve(id))).status).to.equal(404);
      expect((await rejection(carol.chat.completions.delete(id))).status).to.equal(404);
      const left = (await all(carol.chat.completions.list({ limit: 100 }))).map((c) => c.id);
      expect(left).to.not.include(id);
      expect(left).to.include(ids[49]).and.include(ids[51]);
    });

    it('bad list queries and bad metadata on create are 400s naming the parameter', async () => {
      for (const [query, param] of [['limit=0', 'limit'], ['limit=101', 'limit'], ['order=up', 'order']] as const) {
        const res = await fetch(`${lip.url}/v1/chat/completions?${query}`, { headers: { authorization: `Bearer ${ALICE}` } });
        expect(res.status).to.equal(400);
        expect(((await res.json()) as Json).error.param).to.equal(param);
      }
      const long = await rejection(carol.chat.completions.create({ model: 'stub:stub-default', messages: [{ role: 'user', content: 'x' }], store: true, metadata: { k: 'v'.repeat(513) } }));
      expect([long.status, (long.error as Json).param]).to.deep.equal([400, 'metadata.k']);
    });
  });
});

describe('e2e: stored chat completions on a shared or persistent store', function () {
  this.timeout(60_000);
  const stub = '  - { id: stub, kind: localstub, models: [stub-default] }';
  const keys = `auth: { api_keys: [ { id: alice, key: "${ALICE}" } ] }`;

  it('two instances on one Redis: stored on A (concurrently), retrieved, listed, updated and deleted on B', async function () {
    const redis: RedisServer = await requireRedisServer(this);
    const lips: RunningLip[] = [];
    try {
      lips.push(...await startLipsOnRedis(redis.url, redisPrefix('chat-stored'), stub, `${keys}\ncontinuity: { store: redis }`));
      for (const lip of lips) {
        await until(async () => {
          const res = await httpRequest(`${lip.url}/readyz`, { method: 'GET' });
          return res.status === 200 && (JSON.parse(res.body) as { checks: { continuity: { state: string } } }).checks.continuity.state === 'ok';
        }, `${lip.url} to be connected to Redis`);
      }
      const [a, b] = lips.map((lip) => new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 })) as [OpenAI, OpenAI];
      // Twelve at once: each is added to the list under the list's lock, none is lost.
      const made = await Promise.all(Array.from({ length: 12 }, (_, i) => a.chat.completions.create({ model: 'stub:stub-default', messages: [{ role: 'user', content: `r${i}` }], store: true, metadata: { i: String(i) } })));
      const listed = await all(b.chat.completions.list({ limit: 5 }));
      expect(listed.map((c) => c.id).sort()).to.deep.equal(made.map((c) => c.id).sort());
      expect((await b.chat.completions.retrieve(made[3]!.id)).choices[0]!.message.content).to.equal(made[3]!.choices[0]!.message.content);
      await b.chat.completions.update(made[3]!.id, { metadata: { i: 'three' } });
      expect((await a.chat.completions.list({ metadata: { i: 'three' } })).data.map((c) => c.id)).to.deep.equal([made[3]!.id]);
      await b.chat.completions.delete(made[4]!.id);
      expect((await rejection(a.chat.completions.retrieve(made[4]!.id))).status).to.equal(404);
      expect((await all(a.chat.completions.list())).length).to.equal(11);
    } finally {
      for (const lip of lips) await lip.close();
      await redis.close();
    }
  });

  it('on SQLite they are there after a restart: retrieved and listed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lip-chat-stored-'));
    const config = () => testConfig(stub, `${keys}\ncontinuity: { store: sqlite, sqlite_path: "${join(dir, 'lip.db')}" }`);
    let lip = await startLip(config());
    try {
      const client = () => new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 });
      const made = await client().chat.completions.create({ model: 'stub:stub-default', messages: [{ role: 'user', content: 'persist' }], store: true });
      await lip.close();
      lip = await startLip(config());
      expect((await client().chat.completions.retrieve(made.id)).choices[0]!.message.content).to.equal(made.choices[0]!.message.content);
      expect((await client().chat.completions.list()).data.map((c) => c.id)).to.deep.equal([made.id]);
      expect((await client().chat.completions.messages.list(made.id)).data.map((m) => m.content)).to.deep.equal(['persist']);
    } finally {
      await lip.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
