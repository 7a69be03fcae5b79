import { expect } from 'chai';
import { collectEvents, type Message } from '../../../lib/canonical/index.js';
import { createContinuityStore, type ContinuityStore } from '../../../lib/continuity/index.js';
import type { StoredResponses } from '../../../lib/frontends/protocol.js';
import { linkToConversation, newConversationId, readConversation, writeConversation } from '../../../lib/frontends/openai-responses/conversation-record.js';
import { storedResponses } from '../../../lib/server/stored-responses.js';

const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const reply = (text: string) => collectEvents([{ type: 'text_delta', text }, { type: 'response_finished', reason: 'stop' }]);

/**
 * A conversation's record is read, changed and saved whole; changes that overlap must not undo
 * each other (`StoredResponses.exclusive`). Across instances: spec/continuity/redis-store.spec.ts.
 */
describe('openai-responses: conversation records under concurrent changes', () => {
  let store: ContinuityStore;
  let responses: StoredResponses;
  beforeEach(() => {
    store = createContinuityStore({ store: 'memory', sqlite_path: './unused.db', ttl: 3_600_000, max_legs: 1_000 });
    responses = storedResponses(store, 'alice');
  });
  afterEach(() => store.close());

  it('keeps every turn of several that join the conversation in the same moment, in the order they were linked', async () => {
    const id = newConversationId();
    writeConversation(responses, { id, createdAt: 1, metadata: {}, deleted: [], head: undefined });
    const turns = ['resp_1', 'resp_2', 'resp_3', 'resp_4'];
    for (const turn of turns) responses.save({ id: turn, input: [user(turn)], output: reply(turn) });
    await Promise.all(turns.map((turn) => linkToConversation(responses, id, undefined, turn)));
    const { head } = await readConversation(responses, id, 'conversation');
    expect((await responses.chain(head!)).map((r) => r.id)).to.deep.equal(turns);
  });

  it('a turn linked while the record is saved for another change is kept, and so is that change', async () => {
    const id = newConversationId();
    writeConversation(responses, { id, createdAt: 1, metadata: { v: '1' }, deleted: [], head: undefined });
    responses.save({ id: 'resp_1', input: [user('one')], output: reply('one') });
    const metadataChange = responses.exclusive(id, async () => {
      const c = await readConversation(responses, id, 'conversation_id');
      writeConversation(responses, { ...c, metadata: { v: '2' } });
    });
    await Promise.all([metadataChange, linkToConversation(responses, id, undefined, 'resp_1')]);
    const c = await readConversation(responses, id, 'conversation');
    expect([c.metadata, c.head]).to.deep.equal([{ v: '2' }, 'resp_1']);
  });
});
