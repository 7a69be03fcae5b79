import { expect } from 'chai';
import { itemOwner } from '../../lib/frontends/openai-responses/item-ids.js';
import { openaiRejection as rejection } from '../helpers/openai-errors.js';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

/**
 * A regression (a probe's find): the stored response lip keeps for items added to a conversation
 * directly (`conversations.create` with items, `conversations.items.create`) is no response:
 * `GET` and `DELETE /v1/responses/{id}` of it were 404, but `previous_response_id` naming it was
 * accepted (`POST /v1/responses`, `/responses/input_tokens`, `/responses/compact`) and sent the
 * conversation's items upstream. Now it is the 404 of an id never stored
 * (`previous_response_not_found`) everywhere, with nothing sent upstream; the conversation itself
 * goes on through it, and its turns are continued by id as before.
 */
describe('e2e: the stored response of items added to a conversation cannot be continued by id', function () {
  this.timeout(30_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' } });
  const client = () => up.openai();
  const model = 'oc:gpt-4o';

  /** What naming `id` as `previous_response_id` answers: status, param, code, message. */
  const refused = async (promise: Promise<unknown>) => {
    const err = await rejection(promise);
    return [err.status, (err.error as Json).param, err.code, err.message];
  };

  it('is the 404 of an unknown id on every route that continues by id, streamed or not; nothing reaches the upstream', async () => {
    const conversation = await client().conversations.create({ items: [{ type: 'message', role: 'user', content: 'My name is Ada.' }] });
    await client().conversations.items.create(conversation.id, { items: [{ type: 'message', role: 'user', content: 'I live in Paris.' }] });
    const items = (await client().conversations.items.list(conversation.id, { order: 'asc' })).data;
    const holders = [...new Set(items.map((i) => itemOwner(i.id!)!))];
    expect(holders).to.have.length(2);
    const unknown = 'resp_' + '0'.repeat(48);
    const expected = (id: string) => [404, 'previous_response_id', 'previous_response_not_found', `404 Previous response with id '${id}' not found.`];
    // An id never stored is the reference answer.
    expect(await refused(client().responses.create({ model, input: 'x', previous_response_id: unknown }))).to.deep.equal(expected(unknown));
    for (const id of holders) {
      expect((await rejection(client().responses.retrieve(id))).status).to.equal(404);
      for (const stream of [false, true]) expect(await refused(client().responses.create({ model, input: 'My name?', previous_response_id: id, stream }))).to.deep.equal(expected(id));
      expect(await refused(client().responses.inputTokens.count({ model, input: 'x', previous_response_id: id }))).to.deep.equal(expected(id));
      expect(await refused(client().responses.compact({ model, input: 'x', previous_response_id: id } as never))).to.deep.equal(expected(id));
    }
    expect(up.emulators.oc!.requests).to.have.length(0);
  });

  it('the conversation goes on through it, and a turn of it is continued by id with the added items', async () => {
    const conversation = await client().conversations.create({ items: [{ type: 'message', role: 'user', content: 'My name is Ada.' }] });
    up.emulators.oc!.enqueue({ text: 'Ada.' }, { text: 'Still Ada.' });
    const turn = await client().responses.create({ model, conversation: conversation.id, input: 'My name?' });
    const next = await client().responses.create({ model, previous_response_id: turn.id, input: 'Again?' });
    expect(next.output_text).to.equal('Still Ada.');
    const history = (up.emulators.oc!.requests[1]!.body.messages as Json[]).map((m) => [m.role, m.content]);
    expect(history).to.deep.equal([['user', 'My name is Ada.'], ['user', 'My name?'], ['assistant', 'Ada.'], ['user', 'Again?']]);
  });
});
