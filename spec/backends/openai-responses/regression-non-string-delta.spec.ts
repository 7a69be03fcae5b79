import { expect } from 'chai';
import { ResponsesStreamDecoder } from '../../../lib/backends/openai-responses/index.js';
import type { LipEvent } from '../../../lib/canonical/index.js';

/**
 * Found by spec/fuzz/backend-streams.fuzz.spec.ts: a truthy non-string `delta` (an object, a
 * number) on a text, refusal, reasoning or function-argument delta went out as a canonical
 * event whose `text` / `args` was not a string. Such deltas are now ignored.
 */
describe('backends/openai-responses regression: non-string deltas', () => {
  it('ignores non-string deltas and keeps the string ones', () => {
    const decoder = new ResponsesStreamDecoder('b', []);
    const out: LipEvent[] = [];
    const frames = [
      { type: 'response.created', response: { id: 'r1', model: 'm' } },
      { type: 'response.output_text.delta', delta: { a: 1 } },
      { type: 'response.refusal.delta', delta: 5 },
      { type: 'response.reasoning_text.delta', delta: [1] },
      { type: 'response.reasoning_summary_text.delta', item_id: 'rs', delta: true },
      { type: 'response.output_item.added', item: { type: 'function_call', id: 'fc1', call_id: 'call_1', name: 'f' } },
      { type: 'response.function_call_arguments.delta', item_id: 'fc1', delta: { x: 1 } },
      { type: 'response.function_call_arguments.delta', item_id: 'fc1', delta: '{}' },
      { type: 'response.output_text.delta', delta: 'ok' },
    ];
    for (const f of frames) decoder.message({ event: f.type, data: JSON.stringify(f) }, out);
    expect(out.slice(2)).to.deep.equal([
      { type: 'tool_call_started', id: 'call_1', name: 'f' },
      { type: 'tool_call_delta', id: 'call_1', args: '{}' },
      { type: 'text_delta', text: 'ok' },
    ]);
  });
});
