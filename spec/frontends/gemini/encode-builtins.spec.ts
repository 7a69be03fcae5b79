import { expect } from 'chai';
import { collectEvents, emptyCall, validateSequence, WEB_SEARCH_TOOL_NAME, type Call, type LipEvent } from '../../../lib/canonical/index.js';
import { GeminiStreamEncoder, encodeGenerateContentResponse } from '../../../lib/frontends/gemini/index.js';
import { mergedGrounding } from '../../../lib/frontends/gemini/grounding-record.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { parseSse } from '../../helpers/sse-client.js';

const GEMINI = 'gemini.builtin_tool';
const TOOL_CALL = { toolCall: { id: 'tc_1', toolType: 'GOOGLE_MAPS', args: { query: 'cafés near the station' } }, thoughtSignature: 'c2lnLXRj' };
const TOOL_RESPONSE = { toolResponse: { id: 'tc_1', toolType: 'GOOGLE_MAPS', response: { places: 2 } } };
const CAFE = { maps: { uri: 'https://maps.google.com/?cid=1', title: 'Café Lumière', placeId: 'places/ChIJ1' } };
const NOODLES = { maps: { uri: 'https://maps.google.com/?cid=2', title: 'Noodle Bar', placeId: 'places/ChIJ2' } };
const MAPS = {
  groundingChunks: [CAFE],
  groundingSupports: [{ segment: { endIndex: 13, text: 'Café Lumière' }, groundingChunkIndices: [0], confidenceScores: [0.9] }],
  googleMapsWidgetContextToken: 'widgetcontent/token-1',
};
const start: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }];
const done = (id: string, block: Record<string, unknown>, scope?: 'message'): LipEvent => ({ type: 'hosted_tool', id, dialect: GEMINI, phase: 'done', block, ...(scope ? { scope } : {}) });
/** What a gemini backend emits for a Maps answer with its server-side invocations: the call, its result, the text, the grounding as written (and its web citation read as usual). */
const EVENTS: LipEvent[] = [
  ...start, done('gh_r_0', TOOL_CALL), done('gh_r_1', TOOL_RESPONSE), { type: 'text_delta', text: 'Café Lumière' }, { type: 'text_delta', text: ' is open.' },
  done('gh_r_grounding', { groundingMetadata: MAPS }, 'message'),
  { type: 'web_search', id: 'gs_r_0', status: 'completed', query: 'cafés', results: [{ url: 'https://a.example/' }], dialect: 'gemini.google_search' },
  { type: 'response_finished', reason: 'stop' },
];

const contextOf = (call: Call = emptyCall({ model: 'gemini-x', tools: [{ kind: 'web_search', name: WEB_SEARCH_TOOL_NAME, parameters: {} }] })): EncodeContext => ({ call, model: undefined, hints: {}, requestId: 'r', created: 1700000000 });
function stream(events: readonly LipEvent[], context = contextOf()): Record<string, any>[] {
  const encoder = new GeminiStreamEncoder(context);
  const text = events.map((e) => encoder.event(e)).join('') + encoder.end();
  return parseSse(text).messages.map((m) => JSON.parse(m.data).candidates[0]);
}

describe('frontends/gemini encoders: server-side tool invocations and grounding as written', () => {
  it('streams toolCall and toolResponse parts whole, as they came, each in its chunk and its place', () => {
    expect(validateSequence(EVENTS)).to.deep.equal([]);
    const chunks = stream(EVENTS);
    expect(chunks.map((c) => c.content.parts)).to.deep.equal([[TOOL_CALL], [TOOL_RESPONSE], [{ text: 'Café Lumière' }], [{ text: ' is open.' }], [{ text: '' }]]);
  });

  it('writes a grounding record on the next chunk, as written, in place of the one it would make of the searches and citations', () => {
    const chunks = stream(EVENTS);
    expect(chunks.map((c) => c.groundingMetadata)).to.deep.equal([undefined, undefined, undefined, undefined, MAPS]);
    expect(chunks.at(-1)).to.deep.include({ finishReason: 'STOP' });
    // A record before the parts of its frame rides on the frame's first part.
    const early = stream([...start, done('g', { groundingMetadata: MAPS }, 'message'), { type: 'text_delta', text: 'Café Lumière' }, { type: 'response_finished', reason: 'stop' }]);
    expect(early.map((c) => c.groundingMetadata)).to.deep.equal([MAPS, undefined]);
  });

  it('writes the whole answer\'s parts in order and the grounding record as the candidate\'s groundingMetadata', () => {
    const body = encodeGenerateContentResponse(collectEvents(EVENTS), contextOf()) as { candidates: Record<string, any>[] };
    expect(body.candidates[0]).to.deep.equal({
      content: { parts: [TOOL_CALL, TOOL_RESPONSE, { text: 'Café Lumière is open.' }], role: 'model' }, finishReason: 'STOP', groundingMetadata: MAPS, index: 0,
    });
  });

  it('merges grounding records a stream revised: each source once, supports pointing into the merged list, the last record\'s other fields', () => {
    const second = {
      groundingChunks: [NOODLES, CAFE],
      groundingSupports: [{ segment: { startIndex: 18, endIndex: 28, text: 'Noodle Bar' }, groundingChunkIndices: [0] }, { segment: { endIndex: 13, text: 'Café Lumière' }, groundingChunkIndices: [1], confidenceScores: [0.9] }],
      googleMapsWidgetContextToken: 'widgetcontent/token-2', retrievalQueries: ['cafés'],
    };
    const merged = {
      groundingChunks: [CAFE, NOODLES],
      groundingSupports: [MAPS.groundingSupports[0], { segment: { startIndex: 18, endIndex: 28, text: 'Noodle Bar' }, groundingChunkIndices: [1] }],
      googleMapsWidgetContextToken: 'widgetcontent/token-2', retrievalQueries: ['cafés'],
    };
    expect(mergedGrounding([MAPS, second])).to.deep.equal(merged);
    expect(mergedGrounding([MAPS])).to.equal(MAPS);
    const events: LipEvent[] = [...start, { type: 'text_delta', text: 'x' }, done('g', { groundingMetadata: MAPS }, 'message'), done('g_1', { groundingMetadata: second }, 'message'), { type: 'response_finished', reason: 'stop' }];
    expect(stream(events).at(-1)!.groundingMetadata).to.deep.equal(merged);
    expect((encodeGenerateContentResponse(collectEvents(events), contextOf()) as { candidates: Record<string, any>[] }).candidates[0]!.groundingMetadata).to.deep.equal(merged);
  });

  it('still makes the grounding of the searches and citations when no record came (another provider\'s search, or Gemini\'s without a grounding built-in)', () => {
    const events: LipEvent[] = [...start, { type: 'text_delta', text: 'Cafés.' }, { type: 'web_search', id: 's', status: 'completed', query: 'cafés', results: [{ url: 'https://a.example/' }] }, { type: 'response_finished', reason: 'stop' }];
    expect(stream(events).at(-1)!.groundingMetadata).to.deep.equal({ webSearchQueries: ['cafés'], groundingChunks: [{ web: { uri: 'https://a.example/' } }] });
  });
});
