import { expect } from 'chai';
import { REASONING_DIALECTS, collectEvents, emptyCall, type LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { GeminiStreamEncoder, encodeGeminiError, encodeGenerateContentResponse, geminiUsage } from '../../../lib/frontends/gemini/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { sealState, sealStateBase64, sealTurnBase64 } from '../../../lib/frontends/state-envelope.js';
import { parseSse } from '../../helpers/sse-client.js';

const context: EncodeContext = { call: emptyCall({ model: 'gemini-x' }), model: undefined, hints: {}, requestId: 'r', created: 1700000000 };
const start: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }];

function stream(events: readonly LipEvent[], failure?: LipError, on: EncodeContext = context): Record<string, any>[] {
  const encoder = new GeminiStreamEncoder(on);
  const text = events.map((e) => encoder.event(e)).join('') + (failure ? encoder.error(failure) : encoder.end());
  const messages = parseSse(text).messages;
  expect(messages.every((m) => m.event === 'message'), 'data-only frames').to.equal(true);
  return messages.map((m) => JSON.parse(m.data));
}

const parts = (chunks: Record<string, any>[]) => chunks.flatMap((c) => c.candidates?.[0]?.content?.parts ?? []);

describe('frontends/gemini encoders', () => {
  it('streams one chunk per delta, the same modelVersion and responseId, and a last chunk with finishReason and usage', () => {
    const chunks = stream([...start, { type: 'text_delta', text: 'Hel' }, { type: 'text_delta', text: 'lo' }, { type: 'usage', usage: { inputTokens: 5, outputTokens: 2 } }, { type: 'response_finished', reason: 'stop' }]);
    expect(chunks).to.have.length(3);
    expect(new Set(chunks.map((c) => c.responseId)).size).to.equal(1);
    expect(chunks.every((c) => c.modelVersion === 'gemini-x')).to.equal(true);
    expect(chunks[0]).to.deep.equal({ candidates: [{ content: { parts: [{ text: 'Hel' }], role: 'model' }, index: 0 }], modelVersion: 'gemini-x', responseId: chunks[0]!.responseId });
    expect(chunks[2]!.candidates[0]).to.deep.equal({ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'STOP', index: 0 });
    expect(chunks[2]!.usageMetadata).to.deep.equal({ promptTokenCount: 5, candidatesTokenCount: 2, totalTokenCount: 7 });
    expect(chunks.slice(0, 2).some((c) => 'usageMetadata' in c || 'finishReason' in c.candidates[0])).to.equal(false);
  });

  it('streams thoughts as thought parts, a signature (or another dialect\'s sealed opaque reasoning) as an empty signed thought, each tool call whole when it finishes', () => {
    const chunks = stream([
      ...start, { type: 'reasoning_delta', text: 'hmm' }, { type: 'reasoning_signature', signature: 'sig' },
      { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.anthropicRedacted, data: 'R' },
      { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.openaiResponses, data: 'enc', id: 'rs_1' },
      { type: 'tool_call_started', id: 'a', name: 'wa', signature: 'sig-a' }, { type: 'tool_call_started', id: 'b', name: 'wb' },
      { type: 'tool_call_delta', id: 'a', args: '{"x":' }, { type: 'tool_call_delta', id: 'b', args: '[1]' }, { type: 'tool_call_delta', id: 'a', args: '1}' },
      { type: 'tool_call_finished', id: 'b' }, { type: 'tool_call_finished', id: 'a' }, { type: 'response_finished', reason: 'tool_calls' },
    ]);
    expect(parts(chunks)).to.deep.equal([
      { text: 'hmm', thought: true },
      { text: '', thought: true, thoughtSignature: 'sig' },
      { text: '', thought: true, thoughtSignature: sealStateBase64({ dialect: REASONING_DIALECTS.anthropicRedacted, opaque: 'R' }) },
      { text: '', thought: true, thoughtSignature: sealStateBase64({ dialect: REASONING_DIALECTS.openaiResponses, opaque: 'enc', id: 'rs_1' }) },
      // The other dialects' reasoning again on the next part that is not a thought (carried-reasoning.ts).
      {
        functionCall: { id: 'b', name: 'wb', args: { value: [1] } },
        thoughtSignature: sealTurnBase64({ reasoning: [{ dialect: REASONING_DIALECTS.anthropicRedacted, opaque: 'R' }, { dialect: REASONING_DIALECTS.openaiResponses, opaque: 'enc', id: 'rs_1' }] }),
      },
      { functionCall: { id: 'a', name: 'wa', args: { x: 1 } }, thoughtSignature: 'sig-a' },
      { text: '' },
    ]);
    expect(chunks.at(-1)!.candidates[0].finishReason).to.equal('STOP');
  });

  it('writes Gemini\'s signature of a text part on that text part (an empty one when no text follows), never on the thought before it, streamed and whole', () => {
    const g = REASONING_DIALECTS.geminiThought;
    const events: LipEvent[] = [
      ...start, { type: 'reasoning_delta', text: 'plan' }, { type: 'reasoning_signature', signature: 'ts-1', dialect: g, standalone: true },
      { type: 'text_delta', text: 'Hel' }, { type: 'text_delta', text: 'lo' },
      { type: 'reasoning_signature', signature: 'ts-2', dialect: g, standalone: true },
      { type: 'tool_call_started', id: 'a', name: 'f' }, { type: 'tool_call_delta', id: 'a', args: '{}' }, { type: 'tool_call_finished', id: 'a' },
      { type: 'text_delta', text: 'bye' }, { type: 'reasoning_signature', signature: 'ts-3', dialect: g, standalone: true },
      { type: 'response_finished', reason: 'stop' },
    ];
    expect(parts(stream(events))).to.deep.equal([
      { text: 'plan', thought: true }, { text: 'Hel', thoughtSignature: 'ts-1' }, { text: 'lo' },
      { text: '', thoughtSignature: 'ts-2' }, { functionCall: { id: 'a', name: 'f', args: {} } },
      { text: 'bye' }, { text: '', thoughtSignature: 'ts-3' }, { text: '' },
    ]);
    const body = encodeGenerateContentResponse(collectEvents(events), context) as { candidates: { content: { parts: unknown[] } }[] };
    expect(body.candidates[0]!.content.parts).to.deep.equal([
      { text: 'plan', thought: true }, { text: 'Hello', thoughtSignature: 'ts-1' },
      { text: '', thoughtSignature: 'ts-2' }, { functionCall: { id: 'a', name: 'f', args: {} } },
      { text: 'bye' }, { text: '', thoughtSignature: 'ts-3' },
    ]);
  });

  it('with includeThoughts: false writes no thought part: signatures ride on the next text or call part (the last part when none follows), streamed and whole', () => {
    const hidden: EncodeContext = { ...context, call: emptyCall({ model: 'gemini-x', options: { reasoning: { includeThoughts: false } } }) };
    const whole = (events: LipEvent[]) => (encodeGenerateContentResponse(collectEvents(events), hidden) as { candidates: { content: { parts: unknown[] } }[] }).candidates[0]!.content.parts;
    const an = { dialect: REASONING_DIALECTS.anthropicThinking, text: 'think', signature: 'sig-an' };
    const enc = { dialect: REASONING_DIALECTS.openaiResponses, opaque: 'enc', id: 'rs_1' };
    const carried = sealTurnBase64({ reasoning: [an, enc] });
    const loop: LipEvent[] = [
      ...start, { type: 'reasoning_delta', text: 'thi' }, { type: 'reasoning_delta', text: 'nk' }, { type: 'reasoning_signature', signature: 'sig-an', dialect: an.dialect },
      { type: 'reasoning_opaque', dialect: enc.dialect, data: 'enc', id: 'rs_1' }, { type: 'text_delta', text: 'Hi' },
      { type: 'tool_call_started', id: 'a', name: 'f' }, { type: 'tool_call_delta', id: 'a', args: '{}' }, { type: 'tool_call_finished', id: 'a' },
      { type: 'response_finished', reason: 'tool_calls' },
    ];
    expect(parts(stream(loop, undefined, hidden))).to.deep.equal([{ text: 'Hi', thoughtSignature: carried }, { functionCall: { id: 'a', name: 'f', args: {} } }, { text: '' }]);
    expect(whole(loop)).to.deep.equal([{ text: 'Hi', thoughtSignature: carried }, { functionCall: { id: 'a', name: 'f', args: {} } }]);
    // Gemini's own signature of its thought goes on the text after it, as Gemini writes it without thoughts.
    const gemini: LipEvent[] = [...start, { type: 'reasoning_delta', text: 'plan' }, { type: 'reasoning_signature', signature: 'ts-1', dialect: REASONING_DIALECTS.geminiThought }, { type: 'text_delta', text: 'Hello' }, { type: 'response_finished', reason: 'stop' }];
    expect(parts(stream(gemini, undefined, hidden))).to.deep.equal([{ text: 'Hello', thoughtSignature: 'ts-1' }, { text: '' }]);
    expect(whole(gemini)).to.deep.equal([{ text: 'Hello', thoughtSignature: 'ts-1' }]);
    // Reasoning and nothing after it: the last part carries it.
    const alone: LipEvent[] = [...start, { type: 'reasoning_delta', text: 'think' }, { type: 'reasoning_signature', signature: 'sig-an', dialect: an.dialect }, { type: 'response_finished', reason: 'stop' }];
    expect(parts(stream(alone, undefined, hidden))).to.deep.equal([{ text: '', thoughtSignature: sealTurnBase64({ reasoning: [an] }) }]);
    expect(whole(alone)).to.deep.equal([{ text: '', thoughtSignature: sealTurnBase64({ reasoning: [an] }) }]);
    // Unsigned reasoning (an OpenAI-compatible server's reasoning_content) leaves nothing.
    const unsigned: LipEvent[] = [...start, { type: 'reasoning_delta', text: 'think' }, { type: 'text_delta', text: 'A' }, { type: 'response_finished', reason: 'stop' }];
    expect(parts(stream(unsigned, undefined, hidden))).to.deep.equal([{ text: 'A' }, { text: '' }]);
    expect(whole(unsigned)).to.deep.equal([{ text: 'A' }]);
  });

  it('maps finish reasons, keeping Gemini\'s own when the backend gave one', () => {
    const reason = (finish: LipEvent) => stream([...start, { type: 'text_delta', text: 'x' }, finish]).at(-1)!.candidates[0].finishReason;
    expect(reason({ type: 'response_finished', reason: 'length' })).to.equal('MAX_TOKENS');
    expect(reason({ type: 'response_finished', reason: 'content_filter' })).to.equal('SAFETY');
    expect(reason({ type: 'response_finished', reason: 'content_filter', raw: 'RECITATION' })).to.equal('RECITATION');
    expect(reason({ type: 'response_finished', reason: 'stop_sequence' })).to.equal('STOP');
    expect(reason({ type: 'response_finished', reason: 'other', raw: 'MALFORMED_FUNCTION_CALL' })).to.equal('MALFORMED_FUNCTION_CALL');
    expect(reason({ type: 'response_finished', reason: 'other', raw: 'end_turn' })).to.equal('OTHER');
    expect(reason({ type: 'response_finished', reason: 'content_filter', raw: 'IMAGE_PROHIBITED_CONTENT' })).to.equal('IMAGE_PROHIBITED_CONTENT');
    expect(reason({ type: 'response_finished', reason: 'other', raw: 'NO_IMAGE' })).to.equal('NO_IMAGE');
  });

  it('ends a failed stream with Google\'s error object after the output so far', () => {
    const chunks = stream([...start, { type: 'text_delta', text: 'par' }], new LipError('LIP_ERR_UPSTREAM_RESET', 'reset'));
    expect(chunks.at(-1)).to.deep.equal({ error: { code: 502, message: 'reset', status: 'INTERNAL', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'LIP_ERR_UPSTREAM_RESET', domain: 'lip' }] } });
  });

  it('converts usage: candidatesTokenCount excludes thoughts, promptTokenCount includes cached content', () => {
    expect(geminiUsage({ inputTokens: 100, cacheReadTokens: 60, cacheWriteTokens: 10, outputTokens: 20, reasoningTokens: 5, totalTokens: 120 })).to.deep.equal({
      promptTokenCount: 100, candidatesTokenCount: 15, totalTokenCount: 120, cachedContentTokenCount: 60, thoughtsTokenCount: 5,
    });
  });

  it('encodes a collected response with parts in order', () => {
    const body = encodeGenerateContentResponse(collectEvents([
      ...start, { type: 'reasoning_delta', text: 'r' }, { type: 'reasoning_signature', signature: 's' }, { type: 'text_delta', text: 'T' },
      { type: 'tool_call_started', id: 'c', name: 'n', signature: 'sc' }, { type: 'tool_call_delta', id: 'c', args: '{"k":1}' }, { type: 'tool_call_finished', id: 'c' },
      { type: 'response_finished', reason: 'length' },
    ]), context);
    expect(body.candidates).to.deep.equal([{
      content: { role: 'model', parts: [{ text: 'r', thought: true, thoughtSignature: 's' }, { text: 'T' }, { functionCall: { id: 'c', name: 'n', args: { k: 1 } }, thoughtSignature: 'sc' }] },
      finishReason: 'MAX_TOKENS', index: 0,
    }]);
    expect(body).to.not.have.property('usageMetadata');
    const empty = encodeGenerateContentResponse(collectEvents([...start, { type: 'response_finished', reason: 'stop' }]), context);
    expect((empty.candidates as { content: unknown }[])[0]!.content).to.deep.equal({ parts: [{ text: '' }], role: 'model' });
  });

  it('wraps errors in Google\'s envelope with the field that caused them', () => {
    expect(encodeGeminiError(new LipError('LIP_ERR_REQUEST_INVALID', 'contents: is required', { param: 'contents' }))).to.deep.equal({
      status: 400,
      body: { error: { code: 400, message: 'contents: is required', status: 'INVALID_ARGUMENT', details: [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'LIP_ERR_REQUEST_INVALID', domain: 'lip' },
        { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'contents', description: 'contents: is required' }] },
      ] } },
    });
    expect((encodeGeminiError(new LipError('LIP_ERR_ROUTE_RATE_LIMITED', 'slow down', { retryAfter: 3 })))).to.deep.include({ status: 429, headers: { 'retry-after': '3' } });
    // The wait in Google's own words too (gemini-cli reads RetryInfo, not the header), in the header's whole seconds.
    expect((encodeGeminiError(new LipError('LIP_ERR_ROUTE_RATE_LIMITED', 'slow down', { retryAfter: 2.5 })).body as { error: { details: unknown[] } }).error.details)
      .to.deep.include({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3s' });
    // An Anthropic upstream's overloaded_error (529) in Google's words.
    expect((encodeGeminiError(new LipError('LIP_ERR_UPSTREAM_STREAM_ERROR', 'Overloaded', { status: 529 })).body as { error: { status: string } }).error.status).to.equal('UNAVAILABLE');
  });
});
