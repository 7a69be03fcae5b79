import { expect } from 'chai';
import { ChatStreamDecoder } from '../../../lib/backends/openai-chat/index.js';
import { validateSequence, type LipEvent } from '../../../lib/canonical/index.js';

/**
 * Found by spec/fuzz/backend-streams.fuzz.spec.ts: a chunk whose `choices` (or
 * `delta.tool_calls`) held `null` threw a TypeError inside the decoder, reported as a lip
 * internal error instead of being read past like any other unusable entry.
 */
function decode(frames: unknown[]): LipEvent[] {
  const decoder = new ChatStreamDecoder('b', []);
  const out: LipEvent[] = [];
  for (const f of frames) decoder.message({ event: 'message', data: typeof f === 'string' ? f : JSON.stringify(f) }, out);
  decoder.end(out);
  return out;
}

describe('backends/openai-chat regression: null entries in choices and tool_calls', () => {
  it('skips a null choice and a null tool call fragment', () => {
    const events = decode([
      { id: 'c1', model: 'm', choices: [null, 7, { index: 0, delta: { content: 'Hi' } }] },
      { choices: [{ index: 0, delta: { tool_calls: [null, 'x', { index: 0, id: 'call_1', function: { name: 'f', arguments: '{}' } }] } }] },
      { choices: [{ index: 0, delta: null, finish_reason: 'tool_calls' }] },
      '[DONE]',
    ]);
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.map((e) => e.type)).to.deep.equal([
      'response_started', 'message_started', 'text_delta', 'tool_call_started', 'tool_call_delta', 'tool_call_finished', 'response_finished',
    ]);
  });
});
