import { ApiError, GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-0123456789ab';
type Json = Record<string, any>;

const MANUAL = 'The manual. '.repeat(50);
const cacheConfig = (model: string, extra: Json = {}) => ({
  model,
  config: {
    displayName: 'manual',
    systemInstruction: 'Answer from the manual.',
    contents: [{ role: 'user', parts: [{ text: MANUAL }] }, { role: 'model', parts: [{ text: 'I have read it.' }] }],
    ...extra,
  },
});

async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).to.be.instanceOf(ApiError);
  return err as ApiError;
}

/** Where Google's error envelope puts the message, parsed from the SDK's error. */
const messageOf = (err: ApiError) => (JSON.parse(err.message) as Json).error.message as string;

/**
 * Gemini's context caching (`ai.caches`) through the official SDK against a real lip: cached
 * contents kept in the caller's stored responses (memory and SQLite here; across instances on
 * Redis: spec/e2e/continuity-redis.spec.ts), and requests naming one served by any backend with
 * the cached part in front, marked for the upstream's prompt cache.
 */
for (const store of ['memory', 'sqlite'] as const) {
  describe(`e2e: Gemini cached contents (${store} continuity)`, function () {
    this.timeout(20_000);
    let lip: RunningLip;
    let dir: string;
    let claude: Emulator;
    let gemini: Emulator;
    let chat: Emulator;
    let alice: GoogleGenAI;
    let bob: GoogleGenAI;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'lip-cached-contents-'));
      [claude, gemini, chat] = await Promise.all([startAnthropicEmulator(), startGeminiEmulator(), startOpenAIChatEmulator()]);
      lip = await startLip(testConfig(`
  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789 }
  - { id: gem, kind: gemini, base_url: "${gemini.url}", api_key: k-0123456789 }
  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }
`, `continuity: { store: ${store}, sqlite_path: "${join(dir, 'lip.db')}", ttl: 48h }
auth: { api_keys: [ { id: alice, key: "${ALICE}" }, { id: bob, key: "${BOB}" } ] }`));
      alice = new GoogleGenAI({ apiKey: ALICE, httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
      bob = new GoogleGenAI({ apiKey: BOB, httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
    });
    after(async () => {
      await lip?.close();
      await Promise.all([claude?.close(), gemini?.close(), chat?.close()]);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
      for (const emu of [claude, gemini, chat]) emu.reset();
    });

    it('creates, gets, updates and deletes a cached content as Google shows it (the cached fields are input only)', async () => {
      const before = Date.now();
      const created = await alice.caches.create(cacheConfig('an:claude-sonnet-4-6', { ttl: '600s' }));
      expect(created.name).to.match(/^cachedContents\/[a-z0-9]{32}$/);
      expect(created).to.include({ displayName: 'manual', model: 'models/an:claude-sonnet-4-6' });
      expect(Object.keys(created).sort()).to.deep.equal(['createTime', 'displayName', 'expireTime', 'model', 'name', 'updateTime', 'usageMetadata']);
      expect(created.usageMetadata!.totalTokenCount).to.be.greaterThan(100);
      const expires = Date.parse(created.expireTime!);
      expect(expires - Date.parse(created.createTime!)).to.equal(600_000);
      expect(Date.parse(created.createTime!)).to.be.at.least(before - 1000);
      expect(await alice.caches.get({ name: created.name! })).to.deep.equal(created);

      const updated = await alice.caches.update({ name: created.name!, config: { ttl: '7200s' } });
      expect(Date.parse(updated.expireTime!) - Date.parse(updated.updateTime!)).to.equal(7_200_000);
      expect(updated.createTime).to.equal(created.createTime);
      const at = new Date(Date.now() + 3_600_000).toISOString();
      const moved = await alice.caches.update({ name: created.name!, config: { expireTime: at } });
      expect(moved.expireTime).to.equal(at);
      expect((await alice.caches.get({ name: created.name! })).expireTime).to.equal(at);

      await alice.caches.delete({ name: created.name! });
      expect((await apiError(alice.caches.get({ name: created.name! }))).status).to.equal(404);
      expect((await apiError(alice.caches.delete({ name: created.name! }))).status).to.equal(404);
    });

    it('lists the caller\'s cached contents page by page (the SDK\'s pager), and only theirs', async () => {
      const names: string[] = [];
      for (let i = 0; i < 3; i++) names.push((await alice.caches.create(cacheConfig('oc:gpt-4o', { displayName: `c${i}` }))).name!);
      const other = await bob.caches.create(cacheConfig('oc:gpt-4o'));
      const seen: string[] = [];
      for await (const c of await alice.caches.list({ config: { pageSize: 2 } })) seen.push(c.name!);
      expect(seen.filter((n) => names.includes(n))).to.deep.equal(names);
      expect(seen).to.not.include(other.name);
      const first = await httpRequest(`${lip.url}/v1beta/cachedContents?pageSize=1`, { method: 'GET', headers: { 'x-goog-api-key': BOB } });
      expect(JSON.parse(first.body)).to.deep.equal({ cachedContents: [JSON.parse(JSON.stringify(other))] });
      for (const name of names) await alice.caches.delete({ name });
      const left: string[] = [];
      for await (const c of await alice.caches.list()) left.push(c.name!);
      expect(left.filter((n) => names.includes(n))).to.deep.equal([]);
      await bob.caches.delete({ name: other.name! });
    });

    it('another caller cannot read, use, update or delete a cached content (404, as for none)', async () => {
      const created = await alice.caches.create(cacheConfig('an:claude-sonnet-4-6'));
      for (const attempt of [
        bob.caches.get({ name: created.name! }),
        bob.caches.update({ name: created.name!, config: { ttl: '60s' } }),
        bob.caches.delete({ name: created.name! }),
        bob.models.generateContent({ model: 'an:claude-sonnet-4-6', contents: 'Hi', config: { cachedContent: created.name! } }),
      ]) {
        const err = await apiError(attempt);
        expect(err.status).to.equal(404);
        expect(messageOf(err)).to.contain(created.name!);
      }
      expect(claude.requests).to.have.length(0);
      expect((await alice.caches.get({ name: created.name! })).name).to.equal(created.name);
    });

    it('an Anthropic backend gets the cached system instruction and turns before the request\'s, the cached part marked for its prompt cache', async () => {
      const created = await alice.caches.create(cacheConfig('an:claude-sonnet-4-6'));
      claude.enqueue({ text: 'Section 2.' });
      const res = await alice.models.generateContent({ model: 'an:claude-sonnet-4-6', contents: 'Which section covers setup?', config: { cachedContent: created.name! } });
      expect(res.text).to.equal('Section 2.');
      const body = claude.requests[0]!.body as Json;
      expect(body.system).to.deep.equal([{ type: 'text', text: 'Answer from the manual.' }]);
      expect((body.messages as Json[]).map((m) => [m.role, m.content.map((c: Json) => c.text).join('')])).to.deep.equal([
        ['user', MANUAL], ['assistant', 'I have read it.'], ['user', 'Which section covers setup?'],
      ]);
      // One mark, on the last block of the cached part: Anthropic caches what Google would have.
      expect((body.messages as Json[])[1].content.at(-1).cache_control).to.deep.equal({ type: 'ephemeral' });
      const marks = JSON.stringify(body).match(/cache_control/g) ?? [];
      expect(marks).to.have.length(1);
    });

    it('a streamed request to an OpenAI Chat backend, and one to a Gemini backend, carry the cached part first', async () => {
      const created = await alice.caches.create(cacheConfig('oc:gpt-4o'));
      chat.enqueue({ text: 'Streamed answer.' });
      let text = '';
      for await (const chunk of await alice.models.generateContentStream({ model: 'oc:gpt-4o', contents: 'And teardown?', config: { cachedContent: created.name! } })) text += chunk.text ?? '';
      expect(text).to.equal('Streamed answer.');
      expect((chat.requests[0]!.body.messages as Json[]).map((m) => [m.role, typeof m.content === 'string' ? m.content : m.content.map((c: Json) => c.text).join('')])).to.deep.equal([
        ['system', 'Answer from the manual.'], ['user', MANUAL], ['assistant', 'I have read it.'], ['user', 'And teardown?'],
      ]);

      const forGemini = await alice.caches.create(cacheConfig('gem:gemini-2.5-flash'));
      gemini.enqueue({ text: 'From Gemini.' });
      const res = await alice.models.generateContent({ model: 'gem:gemini-2.5-flash', contents: 'Go on.', config: { cachedContent: forGemini.name! } });
      expect(res.text).to.equal('From Gemini.');
      const sent = gemini.requests[0]!.body as Json;
      expect(sent.systemInstruction.parts[0].text).to.equal('Answer from the manual.');
      expect((sent.contents as Json[]).map((c) => [c.role, c.parts[0].text])).to.deep.equal([['user', MANUAL], ['model', 'I have read it.'], ['user', 'Go on.']]);
      expect(sent.cachedContent).to.equal(undefined);
    });

    it('cached tools serve the request that names the cache: a function call comes back', async () => {
      const created = await alice.caches.create({
        model: 'an:claude-sonnet-4-6',
        config: { tools: [{ functionDeclarations: [{ name: 'lookup', description: 'Looks a section up', parametersJsonSchema: { type: 'object', properties: { q: { type: 'string' } } } }] }], toolConfig: { functionCallingConfig: { mode: 'ANY' as never } } },
      });
      claude.enqueue({ toolCalls: [{ name: 'lookup', args: '{"q":"setup"}' }] });
      const res = await alice.models.generateContent({ model: 'an:claude-sonnet-4-6', contents: 'Find setup.', config: { cachedContent: created.name! } });
      expect(res.functionCalls?.map((c) => [c.name, c.args])).to.deep.equal([['lookup', { q: 'setup' }]]);
      const body = claude.requests[0]!.body as Json;
      expect(body.tools.map((t: Json) => t.name)).to.deep.equal(['lookup']);
      expect(body.tool_choice).to.deep.equal({ type: 'any' });
      expect(body.tools[0].cache_control).to.deep.equal({ type: 'ephemeral' });
    });

    it('refuses what Google refuses: fields the cache holds, another model, a bad ttl, bad contents (each naming the field)', async () => {
      const created = await alice.caches.create(cacheConfig('an:claude-sonnet-4-6'));
      const own = await apiError(alice.models.generateContent({ model: 'an:claude-sonnet-4-6', contents: 'Hi', config: { cachedContent: created.name!, systemInstruction: 'Be terse.' } }));
      expect(own.status).to.equal(400);
      expect(messageOf(own)).to.match(/^systemInstruction: cannot be set in a request that names a cachedContent/);
      const model = await apiError(alice.models.generateContent({ model: 'oc:gpt-4o', contents: 'Hi', config: { cachedContent: created.name! } }));
      expect([model.status, messageOf(model)]).to.deep.equal([400, `cachedContent: was created for the model models/an:claude-sonnet-4-6; the request names oc:gpt-4o (a cached content serves the model it was made for)`]);
      const ttl = await apiError(alice.caches.create(cacheConfig('oc:gpt-4o', { ttl: '1h' })));
      expect([ttl.status, messageOf(ttl)]).to.deep.equal([400, 'ttl: must be a duration in seconds such as "3600s" (got "1h")']);
      const contents = await apiError(alice.caches.create({ model: 'oc:gpt-4o', config: { contents: [{ role: 'user', parts: [] }] } }));
      expect([contents.status, messageOf(contents)]).to.deep.equal([400, 'contents[0].parts: must contain at least one part']);
      const empty = await apiError(alice.caches.create({ model: 'oc:gpt-4o', config: { displayName: 'nothing' } }));
      expect(messageOf(empty)).to.match(/^contents: a cached content holds contents, a system instruction or tools/);
      expect(claude.requests.length + chat.requests.length).to.equal(0);
      // A request's own contents keep their own indices after the cached ones.
      const raw = await httpRequest(`${lip.url}/v1beta/models/an:claude-sonnet-4-6:generateContent`, {
        method: 'POST', headers: { 'x-goog-api-key': ALICE, 'content-type': 'application/json' },
        body: JSON.stringify({ cachedContent: created.name, contents: [{ role: 'user', parts: [{ text: 'ok' }] }, { role: 'user', parts: [] }] }),
      });
      expect([raw.status, JSON.parse(raw.body).error.message]).to.deep.equal([400, 'contents[1].parts: must contain at least one part']);
      const patch = await httpRequest(`${lip.url}/v1beta/${created.name}`, { method: 'PATCH', headers: { 'x-goog-api-key': ALICE, 'content-type': 'application/json' }, body: JSON.stringify({ contents: [] }) });
      expect([patch.status, JSON.parse(patch.body).error.message]).to.deep.equal([400, 'contents: only ttl or expireTime can be updated']);
    });

    it('countTokens of a whole request naming a cached content counts the cached part too', async () => {
      const created = await alice.caches.create(cacheConfig('gem:gemini-2.5-flash'));
      const count = (cached: boolean) => httpRequest(`${lip.url}/v1beta/models/gem:gemini-2.5-flash:countTokens`, {
        method: 'POST', headers: { 'x-goog-api-key': ALICE, 'content-type': 'application/json' },
        body: JSON.stringify({ generateContentRequest: { model: 'models/gem:gemini-2.5-flash', contents: [{ role: 'user', parts: [{ text: 'Hi' }] }], ...(cached ? { cachedContent: created.name } : {}) } }),
      });
      const [plain, withCache] = [await count(false), await count(true)];
      expect([plain.status, withCache.status]).to.deep.equal([200, 200]);
      const sent = gemini.requests.map((r) => r.body as Json);
      expect(sent).to.have.length(2);
      expect(JSON.stringify(sent[1])).to.contain('The manual.');
      expect(JSON.stringify(sent[0])).to.not.contain('The manual.');
      const missing = await httpRequest(`${lip.url}/v1beta/models/gem:gemini-2.5-flash:countTokens`, {
        method: 'POST', headers: { 'x-goog-api-key': ALICE, 'content-type': 'application/json' },
        body: JSON.stringify({ generateContentRequest: { contents: [{ parts: [{ text: 'Hi' }] }], cachedContent: 'cachedContents/unknown' } }),
      });
      expect([missing.status, JSON.parse(missing.body).error.message]).to.deep.equal([404, "CachedContent not found: 'cachedContents/unknown' (never created by this caller, deleted or expired)."]);
    });
  });
}

describe('e2e: Gemini cached contents live no longer than the continuity store keeps them', function () {
  this.timeout(20_000);
  let lip: RunningLip;
  let chat: Emulator;
  before(async () => {
    chat = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`, 'continuity: { ttl: 30m }'));
  });
  after(async () => {
    await lip?.close();
    await chat?.close();
  });

  it('an expireTime beyond continuity.ttl is cut to it, and shown so (default ttl one hour, cut too)', async () => {
    const google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
    const long = await google.caches.create(cacheConfig('oc:gpt-4o', { ttl: '86400s' }));
    expect(Date.parse(long.expireTime!) - Date.parse(long.createTime!)).to.equal(1_800_000);
    const byDefault = await google.caches.create(cacheConfig('oc:gpt-4o'));
    expect(Date.parse(byDefault.expireTime!) - Date.parse(byDefault.createTime!)).to.equal(1_800_000);
    const short = await google.caches.create(cacheConfig('oc:gpt-4o', { ttl: '60.5s' }));
    expect(Date.parse(short.expireTime!) - Date.parse(short.createTime!)).to.equal(60_500);
  });
});
