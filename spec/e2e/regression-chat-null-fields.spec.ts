import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

type Json = Record<string, any>;

/**
 * Optional Chat fields sent as explicit `null` were refused 400 LIP_ERR_REQUEST_INVALID, though
 * OpenAI takes null for them as absent. openai-python's `message.model_dump()` of a text answer
 * has `tool_calls` (with `refusal`, `annotations`, `audio`, `function_call`) null, so a Python
 * client that appends the answer to its history broke on its second turn. Each null now reads
 * as the field's absence: nothing of it reaches the upstream, or its default does.
 */
describe('e2e regression: Chat fields sent as null read as absent', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  before(async () => {
    upstream = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "${upstream.url}", api_key: k-0123456789 }`));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
  });
  beforeEach(() => upstream.reset());

  it('a second turn whose history holds the first answer as openai-python model_dump() writes it', async () => {
    upstream.enqueue({ text: 'Hello' });
    const first = await openai.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    // ChatCompletionMessage.model_dump() of a text-only answer: every optional field present, null.
    const dumped = { ...first.choices[0]!.message, refusal: null, annotations: null, audio: null, function_call: null, tool_calls: null };
    upstream.enqueue({ text: 'Again' });
    const second = await openai.chat.completions.create({
      model: 'oc:gpt-4o',
      messages: [{ role: 'user', content: 'hi' }, dumped as unknown as OpenAI.ChatCompletionMessageParam, { role: 'user', content: 'again' }],
    });
    expect(second.choices[0]!.message.content).to.equal('Again');
    const sent = upstream.requests[1]!.body as Json;
    expect(sent.messages[1]).to.deep.equal({ role: 'assistant', content: 'Hello' });
  });

  const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }];
  const cases: { name: string; extra: Json; sent: (body: Json) => unknown; expected: unknown }[] = [
    { name: 'user', extra: { user: null }, sent: (b) => 'user' in b, expected: false },
    { name: 'tool_choice (with tools)', extra: { tools, tool_choice: null }, sent: (b) => b.tool_choice ?? 'auto', expected: 'auto' },
    {
      name: 'tools[].function.description',
      extra: { tools: [{ type: 'function', function: { name: 'f', description: null, parameters: { type: 'object' } } }] },
      sent: (b) => 'description' in b.tools[0].function, expected: false,
    },
    {
      name: 'tools[].function.parameters',
      extra: { tools: [{ type: 'function', function: { name: 'f', parameters: null } }] },
      sent: (b) => b.tools[0].function.parameters, expected: { type: 'object', properties: {} },
    },
    {
      name: 'response_format.json_schema.description',
      extra: { response_format: { type: 'json_schema', json_schema: { name: 'x', description: null, schema: { type: 'object' } } } },
      sent: (b) => [b.response_format.type, 'description' in b.response_format.json_schema], expected: ['json_schema', false],
    },
    {
      name: 'response_format.json_schema.schema',
      extra: { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: null } } },
      sent: (b) => b.response_format.json_schema.schema, expected: {},
    },
    {
      name: 'tools[].custom.description and format',
      extra: { tools: [{ type: 'custom', custom: { name: 'c', description: null, format: null } }] },
      sent: (b) => [b.tools[0].type, 'description' in b.tools[0].custom, 'format' in b.tools[0].custom], expected: ['custom', false, false],
    },
    { name: 'a user message\'s name', extra: { messages: [{ role: 'user', content: 'hi', name: null }] }, sent: (b) => 'name' in b.messages[0], expected: false },
  ];
  for (const c of cases) {
    it(`${c.name}: null is as absent`, async () => {
      upstream.enqueue({ text: 'ok' });
      const res = await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...c.extra }) });
      expect(res.status, res.body).to.equal(200);
      expect(c.sent(upstream.requests[0]!.body as Json)).to.deep.equal(c.expected);
    });
  }

  it('stream_options.include_usage: null streams without the usage chunk', async () => {
    upstream.enqueue({ text: 'ok' });
    const res = await httpRequest(`${lip.url}/v1/chat/completions`, {
      body: JSON.stringify({ model: 'oc:gpt-4o', stream: true, stream_options: { include_usage: null }, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status, res.body).to.equal(200);
    const chunks = res.body.split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)) as Json);
    expect(chunks.map((k) => k.choices[0]?.delta?.content ?? '').join('')).to.equal('ok');
    expect(chunks.filter((k) => k.usage)).to.have.length(0);
  });

  it('every optional field OpenAI takes as null, at once', async () => {
    upstream.enqueue({ text: 'ok' });
    const nulls = Object.fromEntries([
      'stop', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'n', 'logprobs', 'top_logprobs', 'user', 'metadata', 'seed',
      'presence_penalty', 'frequency_penalty', 'response_format', 'tool_choice', 'stream', 'stream_options', 'parallel_tool_calls',
      'functions', 'function_call', 'audio', 'modalities', 'service_tier', 'prediction', 'reasoning_effort', 'store', 'logit_bias',
      'web_search_options', 'verbosity', 'prompt_cache_key', 'safety_identifier', 'prompt_cache_retention',
    ].map((f) => [f, null]));
    const res = await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'hi' }], tools, ...nulls }) });
    expect(res.status, res.body).to.equal(200);
    const sent = upstream.requests[0]!.body as Json;
    expect(Object.entries(sent).filter(([, v]) => v === null)).to.deep.equal([]);
  });

  it('a wrong type is still a 400 naming the field', async () => {
    for (const [extra, param] of [
      [{ user: 7 }, 'user'],
      [{ tools, tool_choice: 7 }, 'tool_choice'],
      [{ stream: true, stream_options: { include_usage: 'yes' } }, 'stream_options.include_usage'],
      [{ tools: [{ type: 'function', function: { name: 'f', parameters: 'x' } }] }, 'tools[0].function.parameters'],
    ] as const) {
      const res = await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...extra }) });
      expect([res.status, JSON.parse(res.body).error.param]).to.deep.equal([400, param]);
    }
    expect(upstream.requests).to.have.length(0);
  });
});
