import { expect } from 'chai';
import fc from 'fast-check';
import { collectEvents } from '../../lib/canonical/index.js';
import { createContinuityStore, type ContinuityStore } from '../../lib/continuity/index.js';
import { decodeChatRequest } from '../../lib/frontends/openai-chat/decode-request.js';
import { listStoredCompletion, storedCompletionRoutes, storedContinuation } from '../../lib/frontends/openai-chat/stored-completions.js';
import type { ResourceRoute, StoredResponses } from '../../lib/frontends/protocol.js';
import { storedResponses } from '../../lib/server/stored-responses.js';
import { randomId } from '../../lib/wire/ids.js';
import { expectLipError } from './expect-lip-error.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { hostileText } from './json-mutations.js';

type Json = Record<string, any>;

let store: ContinuityStore;
let principals = 0;
const TTL = 86_400_000;

const route = (method: ResourceRoute['method'], path: string) => storedCompletionRoutes.find((r) => r.method === method && r.path === path)!;
const LIST = route('GET', '/v1/chat/completions');
const UPDATE = route('POST', '/v1/chat/completions/{completion_id}');
const DELETE = route('DELETE', '/v1/chat/completions/{completion_id}');
const MESSAGES = route('GET', '/v1/chat/completions/{completion_id}/messages');

const ask = (r: ResourceRoute, responses: StoredResponses, o: { id?: string; query?: string; body?: unknown } = {}) => r.handle({
  params: o.id !== undefined ? { completion_id: o.id } : {}, query: new URLSearchParams(o.query ?? ''), body: o.body, headers: {},
  origin: 'http://lip.test', responses, retentionMs: TTL, maxFileBytes: 4_096,
}) as Promise<Json>;

/** A failure is a LipError the protocol can encode; anything else is a bug. */
async function answered<T>(run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (err) {
    expectLipError(err);
    return undefined;
  }
}

/** Stores a completion as the server does for `store: true` (the record, then its list entry). */
async function stored(responses: StoredResponses, model: string, metadata: Record<string, string>, messages: unknown[] = [{ role: 'user', content: 'hi' }]): Promise<string> {
  const id = randomId('chatcmpl-', 48);
  const echo = storedContinuation({ store: true, model, messages, metadata })!.echo!;
  responses.save({ id, model, input: [], output: collectEvents([{ type: 'text_delta', text: `answer ${id}` }, { type: 'done' }] as never), echo });
  await listStoredCompletion({ id, model, createdAt: Date.now(), echo }, responses, TTL);
  return id;
}

/** Every completion the list shows, following `after` as the SDK does. */
async function listAll(responses: StoredResponses, query: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await ask(LIST, responses, { query: `${query}&limit=37${after !== undefined ? `&after=${after}` : ''}` });
    ids.push(...(page.data as Json[]).map((c) => c.id as string));
    if (!page.has_more) return ids;
    after = page.last_id;
  }
}

type Op = { add: { model: string; tag: string; count: number } } | { update: { at: number; tag: string } } | { remove: { at: number } };
const op: fc.Arbitrary<Op> = fc.oneof(
  // Mostly one at a time, sometimes a run of them, so that a sequence crosses pages of 100.
  { weight: 8, arbitrary: fc.record({ model: fc.constantFrom('m1', 'm2'), tag: fc.constantFrom('a', 'b'), count: fc.oneof({ weight: 5, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 120 }) }) }).map((add) => ({ add })) },
  { weight: 1, arbitrary: fc.record({ at: fc.nat(), tag: fc.constantFrom('a', 'b', 'c') }).map((update) => ({ update })) },
  { weight: 1, arbitrary: fc.record({ at: fc.nat() }).map((remove) => ({ remove })) },
);

/**
 * Stored chat completions (lib/frontends/openai-chat/stored-completions.ts) on anything a
 * client can send: an answer or a LipError, never a throw of another kind; and the paged list
 * agrees with a plain model of it through any sequence of stores, updates and deletes.
 */
