import { expect } from 'chai';
import { codexOptions, encodeCodexRequest } from '../../../lib/backends/openai-codex/index.js';
import { ResponsesResponseDecoder, ResponsesStreamDecoder, encodeResponsesRequest, responsesOptions } from '../../../lib/backends/openai-responses/index.js';
import { SEARCH_DIALECTS, emptyCall, validateSequence, type Call, type LipEvent, type ToolDefinition } from '../../../lib/canonical/index.js';
import { openaiResponsesProtocol, type Script } from '../../helpers/emulators/index.js';
import { comparable, decodeBothWays, recorded } from '../decode-both-ways.js';
import { decodeResponsesFrames } from './decode-frames.js';

const options = responsesOptions({ id: 'b', kind: 'openai-responses', models: [] });
const search = (extra: Partial<ToolDefinition> = {}): ToolDefinition => ({ name: 'web_search', parameters: {}, kind: 'web_search', ...extra });
const call = (overrides: Partial<Call>): Call => emptyCall({ model: 'x', messages: [{ role: 'user', parts: [{ type: 'text', text: 'news?' }] }], ...overrides });
const SOURCES = 'web_search_call.action.sources';

function decode(frames: Record<string, unknown>[]): LipEvent[] {
  const out = decodeResponsesFrames(frames);
  expect(validateSequence(out)).to.deep.equal([]);
  return out;
}
const created = { type: 'response.created', response: { id: 'resp_1', model: 'gpt-5', status: 'in_progress' } };
const completed = { type: 'response.completed', response: { status: 'completed' } };
const delta = (item_id: string, text: string, content_index = 0) => ({ type: 'response.output_text.delta', item_id, output_index: 1, content_index, delta: text });
const cite = (item_id: string, start_index: number, end_index: number, content_index = 0, title = 'T') => ({
  type: 'response.output_text.annotation.added', item_id, output_index: 1, content_index, annotation_index: 0,
  annotation: { type: 'url_citation', start_index, end_index, url: 'https://a.example', title },
});
const of = <T extends LipEvent['type']>(events: LipEvent[], type: T) => events.filter((e): e is Extract<LipEvent, { type: T }> => e.type === type);

