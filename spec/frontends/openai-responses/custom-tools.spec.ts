import { expect } from 'chai';
import { CUSTOM_TOOL_PARAMETERS, collectEvents, type LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { ResponsesStreamEncoder, decodeResponsesRequest, encodeResponsesResponse } from '../../../lib/frontends/openai-responses/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { checkResponsesWire } from './wire-check.js';

const grammar = { type: 'grammar', syntax: 'lark', definition: 'start: /.+/' };
const request = {
  model: 'gpt-5',
  tools: [{ type: 'custom', name: 'apply_patch', description: 'Edit files.', format: grammar }, { type: 'function', name: 'read', parameters: { type: 'object' } }],
  tool_choice: { type: 'custom', name: 'apply_patch' },
  input: [
    { role: 'user', content: 'fix it' },
    { type: 'custom_tool_call', call_id: 'call_1', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch' },
    { type: 'custom_tool_call_output', call_id: 'call_1', output: 'Done!' },
  ],
};

describe('frontends/openai-responses custom tools', () => {
  it('decodes a custom tool, a custom tool choice and a custom call with its output', () => {
    const { call } = decodeResponsesRequest(request);
    expect(call.tools[0]).to.deep.equal({ name: 'apply_patch', description: 'Edit files.', parameters: CUSTOM_TOOL_PARAMETERS, kind: 'custom', format: grammar });
    expect(call.tools[1]!.kind).to.equal(undefined);
    expect(call.toolChoice).to.deep.equal({ type: 'tool', name: 'apply_patch' });
    expect(call.messages.slice(1)).to.deep.equal([
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'apply_patch', arguments: '*** Begin Patch\n*** End Patch', custom: true }] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_1', content: 'Done!' }] },
    ]);
  });

  it('refuses a malformed custom tool or item with a 400 naming the field', () => {
    const refused = (body: Record<string, unknown>) => {
      try {
        decodeResponsesRequest({ model: 'm', input: 'x', ...body });
      } catch (err) {
        expect(err).to.be.instanceOf(LipError);
        return (err as LipError).message;
      }
      return expect.fail('accepted');
    };
    expect(refused({ tools: [{ type: 'custom', name: 'p', format: { type: 'grammar', syntax: 'lark' } }] })).to.contain('tools[0].format');
    expect(refused({ tools: [{ type: 'custom', name: 'p', format: { type: 'ebnf' } }] })).to.contain('tools[0].format.type');
    expect(refused({ input: [{ type: 'custom_tool_call', call_id: 'c', name: 'p' }] })).to.contain('input[0]');
    expect(refused({ tools: [{ type: 'future_tool' }] })).to.contain('tools[0].type');
  });

  const decoded = decodeResponsesRequest({ ...request, input: 'fix it', stream: true });
  const context: EncodeContext = { call: decoded.call, model: undefined, hints: decoded.hints!, requestId: 'r', created: 1700000000 };
  const events: LipEvent[] = [
    { type: 'response_started' }, { type: 'message_started' },
    { type: 'tool_call_started', id: 'call_9', name: 'apply_patch', custom: true },
    { type: 'tool_call_delta', id: 'call_9', args: '*** Begin' },
    { type: 'tool_call_delta', id: 'call_9', args: ' Patch' },
    { type: 'tool_call_finished', id: 'call_9' },
    { type: 'response_finished', reason: 'tool_calls' },
  ];

  it('streams a custom call as a custom_tool_call item with custom_tool_call_input deltas', () => {
    const encoder = new ResponsesStreamEncoder(context);
    const wire = checkResponsesWire(events.map((e) => encoder.event(e)).join('') + encoder.end());
    expect(wire.map((e) => e.event)).to.deep.equal([
      'response.created', 'response.in_progress', 'response.output_item.added',
      'response.custom_tool_call_input.delta', 'response.custom_tool_call_input.delta', 'response.custom_tool_call_input.done',
      'response.output_item.done', 'response.completed',
    ]);
    const added = wire[2]!.data.item;
    expect(added).to.deep.equal({ id: added.id, type: 'custom_tool_call', status: 'in_progress', call_id: 'call_9', input: '', name: 'apply_patch' });
    expect(added.id).to.match(/^ctc_/);
    expect(wire[3]!.data).to.deep.include({ item_id: added.id, output_index: 0, delta: '*** Begin' });
    expect(wire[5]!.data).to.deep.include({ item_id: added.id, output_index: 0, input: '*** Begin Patch' });
    expect(wire.at(-1)!.data.response.output).to.deep.equal([{ id: added.id, type: 'custom_tool_call', status: 'completed', call_id: 'call_9', input: '*** Begin Patch', name: 'apply_patch' }]);
  });

  it('writes a custom call as a custom_tool_call output item in a whole response', () => {
    const body = encodeResponsesResponse(collectEvents(events), context);
    const output = body.output as Record<string, unknown>[];
    expect(output).to.have.length(1);
    expect(output[0]).to.deep.include({ type: 'custom_tool_call', status: 'completed', call_id: 'call_9', input: '*** Begin Patch', name: 'apply_patch' });
    expect(String(output[0]!.id)).to.match(/^ctc_/);
  });
});
