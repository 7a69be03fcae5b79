import { expect } from 'chai';
import { collectEvents } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { cachedContentRoutes, MAX_CACHED_CONTENTS, resolveCachedContent } from '../../../lib/frontends/gemini/cached-contents.js';
import { decodeGenerateContent } from '../../../lib/frontends/gemini/decode-request.js';
import { createContinuityStore, type ContinuityStore } from '../../../lib/continuity/index.js';
import type { ResourceRoute, StoredResponses } from '../../../lib/frontends/protocol.js';
import { storedResponses } from '../../../lib/server/stored-responses.js';
import { later } from '../../helpers/moved-clock.js';

type Json = Record<string, any>;

/** The memory continuity store, as the server hands a principal's stored responses to the resource. */
let store: ContinuityStore;
const storeOf = (principal: string): StoredResponses => storedResponses(store, principal);

const routeOf = (method: string, path: string): ResourceRoute => cachedContentRoutes.find((r) => r.method === method && r.path === `/v1beta/cachedContents${path}`)!;
const call = (responses: StoredResponses, method: string, path: string, params: Json = {}, body?: unknown, query = '') =>
  routeOf(method, path).handle({ params, query: new URLSearchParams(query), body, responses, retentionMs: 86_400_000, headers: {}, origin: 'http://lip.test', maxFileBytes: 1_048_576 }) as Promise<Json>;
const idOf = (name: string) => name.slice('cachedContents/'.length);

async function rejected(promise: Promise<unknown>): Promise<LipError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).to.be.instanceOf(LipError);
  return err as LipError;
}


const CACHED = { contents: [{ role: 'user', parts: [{ text: 'The manual.' }] }, { role: 'model', parts: [{ text: 'Read.' }] }], systemInstruction: { parts: [{ text: 'Use it.' }] } };

