import { expect } from 'chai';
import { GeminiStreamDecoder, mapGeminiFinishReason, retryDelayOf } from '../../../lib/backends/gemini/index.js';
import { collectEvents, validateSequence, type LipEvent } from '../../../lib/canonical/index.js';

function decode(frames: Record<string, unknown>[]): LipEvent[] {
  const decoder = new GeminiStreamDecoder('b', []);
  const out: LipEvent[] = [];
  for (const f of frames) decoder.message({ event: 'message', data: JSON.stringify(f) }, out);
  decoder.end();
  return out;
}
const frame = (parts: unknown[], finishReason?: string, usage?: Record<string, unknown>) => ({
  candidates: [{ content: { role: 'model', parts }, ...(finishReason ? { finishReason } : {}), index: 0 }],
  ...(usage ? { usageMetadata: usage } : {}), modelVersion: 'gemini-x', responseId: 'r1',
});

describe('backends/gemini/decode-stream', () => {
  it('counts thoughts into the output (they are extra in Gemini) and keeps the cached tokens', () => {
    const events = decode([frame([{ text: 'a' }], 'STOP', { promptTokenCount: 50, candidatesTokenCount: 10, thoughtsTokenCount: 7, cachedContentTokenCount: 20, totalTokenCount: 67 })]);
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.filter((e) => e.type === 'usage')).to.deep.equal([{ type: 'usage', usage: { inputTokens: 50, outputTokens: 17, totalTokens: 67, cacheReadTokens: 20, reasoningTokens: 7 } }]);
    expect(events[0]).to.deep.equal({ type: 'response_started', id: 'r1', model: 'gemini-x' });
  });

  it('emits the running usage as it changes, so that an answer cut before its end is charged; the last one stands', () => {
    const running = (out: number) => ({ promptTokenCount: 50, candidatesTokenCount: out, totalTokenCount: 50 + out });
    const cut = decode([frame([{ text: 'a' }], undefined, running(1)), frame([{ text: 'b' }], undefined, running(1)), frame([{ text: 'c' }], undefined, running(3))]);
    // Once per change (an unchanged snapshot adds nothing), before the frame's parts: no finish yet, the usage is known.
    expect(cut.slice(2).map((e) => e.type)).to.deep.equal(['usage', 'text_delta', 'text_delta', 'usage', 'text_delta']);
    expect(collectEvents(cut).usage).to.deep.equal({ inputTokens: 50, outputTokens: 3, totalTokens: 53 });
    // The finishing frame's usage comes last, before the finish, and a collector (as every encoder) keeps the final numbers, not a sum.
    const whole = decode([frame([{ text: 'a' }], undefined, running(1)), frame([{ text: 'b' }], 'STOP', running(9))]);
    expect(validateSequence(whole)).to.deep.equal([]);
    expect(whole.slice(-2)).to.deep.equal([{ type: 'usage', usage: { inputTokens: 50, outputTokens: 9, totalTokens: 59 } }, { type: 'response_finished', reason: 'stop' }]);
    expect(collectEvents(whole).usage).to.deep.equal({ inputTokens: 50, outputTokens: 9, totalTokens: 59 });
    // A finishing frame repeating the usage already emitted adds no second event.
    expect(decode([frame([{ text: 'a' }], undefined, running(2)), frame([{ text: 'b' }], 'STOP', running(2))]).filter((e) => e.type === 'usage')).to.have.length(1);
  });

  it('emits a signature on a text part before that text, standalone (not the thought\'s before it), so replay can put it back', () => {
    const events = decode([frame([{ text: 'th', thought: true }]), frame([{ text: 'Hi', thoughtSignature: 'sig' }]), frame([{ text: '', thoughtSignature: 'tail' }], 'STOP')]);
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.slice(2, -1)).to.deep.equal([
      { type: 'reasoning_delta', text: 'th' }, { type: 'reasoning_signature', signature: 'sig', dialect: 'gemini.thought', standalone: true },
      { type: 'text_delta', text: 'Hi' }, { type: 'reasoning_signature', signature: 'tail', dialect: 'gemini.thought', standalone: true },
    ]);
    // The thought stays unsigned; each signature is a block of its own, before the text it rides on.
    expect(collectEvents(events).blocks).to.deep.equal([
      { type: 'reasoning', text: 'th' }, { type: 'reasoning', text: '', signature: 'sig', dialect: 'gemini.thought' },
      { type: 'text', text: 'Hi' }, { type: 'reasoning', text: '', signature: 'tail', dialect: 'gemini.thought' },
    ]);
  });

  it('emits a thought part\'s signature after its text, closing that thought', () => {
    const events = decode([frame([{ text: 'th', thought: true }]), frame([{ text: '', thought: true, thoughtSignature: 'sig' }]), frame([{ text: 'Hi' }], 'STOP')]);
    expect(events.slice(2, -1)).to.deep.equal([
      { type: 'reasoning_delta', text: 'th' }, { type: 'reasoning_signature', signature: 'sig', dialect: 'gemini.thought' }, { type: 'text_delta', text: 'Hi' },
    ]);
    expect(collectEvents(events).blocks).to.deep.equal([{ type: 'reasoning', text: 'th', signature: 'sig', dialect: 'gemini.thought' }, { type: 'text', text: 'Hi' }]);
  });

  it('turns function calls into complete tool calls with unique ids and their signatures', () => {
    const events = decode([frame([{ functionCall: { name: 'f', args: { a: 1 } }, thoughtSignature: 's1' }, { functionCall: { name: 'g', args: {} } }], 'STOP')]);
    expect(validateSequence(events)).to.deep.equal([]);
    const started = events.filter((e) => e.type === 'tool_call_started') as { id: string; name: string; signature?: string }[];
    expect(started.map((s) => [s.name, s.signature])).to.deep.equal([['f', 's1'], ['g', undefined]]);
    expect(started[0]!.id).to.not.equal(started[1]!.id);
    expect(decode([frame([{ functionCall: { name: 'f', args: {} } }], 'STOP')]).find((e) => e.type === 'tool_call_started')).to.not.deep.equal(started[0]);
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'tool_calls' });
  });

  it('finishes a blocked prompt as a content filter, fails on an error frame, and leaves a cut stream unfinished', () => {
    const feedback = { blockReason: 'SAFETY', safetyRatings: [{ category: 'HARM_CATEGORY_HARASSMENT', probability: 'HIGH', blocked: true }] };
    const blocked = decode([{ promptFeedback: feedback, usageMetadata: { promptTokenCount: 3 } }]);
    expect(validateSequence(blocked)).to.deep.equal([]);
    expect(blocked.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'content_filter', raw: 'SAFETY', details: { dialect: 'gemini.candidate', value: { promptFeedback: feedback } } });
    expect(() => decode([{ error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } }])).to.throw().that.includes({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR', retryable: true });
    expect(decode([frame([{ text: 'a' }])]).some((e) => e.type === 'response_finished')).to.equal(false);
  });

  // Found by probing an image model: its images were dropped and the answer finished as an empty success.
  it('fails an answer of images or files alone at its finish (LIP_ERR_UPSTREAM_OUTPUT_UNSUPPORTED, after its usage); with text or calls they are left out', () => {
    const image = { inlineData: { mimeType: 'image/png', data: 'AAAA' } };
    const usage = { promptTokenCount: 7, candidatesTokenCount: 1290, totalTokenCount: 1297 };
    const decoder = new GeminiStreamDecoder('b', []);
    const out: LipEvent[] = [];
    const frames = [frame([{ text: 'Sketching', thought: true }]), frame([image]), frame([{ fileData: { fileUri: 'gs://b/x.png' } }, { text: '' }], 'STOP', usage)];
    let error: unknown;
    try {
      for (const f of frames) decoder.message({ event: 'message', data: JSON.stringify(f) }, out);
    } catch (err) {
      error = err;
    }
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_OUTPUT_UNSUPPORTED', status: 400, retryable: false });
    expect((error as Error).message).to.equal('backend "b": the model answered with image output only (2 parts, image/png), which lip does not pass on; ask a model that answers in text');
    // The thoughts went out as they came (a stream cannot take them back); the usage is reported before the failure.
    expect(out.map((e) => e.type)).to.deep.equal(['response_started', 'message_started', 'reasoning_delta', 'usage']);
    expect(decode([frame([{ text: 'A cat.' }, image], 'STOP', usage)]).map((e) => e.type)).to.deep.equal(['response_started', 'message_started', 'text_delta', 'usage', 'response_finished']);
    expect(decode([frame([image, { functionCall: { name: 'save', args: {} } }], 'STOP')]).at(-1)).to.deep.include({ type: 'response_finished', reason: 'tool_calls' });
  });

  it('carries the candidate\'s finishMessage, latest safetyRatings and citation sources (each once) on the finish, as written', () => {
    const ratings = (probability: string) => [{ category: 'HARM_CATEGORY_HATE_SPEECH', probability }];
    const source = (uri: string) => ({ startIndex: 0, endIndex: 2, uri });
    const events = decode([
      { ...frame([{ text: 'ab' }]), candidates: [{ content: { parts: [{ text: 'ab' }] }, safetyRatings: ratings('LOW'), citationMetadata: { citationSources: [source('a')] } }] },
      { ...frame([{ text: 'cd' }]), candidates: [{ content: { parts: [{ text: 'cd' }] }, finishReason: 'STOP', finishMessage: 'done', safetyRatings: ratings('NEGLIGIBLE'), citationMetadata: { citationSources: [source('a'), source('b')] } }] },
    ]);
    expect(events.at(-1)).to.deep.equal({
      type: 'response_finished', reason: 'stop',
      details: { dialect: 'gemini.candidate', value: { finishMessage: 'done', safetyRatings: ratings('NEGLIGIBLE'), citationMetadata: { citationSources: [source('a'), source('b')] } } },
    });
    expect(decode([frame([{ text: 'a' }], 'STOP')]).at(-1)).to.deep.equal({ type: 'response_finished', reason: 'stop' });
  });

  it('maps finish reasons and reads RetryInfo', () => {
    expect(mapGeminiFinishReason('MAX_TOKENS', false)).to.deep.equal({ reason: 'length' });
    expect(mapGeminiFinishReason('RECITATION', false)).to.deep.equal({ reason: 'content_filter', raw: 'RECITATION' });
    expect(mapGeminiFinishReason('MALFORMED_FUNCTION_CALL', false)).to.deep.equal({ reason: 'other', raw: 'MALFORMED_FUNCTION_CALL' });
    expect(retryDelayOf({ error: { details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '17s' }] } })).to.equal(17_000);
    expect(retryDelayOf([{ error: { details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' }] } }])).to.equal(2_000);
  });
});
