import { expect } from 'chai';
import OpenAI from 'openai';
import type { ResponseInput } from 'openai/resources/responses/responses';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { anthropicProtocol, bedrockProtocol, startAnthropicEmulator, startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/** A Responses client's history: a call, the user's text, then the call's output. */
const input: ResponseInput = [
  { role: 'user', content: 'run it' },
  { type: 'function_call', call_id: 'c1', name: 'sh', arguments: '{}' },
  { role: 'user', content: 'btw hurry' },
  { type: 'function_call_output', call_id: 'c1', output: 'ok' },
];
const tools = [{ type: 'function' as const, name: 'sh', parameters: { type: 'object' }, strict: false }];

/**
 * A user turn merged in arrival order: a Responses client that wrote text between a call and its
 * output had Anthropic get `[text, tool_result]`, which it refuses ("Messages following tool_use
 * blocks must begin with a matching number of tool_result blocks"), as Bedrock Converse refuses
 * text before `toolResult`. The results now lead the turn; the emulators refuse the other order,
 * as the services do.
 */
describe('e2e regression: tool results lead the user turn they are merged into', function () {
  this.timeout(20_000);
  let claude: Emulator;
  let bedrock: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  before(async () => {
    [claude, bedrock] = await Promise.all([startAnthropicEmulator(), startBedrockEmulator()]);
    lip = await startLip(testConfig(`  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789 }
${bedrockRow('br', bedrock)}`));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([claude?.close(), bedrock?.close()]);
  });
  beforeEach(() => {
    claude.reset();
    bedrock.reset();
  });

  it('the emulators refuse a turn after tool calls that does not begin with their results', () => {
    const anthropic = { messages: [
      { role: 'assistant', content: [{ type: 'tool_use', id: 'c1', name: 'sh', input: {} }] },
      { role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'tool_result', tool_use_id: 'c1', content: 'ok' }] },
    ] };
    expect(anthropicProtocol.refuse!({ body: anthropic } as never)?.error.message).to.equal('messages.1: Did not find 1 tool_result block(s) at the beginning of this message. Messages following tool_use blocks must begin with a matching number of tool_result blocks.');
    const converse = { toolConfig: { tools: [{ toolSpec: { name: 'sh', inputSchema: { json: { type: 'object' } } } }] }, messages: [
      { role: 'assistant', content: [{ toolUse: { toolUseId: 'c1', name: 'sh', input: {} } }] },
      { role: 'user', content: [{ text: 'x' }, { toolResult: { toolUseId: 'c1', content: [{ text: 'ok' }] } }] },
    ] };
    expect(bedrockProtocol.refuse!({ body: converse } as never)).to.deep.include({ status: 400 });
    converse.messages[1]!.content.reverse();
    expect(bedrockProtocol.refuse!({ body: converse } as never)).to.equal(undefined);
  });

  it('Anthropic gets the tool result first, the user\'s text after', async () => {
    claude.enqueue({ text: 'done' });
    const response = await openai.responses.create({ model: 'an:claude-sonnet-4-6', tools, input });
    expect(response.output_text).to.equal('done');
    expect(claude.requests[0]!.body.messages.at(-1)).to.deep.equal({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c1', content: 'ok' }, { type: 'text', text: 'btw hurry' }] });
  });

  it('Bedrock Converse gets the toolResult first, the user\'s text after', async () => {
    bedrock.enqueue({ text: 'done' });
    const response = await openai.responses.create({ model: 'br:anthropic.claude-sonnet-4-20250514-v1:0', tools, input });
    expect(response.output_text).to.equal('done');
    expect(bedrock.requests[0]!.body.messages.at(-1)).to.deep.equal({ role: 'user', content: [{ toolResult: { toolUseId: 'c1', content: [{ text: 'ok' }], status: 'success' } }, { text: 'btw hurry' }] });
  });
});
