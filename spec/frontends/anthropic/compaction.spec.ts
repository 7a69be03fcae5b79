import { BetaMessageStream } from '@anthropic-ai/sdk/lib/BetaMessageStream';
import { expect } from 'chai';
import { collectEvents, type Call, type LipEvent } from '../../../lib/canonical/index.js';
import type { LipError } from '../../../lib/errors/index.js';
import { AnthropicStreamEncoder, decodeMessagesRequest, encodeMessagesResponse } from '../../../lib/frontends/anthropic/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { refusalOf } from '../../helpers/refusal.js';
import { accumulate, checkAnthropicWire, type AnthropicEvent } from './wire-check.js';

const HOSTED = 'anthropic.server_tool';
const base = { model: 'claude-x', max_tokens: 256 };
const decode = (body: Record<string, unknown>): Call => decodeMessagesRequest({ ...base, messages: [{ role: 'user', content: 'q' }], ...body }).call;
const decodeError = (body: Record<string, unknown>): LipError => refusalOf(() => decode(body));

const EDIT = { type: 'compact_20260112', trigger: { type: 'input_tokens', value: 50_000 }, pause_after_compaction: true, instructions: 'Keep file paths.' };
const CLEAR = { type: 'clear_tool_uses_20250919', keep: { type: 'tool_uses', value: 3 } };
const SUMMARY = 'The user is fixing add() in math.ts; the tests fail on negative numbers.';
const BLOCK = { type: 'compaction', content: SUMMARY, encrypted_content: 'Eo4BCkYIBxgCKkBopaque' };
const SHELL = { type: 'compaction', content: null, encrypted_content: null };

const contextOf = (call: Call): EncodeContext => ({ call, model: undefined, hints: {}, requestId: 'r', created: 1700000000 });
const start: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }];
const hosted = (id: string, phase: 'added' | 'progress' | 'done', fields: Record<string, unknown>): LipEvent => ({ type: 'hosted_tool', id, dialect: HOSTED, phase, ...fields });
const compactionDelta = (block: Record<string, unknown>) => ({ update: { type: 'content_block_delta', delta: { type: 'compaction_delta', content: block.content, encrypted_content: block.encrypted_content } } });
const paused: LipEvent = { type: 'response_finished', reason: 'other', raw: 'compaction' };

/** The SSE a streaming client gets, the blocks it accumulates, and the whole answer, for the same events. */
function both(events: readonly LipEvent[]) {
  const call = decode({ context_management: { edits: [EDIT] } });
  const encoder = new AnthropicStreamEncoder(contextOf(call));
  const sse = events.map((e) => encoder.event(e)).join('') + encoder.end();
  const wire = checkAnthropicWire(sse);
  const answer = encodeMessagesResponse(collectEvents(events), contextOf(call));
  return { wire, streamed: accumulate(wire), answer, content: answer.content as Record<string, unknown>[] };
}

/** What the official SDK's BetaMessageStream makes of the streamed events: the final message, and the summaries its `compaction` event reported. */
async function sdkFinal(wire: readonly AnthropicEvent[]): Promise<{ message: Record<string, any>; summaries: string[] }> {
  const lines = wire.map((e) => `${JSON.stringify(e.data)}\n`).join(''); // fromReadableStream reads JSON lines
  const body = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(new TextEncoder().encode(lines)); c.close(); } });
  const summaries: string[] = [];
  const message = await BetaMessageStream.fromReadableStream(body).on('compaction', (summary) => summaries.push(summary)).finalMessage();
  return { message: JSON.parse(JSON.stringify(message)) as Record<string, any>, summaries };
}

/**
 * Anthropic's server-side compaction for an Anthropic client: the `compact_…` edit and the
 * `compaction` blocks were a 400. Now the edit (and a compaction request's `compaction`) is
 * carried in providerOptions.anthropic, a `compaction` block of the history is a hosted part that
 * stands for the turns before it (with its summary when it has a readable one), and the answer's
 * block comes back as Anthropic streams it, with `stop_reason: "compaction"` when the turn paused.
 */
