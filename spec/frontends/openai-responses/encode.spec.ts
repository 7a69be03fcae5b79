import { expect } from 'chai';
import { REASONING_DIALECTS, collectEvents, type LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { ResponsesStreamEncoder, decodeResponsesRequest, encodeResponsesError, encodeResponsesResponse } from '../../../lib/frontends/openai-responses/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { sealState } from '../../../lib/frontends/state-envelope.js';
import { checkResponsesWire } from './wire-check.js';

const decoded = decodeResponsesRequest({ model: 'gpt-x', input: 'hi', instructions: 'Be brief.', tools: [{ type: 'function', name: 'w', parameters: { type: 'object' } }] });
const context: EncodeContext = { call: decoded.call, model: undefined, hints: decoded.hints!, requestId: 'r', created: 1700000000 };
const start: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }];

function stream(events: readonly LipEvent[], failure?: LipError) {
  const encoder = new ResponsesStreamEncoder(context);
  return checkResponsesWire(events.map((e) => encoder.event(e)).join('') + (failure ? encoder.error(failure) : encoder.end()));
}

describe('frontends/openai-responses encoders', () => {
  it('streams created, in_progress, the message item with its part and deltas, and completed with usage', () => {
    const events = stream([...start, { type: 'text_delta', text: 'Hel' }, { type: 'text_delta', text: 'lo' }, { type: 'usage', usage: { inputTokens: 5, outputTokens: 2, cacheReadTokens: 1 } }, { type: 'response_finished', reason: 'stop' }]);
    expect(events.map((e) => e.event)).to.deep.equal([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
      'response.output_text.delta', 'response.output_text.delta', 'response.output_text.done', 'response.content_part.done',
      'response.output_item.done', 'response.completed',
    ]);
    const created = events[0]!.data.response;
    expect(created).to.deep.include({ object: 'response', created_at: 1700000000, status: 'in_progress', model: 'gpt-x', instructions: 'Be brief.', output: [], usage: null });
    expect(created.tools).to.deep.equal([{ type: 'function', name: 'w', description: null, parameters: { type: 'object' }, strict: null }]);
    // Open Responses' required sampling fields: the API's defaults when the request set none.
    expect(created).to.deep.include({ temperature: 1, top_p: 1, presence_penalty: 0, frequency_penalty: 0, completed_at: null });
    expect(events[6]!.data).to.deep.include({ text: 'Hello', content_index: 0, output_index: 0 });
    const done = events.at(-1)!.data.response;
    expect(done.id).to.equal(created.id);
    expect(done.status).to.equal('completed');
    expect(done.completed_at).to.be.a('number').and.to.be.at.least(1700000000);
    expect(done.output).to.deep.equal([{ id: done.output[0].id, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'Hello' }] }]);
    expect(done.usage).to.deep.equal({ input_tokens: 5, input_tokens_details: { cached_tokens: 1, cache_write_tokens: 0 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 7 });
  });

  it('streams reasoning as one summary part, closed before text, with encrypted content from the same item (sealed with the upstream item id)', () => {
    const events = stream([
      ...start, { type: 'reasoning_delta', text: 'think' }, { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.openaiResponses, data: 'ENC', id: 'rs_up' },
      { type: 'text_delta', text: 'ok' }, { type: 'response_finished', reason: 'stop' },
    ]);
    expect(events.slice(2, 8).map((e) => e.event)).to.deep.equal([
      'response.output_item.added', 'response.reasoning_summary_part.added', 'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done', 'response.reasoning_summary_part.done', 'response.output_item.done',
    ]);
    expect(events[7]!.data.item).to.deep.include({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'think' }], encrypted_content: sealState({ dialect: REASONING_DIALECTS.openaiResponses, opaque: 'ENC', id: 'rs_up' }) });
  });

  it('streams interleaved parallel function calls, each at its own output_index, and closes text before the first', () => {
    const events = stream([
      ...start, { type: 'text_delta', text: 'Both.' },
      { type: 'tool_call_started', id: 'call_a', name: 'wa' }, { type: 'tool_call_started', id: 'call_b', name: 'wb' },
      { type: 'tool_call_delta', id: 'call_a', args: '{"x":' }, { type: 'tool_call_delta', id: 'call_b', args: '{}' }, { type: 'tool_call_delta', id: 'call_a', args: '1}' },
      { type: 'tool_call_finished', id: 'call_b' }, { type: 'tool_call_finished', id: 'call_a' }, { type: 'response_finished', reason: 'tool_calls' },
    ]);
    const output = events.at(-1)!.data.response.output;
    expect(output.map((o: { type: string }) => o.type)).to.deep.equal(['message', 'function_call', 'function_call']);
    expect(output.slice(1).map((o: Record<string, unknown>) => [o.call_id, o.name, o.arguments, o.status])).to.deep.equal([['call_a', 'wa', '{"x":1}', 'completed'], ['call_b', 'wb', '{}', 'completed']]);
    const argsDone = events.filter((e) => e.event === 'response.function_call_arguments.done').map((e) => [e.data.output_index, e.data.arguments]);
    // call_b finished first, but as the last item its done events wait for the end (which tells whether the output limit cut it).
    expect(argsDone).to.deep.equal([[1, '{"x":1}'], [2, '{}']]);
    const firstCall = events.findIndex((e) => e.event === 'response.output_item.added' && e.data.item.type === 'function_call');
    expect(events.findIndex((e) => e.event === 'response.output_item.done' && e.data.item.type === 'message')).to.be.lessThan(firstCall);
  });

  it('finishes blank function-call arguments as {}, streamed and collected', () => {
    const blank: LipEvent[] = [
      ...start, { type: 'tool_call_started', id: 'call_a', name: 'now' }, { type: 'tool_call_started', id: 'call_b', name: 'pad' }, { type: 'tool_call_delta', id: 'call_b', args: ' ' },
      { type: 'tool_call_finished', id: 'call_a' }, { type: 'tool_call_finished', id: 'call_b' }, { type: 'response_finished', reason: 'tool_calls' },
    ];
    const events = stream(blank);
    expect(events.filter((e) => e.event === 'response.function_call_arguments.done').map((e) => e.data.arguments)).to.deep.equal(['{}', '{}']);
    expect(events.filter((e) => e.event === 'response.output_item.done').map((e) => e.data.item.arguments)).to.deep.equal(['{}', '{}']);
    expect(events.at(-1)!.data.response.output.map((o: { arguments: string }) => o.arguments)).to.deep.equal(['{}', '{}']);
    expect((encodeResponsesResponse(collectEvents(blank), context).output as { arguments: string }[]).map((o) => o.arguments)).to.deep.equal(['{}', '{}']);
  });

  it('ends a length stop with response.incomplete and an incomplete message', () => {
    const events = stream([...start, { type: 'text_delta', text: 'cut' }, { type: 'response_finished', reason: 'length' }]);
    const last = events.at(-1)!;
    expect(last.event).to.equal('response.incomplete');
    expect(last.data.response).to.deep.include({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(last.data.response.output[0].status).to.equal('incomplete');
  });

  it('holds the last call\'s done events until the end: incomplete when the output limit or a filter cut it, as the collected response says', () => {
    const cut = (reason: 'length' | 'content_filter' | 'tool_calls'): LipEvent[] => [
      ...start, { type: 'tool_call_started', id: 'call_a', name: 'w' }, { type: 'tool_call_delta', id: 'call_a', args: '{}' }, { type: 'tool_call_finished', id: 'call_a' },
      { type: 'tool_call_started', id: 'call_b', name: 'w' }, { type: 'tool_call_delta', id: 'call_b', args: '{"city":"Par' }, { type: 'tool_call_finished', id: 'call_b' },
      { type: 'usage', usage: { outputTokens: 9 } }, { type: 'response_finished', reason },
    ];
    for (const [reason, last] of [['length', 'incomplete'], ['content_filter', 'incomplete'], ['tool_calls', 'completed']] as const) {
      const events = stream(cut(reason));
      const done = events.filter((e) => e.event === 'response.output_item.done').map((e) => [e.data.item.call_id, e.data.item.status]);
      expect(done, reason).to.deep.equal([['call_a', 'completed'], ['call_b', last]]);
      // call_a's done came when call_b started; call_b's only with the end.
      expect(events.slice(-4).map((e) => e.event), reason).to.deep.equal(['response.function_call_arguments.delta', 'response.function_call_arguments.done', 'response.output_item.done', events.at(-1)!.event]);
      const statuses = (output: { status: string }[]) => output.map((o) => o.status);
      expect(statuses(events.at(-1)!.data.response.output), reason).to.deep.equal(['completed', last]);
      expect(statuses(encodeResponsesResponse(collectEvents(cut(reason)), context).output as { status: string }[]), reason).to.deep.equal(['completed', last]);
    }
  });

  it('closes a finished call when the next item starts; a failure after it shows it incomplete, as a retrieval does', () => {
    const events = stream([
      ...start, { type: 'tool_call_started', id: 'c', name: 'n' }, { type: 'tool_call_finished', id: 'c' }, { type: 'text_delta', text: 'more' }, { type: 'response_finished', reason: 'length' },
    ]);
    expect(events.slice(2, 6).map((e) => [e.event, e.data.item?.type, e.data.item?.status])).to.deep.equal([
      ['response.output_item.added', 'function_call', 'in_progress'], ['response.function_call_arguments.done', undefined, undefined],
      ['response.output_item.done', 'function_call', 'completed'], ['response.output_item.added', 'message', 'in_progress'],
    ]);
    expect(events.at(-1)!.data.response.output.map((o: { status: string }) => o.status)).to.deep.equal(['completed', 'incomplete']);
    const failed = stream([...start, { type: 'tool_call_started', id: 'c', name: 'n' }, { type: 'tool_call_delta', id: 'c', args: '{"a":1}' }, { type: 'tool_call_finished', id: 'c' }], new LipError('LIP_ERR_UPSTREAM_RESET', 'reset'));
    expect(failed.some((e) => e.event === 'response.output_item.done')).to.equal(false);
    expect(failed.at(-2)!.data.response.output.map((o: Record<string, unknown>) => [o.type, o.status, o.arguments])).to.deep.equal([['function_call', 'incomplete', '{"a":1}']]);
  });

  it('fails after output with response.failed (output so far) and then an error event', () => {
    const events = stream([...start, { type: 'text_delta', text: 'par' }, { type: 'tool_call_started', id: 'c', name: 'n' }], new LipError('LIP_ERR_UPSTREAM_RESET', 'reset'));
    const failed = events.at(-2)!;
    expect(failed.event).to.equal('response.failed');
    expect(failed.data.response).to.deep.include({ status: 'failed', error: { code: 'LIP_ERR_UPSTREAM_RESET', message: 'reset' } });
    expect(failed.data.response.output.map((o: { type: string; status: string }) => [o.type, o.status])).to.deep.equal([['message', 'completed'], ['function_call', 'incomplete']]);
    expect(events.at(-1)!.data).to.deep.equal({
      type: 'error', sequence_number: events.length - 1, code: 'LIP_ERR_UPSTREAM_RESET', message: 'reset', param: null,
      error: { type: 'api_error', code: 'LIP_ERR_UPSTREAM_RESET', message: 'reset', param: null },
    });
  });

  it('encodes a refusal as a message whose part is refusal (streamed and collected); text after it is a message of its own', () => {
    const refused: LipEvent[] = [...start, { type: 'text_delta', text: 'No, ', refusal: true }, { type: 'text_delta', text: 'sorry.', refusal: true }, { type: 'text_delta', text: 'Bye.' }, { type: 'response_finished', reason: 'stop' }];
    const output = encodeResponsesResponse(collectEvents(refused), context).output as { type: string; content: unknown[] }[];
    expect(output.map((o) => o.content)).to.deep.equal([[{ type: 'refusal', refusal: 'No, sorry.' }], [{ type: 'output_text', annotations: [], logprobs: [], text: 'Bye.' }]]);
    const encoder = new ResponsesStreamEncoder(context);
    const frames = checkResponsesWire(refused.map((e) => encoder.event(e)).join('')).map((e) => e.data as Record<string, unknown>);
    expect(frames.filter((f) => String(f.type).includes('refusal')).map((f) => [f.type, f.delta ?? f.refusal])).to.deep.equal([
      ['response.refusal.delta', 'No, '], ['response.refusal.delta', 'sorry.'], ['response.refusal.done', 'No, sorry.'],
    ]);
    const completed = frames.find((f) => f.type === 'response.completed')!.response as { output: { content: unknown[] }[] };
    expect(completed.output.map((o) => o.content)).to.deep.equal(output.map((o) => o.content));
  });

  it('encodes a collected response: items in order, encrypted reasoning joined to its summary, other dialects\' state sealed', () => {
    const body = encodeResponsesResponse(collectEvents([
      ...start, { type: 'reasoning_delta', text: 'r' }, { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.openaiResponses, data: 'E' },
      { type: 'reasoning_signature', signature: 'unknown' }, { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.anthropicRedacted, data: 'R' },
      { type: 'text_delta', text: 'T' },
      { type: 'tool_call_started', id: 'c', name: 'n' }, { type: 'tool_call_delta', id: 'c', args: '{}' }, { type: 'tool_call_finished', id: 'c' },
      { type: 'response_finished', reason: 'stop' },
    ]), context);
    const output = body.output as Record<string, unknown>[];
    expect(output.map((o) => o.type)).to.deep.equal(['reasoning', 'reasoning', 'message', 'function_call']);
    expect(output[0]).to.deep.include({ summary: [{ type: 'summary_text', text: 'r' }], encrypted_content: 'E' });
    expect(output[1]).to.deep.include({ summary: [], encrypted_content: sealState({ dialect: REASONING_DIALECTS.anthropicRedacted, opaque: 'R' }) });
    expect(output[3]).to.deep.include({ call_id: 'c', name: 'n', arguments: '{}', status: 'completed' });
    expect(body).to.deep.include({ status: 'completed', usage: null, object: 'response' });
  });

  it('uses the context id factory for every id (golden files)', () => {
    let n = 0;
    const encoder = new ResponsesStreamEncoder({ ...context, newId: (prefix) => `${prefix}${++n}` });
    const events = checkResponsesWire([...start, { type: 'text_delta', text: 'x' } as LipEvent].map((e) => encoder.event(e)).join('') + encoder.end());
    expect(events[0]!.data.response.id).to.equal('resp_1');
    expect(events.at(-1)!.data.response.output[0].id).to.equal('msg_2');
  });

  it('wraps errors in OpenAI\'s envelope', () => {
    expect(encodeResponsesError(new LipError('LIP_ERR_REQUEST_INVALID', 'input: is required', { param: 'input' }))).to.deep.equal({
      status: 400, body: { error: { message: 'input: is required', type: 'invalid_request_error', param: 'input', code: 'LIP_ERR_REQUEST_INVALID' } },
    });
  });
});
