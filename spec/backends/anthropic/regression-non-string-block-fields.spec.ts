import { expect } from 'chai';
import { AnthropicStreamDecoder } from '../../../lib/backends/anthropic/index.js';
import type { LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';

/**
 * Found by spec/fuzz/backend-streams.fuzz.spec.ts: a `tool_use` block whose `id` was not a
 * string started the call as `String(id)` but sent its arguments and its end under the raw
 * value (an array, a number), and a truthy non-string `text` / `thinking` / `partial_json` /
 * `signature` went out as a non-string event field. Now a tool_use block needs a string id and
 * name (else the frame is malformed), and non-string deltas are ignored.
 */
function decode(frames: Record<string, unknown>[]): LipEvent[] {
  const decoder = new AnthropicStreamDecoder('b', []);
  const out: LipEvent[] = [];
  for (const f of [{ type: 'message_start', message: { id: 'm1', model: 'x' } }, ...frames]) {
    decoder.message({ event: String(f.type), data: JSON.stringify(f) }, out);
  }
  return out;
}

describe('backends/anthropic regression: non-string fields of content blocks', () => {
  it('refuses a tool_use block without a string id or name as a malformed frame', () => {
    for (const block of [{ type: 'tool_use', id: [1], name: 'f', input: {} }, { type: 'tool_use', id: 7, name: 'f' }, { type: 'tool_use', id: 't1', name: null }]) {
      expect(() => decode([{ type: 'content_block_start', index: 0, content_block: block }]))
        .to.throw(LipError).that.includes({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
    }
  });

  it('ignores non-string text, thinking, partial_json and signature values', () => {
    const events = decode([
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: { s: 1 } } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 5 } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: { a: 1 } } },
      { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'ok' } },
      { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 't1', name: 'f', input: {} } },
      { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: [1] } },
      { type: 'content_block_stop', index: 2 },
    ]);
    expect(events.slice(2)).to.deep.equal([
      { type: 'text_delta', text: 'ok' },
      { type: 'tool_call_started', id: 't1', name: 'f' },
      { type: 'tool_call_delta', id: 't1', args: '{}' },
      { type: 'tool_call_finished', id: 't1' },
    ]);
  });
});
