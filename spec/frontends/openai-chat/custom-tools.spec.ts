import { expect } from 'chai';
import { CUSTOM_TOOL_PARAMETERS, collectEvents, type LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { ChatStreamEncoder, decodeChatRequest, encodeChatResponse } from '../../../lib/frontends/openai-chat/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { parseSse } from '../../helpers/sse-client.js';

const request = {
  model: 'gpt-5',
  tools: [
    { type: 'custom', custom: { name: 'apply_patch', description: 'Edit files.', format: { type: 'grammar', grammar: { syntax: 'lark', definition: 'start: /.+/' } } } },
    { type: 'custom', custom: { name: 'shell' } },
    { type: 'function', function: { name: 'read', parameters: { type: 'object' } } },
  ],
  tool_choice: { type: 'custom', custom: { name: 'apply_patch' } },
  messages: [
    { role: 'user', content: 'fix it' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'custom', custom: { name: 'apply_patch', input: '*** Begin Patch' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: 'Done!' },
  ],
};

describe('frontends/openai-chat custom tools', () => {
  it('decodes custom tools (the grammar in the Responses notation), a custom tool choice and a custom call in the history', () => {
    const { call } = decodeChatRequest(request);
    expect(call.tools.slice(0, 2)).to.deep.equal([
      { name: 'apply_patch', description: 'Edit files.', parameters: CUSTOM_TOOL_PARAMETERS, kind: 'custom', format: { type: 'grammar', syntax: 'lark', definition: 'start: /.+/' } },
      { name: 'shell', parameters: CUSTOM_TOOL_PARAMETERS, kind: 'custom' },
    ]);
    expect(call.toolChoice).to.deep.equal({ type: 'tool', name: 'apply_patch' });
    expect(call.messages[1]).to.deep.equal({ role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'apply_patch', arguments: '*** Begin Patch', custom: true }] });
    expect(call.messages[2]).to.deep.equal({ role: 'tool', parts: [{ type: 'tool_result', callId: 'call_1', content: 'Done!' }] });
  });

  it('refuses a custom tool or call without its custom object with a 400 naming the field', () => {
    const refused = (body: Record<string, unknown>) => {
      try {
        decodeChatRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }], ...body });
      } catch (err) {
        expect(err).to.be.instanceOf(LipError);
        return (err as LipError).message;
      }
      return expect.fail('accepted');
    };
    expect(refused({ tools: [{ type: 'custom', function: { name: 'x' } }] })).to.contain('tools[0]');
    expect(refused({ tools: [{ type: 'custom', custom: { name: 'x', format: { type: 'grammar' } } }] })).to.contain('tools[0].custom.format');
    expect(refused({ messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'custom', custom: { name: 'x' } }] }] })).to.contain('messages[0].tool_calls[0].custom');
  });

  const context: EncodeContext = { call: decodeChatRequest(request).call, model: undefined, hints: {}, requestId: 'r', created: 1700000000 };
  const events: LipEvent[] = [
    { type: 'response_started' }, { type: 'message_started' },
    { type: 'tool_call_started', id: 'call_9', name: 'apply_patch', custom: true },
    { type: 'tool_call_delta', id: 'call_9', args: '*** Begin' },
    { type: 'tool_call_delta', id: 'call_9', args: ' Patch' },
    { type: 'tool_call_finished', id: 'call_9' },
    { type: 'response_finished', reason: 'tool_calls' },
  ];

  it('writes a custom call as {type: "custom", custom: {name, input}} in a whole response', () => {
    const body = encodeChatResponse(collectEvents(events), context) as { choices: { message: Record<string, unknown>; finish_reason: string }[] };
    expect(body.choices[0]!.message.tool_calls).to.deep.equal([{ id: 'call_9', type: 'custom', custom: { name: 'apply_patch', input: '*** Begin Patch' } }]);
    expect(body.choices[0]!.finish_reason).to.equal('tool_calls');
  });

  it('streams a custom call as a custom tool-call delta and pieces of custom.input', () => {
    const encoder = new ChatStreamEncoder(context);
    const wire = events.map((e) => encoder.event(e)).join('') + encoder.end();
    const chunks = parseSse(wire).messages.filter((m) => m.data !== '[DONE]').map((m) => JSON.parse(m.data) as { choices: { delta: Record<string, any> }[] });
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls).to.deep.equal([
      { index: 0, id: 'call_9', type: 'custom', custom: { name: 'apply_patch', input: '' } },
      { index: 0, custom: { input: '*** Begin' } },
      { index: 0, custom: { input: ' Patch' } },
    ]);
  });
});
