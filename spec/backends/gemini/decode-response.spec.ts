import { expect } from 'chai';
import { GeminiResponseDecoder, GeminiStreamDecoder } from '../../../lib/backends/gemini/index.js';
import { validateSequence, type LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { geminiProtocol, type Script } from '../../helpers/emulators/index.js';
import { comparable, decodeBothWays, recorded, thrownBy } from '../decode-both-ways.js';

function decode(body: Record<string, unknown>): LipEvent[] {
  const out: LipEvent[] = [];
  new GeminiResponseDecoder('b', ['sk-secret']).decode(body, out);
  expect(validateSequence(out)).to.deep.equal([]);
  return out;
}
const answer = (parts: unknown[], finishReason: string | undefined = 'STOP', extra: Record<string, unknown> = {}) => ({
  candidates: [{ content: { role: 'model', parts }, ...(finishReason ? { finishReason } : {}), index: 0 }],
  modelVersion: 'gemini-x', responseId: 'r1', ...extra,
});
const failure = (body: Record<string, unknown>): LipError => thrownBy(() => decode(body));

describe('backends/gemini/decode-response', () => {
  it('decodes text with the response id, the model and usage (thoughts added to the output)', () => {
    const usageMetadata = { promptTokenCount: 10, candidatesTokenCount: 3, thoughtsTokenCount: 2, totalTokenCount: 15, cachedContentTokenCount: 4 };
    expect(decode(answer([{ text: 'Hel' }, { text: 'lo' }], 'STOP', { usageMetadata }))).to.deep.equal([
      { type: 'response_started', id: 'r1', model: 'gemini-x' }, { type: 'message_started' },
      { type: 'text_delta', text: 'Hel' }, { type: 'text_delta', text: 'lo' },
      { type: 'usage', usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15, cacheReadTokens: 4, reasoningTokens: 2 } },
      { type: 'response_finished', reason: 'stop' },
    ]);
  });

  it('decodes thoughts with their signature, and function calls with made-up ids and their signature', () => {
    const events = decode(answer([
      { text: 'Pondering', thought: true, thoughtSignature: 'ts-1' },
      { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'ts-call' },
      { functionCall: { name: 'get_time', args: {} } },
    ]));
    expect(events.slice(2, 4)).to.deep.equal([{ type: 'reasoning_delta', text: 'Pondering' }, { type: 'reasoning_signature', signature: 'ts-1', dialect: 'gemini.thought' }]);
    const started = events.filter((e) => e.type === 'tool_call_started') as { id: string; name: string; signature?: string }[];
    expect(started.map((s) => [s.name, s.signature])).to.deep.equal([['get_weather', 'ts-call'], ['get_time', undefined]]);
    expect(new Set(started.map((s) => s.id)).size).to.equal(2);
    expect(events).to.deep.include({ type: 'tool_call_delta', id: started[0]!.id, args: '{"city":"Paris"}' });
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'tool_calls' });
  });

  it('maps finish reasons like the stream does, and a blocked prompt as a content filter', () => {
    expect(decode(answer([{ text: 'x' }], 'MAX_TOKENS')).at(-1)).to.deep.equal({ type: 'response_finished', reason: 'length' });
    expect(decode(answer([{ text: 'x' }], 'SAFETY')).at(-1)).to.deep.equal({ type: 'response_finished', reason: 'content_filter', raw: 'SAFETY' });
    expect(decode({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } }).at(-1)).to.deep.equal({
      type: 'response_finished', reason: 'content_filter', raw: 'PROHIBITED_CONTENT', details: { dialect: 'gemini.candidate', value: { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } } },
    });
  });

  // An answer without a finish is not malformed: it ends unfinished, as the same frame streamed
  // does, and readWholeResponse judges it as a stream that ended there (spec/e2e/regression-gemini-empty-answer.spec.ts).
  it('leaves an answer with neither a finishReason nor a blocked prompt unfinished, its usage reported', () => {
    const unfinished = (body: Record<string, unknown>) => {
      const out: LipEvent[] = [];
      new GeminiResponseDecoder('b', []).decode(body, out);
      return out;
    };
    expect(unfinished({ usageMetadata: { promptTokenCount: 3000, totalTokenCount: 3000 }, responseId: 'r1' })).to.deep.equal([
      { type: 'response_started', id: 'r1' }, { type: 'message_started' }, { type: 'usage', usage: { inputTokens: 3000, totalTokens: 3000 } },
    ]);
    for (const body of [{}, answer([{ text: 'x' }], ''), { candidates: [null] }]) expect(unfinished(body).map((e) => e.type)).to.not.include('response_finished');
  });

  it('turns an in-body error into LIP_ERR_UPSTREAM_STREAM_ERROR through classify-error (UNAVAILABLE retryable, keys masked)', () => {
    const unavailable = failure({ error: { code: 503, message: 'busy sk-secret', status: 'UNAVAILABLE' } });
    expect(unavailable).to.include({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR', retryable: true });
    expect(unavailable.message).to.contain('busy').and.not.contain('sk-secret');
    expect(failure({ error: { code: 400, message: 'bad', status: 'INVALID_ARGUMENT' } })).to.include({ retryable: false });
  });

  it('agrees with the stream decoder on every emulator script', () => {
    const scripts: Script[] = [
      { id: 'r9', text: ['Hel', 'lo'], usage: { input: 100, output: 20, cacheRead: 60, reasoning: 5 } },
      { reasoning: { text: 'Pondering', signature: 'ts-1' }, text: 'c', toolCalls: [{ name: 'f', args: '{"x":1}', signature: 'ts-call' }, { name: 'g', args: '{}' }] },
      { text: 'cut', finish: 'length' },
      { text: 'filtered', finish: 'content_filter' },
    ];
    for (const script of scripts) {
      const r = decodeBothWays(geminiProtocol, script, recorded({ contents: [] }, '/v1beta/models/m:generateContent'),
        () => new GeminiStreamDecoder('b', []), () => new GeminiResponseDecoder('b', []));
      expect(r.violations).to.deep.equal([]);
      expect(comparable(r.whole, true), JSON.stringify(script)).to.deep.equal(comparable(r.streamed, true));
    }
  });
});
