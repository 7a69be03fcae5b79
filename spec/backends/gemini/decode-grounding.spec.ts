import { expect } from 'chai';
import { GeminiResponseDecoder, GeminiStreamDecoder } from '../../../lib/backends/gemini/index.js';
import { validateSequence, type LipEvent } from '../../../lib/canonical/index.js';
import { geminiProtocol, type Script } from '../../helpers/emulators/index.js';
import { comparable, decodeBothWays, recorded } from '../decode-both-ways.js';

const TEXT = ['Grüße aus ', 'Zürich 😀', ' und Köln.'];
const whole = TEXT.join('');
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const span = (s: string) => ({ start: whole.indexOf(s), end: whole.indexOf(s) + s.length });

const frame = (text: string, extra: Record<string, unknown> = {}) => ({
  candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0, ...extra }], modelVersion: 'gemini-x', responseId: 'r1',
});
/** Google Search grounding as the Gemini API sends it: redirect uris, domain titles, byte offsets, no zero startIndex. */
const GROUNDING = {
  searchEntryPoint: { renderedContent: '<div></div>' },
  groundingChunks: [
    { web: { uri: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/AAA', title: 'zuerich.example' } },
    { web: { uri: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/BBB', title: 'koeln.example' } },
    { retrievedContext: { uri: 'gs://not-a-web-page' } },
  ],
  groundingSupports: [
    { segment: { endIndex: bytes('Grüße aus Zürich 😀'), text: 'Grüße aus Zürich 😀' }, groundingChunkIndices: [0] },
    { segment: { startIndex: bytes('Grüße aus Zürich 😀 und '), endIndex: bytes(whole), text: 'Köln.' }, groundingChunkIndices: [1, 0, 2, 7], confidenceScores: [0.9, 0.5, 0.1, 0.1] },
  ],
  webSearchQueries: ['zürich grüße', 'köln'],
};
const zh = { url: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/AAA', title: 'zuerich.example' };
const kl = { url: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/BBB', title: 'koeln.example' };
const EXPECTED: LipEvent[] = [
  // The citations first: they cite the text just streamed (a search after it would close that text for an Anthropic client).
  { type: 'citation', ...zh, citedText: 'Grüße aus Zürich 😀', ...span('Grüße aus Zürich 😀'), dialect: 'gemini.google_search' },
  { type: 'citation', ...kl, citedText: 'Köln.', ...span('Köln.'), dialect: 'gemini.google_search' },
  { type: 'citation', ...zh, citedText: 'Köln.', ...span('Köln.'), dialect: 'gemini.google_search' },
  // Google's search suggestions go with the first search: a Gemini client gets them back as searchEntryPoint.
  { type: 'web_search', id: 'gs_r1_0', status: 'completed', query: 'zürich grüße', results: [zh, kl], dialect: 'gemini.google_search', entryPoint: '<div></div>' },
  { type: 'web_search', id: 'gs_r1_1', status: 'completed', query: 'köln', dialect: 'gemini.google_search' },
];

function stream(frames: Record<string, unknown>[], search = true): LipEvent[] {
  const decoder = new GeminiStreamDecoder('b', [], search);
  const out: LipEvent[] = [];
  for (const f of frames) decoder.message({ event: 'message', data: JSON.stringify(f) }, out);
  expect(validateSequence(out)).to.deep.equal([]);
  return out;
}

describe('backends/gemini: Google Search grounding', () => {
  it('reports the citations in UTF-16 offsets of the text, then the searches, before the usage and the finish', () => {
    const events = stream([frame(TEXT[0]!), frame(TEXT[1]!), frame(TEXT[2]!, { finishReason: 'STOP', groundingMetadata: GROUNDING })].map((f, i) => (i === 2 ? { ...f, usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 3 } } : f)));
    expect(events.slice(5)).to.deep.equal([...EXPECTED, { type: 'usage', usage: { inputTokens: 5, outputTokens: 3 } }, { type: 'response_finished', reason: 'stop' }]);
    expect(events.slice(0, 5).map((e) => e.type)).to.deep.equal(['response_started', 'message_started', 'text_delta', 'text_delta', 'text_delta']);
  });

  it('reports each query, page and citation once when several frames carry the grounding', () => {
    const first = { webSearchQueries: ['zürich grüße'], groundingChunks: GROUNDING.groundingChunks.slice(0, 1), groundingSupports: GROUNDING.groundingSupports.slice(0, 1) };
    const events = stream([frame(TEXT[0]!), frame(TEXT[1]!, { groundingMetadata: first }), frame(TEXT[2]!, { groundingMetadata: GROUNDING }), frame('', { finishReason: 'STOP', groundingMetadata: GROUNDING })]);
    expect(events.filter((e) => e.type === 'web_search' || e.type === 'citation')).to.deep.equal(EXPECTED);
  });

  it('reads a whole answer the same way (its parts\' text joined)', () => {
    const out: LipEvent[] = [];
    new GeminiResponseDecoder('b', [], true).decode({
      candidates: [{ content: { role: 'model', parts: TEXT.map((text) => ({ text })) }, finishReason: 'STOP', groundingMetadata: GROUNDING, index: 0 }], responseId: 'r1',
    }, out);
    expect(validateSequence(out)).to.deep.equal([]);
    expect(out.filter((e) => e.type === 'web_search' || e.type === 'citation')).to.deep.equal(EXPECTED);
  });

  it('without a declared search keeps no text: the searches only, no citations', () => {
    const events = stream([frame(whole, { finishReason: 'STOP', groundingMetadata: GROUNDING })], false);
    expect(events.filter((e) => e.type === 'web_search' || e.type === 'citation')).to.deep.equal(EXPECTED.slice(3));
  });

  it('clamps offsets past the text and ignores malformed grounding', () => {
    const events = stream([frame('né', { finishReason: 'STOP', groundingMetadata: {
      webSearchQueries: ['q', 7, '', 'q'],
      groundingChunks: [{ web: { uri: 'u' } }, null, { web: { title: 'no uri' } }],
      groundingSupports: [{ segment: { startIndex: 1, endIndex: 99 }, groundingChunkIndices: [0, 1, 2, 'x'] }, { segment: null, groundingChunkIndices: [0] }, 5],
    } })]);
    expect(events.filter((e) => e.type === 'web_search' || e.type === 'citation')).to.deep.equal([
      { type: 'citation', url: 'u', start: 1, end: 2, dialect: 'gemini.google_search' },
      { type: 'web_search', id: 'gs_r1_0', status: 'completed', query: 'q', results: [{ url: 'u' }], dialect: 'gemini.google_search' },
    ]);
  });

  it('decodes the emulator\'s grounding, streamed and whole, to the script\'s searches and citations', () => {
    const script: Script = {
      text: TEXT,
      searches: [{ query: 'zürich grüße', results: [{ url: 'https://a.example/zh', title: 'Zürich' }] }, { query: 'failed', error: 'unavailable' }],
      citations: [{ delta: 1, url: 'https://a.example/zh' }, { delta: 2, url: 'https://c.example/köln', title: 'Köln' }],
    };
    const r = decodeBothWays(geminiProtocol, script, recorded({ contents: [], tools: [{ googleSearch: {} }] }, '/v1beta/models/m:generateContent'),
      () => new GeminiStreamDecoder('b', [], true), () => new GeminiResponseDecoder('b', [], true));
    expect(r.violations).to.deep.equal([]);
    expect(comparable(r.whole)).to.deep.equal(comparable(r.streamed));
    const collected = comparable(r.streamed);
    expect(collected.text).to.equal(whole);
    expect(collected.citations).to.deep.equal([
      { url: 'https://a.example/zh', title: 'Zürich', citedText: 'Zürich 😀', ...span('Zürich 😀'), dialect: 'gemini.google_search' },
      { url: 'https://c.example/köln', title: 'Köln', citedText: ' und Köln.', ...span(' und Köln.'), dialect: 'gemini.google_search' },
    ]);
    expect(collected.blocks.filter((b) => b.type === 'web_search')).to.deep.equal([
      { type: 'web_search', id: 'gs_emuResponse0001_0', status: 'completed', query: 'zürich grüße', dialect: 'gemini.google_search', entryPoint: '<div class="container"><a class="chip">zürich grüße</a></div>', results: [
        { url: 'https://a.example/zh', title: 'Zürich' }, { url: 'https://c.example/köln', title: 'Köln' },
      ] },
    ]);
  });
});
