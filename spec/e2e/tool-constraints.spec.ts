import Anthropic from '@anthropic-ai/sdk';
import { FunctionCallingConfigMode } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { useUpstreams } from '../helpers/upstreams.js';

/** Inside both providers' strict subsets: every property required, no others allowed. */
const CLOSED = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
/** Strict for Anthropic (an optional property), outside the Chat and Responses APIs' strict subset. */
const OPTIONAL = { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'], additionalProperties: false };

/**
 * What a client says about how the model may use its tools survives translation. Strict tool use
 * (constrained tool inputs) crosses protocols: an Anthropic client's `strict: true`
 * reaches an Anthropic upstream and, where the schema allows it, the OpenAI APIs; an OpenAI
 * client's strict function reaches an Anthropic upstream. Before, both directions dropped it, so
 * the model's arguments were no longer guaranteed to match the schema. A choice restricted to some
 * of the declared tools (OpenAI `allowed_tools`, Gemini `allowedFunctionNames` under `ANY`) reaches
 * the providers that have one as theirs and the others as only the allowed tools; before, the
 * restriction was dropped and the model could call any tool.
 */
describe('e2e: strict tools and allowed tools across protocols', function () {
  this.timeout(20_000);
  const up = useUpstreams({
    an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' }, or: { kind: 'openai-responses' }, gem: { kind: 'gemini' },
    ocf: { kind: 'openai-chat', sharing: 'oc', extra: 'allowed_tools: filter' },
  });
  const emulators = up.emulators;

  const tools = [
    { name: 'weather', description: 'Weather in a city', input_schema: CLOSED, strict: true },
    { name: 'forecast', input_schema: OPTIONAL, strict: true },
    { name: 'loose', input_schema: CLOSED },
  ] as Anthropic.Tool[];
  const ask = (model: string) => up.anthropic().messages.create({ model, max_tokens: 64, tools, messages: [{ role: 'user', content: 'Weather in Oslo?' }] });

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
    const completion = await up.openai().chat.completions.create({
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
    await up.openai().responses.create({
      model: 'an:claude-sonnet-4-6', input: 'Weather in Oslo?',
      tools: [{ type: 'function', name: 'weather', parameters: CLOSED, strict: true }, { type: 'function', name: 'loose', parameters: CLOSED, strict: false }],
    });
    const sent = emulators.an!.requests[0]!.body.tools as Record<string, unknown>[];
    expect(sent.map((t) => [t.name, t.strict])).to.deep.equal([['weather', true], ['loose', undefined]]);
  });

  const fns = ['read', 'write', 'delete'].map((name) => ({ type: 'function' as const, function: { name, parameters: CLOSED } }));
  const chatAllowed = (model: string, stream = false) => up.openai().chat.completions.create({
    model, stream, messages: [{ role: 'user', content: 'Read the file.' }], tools: fns,
    tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'read' } }, { type: 'function', function: { name: 'write' } }] } },
  } as OpenAI.ChatCompletionCreateParamsNonStreaming);

  it('a Chat client\'s allowed_tools reaches an openai-chat upstream as sent, all tools still declared', async () => {
    emulators.oc!.enqueue({ toolCalls: [{ id: 'call_1', name: 'read', args: '{"city":"x"}' }], finish: 'tool_calls' });
    const completion = await chatAllowed('oc:gpt-5.4-mini');
    expect(completion.choices[0]!.message.tool_calls?.[0]).to.deep.include({ id: 'call_1' });
    const sent = emulators.oc!.requests[0]!.body;
    expect((sent.tools as { function: { name: string } }[]).map((t) => t.function.name)).to.deep.equal(['read', 'write', 'delete']);
    expect(sent.tool_choice).to.deep.equal({ type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'read' } }, { type: 'function', function: { name: 'write' } }] } });
  });

  it('an openai-chat row with allowed_tools: filter declares only the allowed tools', async () => {
    emulators.oc!.enqueue({ text: 'ok' });
    await chatAllowed('ocf:some-model');
    const sent = emulators.oc!.requests[0]!.body;
    expect([(sent.tools as { function: { name: string } }[]).map((t) => t.function.name), sent.tool_choice]).to.deep.equal([['read', 'write'], 'required']);
  });

  for (const stream of [false, true]) {
    it(`on an anthropic upstream only the allowed tools are declared, the choice stays "must call one" (${stream ? 'streaming' : 'non-streaming'})`, async () => {
      emulators.an!.enqueue({ toolCalls: [{ id: 'toolu_9', name: 'write', args: '{"city":"x"}' }], finish: 'tool_calls' });
      if (stream) {
        const chunks = await up.openai().chat.completions.create({ model: 'an:claude-sonnet-4-6', stream: true, messages: [{ role: 'user', content: 'Write.' }], tools: fns,
          tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'read' } }, { type: 'function', function: { name: 'write' } }] } } } as OpenAI.ChatCompletionCreateParamsStreaming);
        const names: string[] = [];
        for await (const chunk of chunks) for (const call of chunk.choices[0]?.delta.tool_calls ?? []) if (call.function?.name) names.push(call.function.name);
        expect(names).to.deep.equal(['write']);
      } else {
        const completion = await chatAllowed('an:claude-sonnet-4-6');
        expect(completion.choices[0]!.message.tool_calls?.map((c) => (c as { function: { name: string } }).function.name)).to.deep.equal(['write']);
      }
      const sent = emulators.an!.requests[0]!.body;
      expect([(sent.tools as { name: string }[]).map((t) => t.name), sent.tool_choice]).to.deep.equal([['read', 'write'], { type: 'any' }]);
    });
  }

  it('a Responses client\'s allowed_tools reaches an openai-responses upstream as sent, and a gemini upstream as ANY with allowedFunctionNames', async () => {
    const params = {
      input: 'Read the file.',
      tools: ['read', 'write', 'delete'].map((name) => ({ type: 'function' as const, name, parameters: CLOSED, strict: true })),
      tool_choice: { type: 'allowed_tools' as const, mode: 'required' as const, tools: [{ type: 'function', name: 'read' }, { type: 'function', name: 'delete' }] },
    };
    emulators.or!.enqueue({ text: 'ok' });
    await up.openai().responses.create({ ...params, model: 'or:gpt-5.4-mini' });
    expect(emulators.or!.requests[0]!.body.tool_choice).to.deep.equal({ type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'read' }, { type: 'function', name: 'delete' }] });
    emulators.gem!.enqueue({ text: 'ok' });
    await up.openai().responses.create({ ...params, model: 'gem:gemini-2.5-flash' });
    const sent = emulators.gem!.requests[0]!.body;
    expect(sent.toolConfig).to.deep.equal({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['read', 'delete'] } });
    expect((sent.tools as { functionDeclarations: unknown[] }[])[0]!.functionDeclarations).to.have.length(3);
  });

  it('a Gemini client\'s ANY with several allowedFunctionNames reaches an anthropic upstream as only those tools', async () => {
    emulators.an!.enqueue({ toolCalls: [{ id: 'toolu_3', name: 'b', args: '{}' }], finish: 'tool_calls' });
    const answer = await up.google().models.generateContent({
      model: 'an:claude-sonnet-4-6', contents: 'Call one.',
      config: {
        tools: [{ functionDeclarations: ['a', 'b', 'c'].map((name) => ({ name, parametersJsonSchema: { type: 'object' } })) }],
        toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: ['b', 'c'] } },
      },
    });
    expect(answer.functionCalls?.map((c) => c.name)).to.deep.equal(['b']);
    const sent = emulators.an!.requests[0]!.body;
    expect([(sent.tools as { name: string }[]).map((t) => t.name), sent.tool_choice]).to.deep.equal([['b', 'c'], { type: 'any' }]);
  });

  it('an allowed tool that is not declared is a 400 naming the field, in the client\'s protocol', async () => {
    const err = await up.openai().chat.completions.create({
      model: 'oc:gpt-5.4-mini', messages: [{ role: 'user', content: 'x' }], tools: fns,
      tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'rename' } }] } },
    } as OpenAI.ChatCompletionCreateParamsNonStreaming).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).to.deep.include({ param: 'tool_choice.allowed_tools.tools[0]' });
    expect(emulators.oc!.requests).to.have.length(0);
  });
});