describe('gemini cached contents', () => {
  beforeEach(() => {
    store = createContinuityStore({ store: 'memory', sqlite_path: './unused.db', ttl: 86_400_000, max_legs: 1_000 });
  });
  afterEach(() => store.close());

  describe('a request with its cached content in place (decode)', () => {
    it('puts the cached contents first, takes the cached system instruction, and marks the last cached block', () => {
      const { call: c } = decodeGenerateContent({ cachedContent: { name: 'cachedContents/x', ...CACHED }, contents: [{ role: 'user', parts: [{ text: 'Question?' }] }] }, 'm', false);
      expect(c.system).to.deep.equal([{ type: 'text', text: 'Use it.' }]);
      expect(c.messages.map((m) => [m.role, m.parts.map((p) => (p as Json).text).join(''), m.parts.map((p) => (p as Json).cache ?? null)])).to.deep.equal([
        ['user', 'The manual.', [null]], ['assistant', 'Read.', [{}]], ['user', 'Question?', [null]],
      ]);
    });

    it('a request that starts with a model turn joins the cached model turn, and only the cached part of it is marked', () => {
      const { call: c } = decodeGenerateContent({
        cachedContent: { name: 'cachedContents/x', ...CACHED },
        contents: [{ role: 'model', parts: [{ text: ' More.' }] }, { role: 'user', parts: [{ text: 'Q' }] }],
      }, 'm', false);
      expect(c.messages[1]!.parts.map((p) => [(p as Json).text, (p as Json).cache ?? null])).to.deep.equal([['Read.', {}], [' More.', null]]);
      expect(c.messages).to.have.length(3);
    });

    it('a cached content of a system instruction only marks the system instruction', () => {
      const { call: c } = decodeGenerateContent({ cachedContent: { name: 'cachedContents/x', systemInstruction: CACHED.systemInstruction }, contents: [{ parts: [{ text: 'Q' }] }] }, 'm', false);
      expect(c.system).to.deep.equal([{ type: 'text', text: 'Use it.', cache: {} }]);
      expect(c.messages[0]!.parts[0]).to.not.have.property('cache');
    });

    it('names an error where the client wrote it: the cached content\'s contents, or the request\'s own', () => {
      const bad = (cached: Json[], own: Json[]) => {
        try {
          decodeGenerateContent({ cachedContent: { name: 'cachedContents/x', contents: cached }, contents: own }, 'm', false);
        } catch (err) {
          return [(err as LipError).param, (err as LipError).message];
        }
        throw new Error('decoded');
      };
      const ok = { role: 'user', parts: [{ text: 'ok' }] };
      expect(bad([{ role: 'user', parts: [] }], [ok])).to.deep.equal(['cachedContent.contents[0].parts', 'cachedContent.contents[0].parts: must contain at least one part']);
      expect(bad([ok], [ok, { role: 'robot', parts: [{ text: 'x' }] }])).to.deep.equal(['contents[1].role', 'contents[1].role: must be "user" or "model" (got "robot")']);
    });

    it('refuses a request setting what the cached content holds, and a name that was never looked up', () => {
      for (const field of ['systemInstruction', 'tools', 'toolConfig']) {
        const value = field === 'tools' ? [] : field === 'toolConfig' ? {} : { parts: [{ text: 's' }] };
        expect(() => decodeGenerateContent({ cachedContent: { name: 'cachedContents/x', ...CACHED }, contents: [{ parts: [{ text: 'Q' }] }], [field]: value }, 'm', false))
          .to.throw(LipError, new RegExp(`^${field}: cannot be set in a request that names a cachedContent`));
      }
      expect(() => decodeGenerateContent({ cachedContent: 'cachedContents/x', contents: [{ parts: [{ text: 'Q' }] }] }, 'm', false)).to.throw(LipError, /^cachedContent: a cached content is looked up for/);
    });
  });

  describe('the resource, on a principal\'s stored responses', () => {
    it('keeps one list per principal, under an id no other principal\'s can be; a caller sees only theirs', async () => {
      const alice = storeOf('alice');
      const bob = storeOf('bob');
      const a = await call(alice, 'POST', '', {}, { model: 'models/m', ...CACHED });
      const b = await call(bob, 'POST', '', {}, { model: 'm', ...CACHED });
      expect(b.model).to.equal('models/m');
      expect((await call(alice, 'GET', '')).cachedContents.map((c: Json) => c.name)).to.deep.equal([a.name]);
      expect((await call(bob, 'GET', '')).cachedContents.map((c: Json) => c.name)).to.deep.equal([b.name]);
      expect((await rejected(call(bob, 'GET', '/{id}', { id: idOf(a.name) }))).status).to.equal(404);
    });

    it('an expired cached content is gone: not read, not used, not listed (the clock moved past its expireTime)', async () => {
      const alice = storeOf('alice');
      const c = await call(alice, 'POST', '', {}, { model: 'm', ttl: '60s', ...CACHED });
      const use = () => resolveCachedContent({ cachedContent: c.name, contents: [] }, alice, { model: 'm' })!;
      expect(((await use()) as Json).cachedContent.name).to.equal(c.name);
      await later(61_000, async () => {
        expect((await rejected(call(alice, 'GET', '/{id}', { id: idOf(c.name) }))).code).to.equal('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND');
        expect((await rejected(use())).param).to.equal('cachedContent');
        expect((await call(alice, 'GET', '')).cachedContents).to.deep.equal([]);
      });
      expect((await call(alice, 'GET', '/{id}', { id: idOf(c.name) })).name).to.equal(c.name);
    });

    it(`keeps at most ${MAX_CACHED_CONTENTS} live cached contents per caller; expired ones do not count`, async function () {
      this.timeout(20_000);
      const alice = storeOf('alice');
      for (let i = 0; i < MAX_CACHED_CONTENTS; i++) await call(alice, 'POST', '', {}, { model: 'm', ttl: '60s', systemInstruction: { parts: [{ text: 's' }] } });
      const err = await rejected(call(alice, 'POST', '', {}, { model: 'm', systemInstruction: { parts: [{ text: 's' }] } }));
      expect([err.code, err.message]).to.deep.equal(['LIP_ERR_REQUEST_LIMIT_EXCEEDED', `at most ${MAX_CACHED_CONTENTS} cached contents are kept for one caller; delete some, or let them expire`]);
      const made = await later(61_000, () => call(alice, 'POST', '', {}, { model: 'm', systemInstruction: { parts: [{ text: 's' }] } }));
      expect(made.name).to.match(/^cachedContents\//);
    });

    it('lists in pages of pageSize with a nextPageToken; a token of no entry is a 400', async () => {
      const alice = storeOf('alice');
      const names: string[] = [];
      for (let i = 0; i < 5; i++) names.push((await call(alice, 'POST', '', {}, { model: 'm', ...CACHED })).name);
      const pages: string[][] = [];
      let token = '';
      do {
        const page = await call(alice, 'GET', '', {}, undefined, `pageSize=2${token ? `&pageToken=${token}` : ''}`);
        pages.push(page.cachedContents.map((c: Json) => c.name));
        token = page.nextPageToken ?? '';
      } while (token !== '');
      expect(pages).to.deep.equal([names.slice(0, 2), names.slice(2, 4), names.slice(4)]);
      expect((await rejected(call(alice, 'GET', '', {}, undefined, 'pageToken=bm9wZQ'))).param).to.equal('pageToken');
      expect((await rejected(call(alice, 'GET', '', {}, undefined, 'pageSize=-1'))).param).to.equal('pageSize');
    });

    it('a record the store dropped is left out of the list (a full memory store drops the oldest)', async () => {
      const alice = storeOf('alice');
      const [a, b] = [await call(alice, 'POST', '', {}, { model: 'm', ...CACHED }), await call(alice, 'POST', '', {}, { model: 'm', ...CACHED })];
      await alice.delete(a.name); // as the memory store's byte budget drops a record: the list still names it
      expect((await call(alice, 'GET', '')).cachedContents.map((c: Json) => c.name)).to.deep.equal([b.name]);
    });

    it('an update changes ttl or expireTime only; updateMask may name them', async () => {
      const alice = storeOf('alice');
      const c = await call(alice, 'POST', '', {}, { model: 'm', ...CACHED });
      const id = { id: idOf(c.name) };
      const masked = await call(alice, 'PATCH', '/{id}', id, { ttl: '120s' }, 'updateMask=ttl');
      expect(Date.parse(masked.expireTime) - Date.parse(masked.updateTime)).to.equal(120_000);
      expect((await rejected(call(alice, 'PATCH', '/{id}', id, { ttl: '120s' }, 'updateMask=displayName'))).message).to.equal('updateMask: only ttl or expireTime can be updated (got "displayName")');
      expect((await rejected(call(alice, 'PATCH', '/{id}', id, {}))).message).to.equal('ttl: give the new ttl or expireTime');
      expect((await rejected(call(alice, 'PATCH', '/{id}', id, { ttl: '1s', expireTime: '2030-01-01T00:00:00Z' }))).message).to.equal('expireTime: give ttl or expireTime, not both');
      expect((await rejected(call(alice, 'PATCH', '/{id}', id, { expireTime: '2001-01-01T00:00:00Z' }))).message).to.equal('expireTime: must be in the future');
      expect((await rejected(call(alice, 'PATCH', '/{id}', id, { expireTime: 'tomorrow' }))).param).to.equal('expireTime');
    });

    it('create refuses a missing model, an unknown field, a long display name, a zero ttl', async () => {
      const alice = storeOf('alice');
      const message = async (body: Json) => (await rejected(call(alice, 'POST', '', {}, body))).message;
      expect(await message({ ...CACHED })).to.match(/^model: is required/);
      expect(await message({ model: 'm', ...CACHED, kmsKeyName: 'k' })).to.equal('kmsKeyName: is not a field of a cached content');
      expect(await message({ model: 'm', ...CACHED, displayName: 'x'.repeat(129) })).to.equal('displayName: is at most 128 characters');
      expect(await message({ model: 'm', ...CACHED, ttl: '0s' })).to.equal('ttl: must be positive');
      // snake_case as the REST reference writes it.
      const snake = await call(alice, 'POST', '', {}, { model: 'm', system_instruction: { parts: [{ text: 's' }] }, display_name: 'snake' });
      expect(snake.displayName).to.equal('snake');
    });

    it('a request naming no cached content is not looked up (no promise)', () => {
      const alice = storeOf('alice');
      expect(resolveCachedContent({ contents: [] }, alice, { model: 'm' })).to.equal(undefined);
      expect(resolveCachedContent([], alice)).to.equal(undefined);
      expect(resolveCachedContent({ cachedContent: '' }, alice)).to.equal(undefined);
    });

    it('what a resolved request records decodes again to the same call (a replay reads the recording)', async () => {
      const alice = storeOf('alice');
      const c = await call(alice, 'POST', '', {}, { model: 'm', ...CACHED });
      const resolved = await resolveCachedContent({ cached_content: c.name, contents: [{ parts: [{ text: 'Q' }] }] }, alice, { model: 'models/m' })!;
      const again = JSON.parse(JSON.stringify(resolved));
      expect(decodeGenerateContent(again, 'm', false)).to.deep.equal(decodeGenerateContent(resolved, 'm', false));
      expect(again).to.not.have.property('cached_content');
    });
  });

  it('the record keeps nothing generated (no input or output of its own), and is no Responses response', async () => {
    const alice = storeOf('alice');
    const c = await call(alice, 'POST', '', {}, { model: 'm', ...CACHED });
    const row = await alice.load(c.name);
    expect([row.input, row.output]).to.deep.equal([[], collectEvents([])]);
  });
});
