import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startAnthropicEmulator, startBedrockEmulator, startOpenAIResponsesEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const CLAUDE_ON_BEDROCK = 'anthropic.claude-sonnet-4-20250514-v1:0';
const tools: OpenAI.Responses.Tool[] = [
  { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: false },
];

/**
 * A tool call another provider made (OpenAI Responses, with its encrypted reasoning), answered
 * after failover to Claude with reasoning on, reached Claude with thinking enabled and a final
 * assistant turn that was a bare `tool_use` (the other provider's reasoning is rightly left out).
 * Anthropic refuses that ("When `thinking` is enabled, a final `assistant` message must start
 * with a thinking block ... To avoid this requirement, disable `thinking`"; the emulators refuse
 * it likewise), so the turn failed on the anthropic and bedrock backends. Such a request now goes
 * without thinking; a loop Claude began with its own signed thinking still thinks.
 */
describe('e2e: regression: a foreign tool loop answered on Claude with reasoning goes without thinking', () => {
  let responses: Emulator;
  let anthropic: Emulator;
  let bedrock: Emulator;
  let lip: RunningLip;
  let client: OpenAI;
  before(async () => {
    [responses, anthropic, bedrock] = await Promise.all([startOpenAIResponsesEmulator(), startAnthropicEmulator(), startBedrockEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: oresp, kind: openai-responses, base_url: "${responses.url}", api_key: k-0123456789 }`,
      `  - { id: an, kind: anthropic, base_url: "${anthropic.url}", api_key: k-0123456789 }`,
      bedrockRow('br', bedrock),
    ].join('\n'), 'routing: { max_attempts: 4 }'));
    client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([responses?.close(), anthropic?.close(), bedrock?.close()]);
  });
  beforeEach(() => {
    for (const e of [responses, anthropic, bedrock]) e.reset();
  });

  /** Turn 1 on `first` (a tool call), turn 2 (its output, by previous_response_id) on `model`'s second leg. */
  async function loop(model: string, first: Emulator, firstScript: Parameters<Emulator['enqueue']>[0], second: Emulator) {
    first.enqueue(firstScript);
    const t1 = await client.responses.create({ model, tools, reasoning: { effort: 'high' }, input: 'Weather in Paris?' });
    const call = t1.output.find((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call')!;
    if (first !== second) first.enqueue({ status: 503, error: { message: 'overloaded' } });
    second.enqueue({ text: 'Sunny.' });
    const t2 = await client.responses.create({
      model, tools, reasoning: { effort: 'high' }, previous_response_id: t1.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temp":21}' }],
    });
    return { t2, body: second.requests.at(-1)!.body };
  }
  const foreignCall = { reasoning: { text: 'R1', encrypted: 'enc-A', id: 'rs_A' }, toolCalls: [{ id: 'call_A1', name: 'get_weather', args: '{"city":"Paris"}' }] };

  it('anthropic: the loop goes without thinking, and the answer comes', async () => {
    const { t2, body } = await loop('oresp:model-x|an:claude-sonnet-4-6', responses, foreignCall, anthropic);
    expect(t2.output_text).to.equal('Sunny.');
    expect(body).not.to.have.property('thinking');
    expect(body.messages.at(-2).content.map((b: { type: string }) => b.type)).to.deep.equal(['tool_use']);
  });

  it('bedrock (Claude): the loop goes without thinking, and the answer comes', async () => {
    const { t2, body } = await loop(`oresp:model-x|br:${CLAUDE_ON_BEDROCK}`, responses, foreignCall, bedrock);
    expect(t2.output_text).to.equal('Sunny.');
    expect(body.additionalModelRequestFields?.thinking).to.equal(undefined);
    expect(body.messages.at(-2).content.map((b: object) => Object.keys(b)[0])).to.deep.equal(['toolUse']);
  });

  it('a loop Claude began with its own signed thinking still thinks', async () => {
    const own = { reasoning: { text: 'Look it up.', signature: 'sig-1' }, toolCalls: [{ id: 'toolu_1', name: 'get_weather', args: '{"city":"Paris"}' }] };
    const { body } = await loop('an:claude-sonnet-4-6', anthropic, own, anthropic);
    expect(body.thinking).to.deep.equal({ type: 'enabled', budget_tokens: 16384 });
    expect(body.messages.at(-2).content.map((b: { type: string }) => b.type)).to.deep.equal(['thinking', 'tool_use']);
  });

  it('bedrock (Claude): a loop it began with its own signed thinking still thinks', async () => {
    const own = { reasoning: { text: 'Look it up.', signature: 'sig-1' }, toolCalls: [{ id: 'tooluse_1', name: 'get_weather', args: '{"city":"Paris"}' }] };
    const { body } = await loop(`br:${CLAUDE_ON_BEDROCK}`, bedrock, own, bedrock);
    expect(body.additionalModelRequestFields?.thinking).to.deep.equal({ type: 'enabled', budget_tokens: 16384 });
    expect(body.messages.at(-2).content.map((b: object) => Object.keys(b)[0])).to.deep.equal(['reasoningContent', 'toolUse']);
  });
});
