import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { itemOwner } from '../../lib/frontends/openai-responses/item-ids.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { redisPrefix, startLip, startLipsOnRedis, type RunningLip } from '../helpers/lip.js';
import { openaiRejection as rejection } from '../helpers/openai-errors.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';

type Json = Record<string, any>;

/** What an upstream Chat request carried: [role, text] per message. */
const chatHistory = (emu: Emulator, i: number) => (emu.requests[i]!.body.messages as Json[]).map((m) => [m.role, m.content]);
const texts = (items: readonly unknown[]) => (items as Json[]).map((i) => [i.role, i.content[0].text]);

/**
 * A regression (a probe's find): deleting one response of a conversation (`responses.delete` of a
 * turn) broke the whole conversation: its items are read as the chain of its stored responses,
 * so listing them and every later turn answered 404 ("its earlier items are no longer stored").
 * The stored response that holds items added to a conversation, hidden from
 * `GET /v1/responses/{id}`, could be deleted all the same, with the same result. Now a deleted
 * turn is gone as a response (retrieve, input_items, delete, previous_response_id: 404) while its
 * items stay the conversation's, as OpenAI keeps conversation items apart from responses; the
 * hidden record is a 404 to DELETE as to GET. On every store (Redis: deleted on one instance,
 * read on another).
 */
for (const store of ['memory', 'sqlite', 'redis'] as const) {
  describe(`e2e: deleting a turn of a conversation keeps the conversation (${store} continuity)`, function () {
    this.timeout(30_000);
    let lips: RunningLip[] = [];
    let dir: string;
    let redis: RedisServer | undefined;
    let chat: Emulator;
    /** The client of the instance that deletes, and of the one that reads afterwards (the same one but on Redis). */
    let deleter: OpenAI;
    let reader: OpenAI;

    before(async function () {
      if (store === 'redis') redis = await requireRedisServer(this);
      dir = mkdtempSync(join(tmpdir(), 'lip-conversation-delete-'));
      chat = await startOpenAIChatEmulator();
      const backends = `  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`;
      lips = store === 'redis'
        ? await startLipsOnRedis(redis!.url, redisPrefix('conversation-delete'), backends, 'continuity: { store: redis }')
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

    it('a deleted turn is gone as a response; its items stay in the conversation, which goes on', async () => {
      const conversation = await deleter.conversations.create({ items: [{ type: 'message', role: 'user', content: 'My name is Ada.' }] });
      chat.enqueue({ text: 'Noted.' }, { text: 'Ada.' }, { text: 'Still Ada.' });
      const first = await deleter.responses.create({ model: 'oc:gpt-4o', conversation: conversation.id, input: 'Remember it.' });
      const second = await deleter.responses.create({ model: 'oc:gpt-4o', conversation: conversation.id, input: 'My name?' });
      expect(await deleter.responses.delete(first.id)).to.deep.include({ id: first.id, object: 'response.deleted', deleted: true });
      const whole = [['user', 'My name is Ada.'], ['user', 'Remember it.'], ['assistant', 'Noted.'], ['user', 'My name?'], ['assistant', 'Ada.']];
      const items = (await reader.conversations.items.list(conversation.id, { order: 'asc' })).data;
      expect(texts(items)).to.deep.equal(whole);
      const theirs = (items as Json[]).find((i) => i.content[0].text === 'Noted.')!;
      expect(itemOwner(theirs.id)).to.equal(first.id);
      expect(await reader.conversations.items.retrieve(theirs.id, { conversation_id: conversation.id })).to.deep.equal(theirs);
      // The conversation goes on with all of its items.
      await reader.responses.create({ model: 'oc:gpt-4o', conversation: conversation.id, input: 'Again?' });
      expect(chatHistory(chat, 2)).to.deep.equal([...whole, ['user', 'Again?']]);
      // As a response it is gone: by its id, for its input items, a second delete and a continuation.
      for (const gone of [() => reader.responses.retrieve(first.id), () => reader.responses.inputItems.list(first.id), () => reader.responses.delete(first.id)]) {
        const err = await rejection(gone());
        expect([err.status, err.message]).to.deep.equal([404, `404 Response with id '${first.id}' not found.`]);
      }
      const continued = await rejection(reader.responses.create({ model: 'oc:gpt-4o', previous_response_id: first.id, input: 'x' }));
      expect([continued.status, (continued.error as Json).param, continued.code]).to.deep.equal([404, 'previous_response_id', 'previous_response_not_found']);
      // The turns after it are responses as before.
      expect((await reader.responses.retrieve(second.id)).id).to.equal(second.id);
      expect(chat.requests).to.have.length(3);
    });

    it('the stored response holding items added to a conversation is no response to DELETE either', async () => {
      const conversation = await deleter.conversations.create({ items: [{ type: 'message', role: 'user', content: 'Seed.' }] });
      const [seed] = (await deleter.conversations.items.list(conversation.id)).data;
      const hidden = itemOwner(seed!.id!)!;
      for (const refused of [() => deleter.responses.retrieve(hidden), () => deleter.responses.delete(hidden)]) {
        const err = await rejection(refused());
        expect([err.status, err.message]).to.deep.equal([404, `404 Response with id '${hidden}' not found.`]);
      }
      expect(texts((await reader.conversations.items.list(conversation.id)).data)).to.deep.equal([['user', 'Seed.']]);
      chat.enqueue({ text: 'ok' });
      await reader.responses.create({ model: 'oc:gpt-4o', conversation: conversation.id, input: 'Go.' });
      expect(chatHistory(chat, 0)).to.deep.equal([['user', 'Seed.'], ['user', 'Go.']]);
    });
  });
}
