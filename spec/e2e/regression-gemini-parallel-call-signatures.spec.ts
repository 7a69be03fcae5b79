import { expect } from 'chai';
import type { Content } from '@google/genai';
import type { ChatCompletionMessageFunctionToolCall } from 'openai/resources/chat/completions';
import { useUpstreams } from '../helpers/upstreams.js';

const TOOLS = [{ type: 'function' as const, function: { name: 'get', parameters: { type: 'object', properties: { c: { type: 'string' } } } } }];
const MODEL = 'ge:gemini-3-pro-preview';
/** Gemini 3's parallel calls: only the first carries a signature. */
const PARALLEL = { toolCalls: [{ name: 'get', args: '{"c":"A"}', signature: 'ts-first' }, { name: 'get', args: '{"c":"B"}' }] };

/**
 * Regression: Gemini 3 signs only the first of parallel function calls, and lip replayed the
 * unsigned sibling with `thoughtSignature: "skip_thought_signature_validator"`, a signature Gemini
 * never sent (the sentinel is meant for calls another model made). Now a model turn goes back as
 * Gemini sent it: the unsigned call after a signed one has no signature; a call that came from
 * elsewhere (another provider, a client's own history) still gets the sentinel on Gemini 3. The
 * emulator checks state (every signature it issued comes back unaltered on its call, and it takes
 * Google's documented sentinels, as Gemini 3 does).
 */
describe('e2e regression: Gemini 3 parallel calls go back as Gemini signed them', function () {
  this.timeout(20_000);
  const up = useUpstreams({ ge: { kind: 'gemini' } });
  beforeEach(() => {
    up.emulators.ge!.checkState = true;
  });

  const modelTurn = (i: number) => (up.emulators.ge!.requests[i]!.body.contents as { role: string; parts: Record<string, unknown>[] }[]).find((c) => c.role === 'model')!.parts;
  const sent = [{ functionCall: { name: 'get', args: { c: 'A' } }, thoughtSignature: 'ts-first' }, { functionCall: { name: 'get', args: { c: 'B' } } }];

  for (const stream of [false, true]) {
    it(`a Chat client's ${stream ? 'streamed' : 'whole'} turn: the unsigned sibling goes back unsigned`, async () => {
      const emu = up.emulators.ge!;
      emu.enqueue(PARALLEL);
      let calls: ChatCompletionMessageFunctionToolCall[];
      if (stream) {
        const chunks = await up.openai().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], tools: TOOLS, stream: true });
        const byIndex: { id: string; name: string; args: string }[] = [];
        for await (const chunk of chunks) {
          for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
            const at = (byIndex[d.index] ??= { id: '', name: '', args: '' });
            at.id += d.id ?? '';
            at.name += d.function?.name ?? '';
            at.args += d.function?.arguments ?? '';
          }
        }
        calls = byIndex.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.args } }));
      } else {
        const res = await up.openai().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], tools: TOOLS });
        calls = res.choices[0]!.message.tool_calls as ChatCompletionMessageFunctionToolCall[];
      }
      expect(calls).to.have.length(2);
      emu.enqueue({ text: 'done' });
      const res = await up.openai().chat.completions.create({
        model: MODEL, tools: TOOLS,
        messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: null, tool_calls: calls }, ...calls.map((c) => ({ role: 'tool' as const, tool_call_id: c.id, content: 'x' }))],
      });
      expect(res.choices[0]!.message.content).to.equal('done');
      expect(modelTurn(1)).to.deep.equal(sent);
    });
  }

  it('a Gemini client\'s turn goes back exactly as Gemini sent it', async () => {
    const emu = up.emulators.ge!;
    emu.enqueue(PARALLEL);
    const config = { tools: [{ functionDeclarations: [{ name: 'get', parametersJsonSchema: TOOLS[0]!.function.parameters }] }] };
    const first = await up.google().models.generateContent({ model: MODEL, contents: 'hi', config });
    const turn = first.candidates![0]!.content as Content;
    emu.enqueue({ text: 'done' });
    await up.google().models.generateContent({
      model: MODEL, config,
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }, turn, { role: 'user', parts: turn.parts!.map((p) => ({ functionResponse: { id: p.functionCall!.id, name: 'get', response: { r: 'x' } } })) }],
    });
    expect(modelTurn(1)).to.deep.equal(sent);
  });

  it('a call Gemini did not make still gets Google\'s sentinel on Gemini 3, which the upstream takes', async () => {
    const emu = up.emulators.ge!;
    emu.enqueue({ text: 'done' });
    await up.openai().chat.completions.create({
      model: MODEL, tools: TOOLS,
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get', arguments: '{"c":"A"}' } }, { id: 'call_2', type: 'function', function: { name: 'get', arguments: '{"c":"B"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'x' }, { role: 'tool', tool_call_id: 'call_2', content: 'y' },
      ],
    });
    expect(modelTurn(0).map((p) => p.thoughtSignature)).to.deep.equal(['skip_thought_signature_validator', 'skip_thought_signature_validator']);
  });
});
