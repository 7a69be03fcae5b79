import { expect } from 'chai';
import { COLLECT_LIMITS, collectEvents, emptyCall, validateSequence, WEB_SEARCH_TOOL_NAME, type LipEvent } from '../../../lib/canonical/index.js';
import { GeminiStreamEncoder, encodeGenerateContentResponse } from '../../../lib/frontends/gemini/index.js';
import { GeminiJsonArrayEncoder } from '../../../lib/frontends/gemini/encode-json-array.js';
import { groundingMetadata } from '../../../lib/frontends/gemini/encode-grounding.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { parseSse } from '../../helpers/sse-client.js';

const searchTool = { kind: 'web_search' as const, name: WEB_SEARCH_TOOL_NAME, parameters: {} };
const searching: EncodeContext = { call: emptyCall({ model: 'gemini-x', tools: [searchTool] }), model: undefined, hints: {}, requestId: 'r', created: 1700000000 };
const plain: EncodeContext = { ...searching, call: emptyCall({ model: 'gemini-x' }) };

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const TEXT = ['Grüße aus ', 'Zürich 😀', ' und Köln.'];
const whole = TEXT.join('');
const span = (s: string) => ({ start: whole.indexOf(s), end: whole.indexOf(s) + s.length });

/** An Anthropic-served answer: a search (searching, then completed), text, citations after the text they cite. */
const EVENTS: LipEvent[] = [
  { type: 'response_started' }, { type: 'message_started' },
  { type: 'web_search', id: 'srvtoolu_1', status: 'searching', dialect: 'anthropic.web_search' },
  { type: 'web_search', id: 'srvtoolu_1', status: 'completed', query: 'grüße zürich', dialect: 'anthropic.web_search', results: [
    { url: 'https://a.example/zh', title: 'Zürich', encrypted: 'E1' }, { url: 'https://b.example/k', title: 'Köln' },
  ] },
  { type: 'web_search', id: 'srvtoolu_2', status: 'failed', query: 'köln', error: 'max_uses_exceeded', dialect: 'anthropic.web_search' },
  { type: 'text_delta', text: TEXT[0]! }, { type: 'text_delta', text: TEXT[1]! },
  { type: 'citation', url: 'https://a.example/zh', title: 'Zürich', citedText: 'Zürich is a city', ...span('Zürich 😀'), encryptedIndex: 'X', dialect: 'anthropic.web_search' },
  { type: 'text_delta', text: TEXT[2]! },
  { type: 'citation', url: 'https://c.example/köln', title: 'Cologne', ...span('Köln.') },
  { type: 'citation', url: 'https://b.example/k', ...span('Köln.') },
  { type: 'usage', usage: { inputTokens: 3, outputTokens: 4 } },
  { type: 'response_finished', reason: 'stop' },
];

/** What a Gemini client should see: pages in order of first appearance, segments in UTF-8 bytes of the candidate's text. */
const EXPECTED = {
  webSearchQueries: ['grüße zürich'],
  groundingChunks: [
    { web: { uri: 'https://a.example/zh', title: 'Zürich' } }, { web: { uri: 'https://b.example/k', title: 'Köln' } },
    { web: { uri: 'https://c.example/köln', title: 'Cologne' } },
  ],
  groundingSupports: [
    { segment: { startIndex: bytes('Grüße aus '), endIndex: bytes('Grüße aus Zürich 😀'), text: 'Zürich 😀' }, groundingChunkIndices: [0] },
    { segment: { startIndex: bytes('Grüße aus Zürich 😀 und '), endIndex: bytes(whole), text: 'Köln.' }, groundingChunkIndices: [2, 1] },
  ],
};

function stream(events: readonly LipEvent[], context = searching): Record<string, any>[] {
  const encoder = new GeminiStreamEncoder(context);
  return parseSse(events.map((e) => encoder.event(e)).join('') + encoder.end()).messages.map((m) => JSON.parse(m.data));
}

