import { expect } from 'chai';
import fc from 'fast-check';
import { createContinuityStore, type ContinuityStore } from '../../lib/continuity/index.js';
import { cachedContentRoutes, resolveCachedContent } from '../../lib/frontends/gemini/cached-contents.js';
import { decodeGenerateContent } from '../../lib/frontends/gemini/decode-request.js';
import type { StoredResponses } from '../../lib/frontends/protocol.js';
import { storedResponses } from '../../lib/server/stored-responses.js';
import { parseJson } from '../../lib/wire/json-body.js';
import { expectLipError } from './expect-lip-error.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { hostileText, mutatedJsonText } from './json-mutations.js';

type Json = Record<string, any>;

/** A principal's stored responses on the memory continuity store, as the server hands them to the resource. */
let store: ContinuityStore;
let principals = 0;
/** Each run its own caller (a caller keeps at most 1,000 cached contents). */
const memoryResponses = (): StoredResponses => storedResponses(store, `fuzz-${++principals}`);

const route = (method: string, path: string) => cachedContentRoutes.find((r) => r.method === method && r.path === `/v1beta/cachedContents${path}`)!;
const handle = (responses: StoredResponses, method: string, path: string, body?: unknown, params: Json = {}, query = '') =>
  route(method, path).handle({ params, query: new URLSearchParams(query), body, responses, retentionMs: 86_400_000, headers: {}, origin: 'http://lip.test', maxFileBytes: 1_048_576 }) as Promise<Json>;

/** A failure is a LipError the protocol can encode; anything else is a bug. */
async function answered<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (err) {
    expectLipError(err);
    return undefined;
  }
}

const SEEDS: Json[] = [
  { model: 'models/m', displayName: 'manual', ttl: '600s', systemInstruction: { parts: [{ text: 'Use it.' }] }, contents: [{ role: 'user', parts: [{ text: 'The manual.' }] }, { role: 'model', parts: [{ text: 'Read.' }] }] },
  { model: 'm', expireTime: '2099-01-01T00:00:00Z', tools: [{ functionDeclarations: [{ name: 'f', parametersJsonSchema: { type: 'object' } }] }], toolConfig: { functionCallingConfig: { mode: 'ANY' } } },
  { model: 'm', system_instruction: { parts: [{ text: 's' }] }, display_name: 'snake', ttl: '1.5s' },
];

/**
 * Gemini's cachedContents resource and the lookup of a name, on any body a client can send: a
 * create, an update or a list answers the resource or a LipError, and whatever was made serves
 * a request (resolved, then decoded into a call) or refuses it with a LipError.
 */
describe('fuzz: Gemini cached contents (create, update, list, use)', function () {
  this.timeout(fuzzTimeout(30));
  beforeEach(() => {
    store = createContinuityStore({ store: 'memory', sqlite_path: './unused.db', ttl: 86_400_000, max_legs: 1_000 });
  });
  afterEach(() => store.close());

  it('answers mutated create bodies with a resource or a LipError; a made one resolves and decodes, or refuses with a LipError', async () => {
    await fc.assert(fc.asyncProperty(mutatedJsonText(SEEDS), fc.oneof(fc.constant('m'), hostileText), async (text, model) => {
      let body: unknown;
      try {
        body = parseJson(text.text);
      } catch (err) {
        expectLipError(err);
        return;
      }
      const responses = memoryResponses();
      const made = await answered(handle(responses, 'POST', '', body));
      if (made === undefined) return;
      expect(made.name).to.match(/^cachedContents\/[a-z0-9]{32}$/);
      expect(Date.parse(made.expireTime)).to.be.greaterThan(Date.parse(made.createTime) - 1);
      const resolved = await answered(resolveCachedContent({ cachedContent: made.name, contents: [{ role: 'user', parts: [{ text: 'Q' }] }] }, responses, { model })!);
      if (resolved === undefined) return;
      try {
        JSON.stringify(decodeGenerateContent(JSON.parse(JSON.stringify(resolved)), model, false).call);
      } catch (err) {
        expectLipError(err);
      }
    }), fuzzParameters(0.5));
  });

  it('answers random update bodies and list queries with a resource or a LipError', async () => {
    const responses = memoryResponses();
    const made = await handle(responses, 'POST', '', SEEDS[0]);
    const id = { id: made.name.slice('cachedContents/'.length) };
    const query = fc.oneof(fc.string({ maxLength: 40 }), fc.tuple(fc.string({ maxLength: 12 }), hostileText).map(([a, b]) => new URLSearchParams({ pageSize: a, pageToken: b, updateMask: b }).toString()));
    await fc.assert(fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), query, async (body, q) => {
      await answered(handle(responses, 'PATCH', '/{id}', body, id, q));
      const page = await answered(handle(responses, 'GET', '', undefined, {}, q));
      if (page !== undefined) expect(page.cachedContents).to.be.an('array');
    }), fuzzParameters(0.5));
  });
});
