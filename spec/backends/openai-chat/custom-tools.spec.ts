import { expect } from 'chai';
import { ChatResponseDecoder, ChatStreamDecoder, chatOptions, chatProtocol, encodeChatRequest } from '../../../lib/backends/openai-chat/index.js';
import { PRESETS } from '../../../lib/backends/presets/preset-table.js';
import { CUSTOM_TOOL_PARAMETERS, emptyCall, validateSequence, type Call, type LipEvent } from '../../../lib/canonical/index.js';

const call: Call = emptyCall({
  model: 'x',
  tools: [
    { name: 'apply_patch', description: 'Edit files.', parameters: CUSTOM_TOOL_PARAMETERS, kind: 'custom', format: { type: 'grammar', syntax: 'lark', definition: 'start: /.+/' } },
    { name: 'read', parameters: { type: 'object' } },
  ],
  toolChoice: { type: 'tool', name: 'apply_patch' },
  messages: [
    { role: 'user', parts: [{ type: 'text', text: 'fix it' }] },
    { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'apply_patch', arguments: '*** Begin Patch', custom: true }] },
    { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_1', content: 'Done' }] },
  ],
});

function decode(frames: unknown[]): LipEvent[] {
  const decoder = new ChatStreamDecoder('b', []);
  const out: LipEvent[] = [];
  for (const f of frames) decoder.message({ event: 'message', data: JSON.stringify(f) }, out);
  decoder.end(out);
  return out;
}
const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({ id: 'c1', model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] });

describe('backends/openai-chat custom tools', () => {
  it('sends custom tools as Chat custom tools (the grammar nested), a custom tool choice and custom calls in the history', () => {
    const body = encodeChatRequest(call, 'gpt-5', chatOptions({ id: 'b', kind: 'openai-chat', models: [] }));
    expect((body.tools as unknown[])[0]).to.deep.equal({
      type: 'custom', custom: { name: 'apply_patch', description: 'Edit files.', format: { type: 'grammar', grammar: { syntax: 'lark', definition: 'start: /.+/' } } },
    });
    expect(body.tool_choice).to.deep.equal({ type: 'custom', custom: { name: 'apply_patch' } });
    const messages = body.messages as Record<string, unknown>[];
    expect(messages[1]!.tool_calls).to.deep.equal([{ id: 'call_1', type: 'custom', custom: { name: 'apply_patch', input: '*** Begin Patch' } }]);
    expect(messages[2]).to.deep.equal({ role: 'tool', tool_call_id: 'call_1', content: 'Done' });
  });

  it('decodes streamed custom tool-call deltas into a custom call (input not metered as JSON); an empty custom object on a function call is ignored', () => {
    const deep = '['.repeat(1000);
    const events = decode([
      chunk({ role: 'assistant', content: null }),
      chunk({ tool_calls: [{ index: 0, id: 'call_9', type: 'custom', custom: { name: 'apply_patch', input: '' } }] }),
      chunk({ tool_calls: [{ index: 0, custom: { input: '*** Begin' } }] }),
      chunk({ tool_calls: [{ index: 0, custom: { input: deep } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_10', type: 'function', custom: {}, function: { name: 'read', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.filter((e) => e.type.startsWith('tool_call'))).to.deep.equal([
      { type: 'tool_call_started', id: 'call_9', name: 'apply_patch', custom: true },
      { type: 'tool_call_delta', id: 'call_9', args: '*** Begin' },
      { type: 'tool_call_delta', id: 'call_9', args: deep },
      { type: 'tool_call_started', id: 'call_10', name: 'read' },
      { type: 'tool_call_delta', id: 'call_10', args: '{}' },
      { type: 'tool_call_finished', id: 'call_9' },
      { type: 'tool_call_finished', id: 'call_10' },
    ]);
  });

  it('takes custom tools natively unless the row (every compatible-vendor preset) says custom_tools: function', () => {
    const row = { id: 'b', kind: 'openai-chat', models: [] };
    expect(chatProtocol(row, { models: [] }).customTools).to.equal(true);
    expect(chatProtocol({ ...row, custom_tools: 'function' }, { models: [] }).customTools).to.equal(false);
    for (const preset of PRESETS.filter((p) => p.base === 'openai-chat')) expect(preset.defaults, preset.kind).to.deep.include({ custom_tools: 'function' });
  });

  it('decodes a custom call of a whole answer', () => {
    const out: LipEvent[] = [];
    new ChatResponseDecoder('b', []).decode({
      id: 'c1', model: 'm',
      choices: [{ index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_9', type: 'custom', custom: { name: 'apply_patch', input: 'raw' } }] } }],
    }, out);
    expect(out.filter((e) => e.type.startsWith('tool_call'))).to.deep.equal([
      { type: 'tool_call_started', id: 'call_9', name: 'apply_patch', custom: true },
      { type: 'tool_call_delta', id: 'call_9', args: 'raw' },
      { type: 'tool_call_finished', id: 'call_9' },
    ]);
  });
});
