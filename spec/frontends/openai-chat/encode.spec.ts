import { expect } from 'chai';
import { collectEvents, emptyCall, type LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { ChatStreamEncoder, encodeChatError, encodeChatResponse } from '../../../lib/frontends/openai-chat/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { parseSse } from '../../helpers/sse-client.js';

const context = (hints: Record<string, unknown> = {}): EncodeContext => ({ call: emptyCall({ model: 'gpt-x' }), model: undefined, hints, requestId: 'r', created: 1700000000 });

const toolTurn: LipEvent[] = [
  { type: 'response_started' }, { type: 'message_started' },
  { type: 'text_delta', text: 'Let me check.' },
  { type: 'tool_call_started', id: 'call_a', name: 'weather' },
  { type: 'tool_call_delta', id: 'call_a', args: '{"city":' },
  { type: 'tool_call_started', id: 'call_b', name: 'time' },
  { type: 'tool_call_delta', id: 'call_b', args: '{}' },
  { type: 'tool_call_delta', id: 'call_a', args: '"Paris"}' },
  { type: 'tool_call_finished', id: 'call_a' }, { type: 'tool_call_finished', id: 'call_b' },
  { type: 'usage', usage: { inputTokens: 10, outputTokens: 7, cacheReadTokens: 4, reasoningTokens: 2 } },
  { type: 'response_finished', reason: 'stop' },
];

function stream(events: LipEvent[], hints: Record<string, unknown> = {}) {
  const encoder = new ChatStreamEncoder(context(hints));
  const text = events.map((e) => encoder.event(e)).join('') + encoder.end();
  return { text, data: parseSse(text).messages.map((m) => m.data) };
}

describe('frontends/openai-chat encoders', () => {
  it('streams chunks with a shared id, the role first, tool calls indexed by start order, and [DONE]', () => {
    const { data } = stream(toolTurn);
    expect(data.at(-1)).to.equal('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(new Set(chunks.map((c) => c.id)).size).to.equal(1);
    expect(chunks[0].id).to.match(/^chatcmpl-/);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.created === 1700000000 && c.model === 'gpt-x')).to.equal(true);
    expect(chunks.map((c) => c.choices[0].delta)).to.deep.equal([
      { role: 'assistant', content: '' },
      { content: 'Let me check.' },
      { tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'weather', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'time', arguments: '' } }] },
      { tool_calls: [{ index: 1, function: { arguments: '{}' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      {},
    ]);
    expect(chunks.at(-1).choices[0].finish_reason).to.equal('tool_calls');
    expect(chunks.some((c) => 'usage' in c)).to.equal(false);
  });

  it('adds a usage chunk with empty choices only when include_usage is set', () => {
    const { data } = stream(toolTurn, { includeUsage: true });
    const usageChunk = JSON.parse(data.at(-2)!);
    expect(usageChunk.choices).to.deep.equal([]);
    expect(usageChunk.usage).to.deep.equal({
      prompt_tokens: 10, completion_tokens: 7, total_tokens: 17,
      prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 2 },
    });
  });

  it('adds the usage chunk with zero counts when include_usage is set and the upstream reported none', () => {
    const { data } = stream(toolTurn.filter((e) => e.type !== 'usage'), { includeUsage: true });
    expect(data.at(-1)).to.equal('[DONE]');
    expect(JSON.parse(data.at(-2)!)).to.deep.include({ choices: [], usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } });
    const collected = collectEvents(toolTurn.filter((e) => e.type !== 'usage'));
    expect(encodeChatResponse(collected, context()).usage).to.deep.equal({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });

  it('maps finish reasons faithfully', () => {
    const finish = (reason: string) => {
      const { data } = stream([{ type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: 'x' }, { type: 'response_finished', reason } as LipEvent]);
      return JSON.parse(data.at(-2)!).choices[0].finish_reason;
    };
    // A tool-call finish over text alone (no calls) is a natural stop.
    expect(['stop', 'length', 'content_filter', 'stop_sequence', 'other', 'tool_calls'].map(finish)).to.deep.equal(['stop', 'length', 'content_filter', 'stop', 'stop', 'stop']);
  });

  it('streams reasoning as reasoning_content', () => {
    const { data } = stream([{ type: 'response_started' }, { type: 'message_started' }, { type: 'reasoning_delta', text: 'hmm' }, { type: 'reasoning_signature', signature: 's' }, { type: 'text_delta', text: 'a' }, { type: 'response_finished', reason: 'stop' }]);
    expect(data.slice(1, 3).map((d) => JSON.parse(d).choices[0].delta)).to.deep.equal([{ reasoning_content: 'hmm' }, { content: 'a' }]);
  });

  it('writes an in-band error object after output, without [DONE]', () => {
    const encoder = new ChatStreamEncoder(context());
    const text = encoder.event({ type: 'message_started' }) + encoder.event({ type: 'text_delta', text: 'par' }) + encoder.error(new LipError('LIP_ERR_UPSTREAM_RESET', 'upstream reset'));
    const data = parseSse(text).messages.map((m) => m.data);
    expect(JSON.parse(data.at(-1)!)).to.deep.equal({ error: { message: 'upstream reset', type: 'api_error', param: null, code: 'LIP_ERR_UPSTREAM_RESET' } });
    expect(text).not.to.contain('[DONE]');
  });

  it('encodes a refusal as refusal, content null when it is all there is (streamed and collected)', () => {
    const refused: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: 'No, ', refusal: true }, { type: 'text_delta', text: 'sorry.', refusal: true }, { type: 'response_finished', reason: 'stop' }];
    const message = (encodeChatResponse(collectEvents(refused), context()).choices as { message: Record<string, unknown> }[])[0]!.message;
    expect([message.content, message.refusal]).to.deep.equal([null, 'No, sorry.']);
    const mixed = (encodeChatResponse(collectEvents([...refused.slice(0, 2), { type: 'text_delta', text: 'Well. ' }, ...refused.slice(2)]), context()).choices as { message: Record<string, unknown> }[])[0]!.message;
    expect([mixed.content, mixed.refusal]).to.deep.equal(['Well. ', 'No, sorry.']);
    const encoder = new ChatStreamEncoder(context());
    const deltas = parseSse(refused.map((e) => encoder.event(e)).join('')).messages.map((m) => m.data).filter((d) => d !== '[DONE]').map((d) => JSON.parse(d).choices[0]?.delta);
    expect(deltas.filter((d) => d?.refusal !== undefined).map((d) => d.refusal)).to.deep.equal(['No, ', 'sorry.']);
    expect(deltas.some((d) => typeof d?.content === 'string' && d.content.length > 0)).to.equal(false);
  });

  it('encodes a collected response: content null beside tool calls, usage, finish reason', () => {
    const body = encodeChatResponse(collectEvents(toolTurn), context());
    expect(body).to.deep.include({ object: 'chat.completion', created: 1700000000, model: 'gpt-x' });
    expect((body.choices as unknown[])[0]).to.deep.equal({
      index: 0, logprobs: null, finish_reason: 'tool_calls',
      message: {
        role: 'assistant', content: 'Let me check.', refusal: null,
        tool_calls: [
          { id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_b', type: 'function', function: { name: 'time', arguments: '{}' } },
        ],
      },
    });
    const onlyTools = encodeChatResponse(collectEvents(toolTurn.filter((e) => e.type !== 'text_delta')), context());
    expect(((onlyTools.choices as { message: { content: unknown } }[])[0]!).message.content).to.equal(null);
  });

  it('sends blank function-call arguments as {} when the call finishes (a custom tool\'s blank input stays blank), streamed and collected', () => {
    const blank: LipEvent[] = [
      { type: 'response_started' }, { type: 'message_started' },
      { type: 'tool_call_started', id: 'call_a', name: 'now' }, { type: 'tool_call_started', id: 'call_b', name: 'pad' }, { type: 'tool_call_started', id: 'call_c', name: 'raw', custom: true },
      { type: 'tool_call_delta', id: 'call_b', args: ' ' }, { type: 'tool_call_started', id: 'call_d', name: 'weather' }, { type: 'tool_call_delta', id: 'call_d', args: '{"city":"Paris"}' },
      { type: 'tool_call_finished', id: 'call_a' }, { type: 'tool_call_finished', id: 'call_b' }, { type: 'tool_call_finished', id: 'call_c' }, { type: 'tool_call_finished', id: 'call_d' },
      { type: 'response_finished', reason: 'tool_calls' },
    ];
    const { data } = stream(blank);
    const pieces = data.slice(0, -1).map((d) => JSON.parse(d).choices[0].delta.tool_calls?.[0]).filter((c) => c !== undefined && c.id === undefined);
    expect(pieces).to.deep.equal([
      { index: 1, function: { arguments: ' ' } }, { index: 3, function: { arguments: '{"city":"Paris"}' } },
      { index: 0, function: { arguments: '{}' } }, { index: 1, function: { arguments: '{}' } },
    ]);
    const message = (encodeChatResponse(collectEvents(blank), context()).choices as { message: { tool_calls: Record<string, { arguments?: string; input?: string }>[] } }[])[0]!.message;
    expect(message.tool_calls.map((c) => c.function?.arguments ?? c.custom?.input)).to.deep.equal(['{}', '{}', '', '{"city":"Paris"}']);
  });

  it('wraps errors in OpenAI\'s envelope with Retry-After', () => {
    expect(encodeChatError(new LipError('LIP_ERR_SERVER_OVERLOADED', 'busy', { retryAfter: 2 }))).to.deep.equal({
      status: 429, headers: { 'retry-after': '2' }, body: { error: { message: 'busy', type: 'rate_limit_error', param: null, code: 'LIP_ERR_SERVER_OVERLOADED' } },
    });
  });
});
