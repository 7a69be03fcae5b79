import { expect } from 'chai';
import { mapResponsesFinish } from '../../../lib/backends/openai-responses/index.js';
import { REASONING_DIALECTS, validateSequence, type LipEvent } from '../../../lib/canonical/index.js';
import { decodeResponsesFrames } from './decode-frames.js';

const decode = decodeResponsesFrames;
const created = { type: 'response.created', response: { id: 'resp_1', model: 'gpt-5', status: 'in_progress' } };
const completed = (extra: Record<string, unknown> = {}) => ({ type: 'response.completed', response: { status: 'completed', usage: { input_tokens: 9, input_tokens_details: { cached_tokens: 4 }, output_tokens: 6, output_tokens_details: { reasoning_tokens: 2 }, total_tokens: 15 }, ...extra } });

describe('backends/openai-responses/decode-stream', () => {
  it('separates summary parts with a blank line and emits encrypted content with its item id', () => {
    const events = decode([created,
      { type: 'response.output_item.added', output_index: 0, item: { id: 'rs_1', type: 'reasoning', summary: [] } },
      { type: 'response.reasoning_summary_text.delta', item_id: 'rs_1', summary_index: 0, delta: 'one' },
      { type: 'response.reasoning_summary_text.delta', item_id: 'rs_1', summary_index: 1, delta: 'two' },
      { type: 'response.output_item.done', output_index: 0, item: { id: 'rs_1', type: 'reasoning', encrypted_content: 'enc' } },
      completed()]);
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.filter((e) => e.type.startsWith('reasoning'))).to.deep.equal([
      { type: 'reasoning_delta', text: 'one' }, { type: 'reasoning_delta', text: '\n\n' }, { type: 'reasoning_delta', text: 'two' },
      { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.openaiResponses, data: 'enc', id: 'rs_1' },
    ]);
    expect(events.find((e) => e.type === 'usage')).to.deep.equal({ type: 'usage', usage: { inputTokens: 9, outputTokens: 6, totalTokens: 15, cacheReadTokens: 4, reasoningTokens: 2 } });
  });

  it('keys function calls by call_id, fills in arguments that never streamed, finishes as tool_calls', () => {
    const events = decode([created,
      { type: 'response.output_item.added', output_index: 0, item: { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'f', arguments: '' } },
      { type: 'response.output_item.done', output_index: 0, item: { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{"a":1}' } },
      completed()]);
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.filter((e) => e.type.startsWith('tool_call'))).to.deep.equal([
      { type: 'tool_call_started', id: 'call_1', name: 'f' }, { type: 'tool_call_delta', id: 'call_1', args: '{"a":1}' }, { type: 'tool_call_finished', id: 'call_1' },
    ]);
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'tool_calls' });
  });

  it('finishes an incomplete response with its reason, and fails on response.failed or error', () => {
    expect(decode([created, { type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } }]).at(-1)).to.deep.equal({ type: 'response_finished', reason: 'length' });
    expect(() => decode([created, { type: 'response.failed', response: { status: 'failed', error: { code: 'server_error', message: 'boom' } } }])).to.throw().that.includes({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR', retryable: true });
    expect(() => decode([created, { type: 'error', code: 'invalid_prompt', message: 'bad' }])).to.throw().that.includes({ retryable: false });
    expect(() => decode([{ type: 'response.output_text.delta', delta: 'x' }])).to.throw().with.property('code', 'LIP_ERR_UPSTREAM_MALFORMED');
  });

  it('maps the end states', () => {
    expect(mapResponsesFinish('incomplete', 'content_filter', false)).to.deep.equal({ reason: 'content_filter' });
    expect(mapResponsesFinish('incomplete', 'other_reason', false)).to.deep.equal({ reason: 'other', raw: 'other_reason' });
    expect(mapResponsesFinish('completed', undefined, false)).to.deep.equal({ reason: 'stop' });
  });
});
