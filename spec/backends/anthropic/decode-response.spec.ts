import { expect } from 'chai';
import { AnthropicResponseDecoder, AnthropicStreamDecoder } from '../../../lib/backends/anthropic/index.js';
import { REASONING_DIALECTS, validateSequence, type LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { anthropicProtocol, type Script } from '../../helpers/emulators/index.js';
import { comparable, decodeBothWays, recorded, thrownBy } from '../decode-both-ways.js';

function decode(body: Record<string, unknown>): LipEvent[] {
  const out: LipEvent[] = [];
  new AnthropicResponseDecoder('b', ['sk-secret']).decode(body, out);
  expect(validateSequence(out)).to.deep.equal([]);
  return out;
}
const message = (content: unknown[], stop: string | null = 'end_turn', extra: Record<string, unknown> = {}) => ({
  id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content, stop_reason: stop, stop_sequence: null,
  usage: { input_tokens: 5, output_tokens: 7 }, ...extra,
});
const failure = (body: Record<string, unknown>): LipError => thrownBy(() => decode(body));

describe('backends/anthropic/decode-response', () => {
  it('decodes text with the id, the model and usage (cache counts added to the input)', () => {
    const usage = { input_tokens: 10, cache_read_input_tokens: 30, cache_creation_input_tokens: 5, output_tokens: 4 };
    expect(decode(message([{ type: 'text', text: 'Hello' }], 'end_turn', { usage }))).to.deep.equal([
      { type: 'response_started', id: 'msg_1', model: 'claude-x' }, { type: 'message_started' },
      { type: 'usage', usage: { inputTokens: 45, outputTokens: 4, totalTokens: 49, cacheReadTokens: 30, cacheWriteTokens: 5 } },
      { type: 'text_delta', text: 'Hello' },
      { type: 'response_finished', reason: 'stop' },
    ]);
  });

  it('decodes thinking with its signature and redacted thinking, in block order', () => {
    const events = decode(message([
      { type: 'thinking', thinking: 'Let me see.', signature: 'sig-1' },
      { type: 'redacted_thinking', data: 'blob' },
      { type: 'text', text: 'Done.' },
    ]));
    expect(events.slice(3)).to.deep.equal([
      { type: 'reasoning_delta', text: 'Let me see.' }, { type: 'reasoning_signature', signature: 'sig-1', dialect: 'anthropic.thinking' },
      { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.anthropicRedacted, data: 'blob' },
      { type: 'text_delta', text: 'Done.' }, { type: 'response_finished', reason: 'stop' },
    ]);
  });

  it('decodes tool_use blocks: the input object is the arguments; the stop is tool_calls', () => {
    const events = decode(message([
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: {} },
    ], 'tool_use'));
    expect(events.filter((e) => e.type.startsWith('tool_call'))).to.deep.equal([
      { type: 'tool_call_started', id: 'toolu_1', name: 'get_weather' }, { type: 'tool_call_delta', id: 'toolu_1', args: '{"city":"Paris"}' }, { type: 'tool_call_finished', id: 'toolu_1' },
      { type: 'tool_call_started', id: 'toolu_2', name: 'get_time' }, { type: 'tool_call_delta', id: 'toolu_2', args: '{}' }, { type: 'tool_call_finished', id: 'toolu_2' },
    ]);
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'tool_calls' });
  });

  it('maps stop reasons like the stream does, with the matched stop sequence', () => {
    expect(decode(message([{ type: 'text', text: 'x' }], 'max_tokens')).at(-1)).to.deep.equal({ type: 'response_finished', reason: 'length' });
    expect(decode(message([{ type: 'text', text: 'x' }], 'refusal')).at(-1)).to.deep.equal({ type: 'response_finished', reason: 'content_filter', raw: 'refusal' });
    expect(decode(message([{ type: 'text', text: 'x' }], 'stop_sequence', { stop_sequence: 'END' })).at(-1)).to.deep.equal({ type: 'response_finished', reason: 'stop_sequence', stopSequence: 'END' });
    expect(decode(message([{ type: 'text', text: 'x' }], 'pause_turn')).at(-1)).to.deep.equal({ type: 'response_finished', reason: 'other', raw: 'pause_turn' });
  });

  it('refuses a body without a content array, or a tool_use block without id and name, as LIP_ERR_UPSTREAM_MALFORMED', () => {
    expect(failure({ id: 'msg_1', type: 'message' })).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
    expect(failure(message([{ type: 'tool_use', input: {} }]))).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
  });

  it('turns an in-body error into LIP_ERR_UPSTREAM_STREAM_ERROR through classify-error (overloaded retryable, keys masked)', () => {
    const overloaded = failure({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded sk-secret' } });
    expect(overloaded).to.include({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR', retryable: true });
    expect(overloaded.message).to.contain('Overloaded').and.not.contain('sk-secret');
    expect(failure({ type: 'error', error: { type: 'invalid_request_error', message: 'bad' } })).to.include({ retryable: false });
  });

  it('agrees with the stream decoder on every emulator script', () => {
    const scripts: Script[] = [
      { id: 'msg_9', text: ['Hel', 'lo'], usage: { input: 100, output: 20, cacheRead: 60, cacheWrite: 10 } },
      { reasoning: { text: ['a', 'b'], signature: 'sig', redacted: 'r' }, text: 'c', toolCalls: [{ id: 'toolu_1', name: 'f', args: ['{"x"', ':1}'] }, { id: 'toolu_2', name: 'g', args: '{}' }] },
      { text: 'cut', finish: 'length' },
      { text: 'halt', finish: 'stop_sequence', stopSequence: 'END' },
    ];
    for (const script of scripts) {
      const r = decodeBothWays(anthropicProtocol, script, recorded({ model: 'm', stream: true }),
        () => new AnthropicStreamDecoder('b', []), () => new AnthropicResponseDecoder('b', []));
      expect(r.violations).to.deep.equal([]);
      expect(comparable(r.whole), JSON.stringify(script)).to.deep.equal(comparable(r.streamed));
    }
  });
});