describe('frontends/anthropic server-side compaction (compact_ edits, compaction requests, compaction blocks)', () => {
  describe('the request', () => {
    it('carries a compact edit as written in context_management, beside the clearing edits, and a compaction request\'s compaction', () => {
      expect(decode({ context_management: { edits: [CLEAR, EDIT] } }).providerOptions).to.deep.equal({ anthropic: { contextManagement: { edits: [CLEAR, EDIT] } } });
      expect(decode({ compaction: { type: 'summarize', instructions: 'Keep the file paths.' } }).providerOptions).to.deep.equal({ anthropic: { compaction: { type: 'summarize', instructions: 'Keep the file paths.' } } });
      expect(decode({ compaction: null })).to.not.have.property('providerOptions');
    });

    it('refuses a malformed compaction request or compaction block with a 400 naming the field', () => {
      const invalid = { status: 400, code: 'LIP_ERR_REQUEST_INVALID' };
      expect(decodeError({ compaction: { instructions: 'x' } })).to.deep.include({ ...invalid, message: 'compaction.type: is required' });
      expect(decodeError({ compaction: 'summarize' })).to.deep.include({ ...invalid, param: 'compaction' });
      const turn = (block: Record<string, unknown>) => decodeError({ messages: [{ role: 'assistant', content: [block] }, { role: 'user', content: 'go on' }] });
      expect(turn({ ...BLOCK, content: '' })).to.deep.include({ ...invalid, param: 'messages[0].content[0].content' });
      expect(turn({ ...BLOCK, content: 7 })).to.deep.include({ ...invalid, param: 'messages[0].content[0].content' });
      expect(turn({ ...BLOCK, tool_changes: { type: 'tool_addition' } })).to.deep.include({ ...invalid, param: 'messages[0].content[0].tool_changes' });
      expect(decodeError({ messages: [{ role: 'system', content: [BLOCK] }, { role: 'user', content: 'q' }] })).to.deep.include({ ...invalid, message: 'messages[0].content[0].type: a system message holds text blocks only' });
    });

    it('takes a compaction block back in an assistant turn, or a user turn, as a hosted part as written that stands for the turns before it, with its summary', () => {
      const assistant = decode({ messages: [{ role: 'assistant', content: [BLOCK, { type: 'text', text: 'Fixed it.' }] }, { role: 'user', content: 'Thanks. Now subtract()?' }] });
      expect(assistant.messages[0]).to.deep.equal({
        role: 'assistant',
        parts: [{ type: 'hosted_tool', dialect: HOSTED, block: BLOCK, compaction: { summary: SUMMARY } }, { type: 'text', text: 'Fixed it.' }],
      });
      const user = decode({ messages: [{ role: 'user', content: [{ ...BLOCK, cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Go on.' }] }] });
      expect(user.messages).to.deep.equal([{
        role: 'user',
        parts: [{ type: 'hosted_tool', dialect: HOSTED, block: { ...BLOCK, cache_control: { type: 'ephemeral' } }, compaction: { summary: SUMMARY } }, { type: 'text', text: 'Go on.' }],
      }]);
    });

    it('has no summary for a block whose content is only encrypted or that carries tool changes; a failed compaction (no content, nothing encrypted) stands for nothing', () => {
      const part = (block: Record<string, unknown>) => decode({ messages: [{ role: 'assistant', content: [block] }, { role: 'user', content: 'go on' }] }).messages[0]!.parts[0];
      expect(part({ ...BLOCK, content: null })).to.deep.equal({ type: 'hosted_tool', dialect: HOSTED, block: { ...BLOCK, content: null }, compaction: {} });
      const changes = [{ type: 'tool_removal', tool: { type: 'tool_reference', name: 'get_weather' } }];
      expect(part({ ...BLOCK, tool_changes: changes })).to.deep.include({ compaction: {} });
      expect(part({ ...BLOCK, tool_changes: [] })).to.deep.include({ compaction: { summary: SUMMARY } });
      expect(part({ type: 'compaction', content: null, encrypted_content: null })).to.deep.equal({ type: 'hosted_tool', dialect: HOSTED, block: { type: 'compaction', content: null, encrypted_content: null } });
    });

    it('puts the automatic cache breakpoint on a trailing compaction block as its cache_control', () => {
      const call = decode({ cache_control: { type: 'ephemeral', ttl: '1h' }, messages: [{ role: 'user', content: [BLOCK] }] });
      expect(call.messages[0]!.parts[0]).to.deep.include({ block: { ...BLOCK, cache_control: { type: 'ephemeral', ttl: '1h' } } });
    });
  });

  describe('the answer', () => {
    const streamedCompaction: LipEvent[] = [
      hosted('compaction@0', 'added', { block: SHELL }), hosted('compaction@0', 'progress', compactionDelta(BLOCK)), hosted('compaction@0', 'done', { block: BLOCK }),
    ];

    it('streams the block as the upstream did (the start without the summary, its compaction_delta, the stop) and puts it in place in the whole answer; a pause is stop_reason compaction', async () => {
      const { wire, streamed, answer, content } = both([...start, ...streamedCompaction, paused]);
      expect(streamed).to.deep.equal([BLOCK]);
      expect(content).to.deep.equal([BLOCK]);
      expect(answer.stop_reason).to.equal('compaction');
      expect(wire.slice(2).map((e) => [e.event, e.data.content_block ?? e.data.delta ?? e.data.stop_reason ?? e.data.delta?.stop_reason])).to.deep.equal([
        ['content_block_start', SHELL],
        ['content_block_delta', { type: 'compaction_delta', content: SUMMARY, encrypted_content: BLOCK.encrypted_content }],
        ['content_block_stop', undefined],
        ['message_delta', { stop_reason: 'compaction', stop_sequence: null }],
        ['message_stop', undefined],
      ]);
      const { message, summaries } = await sdkFinal(wire);
      expect(message.content).to.deep.equal([BLOCK]);
      expect(message.stop_reason).to.equal('compaction');
      expect(summaries).to.deep.equal([SUMMARY]);
    });

    it('keeps the answer after the block in place (the turn went on after compacting), the usage as reported', async () => {
      const { wire, streamed, answer, content } = both([
        ...start, { type: 'usage', usage: { inputTokens: 2100, outputTokens: 140 } }, ...streamedCompaction,
        { type: 'text_delta', text: 'Fixed: ' }, { type: 'text_delta', text: 'add() handles negatives.' }, { type: 'response_finished', reason: 'stop' },
      ]);
      const expected = [BLOCK, { type: 'text', text: 'Fixed: add() handles negatives.' }];
      expect(streamed).to.deep.equal(expected);
      expect(content).to.deep.equal(expected);
      expect(answer).to.deep.include({ stop_reason: 'end_turn', usage: { input_tokens: 2100, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 140, cache_creation: null, output_tokens_details: null, server_tool_use: null, service_tier: null, inference_geo: null, speed: null } });
      expect((await sdkFinal(wire)).message.content).to.deep.equal(expected);
    });

    it('writes a block that comes only done (a whole upstream answer) as Anthropic streams one: the start without the summary, then one compaction_delta', async () => {
      const plain = { type: 'compaction', content: SUMMARY };
      const { wire, streamed } = both([...start, hosted('compaction@0', 'done', { block: BLOCK }), hosted('compaction@1', 'done', { block: plain }), paused]);
      expect(streamed).to.deep.equal([BLOCK, plain]);
      expect(wire.slice(2, 8).map((e) => e.data.content_block ?? e.data.delta ?? e.event)).to.deep.equal([
        SHELL, { type: 'compaction_delta', content: SUMMARY, encrypted_content: BLOCK.encrypted_content }, 'content_block_stop',
        { type: 'compaction', content: null }, { type: 'compaction_delta', content: SUMMARY }, 'content_block_stop',
      ]);
      const { message, summaries } = await sdkFinal(wire);
      expect(message.content).to.deep.equal([BLOCK, plain]);
      expect(summaries).to.deep.equal([SUMMARY, SUMMARY]);
    });

    it('fills a block that started but never had its compaction_delta with one when it is done', () => {
      const { wire, streamed } = both([...start, hosted('compaction@0', 'added', { block: SHELL }), hosted('compaction@0', 'done', { block: BLOCK }), paused]);
      expect(streamed).to.deep.equal([BLOCK]);
      expect(wire.filter((e) => e.event === 'content_block_delta')).to.have.length(1);
    });
  });
});
