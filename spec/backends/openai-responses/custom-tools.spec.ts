import { expect } from 'chai';
import { ResponsesResponseDecoder, encodeResponsesRequest, responsesOptions } from '../../../lib/backends/openai-responses/index.js';
import { CUSTOM_TOOL_PARAMETERS, emptyCall, validateSequence, type Call, type LipEvent } from '../../../lib/canonical/index.js';
import { decodeResponsesFrames } from './decode-frames.js';

const grammar = { type: 'grammar', syntax: 'lark', definition: 'start: /.+/' };
const call: Call = emptyCall({
  tools: [{ name: 'apply_patch', description: 'Edit files.', parameters: CUSTOM_TOOL_PARAMETERS, kind: 'custom', format: grammar }, { name: 'read', parameters: { type: 'object' } }],
  toolChoice: { type: 'tool', name: 'apply_patch' },
  messages: [
    { role: 'user', parts: [{ type: 'text', text: 'fix it' }] },
    { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'apply_patch', arguments: '{not json', custom: true }, { type: 'tool_call', id: 'call_2', name: 'read', arguments: '{}' }] },
    { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_1', content: 'Done' }, { type: 'tool_result', callId: 'call_2', content: 'text' }] },
  ],
});

const decode = decodeResponsesFrames;

describe('backends/openai-responses custom tools', () => {
  it('sends custom tools natively, a custom tool choice, and custom calls with their outputs in the history', () => {
    const body = encodeResponsesRequest(call, 'gpt-5', responsesOptions({ id: 'b', kind: 'openai-responses', models: [] }));
    expect((body.tools as unknown[])[0]).to.deep.equal({ type: 'custom', name: 'apply_patch', description: 'Edit files.', format: grammar });
    expect((body.tools as { type: string }[])[1]!.type).to.equal('function');
    expect(body.tool_choice).to.deep.equal({ type: 'custom', name: 'apply_patch' });
    expect((body.input as unknown[]).slice(1)).to.deep.equal([
      { type: 'custom_tool_call', call_id: 'call_1', name: 'apply_patch', input: '{not json' },
      { type: 'function_call', call_id: 'call_2', name: 'read', arguments: '{}' },
      { type: 'custom_tool_call_output', call_id: 'call_1', output: 'Done' },
      { type: 'function_call_output', call_id: 'call_2', output: 'text' },
    ]);
  });

  it('decodes a streamed custom_tool_call item and its input deltas into a custom call (input not metered as JSON)', () => {
    const deep = '{'.repeat(1000);
    const events = decode([
      { type: 'response.created', response: { id: 'resp_1' } },
      { type: 'response.output_item.added', output_index: 0, item: { id: 'ctc_1', type: 'custom_tool_call', status: 'in_progress', call_id: 'call_9', input: '', name: 'apply_patch' } },
      { type: 'response.custom_tool_call_input.delta', item_id: 'ctc_1', output_index: 0, delta: '*** Begin' },
      { type: 'response.custom_tool_call_input.delta', item_id: 'ctc_1', output_index: 0, delta: deep },
      { type: 'response.custom_tool_call_input.done', item_id: 'ctc_1', output_index: 0, input: `*** Begin${deep}` },
      { type: 'response.output_item.done', output_index: 0, item: { id: 'ctc_1', type: 'custom_tool_call', status: 'completed', call_id: 'call_9', input: `*** Begin${deep}`, name: 'apply_patch' } },
      { type: 'response.completed', response: { status: 'completed' } },
    ]);
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.slice(2)).to.deep.equal([
      { type: 'tool_call_started', id: 'call_9', name: 'apply_patch', custom: true },
      { type: 'tool_call_delta', id: 'call_9', args: '*** Begin' },
      { type: 'tool_call_delta', id: 'call_9', args: deep },
      { type: 'tool_call_finished', id: 'call_9' },
      { type: 'response_finished', reason: 'tool_calls' },
    ]);
  });

  it('decodes a custom_tool_call item of a whole response', () => {
    const out: LipEvent[] = [];
    new ResponsesResponseDecoder('b', []).decode({
      id: 'resp_1', status: 'completed',
      output: [{ id: 'ctc_1', type: 'custom_tool_call', status: 'completed', call_id: 'call_9', input: 'raw input', name: 'apply_patch' }],
    }, out);
    expect(out.filter((e) => e.type.startsWith('tool_call'))).to.deep.equal([
      { type: 'tool_call_started', id: 'call_9', name: 'apply_patch', custom: true },
      { type: 'tool_call_delta', id: 'call_9', args: 'raw input' },
      { type: 'tool_call_finished', id: 'call_9' },
    ]);
  });
});
