import { expect } from 'chai';
import { REASONING_DIALECTS, collectEvents, emptyCall, type LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { AnthropicStreamEncoder, anthropicUsage, encodeAnthropicError, encodeMessagesResponse } from '../../../lib/frontends/anthropic/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { sealState, sealStateBase64 } from '../../../lib/frontends/state-envelope.js';
import { accumulate, checkAnthropicWire } from './wire-check.js';

const context: EncodeContext = { call: emptyCall({ model: 'claude-x' }), model: undefined, hints: {}, requestId: 'r', created: 1700000000 };
const start: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }];

function stream(events: readonly LipEvent[], failure?: LipError): string {
  const encoder = new AnthropicStreamEncoder(context);
  return events.map((e) => encoder.event(e)).join('') + (failure ? encoder.error(failure) : encoder.end());
}

/** The fields of Anthropic's usage no event in these streams set, each null (as Anthropic's type declares them). */
const UNSAID = { cache_creation: null, output_tokens_details: null, server_tool_use: null, service_tier: null, inference_geo: null, speed: null };

describe('frontends/anthropic encoders', () => {
  it('streams one message_start (with the usage known by then), a ping, ordered blocks, message_delta and message_stop', () => {
    const events = checkAnthropicWire(stream([
      ...start, { type: 'usage', usage: { inputTokens: 50, cacheReadTokens: 30, cacheWriteTokens: 5 } },
      { type: 'reasoning_delta', text: 'hmm' }, { type: 'reasoning_signature', signature: 'sig' }, { type: 'text_delta', text: 'Hi' },
      { type: 'usage', usage: { outputTokens: 9 } }, { type: 'response_finished', reason: 'stop' },
    ]));
    expect(events[0]!.data.message).to.deep.equal({
      id: events[0]!.data.message.id, type: 'message', role: 'assistant', model: 'claude-x', content: [], stop_reason: null, stop_sequence: null,
      usage: { input_tokens: 15, cache_creation_input_tokens: 5, cache_read_input_tokens: 30, output_tokens: 0, ...UNSAID },
    });
    expect(accumulate(events)).to.deep.equal([{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'text', text: 'Hi' }]);
    expect(events.at(-2)!.data).to.deep.equal({
      type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 15, cache_creation_input_tokens: 5, cache_read_input_tokens: 30, output_tokens: 9, ...UNSAID },
    });
  });

  it('closes a text block before a tool_use block opens and says tool_use after a natural stop', () => {
    const events = checkAnthropicWire(stream([
      ...start, { type: 'text_delta', text: 'Checking.' }, { type: 'tool_call_started', id: 'c1', name: 'w' },
      { type: 'tool_call_delta', id: 'c1', args: '{"a":1}' }, { type: 'tool_call_finished', id: 'c1' }, { type: 'response_finished', reason: 'stop' },
    ]));
    expect(events.map((e) => e.event)).to.deep.equal([
      'message_start', 'ping', 'content_block_start', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ]);
    expect(accumulate(events)[1]).to.deep.equal({ type: 'tool_use', id: 'c1', name: 'w', input: {}, json: '{"a":1}' });
    expect(events.at(-2)!.data.delta.stop_reason).to.equal('tool_use');
  });

  it('serialises interleaved parallel tool calls: the second waits, buffered, until the first is stopped', () => {
    const events = checkAnthropicWire(stream([
      ...start,
      { type: 'tool_call_started', id: 'a', name: 'wa' }, { type: 'tool_call_started', id: 'b', name: 'wb' },
      { type: 'tool_call_delta', id: 'a', args: '{"x":' }, { type: 'tool_call_delta', id: 'b', args: '{"y":' },
      { type: 'tool_call_delta', id: 'a', args: '1}' }, { type: 'tool_call_delta', id: 'b', args: '2}' },
      { type: 'text_delta', text: 'late text' },
      { type: 'tool_call_finished', id: 'a' }, { type: 'tool_call_finished', id: 'b' }, { type: 'response_finished', reason: 'tool_calls' },
    ]));
    expect(accumulate(events)).to.deep.equal([
      { type: 'tool_use', id: 'a', name: 'wa', input: {}, json: '{"x":1}' },
      { type: 'tool_use', id: 'b', name: 'wb', input: {}, json: '{"y":2}' },
      { type: 'text', text: 'late text' },
    ]);
  });

  it('sends a signature without thinking text as an empty thinking block, redacted thinking as its own block, other dialects\' opaque reasoning sealed', () => {
    const events = checkAnthropicWire(stream([
      ...start, { type: 'reasoning_signature', signature: 'only-sig' },
      { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.anthropicRedacted, data: 'REDACTED' },
      { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.openaiResponses, data: 'not-for-anthropic' },
      { type: 'reasoning_opaque', dialect: 'some.other.dialect', data: 'carried' },
      { type: 'text_delta', text: 'ok' }, { type: 'response_finished', reason: 'stop' },
    ]));
    expect(accumulate(events)).to.deep.equal([
      { type: 'thinking', thinking: '', signature: 'only-sig' },
      { type: 'redacted_thinking', data: 'REDACTED' },
      { type: 'redacted_thinking', data: sealState({ dialect: REASONING_DIALECTS.openaiResponses, opaque: 'not-for-anthropic' }) },
      { type: 'redacted_thinking', data: sealState({ dialect: 'some.other.dialect', opaque: 'carried' }) },
      { type: 'text', text: 'ok' },
    ]);
  });

  it('maps finish reasons faithfully, with the matched stop sequence', () => {
    const reasonOf = (finish: LipEvent) => checkAnthropicWire(stream([...start, { type: 'text_delta', text: 'x' }, finish])).at(-2)!.data.delta;
    expect(reasonOf({ type: 'response_finished', reason: 'length' })).to.deep.equal({ stop_reason: 'max_tokens', stop_sequence: null });
    expect(reasonOf({ type: 'response_finished', reason: 'stop_sequence', stopSequence: '###' })).to.deep.equal({ stop_reason: 'stop_sequence', stop_sequence: '###' });
    expect(reasonOf({ type: 'response_finished', reason: 'content_filter' })).to.deep.equal({ stop_reason: 'refusal', stop_sequence: null });
    expect(reasonOf({ type: 'response_finished', reason: 'other', raw: 'pause_turn' })).to.deep.equal({ stop_reason: 'pause_turn', stop_sequence: null });
    expect(reasonOf({ type: 'response_finished', reason: 'other', raw: 'weird' })).to.deep.equal({ stop_reason: 'end_turn', stop_sequence: null });
    // Found by probing the SDKs: the context window's stop (an Anthropic or Bedrock backend's
    // `length` with that raw reason) reached Anthropic clients as max_tokens.
    expect(reasonOf({ type: 'response_finished', reason: 'length', raw: 'model_context_window_exceeded' })).to.deep.equal({ stop_reason: 'model_context_window_exceeded', stop_sequence: null });
    expect(reasonOf({ type: 'response_finished', reason: 'length', raw: 'MAX_TOKENS' })).to.deep.equal({ stop_reason: 'max_tokens', stop_sequence: null });
  });

  it('sends message_start even for an empty answer', () => {
    const events = checkAnthropicWire(stream([...start, { type: 'response_finished', reason: 'stop' }]));
    expect(events.map((e) => e.event)).to.deep.equal(['message_start', 'ping', 'message_delta', 'message_stop']);
  });

  it('ends a failed stream with an error event after the output so far', () => {
    const events = checkAnthropicWire(stream([...start, { type: 'text_delta', text: 'par' }], new LipError('LIP_ERR_UPSTREAM_RESET', 'reset')));
    expect(events.at(-1)!.data).to.deep.equal({ type: 'error', error: { type: 'api_error', message: 'reset' } });
    expect(events.map((e) => e.event)).to.not.include('message_stop');
  });

  it('converts usage both ways: input_tokens excludes cache reads and writes', () => {
    expect(anthropicUsage({ inputTokens: 100, cacheReadTokens: 60, cacheWriteTokens: 10, outputTokens: 20, reasoningTokens: 5 })).to.deep.equal({
      input_tokens: 30, cache_creation_input_tokens: 10, cache_read_input_tokens: 60, output_tokens: 20, ...UNSAID, output_tokens_details: { thinking_tokens: 5 },
    });
    expect(anthropicUsage({})).to.deep.equal({ input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0, ...UNSAID });
  });

  it('splits the cache writes by lifetime and names the tier, region and speed that served, as the provider said', () => {
    const usage = anthropicUsage({ inputTokens: 200, cacheWriteTokens: 100, cacheWrite1hTokens: 60, serviceTier: 'priority', inferenceGeo: 'us', speed: 'fast', outputTokens: 3 });
    expect(usage).to.deep.include({
      input_tokens: 100, cache_creation_input_tokens: 100, cache_creation: { ephemeral_5m_input_tokens: 40, ephemeral_1h_input_tokens: 60 },
      service_tier: 'priority', inference_geo: 'us', speed: 'fast',
    });
    // The 1-hour share never exceeds the writes a client is told of (a compaction's are left out).
    const compaction = { inputTokens: 50, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 50 };
    expect(anthropicUsage({ inputTokens: 200, cacheWriteTokens: 100, cacheWrite1hTokens: 80, compaction }).cache_creation).to.deep.equal({ ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 50 });
  });

  it('leaves a server-side compaction\'s tokens out of the top-level counts, as Anthropic does', () => {
    const compaction = { inputTokens: 1850, outputTokens: 120, cacheReadTokens: 50, cacheWriteTokens: 0 };
    expect(anthropicUsage({ inputTokens: 2250, cacheReadTokens: 150, outputTokens: 140, totalTokens: 2390, compaction })).to.deep.equal({
      input_tokens: 300, cache_creation_input_tokens: 0, cache_read_input_tokens: 100, output_tokens: 20, ...UNSAID,
    });
    // A snapshot taken before the compaction's counts were known (message_start) never goes below zero.
    expect(anthropicUsage({ inputTokens: 300, compaction })).to.deep.include({ input_tokens: 0, output_tokens: 0 });
  });

  it('encodes a collected response with blocks in order and parsed tool input', () => {
    const body = encodeMessagesResponse(collectEvents([
      ...start, { type: 'reasoning_signature', signature: 's0' }, { type: 'reasoning_delta', text: 'r' }, { type: 'reasoning_signature', signature: 's1' },
      { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.anthropicRedacted, data: 'D' },
      { type: 'text_delta', text: 'T' }, { type: 'tool_call_started', id: 'c', name: 'n' }, { type: 'tool_call_delta', id: 'c', args: '{"k":' },
      { type: 'tool_call_finished', id: 'c' }, { type: 'usage', usage: { inputTokens: 4, outputTokens: 2 } }, { type: 'response_finished', reason: 'length' },
    ]), context);
    expect(body).to.deep.include({ type: 'message', role: 'assistant', model: 'claude-x', stop_reason: 'max_tokens', stop_sequence: null });
    expect(body.content).to.deep.equal([
      { type: 'thinking', thinking: '', signature: 's0' },
      { type: 'thinking', thinking: 'r', signature: 's1' },
      { type: 'redacted_thinking', data: 'D' },
      { type: 'text', text: 'T' },
      { type: 'tool_use', id: 'c', name: 'n', input: {} },
    ]);
    expect(body.usage).to.deep.equal({ input_tokens: 4, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 2, ...UNSAID });
  });

  it('(the wire check itself rejects a second message_start and a delta for a stopped block)', () => {
    const frame = (data: object) => `event: ${(data as { type: string }).type}\ndata: ${JSON.stringify(data)}\n\n`;
    const ms = frame({ type: 'message_start', message: {} }) + frame({ type: 'ping' });
    expect(() => checkAnthropicWire(ms + ms)).to.throw('one message_start');
    const late = ms + frame({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }) + frame({ type: 'content_block_stop', index: 0 })
      + frame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'x' } });
    expect(() => checkAnthropicWire(late)).to.throw('a delta needs an open block');
  });

  it('wraps errors in Anthropic\'s envelope', () => {
    expect(encodeAnthropicError(new LipError('LIP_ERR_SERVER_OVERLOADED', 'busy', { retryAfter: 1.2 }))).to.deep.equal({
      status: 429, headers: { 'retry-after': '2' }, body: { type: 'error', error: { type: 'rate_limit_error', message: 'busy' } },
    });
    // With the answer's request id, the body names it as Anthropic's do.
    expect(encodeAnthropicError(new LipError('LIP_ERR_REQUEST_INVALID', 'bad'), 'req-1').body).to.deep.equal({
      type: 'error', error: { type: 'invalid_request_error', message: 'bad' }, request_id: 'req-1',
    });
    // A thread lip does not hold: Anthropic's details.error_code, on which the SDK replays the history under a new thread.
    const lost = new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 'gone', { param: 'thread.previous_message_id' });
    expect(encodeAnthropicError(lost).body).to.deep.equal({ type: 'error', error: { type: 'not_found_error', message: 'gone', details: { error_code: 'thread_not_found' } } });
    // Any other 404 has none.
    expect(encodeAnthropicError(new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 'gone', { param: 'previous_response_id' })).body).to.not.have.nested.property('error.details');
  });
});
