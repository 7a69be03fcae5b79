import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { askAnthropic, askResponses, useUpstreams } from '../helpers/upstreams.js';

const TOOL = { name: 'read_file', description: 'Reads a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } };
const REASONING = 'I should read a.ts first.';
const TURN_ONE: Script = { reasoning: { text: ['I should ', 'read a.ts first.'] }, toolCalls: [{ id: 'call_r1', name: 'read_file', args: '{"path": "a.ts"}' }] };
const TURN_TWO: Script = { text: 'It says hi.' };

/**
 * A Chat client's tool loop that writes its history from content and tool calls alone: the first
 * turn (a tool call), then the follow-up without `reasoning_content`. Answers the follow-up's text.
 */
async function chatToolLoop(openai: OpenAI, model: string, stream = false): Promise<string | null> {
  const ask = async (messages: OpenAI.Chat.ChatCompletionMessageParam[]) => {
    const params = { model, messages, tools: [{ type: 'function' as const, function: TOOL }] };
    if (!stream) return (await openai.chat.completions.create(params)).choices[0]!.message;
    return (await openai.chat.completions.stream(params).finalChatCompletion()).choices[0]!.message;
  };
  const first = await ask([{ role: 'user', content: 'What is in a.ts?' }]);
  const call = first.tool_calls![0]! as { id: string; function: { name: string; arguments: string } };
  const answer = await ask([
    { role: 'user', content: 'What is in a.ts?' },
    { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: call.function }] },
    { role: 'tool', tool_call_id: call.id, content: 'hi' },
  ]);
  return answer.content;
}

/**
 * A Chat Completions server that wants its reasoning back (DeepSeek's thinking mode: an assistant
 * message with tool calls must carry its `reasoning_content`, or the request is refused) behind
 * clients that do not send it: a Chat client that keeps only content and tool calls, an Anthropic
 * client that drops its thinking blocks, a stateless Responses client that sends no reasoning item,
 * a Gemini client that drops its thought parts.
 * The emulator refuses as DeepSeek does (`checkState`); reasoning-output-preservation (on by
 * default for the catalogue's families) puts the reasoning back, so every follow-up is served.
 */
describe('e2e: reasoning-output-preservation puts back the reasoning clients leave out', () => {
  const SECRET = 'diagnostics-secret-0123';
  const up = useUpstreams({ ds: { kind: 'openai-chat', extra: 'reasoning_field: reasoning_content' } }, `diagnostics: { enabled: true, shared_secret: "${SECRET}" }\nobservability: { metrics: { enabled: true, path: /metrics } }`);
  beforeEach(() => { up.emulators.ds!.checkState = true; });
  const sentReasoning = () => {
    const messages = up.emulators.ds!.requests[1]!.body.messages as { role: string; reasoning_content?: string; tool_calls?: unknown[] }[];
    return messages.filter((m) => m.role === 'assistant').map((m) => m.reasoning_content);
  };

  for (const stream of [false, true]) {
    const mode = stream ? 'streamed' : 'whole';

    it(`Chat client without reasoning_content (${mode})`, async () => {
      up.emulators.ds!.enqueue(TURN_ONE, TURN_TWO);
      expect(await chatToolLoop(up.openai(), 'ds:deepseek-reasoner', stream)).to.equal('It says hi.');
      expect(sentReasoning()).to.deep.equal([REASONING]);
    });

    it(`Anthropic client without thinking blocks (${mode})`, async () => {
      const emu = up.emulators.ds!;
      emu.enqueue(TURN_ONE, TURN_TWO);
      const anthropic = up.anthropic();
      const tools = [{ name: TOOL.name, description: TOOL.description, input_schema: TOOL.parameters as never }];
      const first = await askAnthropic(anthropic, { model: 'ds:deepseek-reasoner', max_tokens: 1000, tools, messages: [{ role: 'user', content: 'What is in a.ts?' }] }, stream);
      expect(first.content.map((b) => b.type)).to.deep.equal(['thinking', 'tool_use']);
      const use = first.content.find((b) => b.type === 'tool_use')!;
      const answer = await askAnthropic(anthropic, {
        model: 'ds:deepseek-reasoner', max_tokens: 1000, tools,
        messages: [
          { role: 'user', content: 'What is in a.ts?' },
          { role: 'assistant', content: [use] }, // the thinking block left out
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'hi' }] },
        ],
      }, stream);
      expect(answer.content.map((b) => (b.type === 'text' ? b.text : b.type))).to.deep.equal(['It says hi.']);
      expect(sentReasoning()).to.deep.equal([REASONING]);
    });

    it(`stateless Responses client without its reasoning item (${mode})`, async () => {
      const emu = up.emulators.ds!;
      emu.enqueue(TURN_ONE, TURN_TWO);
      const openai = up.openai();
      const tools = [{ type: 'function' as const, name: TOOL.name, description: TOOL.description, parameters: TOOL.parameters, strict: false }];
      const { response } = await askResponses(openai, { model: 'ds:deepseek-reasoner', store: false, tools, input: 'What is in a.ts?' }, stream);
      const call = response.output.find((i) => i.type === 'function_call')!;
      const { response: answer } = await askResponses(openai, {
        model: 'ds:deepseek-reasoner', store: false, tools,
        input: [{ role: 'user', content: 'What is in a.ts?' }, call, { type: 'function_call_output', call_id: call.call_id, output: 'hi' }],
      }, stream);
      expect(answer.output_text).to.equal('It says hi.');
      expect(sentReasoning()).to.deep.equal([REASONING]);
    });
  }

  it('Gemini client without its thought parts', async () => {
    const emu = up.emulators.ds!;
    emu.enqueue(TURN_ONE, TURN_TWO);
    const google = up.google();
    const config = { tools: [{ functionDeclarations: [{ name: TOOL.name, description: TOOL.description, parametersJsonSchema: TOOL.parameters }] }] };
    const first = await google.models.generateContent({ model: 'ds:deepseek-reasoner', contents: [{ role: 'user', parts: [{ text: 'What is in a.ts?' }] }], config });
    const parts = first.candidates![0]!.content!.parts!;
    expect(parts.some((p) => p.thought === true)).to.equal(true);
    const call = parts.find((p) => p.functionCall)!.functionCall!;
    const answer = await google.models.generateContent({
      model: 'ds:deepseek-reasoner', config,
      contents: [
        { role: 'user', parts: [{ text: 'What is in a.ts?' }] },
        { role: 'model', parts: [{ functionCall: call }] }, // the thought parts left out
        { role: 'user', parts: [{ functionResponse: { id: call.id, name: call.name, response: { output: 'hi' } } }] },
      ],
    });
    expect(answer.text).to.equal('It says hi.');
    expect(sentReasoning()).to.deep.equal([REASONING]);
  });

  it('a model outside the catalogue is left alone: the upstream refuses the follow-up as DeepSeek would', async () => {
    up.emulators.ds!.enqueue(TURN_ONE, TURN_TWO);
    const refused = await chatToolLoop(up.openai(), 'ds:house-model').then(() => undefined, (err: Error) => err);
    expect(String(refused?.message)).to.contain('Missing `reasoning_content` field in the assistant message at message index 1');
  });

  it('GET /admin/reasoning-preservation: posture and counts behind the diagnostics secret, never a turn\'s content', async () => {
    const get = (secret?: string) => fetch(`${up.lip().url}/admin/reasoning-preservation`, { headers: secret ? { 'x-lip-diagnostics-secret': secret } : {} });
    expect((await get()).status).to.equal(403);
    const answer = await get(SECRET);
    expect(answer.status).to.equal(200);
    const body = await answer.json() as { action: string; scope: string; turns: number; bytes: number; outcomes: Record<string, number> };
    expect(body).to.deep.include({ action: 'restore', scope: 'principal', builtin_catalog: true, rules: 0 });
    expect(body.turns).to.be.greaterThan(0); // kept by the tests above
    expect(body.outcomes.restored).to.be.at.least(6);
    expect(JSON.stringify(body)).to.not.contain(REASONING.slice(0, 12));
    const metrics = await (await fetch(`${up.lip().url}/metrics`, { headers: { 'x-lip-diagnostics-secret': SECRET } })).text();
    expect(metrics).to.match(/^lip_reasoning_preservation_total\{outcome="restored"\} ([6-9]|\d{2,})$/m);
    expect(metrics).to.match(/^lip_reasoning_preservation_total\{outcome="observed"\} \d+$/m);
  });
});

