import { expect } from 'chai';
import { ResponsesResponseDecoder, ResponsesStreamDecoder } from '../../../lib/backends/openai-responses/index.js';
import { REASONING_DIALECTS, validateSequence, type LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { openaiResponsesProtocol, type Script } from '../../helpers/emulators/index.js';
import { comparable, decodeBothWays, recorded, thrownBy } from '../decode-both-ways.js';

function decode(body: Record<string, unknown>): LipEvent[] {
  const out: LipEvent[] = [];
  new ResponsesResponseDecoder('b', ['sk-secret']).decode(body, out);
  expect(validateSequence(out)).to.deep.equal([]);
  return out;
}
const response = (output: unknown[], extra: Record<string, unknown> = {}) => ({
  id: 'resp_1', object: 'response', status: 'completed', model: 'gpt-x', error: null, incomplete_details: null, output, usage: null, ...extra,
});
const message = (...content: unknown[]) => ({ id: 'msg_1', type: 'message', role: 'assistant', status: 'completed', content });
const failure = (body: Record<string, unknown>): LipError => thrownBy(() => decode(body));

describe('backends/openai-responses/decode-response', () => {
  it('decodes output text with the id, the model and usage', () => {
    const usage = { input_tokens: 10, output_tokens: 4, total_tokens: 14, input_tokens_details: { cached_tokens: 3 }, output_tokens_details: { reasoning_tokens: 1 } };
    expect(decode(response([message({ type: 'output_text', text: 'Hel', annotations: [] }, { type: 'output_text', text: 'lo' })], { usage }))).to.deep.equal([
      { type: 'response_started', id: 'resp_1', model: 'gpt-x' }, { type: 'message_started' },
      { type: 'text_delta', text: 'Hel' }, { type: 'text_delta', text: 'lo' },
      { type: 'usage', usage: { inputTokens: 10, outputTokens: 4, totalTokens: 14, cacheReadTokens: 3, reasoningTokens: 1 } },
      { type: 'response_finished', reason: 'stop' },
    ]);
  });

  it('decodes reasoning: summary parts separated by a blank line, raw reasoning text, encrypted content with the item id', () => {
    const events = decode(response([
      { id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'First.' }, { type: 'summary_text', text: 'Second.' }], encrypted_content: 'enc' },
      { id: 'rs_2', type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: 'raw' }] },
      message({ type: 'refusal', refusal: 'No.' }),
    ]));
    expect(events.slice(2)).to.deep.equal([
      { type: 'reasoning_delta', text: 'First.' }, { type: 'reasoning_delta', text: '\n\n' }, { type: 'reasoning_delta', text: 'Second.' },
      { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.openaiResponses, data: 'enc', id: 'rs_1' },
      { type: 'reasoning_delta', text: 'raw' },
      { type: 'text_delta', text: 'No.', refusal: true },
      { type: 'response_finished', reason: 'stop' },
    ]);
  });

  it('decodes function calls keyed by call_id; a completed response with calls finishes with tool_calls', () => {
    const events = decode(response([
      { id: 'fc_1', type: 'function_call', call_id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
      { id: 'fc_2', type: 'function_call', call_id: 'call_b', name: 'get_time', arguments: '', status: 'completed' },
    ]));
    expect(events.filter((e) => e.type.startsWith('tool_call'))).to.deep.equal([
      { type: 'tool_call_started', id: 'call_a', name: 'get_weather' }, { type: 'tool_call_delta', id: 'call_a', args: '{"city":"Paris"}' }, { type: 'tool_call_finished', id: 'call_a' },
      { type: 'tool_call_started', id: 'call_b', name: 'get_time' }, { type: 'tool_call_finished', id: 'call_b' },
    ]);
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'tool_calls' });
  });

  it('maps an incomplete response like the stream does', () => {
    const incomplete = (reason: string) => decode(response([message({ type: 'output_text', text: 'x' })], { status: 'incomplete', incomplete_details: { reason } })).at(-1);
    expect(incomplete('max_output_tokens')).to.deep.equal({ type: 'response_finished', reason: 'length' });
    expect(incomplete('content_filter')).to.deep.equal({ type: 'response_finished', reason: 'content_filter' });
    expect(incomplete('other_thing')).to.deep.equal({ type: 'response_finished', reason: 'other', raw: 'other_thing' });
  });

  it('refuses a body without an output array as LIP_ERR_UPSTREAM_MALFORMED', () => {
    for (const body of [{ id: 'resp_1', status: 'completed' }, { output: {} }]) expect(failure(body)).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
  });

  it('turns a failed response or an error object into LIP_ERR_UPSTREAM_STREAM_ERROR through classify-error (keys masked)', () => {
    const failed = failure(response([], { status: 'failed', error: { code: 'server_error', message: 'boom sk-secret' } }));
    expect(failed).to.include({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR', retryable: true });
    expect(failed.message).to.contain('boom').and.not.contain('sk-secret');
    expect(failure({ error: { code: 'invalid_prompt', message: 'no' } })).to.include({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR', retryable: false });
  });

  it('agrees with the stream decoder on every emulator script', () => {
    const scripts: Script[] = [
      { id: 'resp_9', text: ['Hel', 'lo'], usage: { input: 100, output: 20, cacheRead: 60, reasoning: 5 } },
      { reasoning: { text: ['a', 'b'], encrypted: 'enc' }, text: 'c', toolCalls: [{ id: 'call_1', name: 'f', args: ['{"x"', ':1}'] }, { id: 'call_2', name: 'g', args: '{}' }] },
      { text: 'cut', finish: 'length' },
      { text: 'filtered', finish: 'content_filter' },
    ];
    for (const script of scripts) {
      const r = decodeBothWays(openaiResponsesProtocol, script, recorded({ model: 'm', stream: true }),
        () => new ResponsesStreamDecoder('b', []), () => new ResponsesResponseDecoder('b', []));
      expect(r.violations).to.deep.equal([]);
      expect(comparable(r.whole), JSON.stringify(script)).to.deep.equal(comparable(r.streamed));
    }
  });
});
