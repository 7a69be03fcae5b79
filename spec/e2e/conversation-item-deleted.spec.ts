import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { redisPrefix, startLip, startLipsOnRedis, type RunningLip } from '../helpers/lip.js';
import { openaiRejection as rejection } from '../helpers/openai-errors.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';

type Json = Record<string, any>;

/** What an upstream Chat request carried: [role, text] per message. */
const chatHistory = (emu: Emulator, i: number) => (emu.requests[i]!.body.messages as Json[]).map((m) => [m.role, m.content]);

/**
 * A regression (a probe's find): an item deleted from a conversation came back when a request
 * continued a turn of it by `previous_response_id`. A turn run in a conversation continues the
 * conversation's items, so its chain is the conversation's as stored: continuing it sent the
 * deleted item upstream again (a secret the user had deleted), and an `item_reference` to the
 * deleted item still resolved. Now a chain continued by id leaves out the items deleted from the
 * conversation its turns ran in, deleted before the turn or after it, and a reference to one is
 * the 404 of an item not found. On every store (Redis: deleted on one instance, continued on
 * another).
 */
for (const store of ['memory', 'sqlite', 'redis'] as const) {
  describe(`e2e: an item deleted from a conversation stays deleted when a turn of it is continued (${store} continuity)`, function () {
    this.timeout(30_000);
    let lips: RunningLip[] = [];
    let dir: string;
    let redis: RedisServer | undefined;
    let chat: Emulator;
    /** The client of the instance that deletes, and of the one that continues (the same one but on Redis). */
    let deleter: OpenAI;
    let reader: OpenAI;

    before(async function () {
      if (store === 'redis') redis = await requireRedisServer(this);
      dir = mkdtempSync(join(tmpdir(), 'lip-conversation-item-deleted-'));
      chat = await startOpenAIChatEmulator();
      const backends = `  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`;
      lips = store === 'redis'
        ? await startLipsOnRedis(redis!.url, redisPrefix('conversation-item-deleted'), backends, 'continuity: { store: redis }')
        : [await startLip(testConfig(backends, `continuity: { store: ${store}, sqlite_path: "${join(dir, 'lip.db')}" }`))];
      deleter = new OpenAI({ baseURL: `${lips[0]!.url}/v1`, apiKey: 'k', maxRetries: 0 });
      reader = new OpenAI({ baseURL: `${lips.at(-1)!.url}/v1`, apiKey: 'k', maxRetries: 0 });
    });
    after(async () => {
      for (const lip of lips) await lip.close();
      await chat?.close();
      await redis?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => chat.reset());

    it('an item deleted before a turn is left out of the turn and of every request continuing it by id', async () => {
      const conversation = await deleter.conversations.create({ items: [{ type: 'message', role: 'user', content: 'SECRET-password-123' }, { type: 'message', role: 'user', content: 'keep me' }] });
      const [secret] = (await deleter.conversations.items.list(conversation.id, { order: 'asc' })).data;
      await deleter.conversations.items.delete(secret!.id!, { conversation_id: conversation.id });
      chat.enqueue({ text: 'T answered.' }, { text: 'Next answered.' }, { text: 'Later answered.' });
      const turn = await deleter.responses.create({ model: 'oc:gpt-4o', conversation: conversation.id, input: 'turn T' });
      expect(chatHistory(chat, 0)).to.deep.equal([['user', 'keep me'], ['user', 'turn T']]);
      const next = await reader.responses.create({ model: 'oc:gpt-4o', previous_response_id: turn.id, input: 'next' });
      const continued = [['user', 'keep me'], ['user', 'turn T'], ['assistant', 'T answered.'], ['user', 'next']];
      expect(chatHistory(chat, 1)).to.deep.equal(continued);
      // A response outside the conversation continuing its turn: the deleted item stays out of its chain too.
      await reader.responses.create({ model: 'oc:gpt-4o', previous_response_id: next.id, input: 'later' });
      expect(chatHistory(chat, 2)).to.deep.equal([...continued, ['assistant', 'Next answered.'], ['user', 'later']]);
      // Nor can it be named.
      const err = await rejection(reader.responses.create({ model: 'oc:gpt-4o', input: [{ type: 'item_reference', id: secret!.id! }] }));
      expect([err.status, (err.error as Json).param, err.message]).to.deep.equal([404, 'input[0].id', `404 Item with id '${secret!.id}' not found.`]);
      expect(chat.requests).to.have.length(3);
    });

    it('an item deleted after a turn is left out when the turn is continued later; the other items stay, and can be named', async () => {
      const conversation = await deleter.conversations.create({ items: [{ type: 'message', role: 'user', content: 'My PIN is 4321.' }, { type: 'message', role: 'user', content: 'My name is Ada.' }] });
      chat.enqueue({ text: 'Noted.' }, { text: 'Ada.' });
      const turn = await deleter.responses.create({ model: 'oc:gpt-4o', conversation: conversation.id, input: 'Remember.' });
      expect(chatHistory(chat, 0)).to.deep.equal([['user', 'My PIN is 4321.'], ['user', 'My name is Ada.'], ['user', 'Remember.']]);
      const items = (await deleter.conversations.items.list(conversation.id, { order: 'asc' })).data;
      await deleter.conversations.items.delete(items[0]!.id!, { conversation_id: conversation.id });
      // The turn's own answer, deleted too: a chain through the turn leaves it out as the conversation does.
      const answer = items.find((i) => (i as Json).role === 'assistant')!;
      await deleter.conversations.items.delete(answer.id!, { conversation_id: conversation.id });
      await reader.responses.create({ model: 'oc:gpt-4o', previous_response_id: turn.id, input: 'My name?' });
      expect(chatHistory(chat, 1)).to.deep.equal([['user', 'My name is Ada.'], ['user', 'Remember.'], ['user', 'My name?']]);
      chat.enqueue({ text: 'ok' });
      await reader.responses.create({ model: 'oc:gpt-4o', input: [{ type: 'item_reference', id: items[1]!.id! }] });
      expect(chatHistory(chat, 2)).to.deep.equal([['user', 'My name is Ada.']]);
      for (const gone of [items[0]!.id!, answer.id!]) {
        const err = await rejection(reader.responses.create({ model: 'oc:gpt-4o', input: [{ type: 'item_reference', id: gone }] }));
        expect([err.status, (err.error as Json).param]).to.deep.equal([404, 'input[0].id']);
      }
    });
  });
}
