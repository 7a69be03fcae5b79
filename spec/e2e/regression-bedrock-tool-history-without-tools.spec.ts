import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { bedrockProtocol, startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const MODEL = 'br:anthropic.claude-sonnet-4-20250514-v1:0';
const MINIMAL = { type: 'object' };

/**
 * Converse refuses a conversation with `toolUse` / `toolResult` blocks and no `toolConfig` (400
 * ValidationException "The toolConfig field must be defined when using toolUse and toolResult
 * content blocks."). lip wrote `toolConfig` only for declared tools, so a client that asked for a
 * summary of a tool conversation without declaring its tools again (or that left them out as the
 * `tool_choice: none` refusal advises) got the 400. lip now declares the tools the history used,
 * each with any input; the emulator refuses the request without, as Bedrock does.
 */
describe('e2e regression: a Bedrock conversation with tool calls and no tools declared', function () {
  this.timeout(20_000);
  let bedrock: Emulator;
  let lip: RunningLip;
  before(async () => {
    bedrock = await startBedrockEmulator();
    lip = await startLip(testConfig(bedrockRow('br', bedrock)));
  });
  after(async () => {
    await lip?.close();
    await bedrock?.close();
  });
  beforeEach(() => bedrock.reset());

  it('the emulator refuses toolUse / toolResult blocks without a toolConfig, as Converse does', () => {
    const messages = [
      { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'get_weather', input: {} } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [{ text: 'sunny' }] } }] },
    ];
    expect(bedrockProtocol.refuse!({ body: { messages } } as never)).to.deep.equal({ status: 400, error: { type: 'ValidationException', message: 'The toolConfig field must be defined when using toolUse and toolResult content blocks.' } });
    const toolConfig = { tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: MINIMAL } } }] };
    expect(bedrockProtocol.refuse!({ body: { messages, toolConfig } } as never)).to.equal(undefined);
  });

  for (const stream of [false, true]) it(`an Anthropic client's tool history without tools is answered, the history's tools declared (${stream ? 'streaming' : 'non-streaming'})`, async () => {
    bedrock.enqueue({ text: 'It is sunny in Paris.' });
    const anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
    const request = {
      model: MODEL, max_tokens: 100, messages: [
        { role: 'user' as const, content: 'weather in Paris?' },
        { role: 'assistant' as const, content: [{ type: 'tool_use' as const, id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user' as const, content: [{ type: 'tool_result' as const, tool_use_id: 'toolu_1', content: 'sunny' }, { type: 'text' as const, text: 'Summarise the conversation so far.' }] },
      ],
    };
    const message = stream ? await anthropic.messages.stream(request).finalMessage() : await anthropic.messages.create(request);
    expect(message.content.map((b) => (b.type === 'text' ? b.text : b.type))).to.deep.equal(['It is sunny in Paris.']);
    expect(bedrock.requests[0]!.body.toolConfig).to.deep.equal({ tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: MINIMAL } } }] });
  });

  it('a Chat client that leaves its tools out of a tool conversation is answered', async () => {
    bedrock.enqueue({ text: 'Paris: sunny; Rome: rain.' });
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const answer = await openai.chat.completions.create({
      model: MODEL, messages: [
        { role: 'user', content: 'weather in Paris and Rome?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }, { id: 'c2', type: 'function', function: { name: 'lookup', arguments: '{"q":"Rome"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
        { role: 'tool', tool_call_id: 'c2', content: 'rain' },
        { role: 'user', content: 'Summarise.' },
      ],
    });
    expect(answer.choices[0]!.message.content).to.equal('Paris: sunny; Rome: rain.');
    expect(bedrock.requests[0]!.body.toolConfig.tools.map((t: { toolSpec: { name: string } }) => t.toolSpec.name)).to.deep.equal(['get_weather', 'lookup']);
  });
});