describe('backends/openai-responses hosted web search', () => {
  describe('the request', () => {
    it("sends a Responses client's own declaration as written, and asks for the sources", () => {
      const definition = { type: 'web_search_preview', search_context_size: 'low', search_content_types: ['text'] };
      const body = encodeResponsesRequest(call({ tools: [search({ webSearch: { contextSize: 'high' }, providerTool: { dialect: SEARCH_DIALECTS.openaiResponses, definition } })] }), 'gpt-5', options);
      expect(body.tools).to.deep.equal([definition]);
      expect(body.include).to.deep.equal([SOURCES]);
      expect(body.tool_choice).to.equal('auto');
    });

    it("builds web_search from another protocol's options, leaving out what the API has no field for", () => {
      const webSearch = { maxUses: 5, allowedDomains: ['a.com'], blockedDomains: ['b.com'], userLocation: { city: 'Paris', country: 'FR' }, contextSize: 'medium' as const, liveAccess: false };
      const body = encodeResponsesRequest(call({ tools: [search({ webSearch, providerTool: { dialect: 'anthropic.web_search', definition: { type: 'web_search_20250305', name: 'web_search', max_uses: 5 } } })] }), 'gpt-5', options);
      expect(body.tools).to.deep.equal([{
        type: 'web_search', filters: { allowed_domains: ['a.com'] }, user_location: { type: 'approximate', city: 'Paris', country: 'FR' }, search_context_size: 'medium', external_web_access: false,
      }]);
      expect(encodeResponsesRequest(call({ tools: [search()] }), 'gpt-5', options).tools).to.deep.equal([{ type: 'web_search' }]);
    });

    it('names the search in a tool choice by its type', () => {
      const tools = [search({ providerTool: { dialect: SEARCH_DIALECTS.openaiResponses, definition: { type: 'web_search_preview' } } }), { name: 'f', parameters: { type: 'object' } }];
      expect(encodeResponsesRequest(call({ tools, toolChoice: { type: 'tool', name: 'web_search' } }), 'gpt-5', options).tool_choice).to.deep.equal({ type: 'web_search_preview' });
      expect(encodeResponsesRequest(call({ tools, toolChoice: { type: 'any', allowed: ['web_search', 'f'] } }), 'gpt-5', options).tool_choice).to.deep.equal({
        type: 'allowed_tools', mode: 'required', tools: [{ type: 'web_search_preview' }, { type: 'function', name: 'f' }],
      });
    });

    it("sends its own searches of the history back as web_search_call items, in place and without ids; drops other providers'", () => {
      const body = encodeResponsesRequest(call({
        tools: [search()],
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'news?' }] },
          { role: 'assistant', parts: [
            { type: 'web_search', id: 'ws_1', status: 'completed', query: 'news', results: [{ url: 'https://a.example', title: 'A' }], dialect: SEARCH_DIALECTS.openaiResponses },
            { type: 'text', text: 'Rain.' },
            { type: 'web_search', id: 'srvtoolu_1', status: 'completed', query: 'other', results: [{ url: 'https://b.example', encrypted: 'E' }], dialect: 'anthropic.web_search' },
            { type: 'web_search', id: 'ws_2', status: 'failed', dialect: SEARCH_DIALECTS.openaiResponses },
          ] },
          { role: 'assistant', parts: [{ type: 'web_search', id: 'g1', status: 'completed', query: 'q', dialect: 'gemini.google_search' }] },
          { role: 'user', parts: [{ type: 'text', text: 'more' }] },
        ],
      }), 'gpt-5', options);
      expect(body.input).to.deep.equal([
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'news?' }] },
        { type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'news', sources: [{ type: 'url', url: 'https://a.example' }] } },
        { type: 'message', role: 'assistant', content: 'Rain.' },
        { type: 'web_search_call', status: 'failed', action: { type: 'search' } },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'more' }] },
      ]);
    });

    it('adds nothing for a call without web search', () => {
      const body = encodeResponsesRequest(call({}), 'gpt-5', options);
      expect(body).not.to.have.any.keys('include', 'tools');
    });

    it('the Codex endpoint gets the declaration (external_web_access and all) but no include of sources', () => {
      const codex = codexOptions({ id: 'cx', kind: 'openai-codex', models: [] });
      const definition = { type: 'web_search', external_web_access: false };
      const c = call({ tools: [search({ webSearch: { liveAccess: false }, providerTool: { dialect: SEARCH_DIALECTS.openaiResponses, definition } }), { name: 'f', parameters: { type: 'object', properties: {} } }] });
      const body = encodeCodexRequest(c, 'gpt-5.4', codex, { conversationId: 'c', turn: 1, bump: false });
      expect((body.tools as unknown[])[0]).to.deep.equal(definition);
      expect((body.tools as { type: string }[])[1]!.type).to.equal('function');
      expect(body).not.to.have.property('include');
      const reasoning = encodeCodexRequest({ ...c, options: { reasoning: { effort: 'low' } } }, 'gpt-5.4', codex, { conversationId: 'c', turn: 1, bump: false });
      expect(reasoning.include).to.deep.equal(['reasoning.encrypted_content']);
    });
  });

  describe('the stream', () => {
    it('decodes a web_search_call item into searching, then completed with its query and sources', () => {
      const events = decode([created,
        { type: 'response.output_item.added', output_index: 0, item: { id: 'ws_1', type: 'web_search_call', status: 'in_progress' } },
        { type: 'response.web_search_call.in_progress', output_index: 0, item_id: 'ws_1' },
        { type: 'response.web_search_call.searching', output_index: 0, item_id: 'ws_1' },
        { type: 'response.web_search_call.completed', output_index: 0, item_id: 'ws_1' },
        { type: 'response.output_item.done', output_index: 0, item: { id: 'ws_1', type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'news', sources: [{ type: 'url', url: 'https://a.example' }, { type: 'api' }] } } },
        { type: 'response.output_item.done', output_index: 0, item: { id: 'ws_1', type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'again' } } },
        completed]);
      expect(of(events, 'web_search')).to.deep.equal([
        { type: 'web_search', id: 'ws_1', status: 'searching', dialect: SEARCH_DIALECTS.openaiResponses },
        { type: 'web_search', id: 'ws_1', status: 'completed', query: 'news', results: [{ url: 'https://a.example' }], dialect: SEARCH_DIALECTS.openaiResponses },
      ]);
      expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'stop' });
    });

    it('decodes failed searches, queries lists and page actions', () => {
      const done = (id: string, status: string, action?: unknown) => ({ type: 'response.output_item.done', output_index: 0, item: { id, type: 'web_search_call', status, ...(action ? { action } : {}) } });
      const events = decode([created,
        done('ws_1', 'failed', { type: 'search', query: 'q' }),
        done('ws_2', 'completed', { type: 'search', queries: ['q1', 'q2'] }),
        done('ws_3', 'completed', { type: 'open_page', url: 'https://p.example' }),
        done('ws_4', 'completed', { type: 'find_in_page', url: 'https://p.example', pattern: 'x' }),
        done('ws_5', 'completed'),
        completed]);
      const dialect = SEARCH_DIALECTS.openaiResponses;
      expect(of(events, 'web_search')).to.deep.equal([
        { type: 'web_search', id: 'ws_1', status: 'failed', query: 'q', dialect },
        { type: 'web_search', id: 'ws_2', status: 'completed', query: 'q1', dialect },
        { type: 'web_search', id: 'ws_3', status: 'completed', results: [{ url: 'https://p.example' }], dialect },
        { type: 'web_search', id: 'ws_4', status: 'completed', results: [{ url: 'https://p.example' }], dialect },
        { type: 'web_search', id: 'ws_5', status: 'completed', dialect },
      ]);
    });

    it("turns url_citation annotations into citations of the response's text, counting from where their part starts", () => {
      const events = decode([created,
        delta('msg_1', 'Hello '), delta('msg_1', 'world.'), cite('msg_1', 6, 12),
        delta('msg_2', 'Second.'), cite('msg_2', 0, 6, 0, ''),
        delta('msg_2', 'Part two', 1), cite('msg_2', 5, 8, 1),
        { type: 'response.output_text.annotation.added', item_id: 'msg_2', output_index: 1, content_index: 1, annotation_index: 1, annotation: { type: 'file_citation', file_id: 'f', index: 0 } },
        completed]);
      expect(of(events, 'citation')).to.deep.equal([
        { type: 'citation', url: 'https://a.example', title: 'T', start: 6, end: 12, dialect: SEARCH_DIALECTS.openaiResponses },
        { type: 'citation', url: 'https://a.example', start: 12, end: 18, dialect: SEARCH_DIALECTS.openaiResponses },
        { type: 'citation', url: 'https://a.example', title: 'T', start: 24, end: 27, dialect: SEARCH_DIALECTS.openaiResponses },
      ]);
    });

    it('holds a citation of text not streamed yet until it comes (cut to the text there is at the end)', () => {
      const events = decode([created, delta('msg_1', 'Hel'), cite('msg_1', 0, 5), cite('msg_1', 0, 2), delta('msg_1', 'lo'), cite('msg_1', 3, 9), completed]);
      expect(events.map((e) => (e.type === 'citation' ? `cite ${e.start}-${e.end}` : e.type))).to.deep.equal([
        'response_started', 'message_started', 'text_delta', 'text_delta', 'cite 0-5', 'cite 0-2', 'cite 3-5', 'response_finished',
      ]);
    });
  });

  describe('whole answers and the emulator', () => {
    it('decodes web_search_call items and annotations of a whole answer', () => {
      const out: LipEvent[] = [];
      new ResponsesResponseDecoder('b', []).decode({
        id: 'resp_1', status: 'completed', model: 'gpt-x', output: [
          { id: 'ws_1', type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'news', sources: [{ type: 'url', url: 'https://a.example' }] } },
          { id: 'msg_1', type: 'message', role: 'assistant', content: [
            { type: 'output_text', text: 'Intro. ', annotations: [] },
            { type: 'output_text', text: 'Rain today.', annotations: [{ type: 'url_citation', start_index: 0, end_index: 4, url: 'https://a.example', title: 'A' }] },
          ] },
        ],
      }, out);
      expect(validateSequence(out)).to.deep.equal([]);
      expect(of(out, 'web_search').map((e) => e.status)).to.deep.equal(['searching', 'completed']);
      expect(of(out, 'citation')).to.deep.equal([{ type: 'citation', url: 'https://a.example', title: 'A', start: 7, end: 11, dialect: SEARCH_DIALECTS.openaiResponses }]);
    });

    const script: Script = {
      searches: [{ query: 'news today', results: [{ url: 'https://a.example/1', title: 'One' }] }, { id: 'ws_bad', query: 'q2', error: 'unavailable' }],
      text: ['Today ', 'it rains', '.'], citations: [{ delta: 1, url: 'https://a.example/1', title: 'One' }],
    };

    it("decodes the emulator's searches and citations the same streamed and whole, sources when asked", () => {
      const r = decodeBothWays(openaiResponsesProtocol, script, recorded({ model: 'm', stream: true, include: [SOURCES] }),
        () => new ResponsesStreamDecoder('b', []), () => new ResponsesResponseDecoder('b', []));
      expect(r.violations).to.deep.equal([]);
      const collected = comparable(r.streamed);
      expect(comparable(r.whole)).to.deep.equal(collected);
      expect(collected.blocks.slice(0, 2)).to.deep.equal([
        { type: 'web_search', id: 'ws_emu1', status: 'completed', query: 'news today', results: [{ url: 'https://a.example/1' }], dialect: SEARCH_DIALECTS.openaiResponses },
        { type: 'web_search', id: 'ws_bad', status: 'failed', query: 'q2', dialect: SEARCH_DIALECTS.openaiResponses },
      ]);
      expect(collected.citations).to.deep.equal([{ url: 'https://a.example/1', title: 'One', start: 6, end: 14, dialect: SEARCH_DIALECTS.openaiResponses }]);
      const plain = decodeBothWays(openaiResponsesProtocol, script, recorded({ model: 'm', stream: true }), () => new ResponsesStreamDecoder('b', []), () => new ResponsesResponseDecoder('b', []));
      expect(comparable(plain.streamed).blocks[0]).not.to.have.property('results');
    });
  });
});
