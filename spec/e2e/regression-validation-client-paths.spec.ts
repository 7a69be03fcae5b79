import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { useUpstreams } from '../helpers/upstreams.js';

type ChatParams = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
type ResponsesParams = OpenAI.Responses.ResponseCreateParamsNonStreaming;

const FUNCTION = (name: string) => ({ type: 'function' as const, function: { name, parameters: { type: 'object', properties: {} } } });
const CALL = (id: string) => ({ id, type: 'function' as const, function: { name: 'f', arguments: '{}' } });

/**
 * The canonical checks (duplicate tool names and call ids, a tool choice without its tool) named
 * lip's own fields in the 400: `toolChoice`, `toolChoice.name`, `tools[1].name` for a Chat
 * client's `tools[1].function.name`, and `messages[1].parts[1].id` for a call of the client's
 * `messages[3]` (its leading system and developer messages are the call's system prompt, not
 * messages). Each protocol now names the field as its client wrote it.
 */
describe('e2e regression: canonical validation names the client\'s fields', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' }, an: { kind: 'anthropic' }, ge: { kind: 'gemini' } });
  const refused = async (ask: Promise<unknown>) => {
    const err = await ask.then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect(up.emulators.oc!.requests).to.have.length(0);
    const { param, message } = err as InstanceType<typeof OpenAI.BadRequestError>;
    return { param, message: message.replace(/^400 /, '') };
  };
  const chat = (params: Omit<ChatParams, 'model'>) => refused(up.openai().chat.completions.create({ model: 'oc:model-x', ...params } as ChatParams));
  const responses = (params: Omit<ResponsesParams, 'model'>) => refused(up.openai().responses.create({ model: 'oc:model-x', ...params } as ResponsesParams));

  describe('OpenAI Chat', () => {
    it('a repeated call id: the call of the client\'s message, counting the system and developer messages before it', async () => {
      expect(await chat({
        messages: [
          { role: 'system', content: 's' }, { role: 'developer', content: 'd' }, { role: 'user', content: 'x' },
          { role: 'assistant', content: null, tool_calls: [CALL('call_1'), CALL('call_1')] }, { role: 'tool', tool_call_id: 'call_1', content: 'r' },
        ],
        tools: [FUNCTION('f')],
      })).to.deep.equal({ param: 'messages[3].tool_calls[1].id', message: 'messages[3].tool_calls[1].id: duplicates the tool call id "call_1"' });
    });

    it('a repeated tool name: tools[i].function.name (custom.name for a custom tool)', async () => {
      expect((await chat({ messages: [{ role: 'user', content: 'x' }], tools: [FUNCTION('f'), FUNCTION('f')] })).param).to.equal('tools[1].function.name');
      expect((await chat({ messages: [{ role: 'user', content: 'x' }], tools: [FUNCTION('f'), { type: 'custom', custom: { name: 'f' } }] })).param).to.equal('tools[1].custom.name');
      expect((await chat({ messages: [{ role: 'user', content: 'x' }], tools: [FUNCTION(' f')] })).param).to.equal('tools[0].function.name');
    });

    it('tool_choice "required" without tools: tool_choice', async () => {
      expect(await chat({ messages: [{ role: 'user', content: 'x' }], tool_choice: 'required' }))
        .to.deep.equal({ param: 'tool_choice', message: 'tool_choice: requires a tool call but no tools are declared' });
    });

    it('a tool_choice naming a tool not declared: tool_choice.function.name, tool_choice.custom.name', async () => {
      expect(await chat({ messages: [{ role: 'user', content: 'x' }], tools: [FUNCTION('f')], tool_choice: { type: 'function', function: { name: 'zzz' } } }))
        .to.deep.equal({ param: 'tool_choice.function.name', message: 'tool_choice.function.name: names the tool "zzz", which is not in tools' });
      expect((await chat({ messages: [{ role: 'user', content: 'x' }], tools: [FUNCTION('f')], tool_choice: { type: 'custom', custom: { name: 'f2' } } })).param)
        .to.equal('tool_choice.custom.name');
    });
  });

  describe('OpenAI Responses', () => {
    const fn = (name: string) => ({ type: 'function' as const, name, parameters: { type: 'object', properties: {} }, strict: false });

    it('a repeated call id: the call_id of the input item', async () => {
      expect((await responses({
        input: [
          { role: 'developer', content: 'd' }, { role: 'user', content: 'x' },
          { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' }, { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
          { type: 'function_call_output', call_id: 'c1', output: 'r' },
        ],
        tools: [fn('f')],
      })).param).to.equal('input[3].call_id');
    });

    it('tool_choice and tools: their own fields', async () => {
      expect((await responses({ input: 'x', tool_choice: 'required' })).param).to.equal('tool_choice');
      expect((await responses({ input: 'x', tools: [fn('f')], tool_choice: { type: 'function', name: 'zzz' } })).param).to.equal('tool_choice.name');
      expect((await responses({ input: 'x', tools: [fn('f'), fn('f')] })).param).to.equal('tools[1].name');
      // A namespace's tools are counted in it.
      const namespace = { type: 'namespace', name: 'ns', description: 'd', tools: [fn('g'), fn('g')] } as unknown as OpenAI.Responses.Tool;
      expect((await responses({ input: 'x', tools: [fn('f'), namespace] })).param).to.equal('tools[1].tools[1].name');
    });
  });

  it('Anthropic: a repeated tool_use id as its content block, a repeated tool name as tools[i].name', async () => {
    const said = async (params: Omit<Anthropic.MessageCreateParamsNonStreaming, 'model' | 'max_tokens'>) => {
      const err = await up.anthropic().messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 64, ...params }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(Anthropic.BadRequestError);
      return ((err as InstanceType<typeof Anthropic.BadRequestError>).error as { error: { message: string } }).error.message;
    };
    const tool = { name: 'f', input_schema: { type: 'object' as const, properties: {} } };
    const use = { type: 'tool_use' as const, id: 't1', name: 'f', input: {} };
    expect(await said({
      messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: [{ type: 'text', text: 'a' }, use, use] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'r' }] }],
      tools: [tool],
    })).to.equal('messages[1].content[2].id: duplicates the tool call id "t1"');
    expect(await said({ messages: [{ role: 'user', content: 'x' }], tools: [tool, tool] })).to.equal('tools[1].name: duplicates the tool name "f"');
  });

  it('Gemini: functionDeclarations, functionCall, and the calling mode by their own paths', async () => {
    const said = async (body: unknown) => {
      const res = await fetch(`${up.lip().url}/v1beta/models/ge:gemini-2.5-flash:generateContent`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' }, body: JSON.stringify(body) });
      expect(res.status).to.equal(400);
      return ((await res.json()) as { error: { message: string } }).error.message;
    };
    const user = { role: 'user', parts: [{ text: 'x' }] };
    expect(await said({ contents: [user], tools: [{ googleSearch: {} }, { functionDeclarations: [{ name: 'g' }, { name: 'g' }] }] }))
      .to.equal('tools[1].functionDeclarations[1].name: duplicates the tool name "g"');
    const call = { functionCall: { id: 'c', name: 'f', args: {} } };
    expect(await said({
      contents: [user, { role: 'model', parts: [{ text: 'a' }, call, call] }, { role: 'user', parts: [{ functionResponse: { id: 'c', name: 'f', response: {} } }] }],
      tools: [{ functionDeclarations: [{ name: 'f' }] }],
    })).to.equal('contents[1].parts[2].functionCall.id: duplicates the tool call id "c"');
    expect(await said({ contents: [user], toolConfig: { functionCallingConfig: { mode: 'ANY' } } }))
      .to.equal('toolConfig.functionCallingConfig.mode: requires a tool call but no tools are declared');
  });
});