describe('e2e: the deepseek, moonshot and zai presets work with reasoning-output-preservation as they are', () => {
  let emu: Emulator;
  let lip: RunningLip;
  before(async () => {
    emu = await startOpenAIChatEmulator();
    lip = await startLip(testConfig([
      `  - { id: ds, kind: deepseek, base_url: "${emu.url}", api_key: k-0123456789 }`,
      `  - { id: kimi, kind: moonshot, base_url: "${emu.url}", api_key: k-0123456789 }`,
      `  - { id: glm, kind: zai, base_url: "${emu.url}", api_key: k-0123456789 }`,
    ].join('\n')));
  });
  after(async () => {
    await lip?.close();
    await emu?.close();
  });
  beforeEach(() => {
    emu.reset();
    emu.checkState = true;
  });

  for (const model of ['ds:deepseek-v4-pro', 'kimi:kimi-k2.6', 'glm:glm-5']) {
    it(`${model}: a tool-call turn sent back without reasoning_content is served`, async () => {
      emu.enqueue(TURN_ONE, TURN_TWO);
      expect(await chatToolLoop(new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 }), model)).to.equal('It says hi.');
      expect((emu.requests[1]!.body.messages as { reasoning_content?: string }[])[1]!.reasoning_content).to.equal(REASONING);
    });
  }
});

/**
 * The model catalog says which models want their reasoning back (models.dev `interleaved`, or an
 * override): a model outside the built-in families is preserved when the catalog says so, and a
 * family member the catalog says does not want it is left alone.
 */
describe('e2e: reasoning-output-preservation follows the model catalog\'s interleaved', () => {
  const up = useUpstreams({ ds: { kind: 'openai-chat', extra: 'reasoning_field: reasoning_content' } }, [
    'model_catalog:',
    '  enabled: true',
    '  path: /nonexistent/models.json',
    '  overrides: [{ model: acme-thinker, interleaved: true }, { model: deepseek-plain, interleaved: false }]',
  ].join('\n'));
  beforeEach(() => { up.emulators.ds!.checkState = true; });

  it('a model outside the built-in families that the catalog marks interleaved gets its reasoning back', async () => {
    up.emulators.ds!.enqueue(TURN_ONE, TURN_TWO);
    expect(await chatToolLoop(up.openai(), 'ds:acme-thinker')).to.equal('It says hi.');
    const messages = up.emulators.ds!.requests[1]!.body.messages as { role: string; reasoning_content?: string }[];
    expect(messages.filter((m) => m.role === 'assistant').map((m) => m.reasoning_content)).to.deep.equal([REASONING]);
  });

  it('a family member the catalog says is not interleaved is left alone (the upstream refuses the follow-up)', async () => {
    up.emulators.ds!.enqueue(TURN_ONE, TURN_TWO);
    const err = await chatToolLoop(up.openai(), 'ds:deepseek-plain').then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).to.contain('reasoning_content');
  });
});
