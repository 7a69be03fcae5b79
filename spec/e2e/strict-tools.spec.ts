import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/** Inside both providers' strict subsets: every property required, no others allowed. */
const CLOSED = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
/** Strict for Anthropic (an optional property), outside the Chat and Responses APIs' strict subset. */
const OPTIONAL = { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'], additionalProperties: false };

/**
 * Strict tool use (constrained tool inputs) crosses protocols: an Anthropic client's `strict: true`
 * reaches an Anthropic upstream and, where the schema allows it, the OpenAI APIs; an OpenAI
 * client's strict function reaches an Anthropic upstream. Before, both directions dropped it, so
 * the model's arguments were no longer guaranteed to match the schema.
 */
describe('e2e: strict tools across protocols', function () {
  this.timeout(20_000);
  const emulators: Record<string, Emulator> = {};
  let lip: RunningLip;
  let anthropic: Anthropic;
  let openai: OpenAI;
  before(async () => {
    [emulators.an, emulators.oc, emulators.or] = await Promise.all([startAnthropicEmulator(), startOpenAIChatEmulator(), startOpenAIResponsesEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: an, kind: anthropic, base_url: "${emulators.an.url}", api_key: k-0123456789 }`,
      `  - { id: oc, kind: openai-chat, base_url: "${emulators.oc.url}", api_key: k-0123456789 }`,
      `  - { id: or, kind: openai-responses, base_url: "${emulators.or.url}", api_key: k-0123456789 }`,
    ].join('\n')));
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    for (const emu of Object.values(emulators)) await emu.close();
  });
  beforeEach(() => {
    for (const emu of Object.values(emulators)) emu.reset();
  });

  const tools = [
    { name: 'weather', description: 'Weather in a city', input_schema: CLOSED, strict: true },
    { name: 'forecast', input_schema: OPTIONAL, strict: true },
    { name: 'loose', input_schema: CLOSED },
  ] as Anthropic.Tool[];
  const ask = (model: string) => anthropic.messages.create({ model, max_tokens: 64, tools, messages: [{ role: 'user', content: 'Weather in Oslo?' }] });

  it('an Anthropic client\'s strict tools reach an anthropic upstream as sent', async () => {
    emulators.an!.enqueue({ toolCalls: [{ id: 'toolu_1', name: 'weather', args: '{"city":"Oslo"}' }], finish: 'tool_calls' });
    const message = await ask('an:claude-sonnet-4-6');
    expect(message.stop_reason).to.equal('tool_use');
    const sent = emulators.an!.requests[0]!.body.tools as Record<string, unknown>[];
    expect(sent).to.deep.equal([
      { name: 'weather', description: 'Weather in a city', input_schema: CLOSED, strict: true },
      { name: 'forecast', input_schema: OPTIONAL, strict: true },
      { name: 'loose', input_schema: CLOSED },
    ]);
  });

  it('on an openai-chat upstream strict stays where the schema is inside its strict subset', async () => {
    emulators.oc!.enqueue({ text: 'Sunny.' });
    await ask('oc:gpt-5.4-mini');
    const sent = emulators.oc!.requests[0]!.body.tools as { function: Record<string, unknown> }[];
    expect(sent.map((t) => [t.function.name, t.function.strict])).to.deep.equal([['weather', true], ['forecast', false], ['loose', undefined]]);
  });

  it('on an openai-responses upstream likewise (strict is always written there: the API defaults it to true)', async () => {
    emulators.or!.enqueue({ text: 'Sunny.' });
    await ask('or:gpt-5.4-mini');
    const sent = emulators.or!.requests[0]!.body.tools as Record<string, unknown>[];
    expect(sent.map((t) => [t.name, t.strict])).to.deep.equal([['weather', true], ['forecast', false], ['loose', false]]);
  });

  it('an OpenAI Chat client\'s strict function reaches an anthropic upstream as strict', async () => {
    emulators.an!.enqueue({ toolCalls: [{ id: 'toolu_2', name: 'weather', args: '{"city":"Oslo"}' }], finish: 'tool_calls' });
    const completion = await openai.chat.completions.create({
      model: 'an:claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [
        { type: 'function', function: { name: 'weather', parameters: CLOSED, strict: true } },
        { type: 'function', function: { name: 'loose', parameters: CLOSED } },
      ],
    });
    expect(completion.choices[0]!.message.tool_calls?.[0]).to.deep.include({ id: 'toolu_2' });
    const sent = emulators.an!.requests[0]!.body.tools as Record<string, unknown>[];
    expect(sent.map((t) => [t.name, t.strict])).to.deep.equal([['weather', true], ['loose', undefined]]);
  });

  it('a Responses client\'s strict function reaches an anthropic upstream as strict', async () => {
    emulators.an!.enqueue({ text: 'Sunny.' });
    await openai.responses.create({
      model: 'an:claude-sonnet-4-6', input: 'Weather in Oslo?',
      tools: [{ type: 'function', name: 'weather', parameters: CLOSED, strict: true }, { type: 'function', name: 'loose', parameters: CLOSED, strict: false }],
    });
    const sent = emulators.an!.requests[0]!.body.tools as Record<string, unknown>[];
    expect(sent.map((t) => [t.name, t.strict])).to.deep.equal([['weather', true], ['loose', undefined]]);
  });
});
