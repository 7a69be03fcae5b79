import { expect } from 'chai';
import { collectEvents, emptyCall, validateSequence, type Call, type LipEvent } from '../../../lib/canonical/index.js';
import { GeminiStreamEncoder, encodeGenerateContentResponse } from '../../../lib/frontends/gemini/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { parseSse } from '../../helpers/sse-client.js';

const GEMINI = 'gemini.builtin_tool';
const CODE = { executableCode: { language: 'PYTHON', code: 'print(2**10)' }, thoughtSignature: 'c2ln' };
const RESULT = { codeExecutionResult: { outcome: 'OUTCOME_OK', output: '1024\n' } };
const URLS = { urlMetadata: [{ retrievedUrl: 'https://a.example/', urlRetrievalStatus: 'URL_RETRIEVAL_STATUS_SUCCESS' }] };
const start: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }];
const done = (id: string, block: Record<string, unknown>, scope?: 'message'): LipEvent => ({ type: 'hosted_tool', id, dialect: GEMINI, phase: 'done', block, ...(scope ? { scope } : {}) });
/** What a gemini backend emits for an answer that read a page, ran code and then wrote text. */
const EVENTS: LipEvent[] = [
  ...start, done('gh_r_url_context', { urlContextMetadata: URLS }, 'message'), done('gh_r_0', CODE), done('gh_r_1', RESULT),
  { type: 'text_delta', text: '2**10 is ' }, { type: 'text_delta', text: '1024.' }, { type: 'response_finished', reason: 'stop' },
];
/** Another provider's blocks: a Gemini client has no form for them. */
const FOREIGN: LipEvent[] = [
  { type: 'hosted_tool', id: 'srvtoolu_1', dialect: 'anthropic.server_tool', phase: 'added', block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'code_execution', input: {} } },
  { type: 'hosted_tool', id: 'srvtoolu_1', dialect: 'anthropic.server_tool', phase: 'done', block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'code_execution', input: { code: 'x' } } },
  { type: 'hosted_tool', id: 'container', dialect: 'anthropic.server_tool', phase: 'done', scope: 'message', block: { id: 'cntr_1' } },
];

const contextOf = (call: Call = emptyCall({ model: 'gemini-x' })): EncodeContext => ({ call, model: undefined, hints: {}, requestId: 'r', created: 1700000000 });

function stream(events: readonly LipEvent[], context = contextOf()): Record<string, any>[] {
  const encoder = new GeminiStreamEncoder(context);
  const text = events.map((e) => encoder.event(e)).join('') + encoder.end();
  return parseSse(text).messages.map((m) => JSON.parse(m.data));
}
const candidates = (chunks: Record<string, any>[]) => chunks.map((c) => c.candidates[0]);

