import { expect } from 'chai';
import OpenAI from 'openai';
import { COMPACTION_INSTRUCTION } from '../../lib/frontends/openai-responses/compact.js';
import { COMPACTION_PREAMBLE } from '../../lib/canonical/index.js';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * `POST /v1/responses/compact` through the official SDK (`client.responses.compact`; Codex CLI
 * compacts long sessions with it and fails the turn when it fails): lip asks the routed model,
 * on any backend, for a summary and answers OpenAI's compacted response (the user messages,
 * then one compaction item); the item sent back in a later `input` stands for the turns it
 * replaced. A compaction item OpenAI made holds state only OpenAI reads: a backend of another
 * provider refuses it (an openai-responses backend sends it back: responses-programs.spec.ts).
 */
describe('e2e: Responses compaction on any backend', function () {
  this.timeout(20_000);
  let claude: Emulator;
  let chat: Emulator;
  let lip: RunningLip;
  let client: OpenAI;
  before(async () => {
    [claude, chat] = await Promise.all([startAnthropicEmulator(), startOpenAIChatEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: claude, kind: anthropic, base_url: "${claude.url}", api_key: claude-key-0123456789 }`,
      `  - { id: oai, kind: openai-chat, base_url: "${chat.url}", api_key: chat-key-0123456789 }`,
    ].join('\n')));
    client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([claude?.close(), chat?.close()]);
  });
  beforeEach(() => {
    claude.reset();
    chat.reset();
  });

  const history: OpenAI.Responses.ResponseInputItem[] = [
    { role: 'user', content: 'Fix the failing test in app.ts.' },
    { type: 'message', role: 'assistant', content: 'Reading app.ts first.' },
    { type: 'function_call', call_id: 'call_1', name: 'read_file', arguments: '{"path":"app.ts"}' },
    { type: 'function_call_output', call_id: 'call_1', output: 'export const add = (a, b) => a - b;' },
    { role: 'user', content: [{ type: 'input_text', text: 'Then run the tests.' }] },
  ];
  const tools: OpenAI.Responses.Tool[] = [{ type: 'function', name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } }, strict: false }];

  it('an Anthropic backend writes the summary; the answer is the user messages and one sealed compaction item', async () => {
    claude.enqueue({ text: 'The user wants the failing test fixed: add() in app.ts subtracts. Next: fix it, run the tests.', usage: { input: 300, output: 40 } });
    const compacted = await client.responses.compact({ model: 'claude:claude-sonnet-4-6', instructions: 'You are a coding agent.', input: history, tools } as never);
    expect(compacted.object).to.equal('response.compaction');
    expect(compacted.id).to.match(/^resp_/);
    expect(compacted.output.map((o) => o.type)).to.deep.equal(['message', 'message', 'compaction']);
    expect(compacted.output.slice(0, 2).map((o) => (o as { role: string }).role)).to.deep.equal(['user', 'user']);
    const item = compacted.output[2] as { type: 'compaction'; encrypted_content: string };
    expect(item.encrypted_content).to.match(/^lip1\.lip\.compaction\./);
    expect(compacted.usage).to.deep.include({ input_tokens: 300, output_tokens: 40 });

    const sent = claude.requests[0]!.body;
    expect(sent.system).to.deep.equal([{ type: 'text', text: 'You are a coding agent.' }]);
    expect(sent.tool_choice).to.deep.equal({ type: 'none' });
    expect(sent.stream).to.equal(false);
    const last = sent.messages[sent.messages.length - 1];
    expect(JSON.stringify(last.content)).to.contain(COMPACTION_INSTRUCTION);
    expect(JSON.stringify(sent.messages)).to.contain('a - b');
  });

  it('a later turn that sends the compacted output back gives the summary in place of the replaced turns (on another backend too)', async () => {
    claude.enqueue({ text: 'SUMMARY: add() subtracts; fix it and run the tests.' });
    const compacted = await client.responses.compact({ model: 'claude:claude-sonnet-4-6', input: history, tools } as never);
    chat.enqueue({ text: 'Fixed.' });
    const next = await client.responses.create({
      model: 'oai:gpt-5.4-mini', tools,
      input: [...(compacted.output as unknown as OpenAI.Responses.ResponseInputItem[]), { role: 'user', content: 'Go ahead.' }],
    });
    expect(next.output_text).to.equal('Fixed.');
    const messages = chat.requests[0]!.body.messages as { role: string; content: string }[];
    expect(messages.map((m) => m.role)).to.deep.equal(['user', 'user', 'user', 'user']);
    expect(messages[2]!.content).to.equal(`${COMPACTION_PREAMBLE}\n\nSUMMARY: add() subtracts; fix it and run the tests.`);
    expect(JSON.stringify(messages)).to.not.contain('a - b');
  });

  it('OpenAI\'s own compaction item, or a compaction trigger, is refused by a backend of another provider before sending: a 400 naming the item', async () => {
    const foreign = await client.responses.create({
      model: 'oai:gpt-5.4-mini', input: [{ type: 'compaction', encrypted_content: 'gAAAAABopaque-openai-state' } as never, { role: 'user', content: 'x' }],
    }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(foreign).to.be.instanceOf(OpenAI.BadRequestError);
    expect(foreign.error).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED' });
    expect(foreign.message).to.contain('compaction block').and.contain('no readable summary');
    expect(foreign.message).to.not.contain('gAAAAABopaque-openai-state');
    const trigger = await client.responses.create({ model: 'oai:gpt-5.4-mini', input: [{ role: 'user', content: 'x' }, { type: 'compaction_trigger' } as never] })
      .catch((e: unknown) => e) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(trigger).to.be.instanceOf(OpenAI.BadRequestError);
    expect(trigger.error).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED' });
    expect(trigger.message).to.contain('the hosted compaction_trigger');
    // A trigger that is not the last item is the client's mistake, named where it is.
    const early = await client.responses.create({ model: 'oai:gpt-5.4-mini', input: [{ type: 'compaction_trigger' } as never, { role: 'user', content: 'x' }] })
      .catch((e: unknown) => e) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(early.error).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'input[0].type' });
    expect(chat.requests).to.have.length(0);
  });
});
