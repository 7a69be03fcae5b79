import { expect } from 'chai';
import OpenAI from 'openai';
import type { ResponseInputItem, Tool } from 'openai/resources/responses/responses';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const GRAMMAR = 'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF\nend_patch: "*** End Patch" LF?';
const PATCH = '*** Begin Patch\n*** Update File: a.txt\n@@\n-"old"\n+"new" \\ {}\n*** End Patch';
/** The patch as a model writes it into the stand-in function's arguments, in pieces. */
const STAND_IN_ARGS = (() => {
  const json = JSON.stringify({ input: PATCH });
  return [json.slice(0, 11), json.slice(11, 40), json.slice(40)];
})();

/**
 * OpenAI custom (freeform) tools through lip, with the official SDK as the client (Codex CLI
 * declares `apply_patch` so for GPT-5 models). A Responses client's custom tool reaches an
 * openai-responses upstream as a custom tool and its `custom_tool_call` comes back as is; an
 * Anthropic upstream gets a function tool with one string parameter, `input`, whose call comes
 * back to the client as a `custom_tool_call` with that string. The same for a Chat client with
 * an openai-chat upstream (native) and a Gemini one (stand-in). The history (a custom call and
 * its output) goes back to each upstream in its own terms.
 */
describe('e2e: custom (freeform) tools', function () {
  this.timeout(20_000);
  const emulators: Record<string, Emulator> = {};
  let lip: RunningLip;
  let client: OpenAI;
  before(async () => {
    emulators.or = await startOpenAIResponsesEmulator();
    emulators.an = await startAnthropicEmulator();
    emulators.oc = await startOpenAIChatEmulator();
    emulators.ge = await startGeminiEmulator();
    lip = await startLip(testConfig([
      `  - { id: or, kind: openai-responses, base_url: "${emulators.or.url}", api_key: k-0123456789 }`,
      `  - { id: an, kind: anthropic, base_url: "${emulators.an.url}", api_key: k-0123456789 }`,
      `  - { id: oc, kind: openai-chat, base_url: "${emulators.oc.url}", api_key: k-0123456789 }`,
      `  - { id: ge, kind: gemini, base_url: "${emulators.ge.url}", api_key: k-0123456789 }`,
    ].join('\n')));
    client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    for (const emu of Object.values(emulators)) await emu.close();
  });
  beforeEach(() => {
    for (const emu of Object.values(emulators)) emu.reset();
  });

  describe('Responses client', () => {
    const tools: Tool[] = [
      { type: 'custom', name: 'apply_patch', description: 'Edit files with a patch.', format: { type: 'grammar', syntax: 'lark', definition: GRAMMAR } },
      { type: 'function', name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } }, strict: false },
    ];
    const history: ResponseInputItem[] = [
      { role: 'user', content: 'Fix a.txt' },
      { type: 'custom_tool_call', call_id: 'call_prev', name: 'apply_patch', input: PATCH },
      { type: 'custom_tool_call_output', call_id: 'call_prev', output: 'Done!' },
    ];

    /** The output items of the client's final response (streamed or not); `inputDeltas`: the streamed custom input pieces. */
    const ask = async (backend: string, stream: boolean, input: ResponseInputItem[] | string = 'Fix a.txt') => {
      const params = { model: `${backend}:gpt-5`, input, tools };
      if (!stream) return { output: (await client.responses.create(params)).output, inputDeltas: [] as string[], inputDone: [] as string[] };
      const inputDeltas: string[] = [];
      const inputDone: string[] = [];
      const events = client.responses.stream(params)
        .on('response.custom_tool_call_input.delta', (e) => inputDeltas.push(e.delta))
        .on('response.custom_tool_call_input.done', (e) => inputDone.push(e.input));
      return { output: (await events.finalResponse()).output, inputDeltas, inputDone };
    };

    for (const stream of [false, true]) {
      const how = stream ? 'streamed' : 'whole';

      it(`openai-responses upstream (${how}): the custom tool goes up natively and its custom_tool_call comes back`, async () => {
        emulators.or!.enqueue({ toolCalls: [{ id: 'call_up1', name: 'apply_patch', args: [PATCH.slice(0, 20), PATCH.slice(20)], custom: true }], finish: 'tool_calls' });
        const { output, inputDeltas, inputDone } = await ask('or', stream);
        if (stream) expect({ inputDeltas, inputDone }).to.deep.equal({ inputDeltas: [PATCH.slice(0, 20), PATCH.slice(20)], inputDone: [PATCH] });
        const sent = emulators.or!.requests[0]!.body;
        expect(sent.tools[0]).to.deep.equal({ type: 'custom', name: 'apply_patch', description: 'Edit files with a patch.', format: { type: 'grammar', syntax: 'lark', definition: GRAMMAR } });
        expect(sent.tools[1].type).to.equal('function');
        expect(output).to.have.length(1);
        expect(output[0]).to.deep.include({ type: 'custom_tool_call', call_id: 'call_up1', name: 'apply_patch', input: PATCH, status: 'completed' });
        expect((output[0] as { id: string }).id).to.match(/^ctc_/);
      });

      it(`anthropic upstream (${how}): a one-string function tool goes up and its call comes back as a custom_tool_call`, async () => {
        emulators.an!.enqueue({ toolCalls: [{ id: 'toolu_1', name: 'apply_patch', args: STAND_IN_ARGS }], finish: 'tool_calls' });
        const { output, inputDeltas, inputDone } = await ask('an', stream);
        if (stream) expect({ inputDeltas, inputDone }).to.deep.equal({ inputDeltas: [PATCH], inputDone: [PATCH] }); // held until the call is complete
        const tool = emulators.an!.requests[0]!.body.tools[0];
        expect(tool.name).to.equal('apply_patch');
        expect(tool.input_schema).to.deep.include({ type: 'object', required: ['input'] });
        expect(tool.input_schema.properties.input.type).to.equal('string');
        expect(tool.description).to.contain('Edit files with a patch.').and.to.contain(GRAMMAR);
        expect(output).to.have.length(1);
        expect(output[0]).to.deep.include({ type: 'custom_tool_call', call_id: 'toolu_1', name: 'apply_patch', input: PATCH, status: 'completed' });
      });
    }

    it('history: a custom call and its output go back as custom items to openai-responses', async () => {
      emulators.or!.enqueue({ text: 'Patched.' });
      await ask('or', true, history);
      expect(emulators.or!.requests[0]!.body.input.slice(1)).to.deep.equal([
        { type: 'custom_tool_call', call_id: 'call_prev', name: 'apply_patch', input: PATCH },
        { type: 'custom_tool_call_output', call_id: 'call_prev', output: 'Done!' },
      ]);
    });

    it('history: a custom call goes to anthropic as a tool_use with {input}, its output as the tool_result', async () => {
      emulators.an!.enqueue({ text: 'Patched.' });
      const { output } = await ask('an', false, history);
      expect(output[0]).to.deep.include({ type: 'message' });
      const messages = emulators.an!.requests[0]!.body.messages;
      expect(messages[1].content).to.deep.equal([{ type: 'tool_use', id: 'call_prev', name: 'apply_patch', input: { input: PATCH } }]);
      expect(messages[2].content[0]).to.deep.include({ type: 'tool_result', tool_use_id: 'call_prev' });
    });
  });

  describe('Chat client', () => {
    const tools: ChatCompletionTool[] = [
      { type: 'custom', custom: { name: 'apply_patch', description: 'Edit files with a patch.', format: { type: 'grammar', grammar: { syntax: 'lark', definition: GRAMMAR } } } },
    ];
    const history: ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Fix a.txt' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_prev', type: 'custom', custom: { name: 'apply_patch', input: PATCH } }] },
      { role: 'tool', tool_call_id: 'call_prev', content: 'Done!' },
    ];

    /** The tool calls the client got: from the whole completion, or its stream's chunks put together. */
    const ask = async (backend: string, stream: boolean, messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Fix a.txt' }]) => {
      if (!stream) {
        const completion = await client.chat.completions.create({ model: `${backend}:gpt-5`, messages, tools });
        return { calls: completion.choices[0]!.message.tool_calls ?? [], finish: completion.choices[0]!.finish_reason };
      }
      const calls: { id?: string; type?: string; custom: { name?: string; input: string } }[] = [];
      let finish: string | null = null;
      for await (const chunk of await client.chat.completions.create({ model: `${backend}:gpt-5`, messages, tools, stream: true })) {
        const choice = chunk.choices[0];
        if (!choice) continue;
        finish = choice.finish_reason ?? finish;
        // The SDK's chunk type has only function calls; custom ones come as OpenAI sends them.
        for (const d of (choice.delta.tool_calls ?? []) as unknown as { index: number; id?: string; type?: string; custom?: { name?: string; input?: string } }[]) {
          const call = (calls[d.index] ??= { custom: { input: '' } });
          if (d.id) call.id = d.id;
          if (d.type) call.type = d.type;
          if (d.custom?.name) call.custom.name = d.custom.name;
          call.custom.input += d.custom?.input ?? '';
        }
      }
      return { calls, finish };
    };

    for (const stream of [false, true]) {
      const how = stream ? 'streamed' : 'whole';

      it(`openai-chat upstream (${how}): the custom tool goes up natively and its custom call comes back`, async () => {
        emulators.oc!.enqueue({ toolCalls: [{ id: 'call_up1', name: 'apply_patch', args: [PATCH.slice(0, 20), PATCH.slice(20)], custom: true }], finish: 'tool_calls' });
        const { calls, finish } = await ask('oc', stream);
        expect(emulators.oc!.requests[0]!.body.tools).to.deep.equal(tools);
        expect(calls).to.deep.equal([{ id: 'call_up1', type: 'custom', custom: { name: 'apply_patch', input: PATCH } }]);
        expect(finish).to.equal('tool_calls');
      });

      it(`gemini upstream (${how}): a one-string function declaration goes up and its call comes back as a custom call`, async () => {
        emulators.ge!.enqueue({ toolCalls: [{ name: 'apply_patch', args: JSON.stringify({ input: PATCH }) }], finish: 'tool_calls' });
        const { calls } = await ask('ge', stream);
        const declaration = emulators.ge!.requests[0]!.body.tools[0].functionDeclarations[0];
        expect(declaration.name).to.equal('apply_patch');
        expect(JSON.stringify(declaration)).to.contain('"required":["input"]');
        expect(calls).to.have.length(1);
        expect(calls[0]).to.deep.include({ type: 'custom', custom: { name: 'apply_patch', input: PATCH } });
      });
    }

    it('history: a custom call goes back to openai-chat as a custom call, to gemini as a functionCall with {input}', async () => {
      emulators.oc!.enqueue({ text: 'Patched.' });
      emulators.ge!.enqueue({ text: 'Patched.' });
      await ask('oc', false, history);
      await ask('ge', true, history);
      const chat = emulators.oc!.requests[0]!.body.messages;
      expect(chat[1].tool_calls).to.deep.equal([{ id: 'call_prev', type: 'custom', custom: { name: 'apply_patch', input: PATCH } }]);
      expect(chat[2]).to.deep.equal({ role: 'tool', tool_call_id: 'call_prev', content: 'Done!' });
      const contents = emulators.ge!.requests[0]!.body.contents;
      expect(contents[1].parts[0].functionCall).to.deep.include({ name: 'apply_patch', args: { input: PATCH } });
      expect(contents[2].parts[0].functionResponse).to.deep.include({ name: 'apply_patch' });
    });
  });
});
