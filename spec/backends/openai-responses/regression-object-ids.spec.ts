import { expect } from 'chai';
import type { LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { decodeResponsesFrames } from './decode-frames.js';

/**
 * Found by spec/fuzz/backend-streams.fuzz.spec.ts: ids, names and the status of a Responses
 * stream went through `String()`. A JSON object with a `toString` key made that throw a
 * TypeError (a lip internal error), and other objects became "[object Object]" ids and
 * finish reasons. Ids are now read as strings or numbers. A function_call item needs a call id
 * and a string name (else the frame is malformed). A non-string status counts as completed.
 */
const decode = (frames: Record<string, unknown>[]): LipEvent[] => decodeResponsesFrames([{ type: 'response.created', response: { id: 'r1' } }, ...frames]);
const poisoned = { toString: 1, valueOf: 1 };

describe('backends/openai-responses regression: object ids, names and status', () => {
  it('refuses a function_call item without a usable call id or name', () => {
    for (const item of [{ type: 'function_call', id: 'fc1', call_id: poisoned, name: 'f' }, { type: 'function_call', call_id: 'c1', name: poisoned }, { type: 'function_call', name: 'f' }]) {
      expect(() => decode([{ type: 'response.output_item.added', item }])).to.throw(LipError).that.includes({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
    }
  });

  it('reads past object item ids and finishes on an object status', () => {
    const events = decode([
      { type: 'response.output_item.added', item: { type: 'function_call', id: 'fc1', call_id: 'c1', name: 'f' } },
      { type: 'response.function_call_arguments.delta', item_id: poisoned, delta: '{"lost":1}' },
      { type: 'response.reasoning_summary_text.delta', item_id: poisoned, delta: 'thinking' },
      { type: 'response.function_call_arguments.delta', item_id: 'fc1', delta: '{}' },
      { type: 'response.completed', response: { status: poisoned, incomplete_details: { reason: poisoned } } },
    ]);
    expect(events.slice(2)).to.deep.equal([
      { type: 'tool_call_started', id: 'c1', name: 'f' },
      { type: 'reasoning_delta', text: 'thinking' },
      { type: 'tool_call_delta', id: 'c1', args: '{}' },
      { type: 'tool_call_finished', id: 'c1' },
      { type: 'response_finished', reason: 'tool_calls' },
    ]);
  });
});

describe('backends/openai-responses regression: a non-numeric summary_index', () => {
  // Found by the long fuzz run: `Number(summary_index)` of an object with a `toString` key
  // threw a TypeError, and of an array nested 3,000 levels overflowed the stack (before the
  // frame depth bound, Array.prototype.toString recursed). A non-number index now counts as 0.
  it('reads the delta as the first summary part', () => {
    const events = decode([
      { type: 'response.reasoning_summary_text.delta', item_id: 'rs', summary_index: poisoned, delta: 'a' },
      { type: 'response.reasoning_summary_text.delta', item_id: 'rs', summary_index: [[['1']]], delta: 'b' },
    ]);
    expect(events.slice(2)).to.deep.equal([{ type: 'reasoning_delta', text: 'a' }, { type: 'reasoning_delta', text: 'b' }]);
  });
});