describe('fuzz: stored chat completions', function () {
  this.timeout(fuzzTimeout(60));
  beforeEach(() => {
    store = createContinuityStore({ store: 'memory', sqlite_path: './unused.db', ttl: TTL, max_legs: 1_000 });
  });
  afterEach(() => store.close());

  it('list and messages queries, update bodies and ids of any shape answer a list, an object or a LipError', async () => {
    const responses = storedResponses(store, `fuzz-${++principals}`);
    const id = await stored(responses, 'm1', { k: 'v' }, [{ role: 'user', content: [{ type: 'text', text: 'x' }] }, { role: 'assistant', content: null, tool_calls: [] }]);
    const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom('limit', 'order', 'after', 'model', 'metadata[k]', 'metadata['), hostileText), fc.oneof(fc.constantFrom('0', '1', '100', '101', 'asc', 'desc', id, `${id}-0`), hostileText)), { maxLength: 4 })
      .map((pairs) => new URLSearchParams(pairs).toString());
    const someId = fc.oneof(fc.constant(id), fc.constant(`${id}x`), hostileText);
    await fc.assert(fc.asyncProperty(query, someId, fc.jsonValue(), async (q, target, body) => {
      const list = await answered(() => ask(LIST, responses, { query: q }));
      if (list !== undefined) expect(list.object).to.equal('list');
      const messages = await answered(() => ask(MESSAGES, responses, { id: target, query: q }));
      if (messages !== undefined) expect(messages.data).to.be.an('array');
      const updated = await answered(() => ask(UPDATE, responses, { id: target, body }));
      if (updated !== undefined) expect(updated.id).to.equal(id);
    }), fuzzParameters());
  });

  it('a chat request with store: true and metadata of any shape decodes (its continuation keeps the metadata) or is refused with a LipError', () => {
    const metadata = fc.oneof(fc.jsonValue(), fc.dictionary(fc.oneof(fc.string({ maxLength: 70 }), hostileText), fc.oneof(fc.string({ maxLength: 600 }), fc.integer(), fc.constant(null)), { maxKeys: 20 }));
    fc.assert(fc.property(metadata, fc.jsonValue(), (meta, user) => {
      let decoded: ReturnType<typeof decodeChatRequest>;
      try {
        decoded = decodeChatRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }], store: true, metadata: meta, user });
      } catch (err) {
        expectLipError(err);
        return;
      }
      const record = decoded.continuation?.echo?.chat_completion as { metadata: unknown } | undefined;
      expect(decoded.continuation?.store).to.equal(true);
      expect(record?.metadata).to.deep.equal(meta ?? {});
    }), fuzzParameters());
  });

  it('the list matches a model of it through any sequence of stores, updates and deletes (across pages of 100)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40, size: 'max' }), async (ops) => {
      const responses = storedResponses(store, `fuzz-${++principals}`);
      const model: { id: string; model: string; tag: string }[] = [];
      for (const o of ops) {
        if ('add' in o) {
          for (let i = 0; i < o.add.count; i++) model.push({ id: await stored(responses, o.add.model, { tag: o.add.tag }), model: o.add.model, tag: o.add.tag });
        }
        else if (model.length === 0) continue;
        else if ('update' in o) {
          const entry = model[o.update.at % model.length]!;
          await ask(UPDATE, responses, { id: entry.id, body: { metadata: { tag: o.update.tag } } });
          entry.tag = o.update.tag;
        } else {
          const [gone] = model.splice(o.remove.at % model.length, 1);
          expect((await ask(DELETE, responses, { id: gone!.id })).deleted).to.equal(true);
        }
      }
      expect(await listAll(responses, 'order=asc')).to.deep.equal(model.map((e) => e.id));
      expect(await listAll(responses, 'order=desc')).to.deep.equal(model.map((e) => e.id).reverse());
      expect(await listAll(responses, 'model=m2&metadata[tag]=b')).to.deep.equal(model.filter((e) => e.model === 'm2' && e.tag === 'b').map((e) => e.id));
    }), fuzzParameters(0.1));
  });
});
