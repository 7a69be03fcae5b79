import { expect } from 'chai';
import fc from 'fast-check';
import { collectEvents } from '../../lib/canonical/index.js';
import { LipError } from '../../lib/errors/index.js';
import { decodeResponsesRequest, encodeInputItems } from '../../lib/frontends/openai-responses/index.js';
import { itemOwner } from '../../lib/frontends/openai-responses/item-ids.js';
import { resolveItemReferences } from '../../lib/frontends/openai-responses/item-references.js';
import type { StoredResponses, StoredResponseView } from '../../lib/frontends/protocol.js';
import { randomId } from '../../lib/wire/ids.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { hostileText } from './json-mutations.js';
import { SEED_REQUESTS } from './seed-requests.js';

/** The caller's stored responses, read through `load` alone (nothing else may be asked). */
const only = (load: StoredResponses['load']): StoredResponses => ({
  principal: 'local', load, chain: () => Promise.reject(new Error('not read')), save: () => { throw new Error('not kept'); }, delete: () => Promise.reject(new Error('not deleted')), tombstone: () => Promise.reject(new Error('not deleted')), exclusive: () => Promise.reject(new Error('not changed')),
});

type Json = Record<string, unknown>;

/** The seed Responses requests whose input decodes, each as a stored response of its own (its input, a short answer). */
const STORED: { readonly view: StoredResponseView; readonly items: readonly Json[]; readonly tools: unknown }[] = SEED_REQUESTS['openai-responses']!.flatMap((seed) => {
  const body = seed as Json;
  try {
    const decoded = decodeResponsesRequest({ ...body, stream: false });
    const input = decoded.continuation?.input ?? decoded.call.messages;
    const id = randomId('resp_', 48);
    const view: StoredResponseView = { id, previousResponseId: undefined, model: 'm', createdAt: 0, input, output: collectEvents([{ type: 'text_delta', text: 'ok' }, { type: 'response_finished', reason: 'stop' }]), echo: {} };
    // Items that keep an id the client wrote (a hosted tool's, a compaction's) name no response:
    // a reference to one is the documented 404 (the last property); the others resolve.
    const items = encodeInputItems(id, input).filter((item) => itemOwner(String(item.id)) === id);
    return items.length > 0 ? [{ view, items, tools: body.tools }] : [];
  } catch {
    return [];
  }
});

const lookup = async (id: string): Promise<StoredResponseView> => {
  const found = STORED.find((s) => s.view.id === id);
  if (!found) throw new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', `Response with id '${id}' not found.`);
  return found.view;
};

/** Any JSON value, hostile strings included. */
const anyJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.double(), hostileText, fc.string(), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.oneof(fc.constantFrom('id', 'type', 'role', 'content'), fc.string()), tie('value'), { maxKeys: 4 })),
})).value;

describe('fuzz: Responses item references (item-references.ts)', function () {
  this.timeout(fuzzTimeout(20));

  it('has stored responses to refer to', () => {
    expect(STORED.length).to.be.greaterThan(5);
  });

  it('references to any items of stored responses, in any order, resolve to those items and decode as the items sent themselves', async () => {
    const pick = fc.integer({ min: 0, max: STORED.length - 1 }).chain((s) => fc.tuple(fc.constant(s), fc.array(fc.integer({ min: 0, max: STORED[s]!.items.length - 1 }), { minLength: 1, maxLength: 6 }), fc.boolean()));
    await fc.assert(fc.asyncProperty(pick, async ([s, picks, untyped]) => {
      const { items, tools } = STORED[s]!;
      const chosen = picks.map((i) => items[i]!);
      const references = chosen.map((item) => (untyped ? { id: item.id } : { type: 'item_reference', id: item.id }));
      const base = { model: 'm', ...(tools !== undefined ? { tools } : {}) };
      const resolved = await resolveItemReferences({ ...base, input: references }, only(lookup)) as Json;
      expect(resolved.input).to.deep.equal(chosen);
      let direct: unknown;
      try {
        direct = decodeResponsesRequest({ ...base, input: chosen }).call;
      } catch (err) {
        // Some orders of items are refused (a tool result before its call): the same refusal either way.
        expect(() => decodeResponsesRequest(resolved)).to.throw((err as Error).message);
        return;
      }
      expect(decodeResponsesRequest(resolved).call).to.deep.equal(direct);
    }), fuzzParameters());
  });

  it('an item listed with an id the client wrote (not one lip made) is the 404 naming the reference', async () => {
    const written = SEED_REQUESTS['openai-responses']!.flatMap((seed) => {
      try {
        const decoded = decodeResponsesRequest({ ...(seed as Json), stream: false });
        return encodeInputItems(randomId('resp_', 48), decoded.continuation?.input ?? decoded.call.messages).filter((item) => itemOwner(String(item.id)) === undefined);
      } catch {
        return [];
      }
    });
    expect(written.length).to.be.greaterThan(0);
    for (const item of written) {
      const err = await (resolveItemReferences({ input: [{ type: 'item_reference', id: item.id }] }, only(lookup)) as Promise<unknown>).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(LipError).and.to.deep.include({ status: 404, param: 'input[0].id' });
    }
  });

  it('never throws on a hostile body, and fails only with a LipError', async () => {
    const body = fc.oneof(anyJson, fc.record({ input: fc.array(fc.oneof(anyJson, fc.record({ type: fc.constant('item_reference'), id: fc.oneof(anyJson, hostileText) })), { maxLength: 6 }) }));
    await fc.assert(fc.asyncProperty(body, async (b) => {
      const pending = resolveItemReferences(b, only(lookup));
      if (pending === undefined) return;
      await pending.then(() => undefined, (err: unknown) => expect(err).to.be.instanceOf(LipError));
    }), fuzzParameters());
  });
});
