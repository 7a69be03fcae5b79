import { expect } from 'chai';
import { encodeMessages as encodeAnthropicMessages } from '../../lib/backends/anthropic/encode-messages.js';
import { encodeMessages as encodeBedrockMessages } from '../../lib/backends/bedrock/index.js';
import { encodeTurns } from '../../lib/backends/encode-turns.js';
import { encodeContents } from '../../lib/backends/gemini/index.js';
import type { Message } from '../../lib/canonical/index.js';

/** A call, the user's text sent between it and its result (a Responses client may), then the result, and a second call's result. */
const history: Message[] = [
  { role: 'user', parts: [{ type: 'text', text: 'run it' }] },
  { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'sh', arguments: '{}' }, { type: 'tool_call', id: 'c2', name: 'sh', arguments: '{}' }] },
  { role: 'user', parts: [{ type: 'text', text: 'btw hurry' }] },
  { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: 'ok' }] },
  { role: 'user', parts: [{ type: 'text', text: 'and' }] },
  { role: 'tool', parts: [{ type: 'tool_result', callId: 'c2', content: 'ok2' }] },
];

const plain = {
  assistantRole: 'assistant' as const,
  user: (m: Message) => m.parts.map((p) => ({ user: p.type === 'text' ? p.text : p.type })),
  assistant: (m: Message) => m.parts.map((p) => ({ assistant: p.type === 'tool_call' ? p.id : p.type })),
  tool: (m: Message) => m.parts.map((p) => ({ result: p.type === 'tool_result' ? p.callId : p.type })),
};

describe('backends/encode-turns', () => {
  // A user's text merged into the turn before the results of the calls it follows reached
  // Anthropic as [text, tool_result], which it refuses ("Messages following tool_use blocks must
  // begin with a matching number of tool_result blocks"); Bedrock Converse has the same rule.
  it('puts the tool results a user turn merges first, in their order, the user\'s blocks after', () => {
    expect(encodeTurns(history, plain).turns.at(-1)).to.deep.equal({
      role: 'user', blocks: [{ result: 'c1' }, { result: 'c2' }, { user: 'btw hurry' }, { user: 'and' }],
    });
  });

  it('keeps the order the blocks came in with keepOrder (Gemini takes results anywhere in a turn)', () => {
    expect(encodeTurns(history, { ...plain, keepOrder: true }).turns.at(-1)!.blocks).to.deep.equal([{ user: 'btw hurry' }, { result: 'c1' }, { user: 'and' }, { result: 'c2' }]);
    expect(encodeContents(history).contents.at(-1)).to.deep.equal({ role: 'user', parts: [
      { text: 'btw hurry' }, { functionResponse: { name: 'sh', response: { result: 'ok' } } }, { text: 'and' }, { functionResponse: { name: 'sh', response: { result: 'ok2' } } },
    ] });
  });

  it('results lead whatever user turn they join, and an assistant turn starts the count anew', () => {
    const turns = encodeTurns([
      { role: 'user', parts: [{ type: 'text', text: 'q' }] }, { role: 'tool', parts: [{ type: 'tool_result', callId: 'x', content: '' }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'y', name: 'sh', arguments: '{}' }] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'y', content: '' }] }, { role: 'user', parts: [{ type: 'text', text: 'r' }] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'z', content: '' }] },
    ], plain).turns;
    expect(turns).to.deep.equal([
      { role: 'user', blocks: [{ result: 'x' }, { user: 'q' }] },
      { role: 'assistant', blocks: [{ assistant: 'y' }] },
      { role: 'user', blocks: [{ result: 'y' }, { result: 'z' }, { user: 'r' }] },
    ]);
  });

  it('Anthropic and Bedrock get the results first', () => {
    expect(encodeAnthropicMessages(history).messages.at(-1)).to.deep.equal({ role: 'user', content: [
      { type: 'tool_result', tool_use_id: 'c1', content: 'ok' }, { type: 'tool_result', tool_use_id: 'c2', content: 'ok2' },
      { type: 'text', text: 'btw hurry' }, { type: 'text', text: 'and' },
    ] });
    expect(encodeBedrockMessages(history).messages.at(-1)).to.deep.equal({ role: 'user', content: [
      { toolResult: { toolUseId: 'c1', content: [{ text: 'ok' }], status: 'success' } }, { toolResult: { toolUseId: 'c2', content: [{ text: 'ok2' }], status: 'success' } },
      { text: 'btw hurry' }, { text: 'and' },
    ] });
  });
});
