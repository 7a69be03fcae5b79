import { FunctionCallingConfigMode, GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startAnthropicEmulator, startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const CLOSED = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
const CLAUDE_ON_BEDROCK = 'anthropic.claude-sonnet-4-20250514-v1:0';

/**
 * A call that forces a tool call and asks for reasoning reaches a Claude model with the tool
 * choice and without thinking. Anthropic refuses thinking beside a forced tool choice ("Thinking
 * may not be enabled when tool_choice forces tool use"; the emulators refuse it likewise), so a
 * Chat client's `tool_choice: "required"` or named function with `reasoning_effort`, or a Gemini
 * client's mode ANY with a thinking budget, failed every turn with a 400 on the anthropic and
 * bedrock backends. The same call with an unforced choice still thinks.
 */
describe('e2e: regression: a forced tool choice with reasoning reaches Claude without thinking', () => {
  let anthropic: Emulator;
  let bedrock: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  before(async () => {
    [anthropic, bedrock] = await Promise.all([startAnthropicEmulator(), startBedrockEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: an, kind: anthropic, base_url: "${anthropic.url}", api_key: k-0123456789 }`,
      bedrockRow('br', bedrock),
    ].join('\n')));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([anthropic?.close(), bedrock?.close()]);
  });
  beforeEach(() => {
    anthropic.reset();
    bedrock.reset();
  });

  const tools: OpenAI.ChatCompletionTool[] = [
    { type: 'function', function: { name: 'weather', parameters: CLOSED } },
    { type: 'function', function: { name: 'time', parameters: CLOSED } },
  ];
  const ask = (model: string, tool_choice: OpenAI.ChatCompletionToolChoiceOption) => openai.chat.completions.create({
    model, messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools, tool_choice, reasoning_effort: 'high',
  });

  it('a Chat client\'s required and named tool choices with reasoning_effort reach an anthropic upstream without thinking', async () => {
    for (const id of ['toolu_1', 'toolu_2']) anthropic.enqueue({ toolCalls: [{ id, name: 'weather', args: '{"city":"Oslo"}' }] });
    const required = await ask('an:claude-sonnet-4-6', 'required');
    const named = await ask('an:claude-sonnet-4-6', { type: 'function', function: { name: 'weather' } });
    expect([required, named].map((c) => c.choices[0]!.message.tool_calls?.[0]?.id)).to.deep.equal(['toolu_1', 'toolu_2']);
    expect(anthropic.requests.map((r) => [r.body.tool_choice, r.body.thinking])).to.deep.equal([[{ type: 'any' }, undefined], [{ type: 'tool', name: 'weather' }, undefined]]);
  });

  it('the same call with tool_choice auto still thinks', async () => {
    anthropic.enqueue({ text: 'Sunny.' });
    await ask('an:claude-sonnet-4-6', 'auto');
    expect(anthropic.requests[0]!.body).to.deep.include({ tool_choice: { type: 'auto' }, thinking: { type: 'enabled', budget_tokens: 16384 } });
  });

  it('a Gemini client\'s mode ANY with a thinking budget reaches an anthropic upstream without thinking', async () => {
    anthropic.enqueue({ toolCalls: [{ id: 'toolu_3', name: 'weather', args: '{"city":"Oslo"}' }] });
    const google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
    const answer = await google.models.generateContent({
      model: 'an:claude-sonnet-4-6', contents: 'Weather in Oslo?',
      config: {
        tools: [{ functionDeclarations: [{ name: 'weather', parametersJsonSchema: CLOSED }] }],
        toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY } },
        thinkingConfig: { thinkingBudget: 4096 },
      },
    });
    expect(answer.functionCalls?.map((c) => c.name)).to.deep.equal(['weather']);
    expect(anthropic.requests[0]!.body.tool_choice).to.deep.equal({ type: 'any' });
    expect(anthropic.requests[0]!.body).not.to.have.property('thinking');
  });

  it('a Chat client\'s required tool choice with reasoning_effort reaches a Claude model on bedrock without thinking', async () => {
    bedrock.enqueue({ toolCalls: [{ id: 'tooluse_1', name: 'weather', args: '{"city":"Oslo"}' }] });
    const completion = await ask(`br:${CLAUDE_ON_BEDROCK}`, 'required');
    expect(completion.choices[0]!.message.tool_calls?.[0]?.id).to.equal('tooluse_1');
    expect(bedrock.requests[0]!.body.toolConfig.toolChoice).to.deep.equal({ any: {} });
    expect(bedrock.requests[0]!.body).not.to.have.property('additionalModelRequestFields');
  });
});
