import { expect } from 'chai';
import { collectEvents, type LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { storedItemId } from '../../../lib/frontends/openai-responses/item-ids.js';
import { MAX_REFERENCED_RESPONSES, resolveItemReferences } from '../../../lib/frontends/openai-responses/item-references.js';
import type { StoredResponses, StoredResponseView } from '../../../lib/frontends/protocol.js';
import { randomId } from '../../../lib/wire/ids.js';

/** The caller's stored responses, read through `load` alone (nothing else may be asked). */
const only = (load: StoredResponses['load']): StoredResponses => ({
  principal: 'local', load, chain: () => Promise.reject(new Error('not read')), save: () => { throw new Error('not kept'); }, delete: () => Promise.reject(new Error('not deleted')), tombstone: () => Promise.reject(new Error('not deleted')), exclusive: () => Promise.reject(new Error('not changed')),
});

const answer: LipEvent[] = [{ type: 'response_started', model: 'm' }, { type: 'text_delta', text: 'Paris.' }, { type: 'response_finished', reason: 'stop' }];

/** A lookup over stored responses made on the fly (any `resp_` id of lip's shape exists), counting its calls. */
function store(missing: ReadonlySet<string> = new Set()) {
  const calls: string[] = [];
  const lookup = async (id: string): Promise<StoredResponseView> => {
    calls.push(id);
    if (missing.has(id)) throw new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', `Response with id '${id}' not found.`);
    return { id, previousResponseId: undefined, model: 'm', createdAt: 1_700_000_000_000, input: [{ role: 'user', parts: [{ type: 'text', text: `question of ${id}` }] }], output: collectEvents(answer), echo: {} };
  };
  return { calls, lookup };
}

async function rejected(promise: Promise<unknown> | undefined): Promise<LipError> {
  const err = await promise!.then(() => undefined, (e: unknown) => e);
  expect(err).to.be.instanceOf(LipError);
  return err as LipError;
}

describe('Responses item references (item-references.ts)', () => {
  it('leaves a body without references alone: no promise, no lookup', () => {
    const { calls, lookup } = store();
    for (const body of [{ input: 'hi' }, { input: [{ role: 'user', content: 'hi' }, { type: 'function_call_output', call_id: 'c', output: 'x' }] }, { input: [{ id: 'msg_1', content: 'no role' }] }, null, []]) {
      expect(resolveItemReferences(body, only(lookup))).to.equal(undefined);
    }
    expect(calls).to.deep.equal([]);
  });

  it('puts each item in its reference\'s place, reading each response once, keeping the other fields', async () => {
    const { calls, lookup } = store();
    const response = randomId('resp_', 48);
    const question = storedItemId('msg_', response, 'input', 0);
    const reply = storedItemId('msg_', response, 'output', 0);
    const body = { model: 'm', store: false, input: [{ type: 'item_reference', id: question }, { id: reply }, { role: 'user', content: 'More?' }] };
    const resolved = await resolveItemReferences(body, only(lookup)) as { model: string; store: boolean; input: Record<string, unknown>[] };
    expect(calls).to.deep.equal([response]);
    expect(resolved).to.deep.include({ model: 'm', store: false });
    expect(resolved.input[0]).to.deep.include({ id: question, type: 'message', role: 'user', content: [{ type: 'input_text', text: `question of ${response}` }] });
    expect(resolved.input[1]).to.deep.include({ id: reply, type: 'message', role: 'assistant' });
    expect(resolved.input[2]).to.equal(body.input[2]);
    expect(body.input[0]).to.deep.equal({ type: 'item_reference', id: question }); // the client's body is not changed
  });

  it('an id that names no item is the 404 naming the reference, looked up only when it names a response', async () => {
    const gone = randomId('resp_', 48);
    const { calls, lookup } = store(new Set([gone]));
    const present = randomId('resp_', 48);
    for (const id of ['msg_nope', storedItemId('msg_', gone, 'output', 0), storedItemId('msg_', present, 'output', 7)]) {
      const err = await rejected(resolveItemReferences({ input: [{ role: 'user', content: 'x' }, { type: 'item_reference', id }] }, only(lookup)));
      expect([err.code, err.status, err.param, err.message]).to.deep.equal(['LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 404, 'input[1].id', `Item with id '${id}' not found.`]);
    }
    expect(calls).to.deep.equal([gone, present]);
    const empty = await rejected(resolveItemReferences({ input: [{ type: 'item_reference' }] }, only(lookup)));
    expect([empty.status, empty.param]).to.deep.equal([400, 'input[0].id']);
  });

  it('passes on a store failure as it is (a 503 is no missing item)', async () => {
    const unavailable = new LipError('LIP_ERR_CONTINUITY_UNAVAILABLE', 'the continuity store cannot answer');
    const err = await rejected(resolveItemReferences({ input: [{ type: 'item_reference', id: storedItemId('msg_', randomId('resp_', 48), 'output', 0) }] }, only(() => Promise.reject(unavailable))));
    expect(err).to.equal(unavailable);
  });

  it(`refuses items of more than ${MAX_REFERENCED_RESPONSES} responses in one request (400 naming the first beyond), any number of one`, async () => {
    const { calls, lookup } = store();
    const responses = Array.from({ length: MAX_REFERENCED_RESPONSES + 1 }, () => randomId('resp_', 48));
    const err = await rejected(resolveItemReferences({ input: responses.map((r) => ({ type: 'item_reference', id: storedItemId('msg_', r, 'output', 0) })) }, only(lookup)));
    expect([err.status, err.param]).to.deep.equal([400, `input[${MAX_REFERENCED_RESPONSES}].id`]);
    expect(calls).to.have.length(MAX_REFERENCED_RESPONSES);
    const one = responses[0]!;
    const many = await resolveItemReferences({ input: Array.from({ length: 200 }, (_, i) => ({ type: 'item_reference', id: storedItemId('msg_', one, i % 2 ? 'output' : 'input', 0) })) }, only(store().lookup)) as { input: unknown[] };
    expect(many.input).to.have.length(200);
  });
});
