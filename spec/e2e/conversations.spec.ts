import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { itemOwner } from '../../lib/frontends/openai-responses/item-ids.js';
import { KINDS } from '../backends/kinds.js';
import { QUESTION, TOOLS, TOOL_RESULT } from '../helpers/clients/follow-up.js';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';
import { openaiRejection as rejection } from '../helpers/openai-errors.js';

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-0123456789ab';
type Json = Record<string, any>;
const tools = TOOLS.map((t) => ({ type: 'function' as const, name: t.name, description: t.description ?? null, parameters: t.parameters, strict: false }));

/** What an upstream Chat request carried: [role, text] per message (tool calls by name). */
const chatHistory = (emu: Emulator, i: number) => (emu.requests[i]!.body.messages as Json[]).map((m) => [m.role, typeof m.content === 'string' ? m.content : m.tool_calls?.[0]?.function?.name ?? JSON.stringify(m.content)]);

/**
 * OpenAI's Conversations API through the official SDK against a real lip (`client.conversations`
 * and its items; `conversation` on `responses.create`), kept in the caller's stored responses: on
 * the memory store and on SQLite (shared through Redis: spec/e2e/continuity-redis.spec.ts).
 */
for (const store of ['memory', 'sqlite'] as const) {
  describe(`e2e: Responses conversations (${store} continuity)`, function () {
    this.timeout(20_000);
    let lip: RunningLip;
    let dir: string;
    let chat: Emulator;
    let anthropic: Emulator;
    let alice: OpenAI;
    let bob: OpenAI;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'lip-conversations-'));
      [chat, anthropic] = await Promise.all([startOpenAIChatEmulator(), startAnthropicEmulator()]);
      lip = await startLip(testConfig(`
  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }
  - { id: an, kind: anthropic, base_url: "${anthropic.url}", api_key: k-0123456789 }
`, `continuity: { store: ${store}, sqlite_path: "${join(dir, 'lip.db')}" }
auth: { api_keys: [ { id: alice, key: "${ALICE}" }, { id: bob, key: "${BOB}" } ] }`));
      alice = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 });
      bob = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: BOB, maxRetries: 0 });
    });
    after(async () => {
      await lip?.close();
      await Promise.all([chat?.close(), anthropic?.close()]);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
      for (const emu of [chat, anthropic]) {
        emu.reset();
        emu.checkState = true;
      }
    });

    it('creates, retrieves, updates and deletes a conversation; its first items are listed in order with their ids', async () => {
      const created = await alice.conversations.create({ metadata: { topic: 'geo' }, items: [{ type: 'message', role: 'developer', content: 'Answer in one word.' }, { type: 'message', role: 'user', content: 'Hello.' }] });
      expect(created).to.include({ object: 'conversation' });
      expect(created.id).to.match(/^conv_[0-9A-Za-z]{48}$/);
      expect(created.metadata).to.deep.equal({ topic: 'geo' });
      expect(await alice.conversations.retrieve(created.id)).to.deep.equal(created);
      const listed = (await alice.conversations.items.list(created.id, { order: 'asc' })).data as Json[];
      expect(listed.map((i) => [i.type, i.role, i.content[0].text])).to.deep.equal([['message', 'system', 'Answer in one word.'], ['message', 'user', 'Hello.']]);
      expect((await alice.conversations.items.list(created.id)).data.map((i) => i.id)).to.deep.equal(listed.map((i) => i.id).reverse());
      const page = await alice.conversations.items.list(created.id, { order: 'asc', limit: 1 });
      expect([page.data.map((i) => i.id), page.has_more]).to.deep.equal([[listed[0]!.id], true]);
      // The SDK's auto-pagination (`after` = the page's last_id), as the Agents SDK's session reads a conversation.
      const paged: string[] = [];
      for await (const item of alice.conversations.items.list(created.id, { limit: 1 })) paged.push(item.id!);
      expect(paged).to.deep.equal(listed.map((i) => i.id).reverse());
      const updated = await alice.conversations.update(created.id, { metadata: { topic: 'history' } });
      expect(updated).to.deep.equal({ ...created, metadata: { topic: 'history' } });
      expect(await alice.conversations.delete(created.id)).to.deep.equal({ id: created.id, object: 'conversation.deleted', deleted: true });
      for (const gone of [() => alice.conversations.retrieve(created.id), () => alice.conversations.items.list(created.id)]) {
        const err = await rejection(gone());
        expect(err.status).to.equal(404);
        expect(err.message).to.contain(`Conversation with id '${created.id}' not found.`);
      }
    });

    it('runs turns in a conversation on any backend, streamed or not: each gets the items before it, and adds its own', async () => {
      const conversation = await alice.conversations.create({ items: [{ type: 'message', role: 'user', content: 'My name is Ada.' }] });
      chat.enqueue({ text: 'Noted.' });
      const first = await alice.responses.create({ model: 'oc:gpt-4o', conversation: conversation.id, input: 'Remember it.' });
      expect(first).to.deep.include({ conversation: { id: conversation.id }, previous_response_id: null, store: true });
      expect(chatHistory(chat, 0)).to.deep.equal([['user', 'My name is Ada.'], ['user', 'Remember it.']]);
      anthropic.enqueue({ text: 'Your name is Ada.' });
      const second = await alice.responses.stream({ model: 'an:claude-sonnet-4-6', conversation: { id: conversation.id }, input: 'What is my name?' }).finalResponse();
      expect(second.output_text).to.equal('Your name is Ada.');
      expect((anthropic.requests[0]!.body.messages as Json[]).map((m) => [m.role, JSON.stringify(m.content)])).to.deep.equal([
        ['user', JSON.stringify([{ type: 'text', text: 'My name is Ada.' }, { type: 'text', text: 'Remember it.' }])],
        ['assistant', JSON.stringify([{ type: 'text', text: 'Noted.' }])],
        ['user', JSON.stringify([{ type: 'text', text: 'What is my name?' }])],
      ]);
      const items = (await alice.conversations.items.list(conversation.id, { order: 'asc' })).data as Json[];
      expect(items.map((i) => [i.role, i.content[0].text])).to.deep.equal([
        ['user', 'My name is Ada.'], ['user', 'Remember it.'], ['assistant', 'Noted.'], ['user', 'What is my name?'], ['assistant', 'Your name is Ada.'],
      ]);
      // An item's id names the stored response that holds it: the turn, retrievable, naming its conversation.
      expect(itemOwner(items[4]!.id)).to.equal(second.id);
      const retrieved = await alice.responses.retrieve(second.id);
      expect(retrieved).to.deep.include({ conversation: { id: conversation.id }, previous_response_id: null });
      // Items added directly are kept as a stored response too, which is no response.
      const err = await rejection(alice.responses.retrieve(itemOwner(items[0]!.id)!));
      expect(err.status).to.equal(404);
      expect((await alice.conversations.items.retrieve(items[2]!.id, { conversation_id: conversation.id }))).to.deep.equal(items[2]);
    });

    it('a tool call and its result across two turns of a conversation keep the provider\'s state verbatim', async () => {
      const k = KINDS.find((c) => c.kind === 'anthropic')!;
      const conversation = await alice.conversations.create();
      anthropic.enqueue({ reasoning: k.reasoning, toolCalls: [{ id: 'call_r', name: 'get_weather', args: '{"city":"Paris"}' }] });
      const first = await alice.responses.create({ model: 'an:claude-sonnet-4-6', conversation: conversation.id, input: QUESTION, tools, reasoning: { effort: 'medium' } });
      const call = first.output.find((i) => i.type === 'function_call') as { call_id: string };
      anthropic.enqueue({ text: 'Sunny.' });
      // The emulator refuses a follow-up whose thinking signature is missing or altered.
      const second = await alice.responses.create({ model: 'an:claude-sonnet-4-6', conversation: conversation.id, tools, input: [{ type: 'function_call_output', call_id: call.call_id, output: TOOL_RESULT }] });
      expect(second.output_text).to.equal('Sunny.');
      expect(k.replayedReasoning(anthropic.requests[1]!)).to.deep.equal(k.ownReplay);
      expect(k.toolHistory(anthropic.requests[1]!)).to.deep.equal({ calls: [{ name: 'get_weather', args: { city: 'Paris' } }], results: [TOOL_RESULT] });
    });

    it('a deleted item is left out of the list and of the next turn; items added later follow', async () => {
      const conversation = await alice.conversations.create({ items: [{ type: 'message', role: 'user', content: 'Secret: 42.' }, { type: 'message', role: 'user', content: 'Say hi.' }] });
      const [secret] = (await alice.conversations.items.list(conversation.id, { order: 'asc' })).data;
      expect(await alice.conversations.items.delete(secret!.id!, { conversation_id: conversation.id })).to.deep.include({ id: conversation.id, object: 'conversation' });
      expect(await alice.conversations.items.create(conversation.id, { items: [] })).to.deep.include({ data: [], has_more: false });
      const added = await alice.conversations.items.create(conversation.id, { items: [{ type: 'message', role: 'user', content: 'Be brief.' }] });
      expect(added).to.deep.include({ object: 'list', has_more: false });
      expect((added.data as Json[]).map((i) => i.content[0].text)).to.deep.equal(['Be brief.']);
      chat.enqueue({ text: 'Hi.' });
      await alice.responses.create({ model: 'oc:gpt-4o', conversation: conversation.id, input: 'Go.' });
      expect(chatHistory(chat, 0)).to.deep.equal([['user', 'Say hi.'], ['user', 'Be brief.'], ['user', 'Go.']]);
      const err = await rejection(alice.conversations.items.retrieve(secret!.id!, { conversation_id: conversation.id }));
      expect([err.status, (err.error as Json).param]).to.deep.equal([404, 'item_id']);
    });

    it('two turns running at once both end up in the conversation, in the order they were stored', async () => {
      const conversation = await alice.conversations.create({ items: [{ type: 'message', role: 'user', content: 'Start.' }] });
      chat.enqueue({ text: 'slow one', dripMs: 150 }, { text: 'fast one' });
      const slow = alice.responses.create({ model: 'oc:gpt-4o', conversation: conversation.id, input: 'A', stream: false });
      for (let i = 0; i < 200 && chat.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const fast = await alice.responses.create({ model: 'oc:gpt-4o', conversation: conversation.id, input: 'B' });
      const first = await slow;
      expect([first.output_text, fast.output_text]).to.deep.equal(['slow one', 'fast one']);
      // Both started from the same items; the one stored last follows the other.
      expect(chatHistory(chat, 1)).to.deep.equal([['user', 'Start.'], ['user', 'B']]);
      const items = (await alice.conversations.items.list(conversation.id, { order: 'asc' })).data as Json[];
      expect(items.map((i) => i.content[0].text)).to.deep.equal(['Start.', 'B', 'fast one', 'A', 'slow one']);
      chat.enqueue({ text: 'ok' });
      await alice.responses.create({ model: 'oc:gpt-4o', conversation: conversation.id, input: 'C' });
      expect(chatHistory(chat, 2).map(([, text]) => text)).to.deep.equal(['Start.', 'B', 'fast one', 'A', 'slow one', 'C']);
    });

    it('counts input tokens with the conversation\'s items', async () => {
      const conversation = await alice.conversations.create({ items: [{ type: 'message', role: 'user', content: 'A long story about a fox. '.repeat(40) }] });
      const alone = await alice.responses.inputTokens.count({ model: 'oc:gpt-4o', input: 'And then?' });
      const within = await alice.responses.inputTokens.count({ model: 'oc:gpt-4o', conversation: conversation.id, input: 'And then?' });
      expect(within.input_tokens).to.be.greaterThan(alone.input_tokens + 100);
    });

    it('refuses what OpenAI refuses: another principal\'s or an unknown conversation (404), with previous_response_id, too many items, bad metadata, a bad item (400)', async () => {
      const conversation = await alice.conversations.create();
      const notYours = await rejection(bob.conversations.retrieve(conversation.id));
      expect([notYours.status, (notYours.error as Json).param]).to.deep.equal([404, 'conversation_id']);
      const unknown = await rejection(alice.responses.create({ model: 'oc:gpt-4o', conversation: 'conv_nope', input: 'x' }));
      expect([unknown.status, (unknown.error as Json).param]).to.deep.equal([404, 'conversation']);
      const bobs = await rejection(bob.responses.create({ model: 'oc:gpt-4o', conversation: conversation.id, input: 'x' }));
      expect(bobs.status).to.equal(404);
      chat.enqueue({ text: 'x' });
      const stored = await alice.responses.create({ model: 'oc:gpt-4o', input: 'x' });
      const both = await rejection(alice.responses.create({ model: 'oc:gpt-4o', conversation: conversation.id, previous_response_id: stored.id, input: 'y' }));
      expect([both.status, (both.error as Json).param]).to.deep.equal([400, 'previous_response_id']);
      const many = await rejection(alice.conversations.items.create(conversation.id, { items: Array.from({ length: 21 }, () => ({ type: 'message' as const, role: 'user' as const, content: 'x' })) }));
      expect([many.status, (many.error as Json).param]).to.deep.equal([400, 'items']);
      const metadata = await rejection(alice.conversations.create({ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }));
      expect([metadata.status, (metadata.error as Json).param]).to.deep.equal([400, 'metadata']);
      const bad = await rejection(alice.conversations.items.create(conversation.id, { items: [{ type: 'message', role: 'user', content: [{ type: 'input_audio' }] } as unknown as ResponseInputItem] }));
      expect(bad.status).to.equal(400);
      expect((bad.error as Json).param).to.match(/^items\[0\]/);
      expect(chat.requests).to.have.length(1); // none of the refused turns reached the upstream
      const raw = await httpRequest(`${lip.url}/v1/conversations/${conversation.id}/items`, { method: 'PUT', headers: { authorization: `Bearer ${ALICE}` }, body: '{}' });
      expect([raw.status, raw.headers.allow]).to.deep.equal([405, 'POST, GET']);
    });
  });
}
