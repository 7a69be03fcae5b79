import { expect } from 'chai';
import OpenAI from 'openai';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

const WEATHER = { name: 'get_weather', description: 'The weather in a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

/**
 * The `custom-openresponses` backend (an openai-responses row with `profile: openresponses`)
 * against an Open Responses server that holds to its specification: it parses every request
 * with the specification's schema and refuses a field the specification does not define
 * (spec/helpers/emulators/openresponses-emulator.ts). The clients are the official SDKs of the
 * four protocols. (The official compliance suite also runs through it:
 * spec/e2e/openresponses-compliance.spec.ts.)
 */
describe('e2e: the custom-openresponses backend against a strict Open Responses server', function () {
  this.timeout(30_000);
  const up = useUpstreams({
    ors: { kind: 'custom-openresponses' },
    // The same server as an OpenAI Responses row: what the openai profile sends, it refuses.
    oai: { kind: 'openai-responses', sharing: 'ors' },
    real: { kind: 'openai-responses' },
  }, 'model_aliases: [{ pattern: "^hosted$", replacement: "ors:m|real:gpt-x" }]');
  const server = () => up.emulators.ors!;

  it('Chat Completions with tools, an image and every sampling knob: the profile\'s own items and fields, nothing else', async () => {
    server().enqueue({ text: 'Checking.', toolCalls: [{ id: 'call_1', name: 'get_weather', args: '{"city":"Oslo"}' }], usage: { input: 30, output: 9 } });
    const answer = await up.openai().chat.completions.create({
      model: 'ors:m', temperature: 0.3, top_p: 0.9, presence_penalty: 0.5, frequency_penalty: 0.25, max_completion_tokens: 200, user: 'u-7',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Weather here?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PIXEL}` } }] },
      ],
      tools: [{ type: 'function', function: WEATHER }], tool_choice: 'required',
    });
    expect(answer.choices[0]!.message.tool_calls![0]).to.deep.include({ id: 'call_1', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } });
    const sent = server().requests[0]!.body as Json;
    expect(sent).to.deep.include({
      model: 'm', instructions: 'Be brief.', temperature: 0.3, top_p: 0.9, presence_penalty: 0.5, frequency_penalty: 0.25, max_output_tokens: 200,
      safety_identifier: 'u-7', tool_choice: 'required', store: false,
    });
    expect(sent.input).to.deep.equal([{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather here?' }, { type: 'input_image', image_url: `data:image/png;base64,${PIXEL}`, detail: 'auto' }] }]);
    expect(sent.tools).to.deep.equal([{ type: 'function', ...WEATHER, strict: false }]);
    expect(sent).to.not.have.any.keys('user', 'include', 'stream_options');
  });

  it('an Anthropic tool round trip (tool_result with text) and thinking as a reasoning effort, streamed', async () => {
    server().enqueue({ reasoning: { text: 'Consider Oslo.' }, text: 'It is sunny.', usage: { input: 50, output: 20, reasoning: 8 } });
    const stream = up.anthropic().messages.stream({
      model: 'ors:m', max_tokens: 1024, thinking: { type: 'enabled', budget_tokens: 512 },
      tools: [{ name: WEATHER.name, description: WEATHER.description, input_schema: WEATHER.parameters as never }],
      messages: [
        { role: 'user', content: 'Weather in Oslo?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'sunny, 21 C' }] }] },
      ],
    });
    const message = await stream.finalMessage();
    expect(message.content.map((b) => b.type)).to.deep.equal(['thinking', 'text']);
    expect((message.content[1] as { text: string }).text).to.equal('It is sunny.');
    const sent = server().requests[0]!.body as Json;
    expect(sent.stream).to.equal(true);
    expect(sent.reasoning).to.deep.include({ summary: 'auto' });
    expect(['low', 'medium', 'high']).to.include(sent.reasoning.effort);
    expect(sent.input.slice(1)).to.deep.equal([
      { type: 'function_call', call_id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
      { type: 'function_call_output', call_id: 'toolu_1', output: [{ type: 'input_text', text: 'sunny, 21 C' }] },
    ]);
  });

  it('Gemini function declarations and a function response', async () => {
    server().enqueue({ text: 'Oslo is sunny.' });
    const answer = await up.google().models.generateContent({
      model: 'ors:m',
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Oslo?' }] },
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Oslo' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { forecast: 'sunny' } } }] },
      ],
      config: { tools: [{ functionDeclarations: [{ name: 'get_weather', description: WEATHER.description, parametersJsonSchema: WEATHER.parameters }] }] },
    });
    expect(answer.text).to.equal('Oslo is sunny.');
    const sent = server().requests[0]!.body as Json;
    expect(sent.input.map((i: Json) => i.type)).to.deep.equal(['message', 'function_call', 'function_call_output']);
    expect(sent.input[1].call_id).to.equal(sent.input[2].call_id);
  });

  it('a Responses client\'s custom tool goes as a function and comes back as its custom call; the openai profile\'s custom tool is refused by the server', async () => {
    const client = up.openai();
    const tools = [{ type: 'custom' as const, name: 'run_sql', description: 'Runs SQL.' }];
    server().enqueue({ toolCalls: [{ id: 'call_q', name: 'run_sql', args: '{"input":"SELECT 1"}' }] });
    const answer = await client.responses.create({ model: 'ors:m', input: 'Count the rows.', tools });
    expect(answer.output.at(-1)).to.deep.include({ type: 'custom_tool_call', call_id: 'call_q', name: 'run_sql', input: 'SELECT 1' });
    expect((server().requests[0]!.body as Json).tools[0]).to.deep.include({ type: 'function', name: 'run_sql' });
    // The same request through the openai profile sends OpenAI's custom tool, which the specification does not have.
    const refused = await client.responses.create({ model: 'oai:m', input: 'Count the rows.', tools }).then(() => undefined, (e: unknown) => e);
    expect(refused).to.be.instanceOf(OpenAI.APIError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).message).to.contain('not an Open Responses create request');
  });

  it('a hosted tool is refused before sending and the route moves on to a backend of its provider; the web search too', async () => {
    up.emulators.real!.enqueue({ text: 'Ran the code.' }, { text: 'Searched.' });
    const hosted = await up.openai().responses.create({ model: 'hosted', input: 'Compute 2**10.', tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] });
    expect(hosted.output_text).to.equal('Ran the code.');
    const searched = await up.openai().responses.create({ model: 'hosted', input: 'News?', tools: [{ type: 'web_search' }] });
    expect(searched.output_text).to.equal('Searched.');
    expect(server().requests).to.have.length(0);
  });

  it('an upstream error in the Responses envelope is classified as from OpenAI (a 429 is retryable: the route moves on)', async () => {
    server().enqueue({ status: 429, error: { message: 'slow down', type: 'rate_limit_error' } });
    up.emulators.real!.enqueue({ text: 'From the other one.' });
    const answer = await up.openai().responses.create({ model: 'hosted', input: 'Hi.' });
    expect(answer.output_text).to.equal('From the other one.');
    expect(server().requests).to.have.length(1);
  });
});
