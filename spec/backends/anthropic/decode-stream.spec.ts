import { expect } from 'chai';
import { AnthropicStreamDecoder, mapAnthropicStopReason } from '../../../lib/backends/anthropic/index.js';
import { validateSequence, type LipEvent } from '../../../lib/canonical/index.js';

function decode(frames: Record<string, unknown>[]): LipEvent[] {
  const decoder = new AnthropicStreamDecoder('b', []);
  const out: LipEvent[] = [];
  for (const f of frames) decoder.message({ event: String(f.type), data: JSON.stringify(f) }, out);
  decoder.end();
  return out;
}
const start = { type: 'message_start', message: { id: 'msg_1', model: 'claude', usage: { input_tokens: 10, cache_read_input_tokens: 5, cache_creation_input_tokens: 2, output_tokens: 1 } } };
const stop = (reason: string, usage: Record<string, unknown> = { output_tokens: 7 }, seq: string | null = null) => [
  { type: 'message_delta', delta: { stop_reason: reason, stop_sequence: seq }, usage }, { type: 'message_stop' },
];

describe('backends/anthropic/decode-stream', () => {
  it('keeps a refusal\'s stop_details, the applied context edits and the input transformations as the finish\'s Anthropic message fields; none that is no object, or too deep', () => {
    const details = { type: 'refusal', category: 'bio', explanation: null };
    const finish = (d: unknown, more: Record<string, unknown> = {}) => decode([start, { type: 'message_delta', delta: { stop_reason: 'refusal', stop_sequence: null, stop_details: d }, usage: { output_tokens: 0 }, ...more }, { type: 'message_stop' }]).at(-1);
    expect(finish(details)).to.deep.equal({ type: 'response_finished', reason: 'content_filter', raw: 'refusal', details: { dialect: 'anthropic.message', value: { stop_details: details } } });
    const edits = { applied_edits: [{ type: 'clear_tool_uses_20250919', cleared_tool_uses: 3, cleared_input_tokens: 9000 }] };
    const dropped = [{ type: 'thinking_dropped', reason: 'prefix_binding_mismatch' }];
    expect((finish(null, { context_management: edits, input_transformations: dropped }) as { details?: unknown }).details).to.deep.equal({
      dialect: 'anthropic.message', value: { context_management: edits, input_transformations: dropped },
    });
    expect(finish(null, { context_management: null, input_transformations: [] })).to.deep.equal({ type: 'response_finished', reason: 'content_filter', raw: 'refusal' });
    expect(finish(null)).to.deep.equal({ type: 'response_finished', reason: 'content_filter', raw: 'refusal' });
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 300; i++) deep = { d: deep };
    expect(finish(deep)).to.not.have.property('details');
  });

  it('adds cache reads and writes to the input, keeps them apart, and takes message_delta totals', () => {
    const events = decode([start, { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hi' } }, { type: 'content_block_stop', index: 0 }, ...stop('end_turn')]);
    expect(validateSequence(events)).to.deep.equal([]);
    const usage = events.filter((e) => e.type === 'usage').map((e) => (e as { usage: unknown }).usage);
    expect(usage).to.deep.equal([
      { inputTokens: 17, outputTokens: 1, totalTokens: 18, cacheReadTokens: 5, cacheWriteTokens: 2 },
      { inputTokens: 17, outputTokens: 7, totalTokens: 24, cacheReadTokens: 5, cacheWriteTokens: 2 },
    ]);
  });

  it('emits a thinking signature when its block stops, also for empty thinking', () => {
    const events = decode([start,
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig' } },
      { type: 'content_block_stop', index: 0 }, ...stop('end_turn')]);
    expect(events.filter((e) => e.type.startsWith('reasoning'))).to.deep.equal([{ type: 'reasoning_signature', signature: 'sig', dialect: 'anthropic.thinking' }]);
  });

  it('gives a tool call with no input deltas its (empty) input object as arguments', () => {
    const events = decode([start, { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 't', name: 'now', input: {} } }, { type: 'content_block_stop', index: 0 }, ...stop('tool_use')]);
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.filter((e) => e.type.startsWith('tool_call'))).to.deep.equal([
      { type: 'tool_call_started', id: 't', name: 'now' }, { type: 'tool_call_delta', id: 't', args: '{}' }, { type: 'tool_call_finished', id: 't' },
    ]);
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'tool_calls' });
  });

  it('ignores pings and unknown blocks, reports the matched stop sequence', () => {
    const events = decode([start, { type: 'ping' }, { type: 'content_block_start', index: 0, content_block: { type: 'future_block', id: 's', data: {} } }, { type: 'content_block_stop', index: 0 }, ...stop('stop_sequence', { output_tokens: 2 }, 'END')]);
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'stop_sequence', stopSequence: 'END' });
  });

  it('throws on event: error (overloaded is retryable) and on a delta for a block that never started', () => {
    expect(() => decode([start, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }])).to.throw().that.includes({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR', retryable: true });
    expect(() => decode([start, { type: 'error', error: { type: 'invalid_request_error', message: 'no' } }])).to.throw().that.includes({ retryable: false });
    expect(() => decode([start, { type: 'content_block_delta', index: 3, delta: { type: 'text_delta', text: 'x' } }])).to.throw().with.property('code', 'LIP_ERR_UPSTREAM_MALFORMED');
    expect(() => decode([{ type: 'content_block_stop', index: 0 }])).to.throw().with.property('code', 'LIP_ERR_UPSTREAM_MALFORMED');
    // A block index that is no number (an object whose toString cannot be called: found by the stream fuzzer) is a malformed frame, not a crash.
    const block = { type: 'server_tool_use', id: 'srvtoolu_1', name: 'bash_code_execution', input: {} };
    for (const index of [{ toString: '' }, '0', null]) {
      expect(() => decode([start, { type: 'content_block_start', index, content_block: block }])).to.throw().with.property('code', 'LIP_ERR_UPSTREAM_MALFORMED');
    }
  });

  it('maps stop reasons faithfully', () => {
    expect(mapAnthropicStopReason('max_tokens')).to.deep.equal({ reason: 'length' });
    expect(mapAnthropicStopReason('refusal')).to.deep.equal({ reason: 'content_filter', raw: 'refusal' });
    expect(mapAnthropicStopReason('pause_turn')).to.deep.equal({ reason: 'other', raw: 'pause_turn' });
    expect(mapAnthropicStopReason('model_context_window_exceeded')).to.deep.equal({ reason: 'length', raw: 'model_context_window_exceeded' });
  });
});