describe('frontends/gemini encoders: code execution and URL context', () => {
  it('streams each code execution part whole, as it came, in its own chunk and its place; the URL context record on the next chunk written', () => {
    expect(validateSequence(EVENTS)).to.deep.equal([]);
    const chunks = candidates(stream(EVENTS));
    expect(chunks.map((c) => c.content.parts)).to.deep.equal([[CODE], [RESULT], [{ text: '2**10 is ' }], [{ text: '1024.' }], [{ text: '' }]]);
    expect(chunks[0]).to.deep.equal({ content: { parts: [CODE], role: 'model' }, urlContextMetadata: URLS, index: 0 });
    expect(chunks.slice(1).some((c) => 'urlContextMetadata' in c)).to.equal(false);
  });

  it('puts a URL context record that came after the last part on the last chunk, with the finish', () => {
    const chunks = candidates(stream([...start, { type: 'text_delta', text: 'Read.' }, done('u', { urlContextMetadata: URLS }, 'message'), { type: 'response_finished', reason: 'stop' }]));
    expect(chunks).to.have.length(2);
    expect(chunks[1]).to.deep.equal({ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'STOP', urlContextMetadata: URLS, index: 0 });
  });

  it('writes the whole answer\'s parts in order and urlContextMetadata on the candidate', () => {
    const body = encodeGenerateContentResponse(collectEvents(EVENTS), contextOf()) as { candidates: Record<string, any>[] };
    expect(body.candidates[0]).to.deep.equal({
      content: { parts: [CODE, RESULT, { text: '2**10 is 1024.' }], role: 'model' }, finishReason: 'STOP', urlContextMetadata: URLS, index: 0,
    });
  });

  it('leaves another provider\'s hosted blocks out, streamed and whole (they have no Gemini form)', () => {
    const events = [...start, ...FOREIGN, { type: 'text_delta', text: 'ok' } as const, { type: 'response_finished', reason: 'stop' } as const];
    expect(validateSequence(events)).to.deep.equal([]);
    expect(candidates(stream(events))).to.deep.equal([
      { content: { parts: [{ text: 'ok' }], role: 'model' }, index: 0 },
      { content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'STOP', index: 0 },
    ]);
    const body = encodeGenerateContentResponse(collectEvents(events), contextOf()) as { candidates: Record<string, any>[] };
    expect(body.candidates[0]).to.deep.equal({ content: { parts: [{ text: 'ok' }], role: 'model' }, finishReason: 'STOP', index: 0 });
  });

  it('writes a part only once it is done (an added part, progress, is not yet Gemini\'s)', () => {
    const events: LipEvent[] = [
      ...start, { type: 'hosted_tool', id: 'p', dialect: GEMINI, phase: 'added', block: { executableCode: { language: 'PYTHON' } } },
      { type: 'hosted_tool', id: 'p', dialect: GEMINI, phase: 'progress', update: { code: 'print(1)' } }, done('p', CODE), { type: 'response_finished', reason: 'stop' },
    ];
    expect(validateSequence(events)).to.deep.equal([]);
    expect(candidates(stream(events)).map((c) => c.content.parts)).to.deep.equal([[CODE], [{ text: '' }]]);
    const cut = [...start, events[2]!, { type: 'response_finished', reason: 'stop' } as const];
    expect((encodeGenerateContentResponse(collectEvents(cut), contextOf()) as { candidates: Record<string, any>[] }).candidates[0]!.content.parts).to.deep.equal([{ text: '' }]);
  });

  it('merges URL context records an upstream revised: each urlMetadata entry once, in order', () => {
    const more = { urlMetadata: [...URLS.urlMetadata, { retrievedUrl: 'https://b.example/', urlRetrievalStatus: 'URL_RETRIEVAL_STATUS_ERROR' }] };
    const events = [...start, done('u0', { urlContextMetadata: URLS }, 'message'), done('u1', { urlContextMetadata: more }, 'message'), { type: 'text_delta', text: 'x' } as const, { type: 'response_finished', reason: 'stop' } as const];
    expect(candidates(stream(events))[0].urlContextMetadata).to.deep.equal(more);
    expect((encodeGenerateContentResponse(collectEvents(events), contextOf()) as { candidates: Record<string, any>[] }).candidates[0]!.urlContextMetadata).to.deep.equal(more);
  });

  it('grounds an answer of URL context alone on the pages it cites, with supports and no search queries', () => {
    const call = emptyCall({ model: 'gemini-x', tools: [{ kind: 'hosted', name: 'urlContext', parameters: {}, providerTool: { dialect: GEMINI, definition: { urlContext: {} } } }] });
    const events: LipEvent[] = [
      ...start, done('u', { urlContextMetadata: URLS }, 'message'), { type: 'text_delta', text: 'Né ' }, { type: 'text_delta', text: 'read.' },
      { type: 'citation', url: 'https://a.example/', title: 'A', start: 3, end: 8, dialect: 'gemini.google_search' }, { type: 'response_finished', reason: 'stop' },
    ];
    const grounding = { groundingChunks: [{ web: { uri: 'https://a.example/', title: 'A' } }], groundingSupports: [{ segment: { startIndex: 4, endIndex: 9, text: 'read.' }, groundingChunkIndices: [0] }] };
    expect(candidates(stream(events, contextOf(call))).at(-1).groundingMetadata).to.deep.equal(grounding);
    expect((encodeGenerateContentResponse(collectEvents(events), contextOf(call)) as { candidates: Record<string, any>[] }).candidates[0]!.groundingMetadata).to.deep.equal(grounding);
  });
});
