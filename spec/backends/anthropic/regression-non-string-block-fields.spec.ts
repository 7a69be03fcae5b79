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

describe('backends/anthropic regression: object data and signatures', () => {
  // Found by the long fuzz run: `String(b.data)` / `String(d.signature)` threw a TypeError for a
  // JSON object with a `toString` key. Non-string values are now ignored.
  it('ignores a non-string redacted_thinking data and signature_delta', () => {
    const events = decode([
      { type: 'content_block_start', index: 0, content_block: { type: 'redacted_thinking', data: { toString: 1 } } },
      { type: 'content_block_start', index: 1, content_block: { type: 'thinking', thinking: 'hm' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'signature_delta', signature: { toString: [] } } },
      { type: 'content_block_delta', index: 1, delta: { type: 'signature_delta', signature: 'sig' } },
      { type: 'content_block_stop', index: 1 },
    ]);
    expect(events.slice(2)).to.deep.equal([
      { type: 'reasoning_opaque', dialect: 'anthropic.redacted_thinking', data: '' },
      { type: 'reasoning_delta', text: 'hm' },
      { type: 'reasoning_signature', signature: 'sig', dialect: 'anthropic.thinking' },
    ]);
  });
});

describe('backends/anthropic regression: a content_block_delta with an object index', () => {
  // Found by the long fuzz run: the "never started" message interpolated the index, and an
  // object whose `toString` is not a function threw a TypeError while building the message.
  it('is a malformed frame, not a TypeError', () => {
    expect(() => decode([{ type: 'content_block_delta', index: { toString: 'x' }, delta: { type: 'text_delta', text: 'a' } }]))
      .to.throw(LipError).that.includes({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
  });
});

describe('backends/anthropic regression: a non-string stop_reason', () => {
  // Found by spec/fuzz/backend-responses.fuzz.spec.ts: `stop_reason: {...}` became the raw
  // finish reason of response_finished (an object where a string belongs). It is now ignored.
  it('finishes as a plain stop', () => {
    const events = decode([{ type: 'message_delta', delta: { stop_reason: { type: {} } } }, { type: 'message_stop' }]);
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'stop' });
  });
});
