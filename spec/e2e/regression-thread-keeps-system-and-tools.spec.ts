import Anthropic from '@anthropic-ai/sdk';
import { betaTool } from '@anthropic-ai/sdk/helpers/beta/json-schema';
import { expect } from 'chai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startAnthropicEmulator, startBedrockEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

type Json = Record<string, any>;

const CLAUDE_ON_BEDROCK = 'anthropic.claude-sonnet-4-20250514-v1:0';
const SYSTEM = 'You are SYS';
const SCHEMA = { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] } as const;

/**
 * A thread keeps the `system` and `tools` it was created with. The SDK's tool runner runs over a
 * thread: its first request creates it with `system` and `tools`, each later one sends only
 * `thread: {type: "continue"}` and the new tool results, without them, because the server takes
 * them from the thread (and refuses a `continue` that repeats them: the SDK's ThreadState,
 * CREATE_ONLY_FIELDS). lip rebuilt the thread's messages but took `system` and `tools` from the
 * request, so every upstream request after the first went without the system prompt and without
 * the tools beside a history of tool calls (which Anthropic refuses, and Bedrock refuses without
 * a `toolConfig`). Now lip keeps both with the thread, whichever backend serves a turn.
 */
describe('e2e: regression: an Anthropic thread keeps the system and tools it was created with', function () {
  this.timeout(20_000);
  let anthropic: Emulator;
  let bedrock: Emulator;
  let chat: Emulator;
  let lip: RunningLip;
  let client: Anthropic;
  before(async () => {
    [anthropic, bedrock, chat] = await Promise.all([startAnthropicEmulator(), startBedrockEmulator(), startOpenAIChatEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: an, kind: anthropic, base_url: "${anthropic.url}", api_key: k-0123456789 }`,
      bedrockRow('br', bedrock),
      `  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`,
    ].join('\n')));
    client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([anthropic?.close(), bedrock?.close(), chat?.close()]);
  });
  beforeEach(() => {
    for (const emu of [anthropic, bedrock, chat]) emu.reset();
  });

  /** The tool runner's `add` tool, recording each call it ran. */
  const adder = (calls: Json[]) => betaTool({
    name: 'add', description: 'Adds two numbers', inputSchema: SCHEMA,
    run: ({ a, b }) => { calls.push({ a, b }); return String(a + b); },
  });

  /** The SDK's requests to lip, as it sent them (the `thread` field, and whether system and tools came along). */
  const sent: Json[] = [];
  const watching = () => new Anthropic({
    baseURL: lip.url, apiKey: 'k', maxRetries: 0,
    fetch: async (url, init) => { sent.push(JSON.parse(String(init?.body))); return fetch(url, init); },
  });

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`the SDK's toolRunner over a thread on the anthropic backend: every upstream request has the system and the tools (${mode})`, async () => {
      anthropic.enqueue(
        { toolCalls: [{ id: 'toolu_1', name: 'add', args: '{"a":1,"b":2}' }] },
        { toolCalls: [{ id: 'toolu_2', name: 'add', args: '{"a":3,"b":4}' }] },
        { text: 'The sums are 3 and 7.' },
      );
      const calls: Json[] = [];
      sent.length = 0;
      const final = await watching().beta.messages.toolRunner({
        model: 'an:claude-sonnet-4-6', max_tokens: 100, system: SYSTEM, tools: [adder(calls)], stream,
        messages: [{ role: 'user', content: 'Add 1+2, then 3+4.' }],
      }).runUntilDone();
      expect(final.content[0]).to.deep.include({ type: 'text', text: 'The sums are 3 and 7.' });
      expect(calls).to.deep.equal([{ a: 1, b: 2 }, { a: 3, b: 4 }]);
      // The SDK ran the loop over a thread: system and tools on the create only.
      expect(sent.map((b) => [b.thread?.type, 'system' in b, 'tools' in b])).to.deep.equal([['create', true, true], ['continue', false, false], ['continue', false, false]]);
      expect(anthropic.requests).to.have.length(3);
      for (const { body } of anthropic.requests) {
        expect(JSON.stringify(body.system ?? null)).to.include(SYSTEM);
        expect(body.tools.map((t: Json) => [t.name, t.input_schema])).to.deep.equal([['add', SCHEMA]]);
      }
      // The last request carries the whole loop: the task, two calls and their results.
      expect(anthropic.requests[2]!.body.messages.flatMap((m: Json) => (typeof m.content === 'string' ? ['text'] : m.content.map((c: Json) => c.type)))).to.deep.equal([
        'text', 'tool_use', 'tool_result', 'tool_use', 'tool_result',
      ]);
    });

    it(`the SDK's toolRunner over a thread on the bedrock backend: every Converse request has the system and a toolConfig (${mode})`, async () => {
      bedrock.enqueue(
        { toolCalls: [{ id: 'tooluse_1', name: 'add', args: '{"a":1,"b":2}' }] },
        { toolCalls: [{ id: 'tooluse_2', name: 'add', args: '{"a":3,"b":4}' }] },
        { text: 'The sums are 3 and 7.' },
      );
      const calls: Json[] = [];
      const final = await client.beta.messages.toolRunner({
        model: `br:${CLAUDE_ON_BEDROCK}`, max_tokens: 100, system: SYSTEM, tools: [adder(calls)], stream,
        messages: [{ role: 'user', content: 'Add 1+2, then 3+4.' }],
      }).runUntilDone();
      expect(final.content[0]).to.deep.include({ type: 'text', text: 'The sums are 3 and 7.' });
      expect(calls).to.deep.equal([{ a: 1, b: 2 }, { a: 3, b: 4 }]);
      expect(bedrock.requests).to.have.length(3);
      for (const { body } of bedrock.requests) {
        expect(JSON.stringify(body.system ?? null)).to.include(SYSTEM);
        expect(body.toolConfig.tools.map((t: Json) => t.toolSpec.name)).to.deep.equal(['add']);
      }
    });
  }

  it('a continue that sends system or tools is a 400 naming the field, as Anthropic refuses it; nothing goes upstream', async () => {
    anthropic.enqueue({ text: 'Hi.' });
    const first = await client.beta.messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 100, system: SYSTEM, thread: { type: 'create' }, messages: [{ role: 'user', content: 'Hi.' }] });
    const thread = { type: 'continue', previous_message_id: first.id } as const;
    const repeats: [string, Partial<Anthropic.Beta.Messages.MessageCreateParamsNonStreaming>][] = [['system', { system: 'You are OTHER' }], ['tools', { tools: [{ name: 'add', input_schema: SCHEMA }] }]];
    for (const [field, extra] of repeats) {
      const err = await client.beta.messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 100, thread, ...extra, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(Anthropic.BadRequestError);
      expect((err as InstanceType<typeof Anthropic.BadRequestError>).message).to.contain(`${field}: a thread keeps the ${field} it was created with`);
    }
    expect(anthropic.requests).to.have.length(1);
  });

  it('the tool runner\'s addTools() (a tool_addition block in a system message) is a 400 naming the block: lip does not change a thread\'s tools', async () => {
    anthropic.enqueue({ toolCalls: [{ id: 'toolu_1', name: 'add', args: '{"a":1,"b":2}' }] });
    const runner = client.beta.messages.toolRunner({
      model: 'an:claude-sonnet-4-6', max_tokens: 100, system: SYSTEM, tools: [adder([])], messages: [{ role: 'user', content: 'Add 1+2.' }],
    });
    const err = await (async () => {
      for await (const message of runner) {
        expect(message.stop_reason).to.equal('tool_use');
        runner.addTools({ name: 'sub', input_schema: SCHEMA });
      }
    })().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.BadRequestError);
    // The SDK asked lip with the block in a system message after the tool result: messages[1] of the continue.
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).to.deep.nested.include({
      'error.message': 'messages[1].content[0].type: "tool_addition" blocks (changing the tools in the course of a conversation) are not supported: declare every tool in `tools` (on a thread, start a new thread, thread: {type: "create"}, with the tools wanted)',
    });
    expect(anthropic.requests).to.have.length(1);
  });

  it('a thread created on Anthropic keeps its system and tools when a turn goes to another backend kind', async () => {
    const tools = [{ name: 'add', description: 'Adds two numbers', input_schema: SCHEMA }];
    anthropic.enqueue({ toolCalls: [{ id: 'toolu_1', name: 'add', args: '{"a":1,"b":2}' }] });
    const first = await client.beta.messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 100, system: SYSTEM, tools, thread: { type: 'create' }, messages: [{ role: 'user', content: 'Add 1+2.' }] });
    chat.enqueue({ toolCalls: [{ id: 'call_2', name: 'add', args: '{"a":3,"b":4}' }] });
    const second = await client.beta.messages.create({
      model: 'oc:gpt-5.4', max_tokens: 100, thread: { type: 'continue', previous_message_id: first.id },
      messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '3' }] }],
    });
    const body = chat.requests[0]!.body;
    expect(body.messages[0]).to.deep.include({ role: 'system' });
    expect(JSON.stringify(body.messages[0])).to.include(SYSTEM);
    expect(body.tools.map((t: Json) => t.function.name)).to.deep.equal(['add']);
    bedrock.enqueue({ text: '3 and 7.' });
    await client.beta.messages.create({
      model: `br:${CLAUDE_ON_BEDROCK}`, max_tokens: 100, thread: { type: 'continue', previous_message_id: second.id },
      messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_2', content: '7' }] }],
    });
    expect(JSON.stringify(bedrock.requests[0]!.body.system)).to.include(SYSTEM);
    expect(bedrock.requests[0]!.body.toolConfig.tools.map((t: Json) => t.toolSpec.name)).to.deep.equal(['add']);
  });
});