describe('frontends/gemini grounding metadata', () => {
  it('writes the first search\'s entry point as searchEntryPoint (Google\'s search suggestions, back to a Gemini client)', () => {
    const metadata = groundingMetadata([
      { status: 'completed', query: 'q', entryPoint: '<div>chips</div>' }, { status: 'completed', query: 'r', entryPoint: '<div>later</div>' },
    ], [], undefined);
    expect(metadata).to.deep.equal({ webSearchQueries: ['q', 'r'], searchEntryPoint: { renderedContent: '<div>chips</div>' } });
    expect(groundingMetadata([{ status: 'completed', query: 'q' }], [], undefined)).to.not.have.property('searchEntryPoint');
  });

  it('the events are a valid canonical sequence (the citations follow the text they cite)', () => {
    expect(validateSequence(EVENTS)).to.deep.equal([]);
    expect(bytes(whole)).to.be.greaterThan(whole.length); // the offsets differ: bytes, not code units
  });

  it('streams searches and citations of any dialect as the last chunk\'s groundingMetadata, the text chunks untouched', () => {
    const chunks = stream(EVENTS);
    expect(chunks).to.have.length(4);
    expect(chunks.slice(0, 3).map((c) => c.candidates[0])).to.deep.equal(TEXT.map((text) => ({ content: { parts: [{ text }], role: 'model' }, index: 0 })));
    expect(chunks[3]!.candidates[0]).to.deep.equal({ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'STOP', groundingMetadata: EXPECTED, index: 0 });
    expect(chunks[3]!.usageMetadata).to.deep.equal({ promptTokenCount: 3, candidatesTokenCount: 4, totalTokenCount: 7 });
  });

  it('puts the same groundingMetadata on the candidate of a whole answer', () => {
    const body = encodeGenerateContentResponse(collectEvents(EVENTS), searching) as { candidates: Record<string, unknown>[] };
    expect(body.candidates[0]).to.deep.equal({ content: { parts: [{ text: whole }], role: 'model' }, finishReason: 'STOP', groundingMetadata: EXPECTED, index: 0 });
  });

  it('carries it in the last element of a JSON-array stream too', () => {
    const encoder = new GeminiJsonArrayEncoder(new GeminiStreamEncoder(searching));
    const array = JSON.parse(EVENTS.map((e) => encoder.event(e)).join('') + encoder.end()) as Record<string, any>[];
    expect(array.at(-1)!.candidates[0].groundingMetadata).to.deep.equal(EXPECTED);
  });

  it('leaves a zero startIndex out (protobuf JSON) and merges citations of one span', () => {
    expect(groundingMetadata([], [{ url: 'u', start: 0, end: 2 }, { url: 'v', start: 0, end: 2 }, { url: 'u', start: 0, end: 2 }], 'né!')).to.deep.equal({
      groundingChunks: [{ web: { uri: 'u' } }, { web: { uri: 'v' } }],
      groundingSupports: [{ segment: { endIndex: 3, text: 'né' }, groundingChunkIndices: [0, 1] }],
    });
    expect(groundingMetadata([{ status: 'failed', query: 'q' }], [], 'x')).to.equal(undefined);
  });

  it('without a declared search the text is not kept: searches and pages are reported, supports are not', () => {
    const chunks = stream(EVENTS, plain);
    expect(chunks.at(-1)!.candidates[0].groundingMetadata).to.deep.equal({ webSearchQueries: EXPECTED.webSearchQueries, groundingChunks: EXPECTED.groundingChunks });
  });

  it('holds at most as many searches and citations as collect() would (LIP_ERR_RESPONSE_TOO_LARGE past that)', () => {
    const encoder = new GeminiStreamEncoder(searching);
    encoder.event({ type: 'text_delta', text: 'x' });
    for (let i = 0; i < COLLECT_LIMITS.toolCalls; i++) encoder.event({ type: 'citation', url: 'u', start: 0, end: 1 });
    expect(() => encoder.event({ type: 'citation', url: 'u', start: 0, end: 1 })).to.throw().that.includes({ code: 'LIP_ERR_RESPONSE_TOO_LARGE' });
    const searches = new GeminiStreamEncoder(searching);
    for (let i = 0; i < COLLECT_LIMITS.toolCalls; i++) searches.event({ type: 'web_search', id: `s${i}`, status: 'completed' });
    searches.event({ type: 'web_search', id: 's0', status: 'completed', query: 'again' }); // the same search, updated
    expect(() => searches.event({ type: 'web_search', id: 'one-more', status: 'completed' })).to.throw().that.includes({ code: 'LIP_ERR_RESPONSE_TOO_LARGE' });
  });

  it('adds nothing to an answer without searches, search tool declared or not', () => {
    const events: LipEvent[] = [EVENTS[0]!, EVENTS[1]!, { type: 'text_delta', text: 'hi' }, { type: 'response_finished', reason: 'stop' }];
    for (const context of [searching, plain]) {
      expect(stream(events, context).at(-1)!.candidates[0]).to.deep.equal({ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'STOP', index: 0 });
      expect((encodeGenerateContentResponse(collectEvents(events), context) as { candidates: object[] }).candidates[0]).to.not.have.property('groundingMetadata');
    }
  });
});
