import { expect } from 'chai';
import { collectEvents, emptyCall, type Call, type LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { AnthropicStreamEncoder, decodeMessagesRequest, encodeMessagesResponse } from '../../../lib/frontends/anthropic/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { openSearchId, searchWireId } from '../../../lib/frontends/anthropic/web-search-blocks.js';
import { accumulate, checkAnthropicWire } from './wire-check.js';
import { refusalOf } from '../../helpers/refusal.js';

const OWN = 'anthropic.web_search';
const GEMINI = 'gemini.google_search';
const SEARCH_TOOL = { type: 'web_search_20250305', name: 'web_search' };
const base = { model: 'claude-x', max_tokens: 256 };
const decode = (body: Record<string, unknown>) => decodeMessagesRequest({ ...base, messages: [{ role: 'user', content: 'q' }], ...body }).call;

function decodeError(body: Record<string, unknown>): LipError {
  return refusalOf(() => decode(body));
}

const searchCall = decode({ tools: [SEARCH_TOOL] });
const contextOf = (call: Call): EncodeContext => ({ call, model: undefined, hints: {}, requestId: 'r', created: 1700000000 });
const start: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }];

/** The blocks a streaming client ends with, and the non-streamed answer's content, for the same events. */
function both(events: readonly LipEvent[], call: Call = searchCall) {
  const encoder = new AnthropicStreamEncoder(contextOf(call));
  const wire = checkAnthropicWire(events.map((e) => encoder.event(e)).join('') + encoder.end());
  const answer = encodeMessagesResponse(collectEvents(events), contextOf(call));
  return { streamed: accumulate(wire), wire, answer, content: answer.content as Record<string, unknown>[] };
}

const RESULT = { url: 'https://en.wikipedia.org/wiki/Claude_Shannon', title: 'Claude Shannon - Wikipedia', pageAge: 'April 30, 2025', encrypted: 'EqgfCio' };
const CITED = 'Claude Elwood Shannon (April 30, 1916 – February 24, 2001)';

describe('frontends/anthropic hosted web search', () => {
  describe('the web_search tool', () => {
    it('is the canonical web search tool: options mapped, the declaration kept (less its cache mark) for an Anthropic backend', () => {
      const declared = {
        type: 'web_search_20250305', name: 'web_search', max_uses: 5, allowed_domains: ['wikipedia.org'], cache_control: { type: 'ephemeral' },
        user_location: { type: 'approximate', city: 'San Francisco', region: 'California', country: 'US', timezone: 'America/Los_Angeles' },
      };
      const [tool] = decode({ tools: [declared] }).tools;
      const { cache_control: _mark, ...definition } = declared;
      expect(tool).to.deep.equal({
        name: 'web_search', kind: 'web_search', parameters: {}, cache: {},
        webSearch: { maxUses: 5, allowedDomains: ['wikipedia.org'], userLocation: { city: 'San Francisco', region: 'California', country: 'US', timezone: 'America/Los_Angeles' } },
        providerTool: { dialect: OWN, definition },
      });
    });

    it('takes any dated version, blocked domains and null options (unset); a bare declaration has no options', () => {
      const [tool] = decode({ tools: [{ type: 'web_search_20260209', name: 'web_search', blocked_domains: ['x.example'], max_uses: null, user_location: null }] }).tools;
      expect(tool).to.deep.include({ kind: 'web_search', webSearch: { blockedDomains: ['x.example'] } });
      const [bare] = decode({ tools: [SEARCH_TOOL] }).tools;
      expect(bare).to.deep.equal({ name: 'web_search', kind: 'web_search', parameters: {}, providerTool: { dialect: OWN, definition: SEARCH_TOOL } });
    });

    it('refuses with a 400 naming the field: another name, both domain lists, options of the wrong type', () => {
      const tool = (extra: Record<string, unknown>) => ({ tools: [{ name: 'f', input_schema: { type: 'object' } }, { ...SEARCH_TOOL, ...extra }] });
      expect(decodeError(tool({ name: 'search' }))).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'tools[1].name', message: 'tools[1].name: must be "web_search" for a web_search_20250305 tool' });
      expect(decodeError(tool({ allowed_domains: ['a.example'], blocked_domains: ['b.example'] }))).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'tools[1].blocked_domains' });
      expect(decodeError(tool({ max_uses: 0 }))).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'tools[1].max_uses' });
      expect(decodeError(tool({ max_uses: 'five' })).param).to.equal('tools[1].max_uses');
      expect(decodeError(tool({ allowed_domains: 'a.example' })).param).to.equal('tools[1].allowed_domains');
      expect(decodeError(tool({ blocked_domains: [7] })).param).to.equal('tools[1].blocked_domains[0]');
      expect(decodeError(tool({ user_location: { type: 'exact', city: 'Paris' } }))).to.deep.include({ param: 'tools[1].user_location.type', message: 'tools[1].user_location.type: must be "approximate" (got "exact")' });
      expect(decodeError(tool({ user_location: { city: 'Paris' } })).param).to.equal('tools[1].user_location.type');
      expect(decodeError(tool({ user_location: { type: 'approximate', country: 1 } })).param).to.equal('tools[1].user_location.country');
    });
  });

  describe('the history', () => {
    const turn = (content: unknown[]) => decode({
      tools: [SEARCH_TOOL],
      messages: [{ role: 'user', content: 'When was Shannon born?' }, { role: 'assistant', content }, { role: 'user', content: 'And where?' }],
    }).messages[1]!;
    const use = { type: 'server_tool_use', id: 'srvtoolu_01', name: 'web_search', input: { query: 'claude shannon birth date' } };
    const result = {
      type: 'web_search_tool_result', tool_use_id: 'srvtoolu_01',
      content: [{ type: 'web_search_result', url: RESULT.url, title: RESULT.title, encrypted_content: RESULT.encrypted, page_age: RESULT.pageAge }, { type: 'web_search_result', url: 'https://b.example', title: 'https://b.example', encrypted_content: 'E2', page_age: null }],
    };

    it('folds a server_tool_use and its web_search_tool_result into one web search part, at the place of the search; citations are left out', () => {
      const message = turn([
        { type: 'text', text: 'Let me look.' }, use, result,
        { type: 'text', text: 'He was born on April 30, 1916.', citations: [{ type: 'web_search_result_location', url: RESULT.url, title: RESULT.title, encrypted_index: 'Eo8', cited_text: CITED }] },
      ]);
      expect(message).to.deep.equal({
        role: 'assistant',
        parts: [
          { type: 'text', text: 'Let me look.' },
          {
            type: 'web_search', id: 'srvtoolu_01', dialect: OWN, status: 'completed', query: 'claude shannon birth date',
            results: [{ url: RESULT.url, title: RESULT.title, pageAge: RESULT.pageAge, encrypted: RESULT.encrypted }, { url: 'https://b.example', encrypted: 'E2' }],
          },
          { type: 'text', text: 'He was born on April 30, 1916.' },
        ],
      });
    });

    it('a web_search_tool_result_error is a failed search with its code; two searches may come before their results', () => {
      const other = { ...use, id: 'srvtoolu_02', input: { query: 'shannon birthplace' } };
      const message = turn([use, other, { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_02', content: { type: 'web_search_tool_result_error', error_code: 'max_uses_exceeded' } }, result]);
      expect(message.parts.map((p) => (p.type === 'web_search' ? [p.id, p.status, p.error] : p.type))).to.deep.equal([
        ['srvtoolu_01', 'completed', undefined], ['srvtoolu_02', 'failed', 'max_uses_exceeded'],
      ]);
    });

    it('gives a search lip reported from another provider its own id and dialect back (and no encrypted content)', () => {
      const id = searchWireId({ id: 'gs_resp1_0', dialect: GEMINI });
      expect(id).to.match(/^srvtoolu_lip1_[0-9a-f]+$/);
      const message = turn([{ ...use, id }, { ...result, tool_use_id: id, content: [{ type: 'web_search_result', url: 'https://c.example', title: 'c', encrypted_content: '', page_age: null }] }]);
      expect(message.parts).to.deep.equal([{ type: 'web_search', id: 'gs_resp1_0', dialect: GEMINI, status: 'completed', query: 'claude shannon birth date', results: [{ url: 'https://c.example', title: 'c' }] }]);
      expect(openSearchId(searchWireId({ id: 'x' }), 'p')).to.deep.equal({ id: 'x' });
    });

    it('refuses with a 400 naming the block: a search result answering another server tool, a search without its result, a result without its search, a broken lip id, search blocks in a user turn', () => {
      const refused = (content: unknown[], role = 'assistant') => decodeError({ messages: [{ role: 'user', content: 'q' }, { role, content }] });
      // Another server tool's use is a hosted block of its own (hosted-tools.spec.ts): a web search result cannot answer it.
      expect(refused([{ ...use, name: 'web_fetch' }, result])).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'messages[1].content[1].tool_use_id' });
      expect(refused([use, { type: 'text', text: 'x' }])).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'messages[1].content' });
      expect(refused([result])).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'messages[1].content[0].tool_use_id' });
      expect(refused([use, use, result])).to.deep.include({ param: 'messages[1].content[1].id' });
      expect(refused([{ ...use, id: 'srvtoolu_lip1_zz' }, { ...result, tool_use_id: 'srvtoolu_lip1_zz' }])).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'messages[1].content[0].id' });
      expect(refused([{ ...use, id: 'srvtoolu_lip1_7b7d' }, { ...result, tool_use_id: 'srvtoolu_lip1_7b7d' }]).param).to.equal('messages[1].content[0].id');
      expect(refused([use, result], 'user')).to.deep.include({ param: 'messages[1].content[0].type', message: 'messages[1].content[0].type: server_tool_use blocks belong in assistant messages' });
      expect(refused([use, { ...result, content: [{ type: 'web_search_result' }] }]).param).to.equal('messages[1].content[1].content[0].url');
      expect(refused([use, { ...result, content: { type: 'oops', error_code: 'x' } }]).param).to.equal('messages[1].content[1].content.type');
      expect(refused([use, { ...result, content: 'text' }]).param).to.equal('messages[1].content[1].content');
    });
  });

  describe('the encoders', () => {
    const ownSearch: LipEvent[] = [
      ...start,
      { type: 'web_search', id: 'srvtoolu_01', status: 'searching', query: 'claude shannon birth date', dialect: OWN },
      { type: 'web_search', id: 'srvtoolu_01', status: 'completed', results: [RESULT, { url: 'https://b.example' }], dialect: OWN },
      { type: 'text_delta', text: 'Claude Shannon was born ' }, { type: 'text_delta', text: 'on April 30, 1916' },
      { type: 'citation', url: RESULT.url, title: RESULT.title, citedText: CITED, start: 24, end: 41, encryptedIndex: 'Eo8BCio', dialect: OWN },
      { type: 'text_delta', text: '.' },
      { type: 'usage', usage: { inputTokens: 10, outputTokens: 20 } }, { type: 'response_finished', reason: 'stop' },
    ];
    const ownContent = [
      { type: 'server_tool_use', id: 'srvtoolu_01', name: 'web_search', input: { query: 'claude shannon birth date' } },
      {
        type: 'web_search_tool_result', tool_use_id: 'srvtoolu_01',
        content: [
          { type: 'web_search_result', url: RESULT.url, title: RESULT.title, encrypted_content: RESULT.encrypted, page_age: RESULT.pageAge },
          { type: 'web_search_result', url: 'https://b.example', title: 'https://b.example', encrypted_content: '', page_age: null },
        ],
      },
      {
        type: 'text', text: 'Claude Shannon was born on April 30, 1916.',
        citations: [{ type: 'web_search_result_location', cited_text: CITED, url: RESULT.url, title: RESULT.title, encrypted_index: 'Eo8BCio' }],
      },
    ];

    it('writes an Anthropic search as server_tool_use + web_search_tool_result (ids and encrypted fields as they were) and its citation on the text, streamed and not alike', () => {
      const { streamed, content, wire, answer } = both(ownSearch);
      expect(content).to.deep.equal(ownContent);
      expect(streamed).to.deep.equal(ownContent);
      expect(wire.find((e) => e.data.delta?.type === 'citations_delta')!.data.index).to.equal(2);
      expect(wire.at(-2)!.data.usage).to.deep.include({ server_tool_use: { web_search_requests: 1 } });
      expect(answer.usage).to.deep.include({ server_tool_use: { web_search_requests: 1 } });
      // The client sends it all back: the same search, as a part of Anthropic's dialect.
      const history = decode({ tools: [SEARCH_TOOL], messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: streamed }, { role: 'user', content: 'more' }] }).messages[1]!;
      expect(history.parts[0]).to.deep.equal({ type: 'web_search', id: 'srvtoolu_01', dialect: OWN, status: 'completed', query: 'claude shannon birth date', results: [RESULT, { url: 'https://b.example' }] });
    });

    it('writes another provider\'s search with an id of Anthropic\'s form carrying its own, no encrypted fields, and the cited span as cited_text', () => {
      const events: LipEvent[] = [
        ...start,
        { type: 'text_delta', text: 'Checking. ' },
        { type: 'web_search', id: 'ws_1', status: 'searching', dialect: 'openai.responses.web_search' },
        { type: 'web_search', id: 'ws_1', status: 'completed', query: 'weather paris', results: [{ url: 'https://w.example', title: 'W', encrypted: 'not-for-anthropic' }], dialect: 'openai.responses.web_search' },
        { type: 'text_delta', text: 'It is sunny in Paris.' },
        { type: 'citation', url: 'https://w.example', start: 10, end: 31, encryptedIndex: 'nope', dialect: 'openai.responses.web_search' },
        { type: 'response_finished', reason: 'stop' },
      ];
      const { streamed, content } = both(events);
      const id = searchWireId({ id: 'ws_1', dialect: 'openai.responses.web_search' });
      const expected = [
        { type: 'text', text: 'Checking. ' },
        { type: 'server_tool_use', id, name: 'web_search', input: { query: 'weather paris' } },
        { type: 'web_search_tool_result', tool_use_id: id, content: [{ type: 'web_search_result', url: 'https://w.example', title: 'W', encrypted_content: '', page_age: null }] },
        { type: 'text', text: 'It is sunny in Paris.', citations: [{ type: 'web_search_result_location', cited_text: 'It is sunny in Paris.', url: 'https://w.example', title: null, encrypted_index: '' }] },
      ];
      expect(content).to.deep.equal(expected);
      expect(streamed).to.deep.equal(expected);
      expect(openSearchId(id, 'id')).to.deep.equal({ id: 'ws_1', dialect: 'openai.responses.web_search' });
    });

    it('writes a failed search as a web_search_tool_result_error (unavailable when the provider gave no code), not counted as a search request', () => {
      const events: LipEvent[] = [
        ...start,
        { type: 'web_search', id: 'srvtoolu_9', status: 'searching', query: 'q', dialect: OWN },
        { type: 'web_search', id: 'srvtoolu_9', status: 'failed', error: 'max_uses_exceeded', dialect: OWN },
        { type: 'web_search', id: 'g_1', status: 'failed', dialect: GEMINI },
        { type: 'text_delta', text: 'No luck.' }, { type: 'response_finished', reason: 'stop' },
      ];
      const { streamed, content, answer } = both(events);
      expect(content.filter((b) => b.type === 'web_search_tool_result').map((b) => b.content)).to.deep.equal([
        { type: 'web_search_tool_result_error', error_code: 'max_uses_exceeded' }, { type: 'web_search_tool_result_error', error_code: 'unavailable' },
      ]);
      expect(content[2]).to.deep.equal({ type: 'server_tool_use', id: searchWireId({ id: 'g_1', dialect: GEMINI }), name: 'web_search', input: {} });
      expect(streamed).to.deep.equal(content);
      expect(answer.usage).to.have.property('server_tool_use', null);
    });

    it('writes nothing for a search that never ran (only searching), streamed or not', () => {
      const { streamed, content, wire } = both([...start, { type: 'web_search', id: 'srvtoolu_1', status: 'searching', query: 'q', dialect: OWN }, { type: 'response_finished', reason: 'other', raw: 'pause_turn' }]);
      expect(content).to.deep.equal([]);
      expect(streamed).to.deep.equal([]);
      expect(wire.at(-2)!.data.delta.stop_reason).to.equal('pause_turn');
    });

    it('puts a citation that comes after a later block (sources reported at the end) on an empty text block of its own when streaming', () => {
      const events: LipEvent[] = [
        ...start, { type: 'text_delta', text: 'Sunny.' },
        { type: 'web_search', id: 'g_0', status: 'completed', query: 'weather', results: [{ url: 'https://w.example', title: 'w.example' }], dialect: GEMINI },
        { type: 'citation', url: 'https://w.example', title: 'w.example', start: 0, end: 6, dialect: GEMINI },
        { type: 'response_finished', reason: 'stop' },
      ];
      const { streamed, content } = both(events);
      const citation = { type: 'web_search_result_location', cited_text: 'Sunny.', url: 'https://w.example', title: 'w.example', encrypted_index: '' };
      expect(streamed.map((b) => b.type)).to.deep.equal(['text', 'server_tool_use', 'web_search_tool_result', 'text']);
      expect(streamed[3]).to.deep.equal({ type: 'text', text: '', citations: [citation] });
      expect(content[0]).to.deep.equal({ type: 'text', text: 'Sunny.', citations: [citation] });
    });

    it('holds a citation with its text block while a tool call streams before it', () => {
      const events: LipEvent[] = [
        ...start, { type: 'tool_call_started', id: 'c1', name: 'f' }, { type: 'text_delta', text: 'Cited.' },
        { type: 'citation', url: 'https://u.example', citedText: 'src', start: 0, end: 6, encryptedIndex: 'I', dialect: OWN },
        { type: 'tool_call_delta', id: 'c1', args: '{}' }, { type: 'tool_call_finished', id: 'c1' }, { type: 'response_finished', reason: 'tool_calls' },
      ];
      const { streamed } = both(events);
      expect(streamed[1]).to.deep.equal({ type: 'text', text: 'Cited.', citations: [{ type: 'web_search_result_location', cited_text: 'src', url: 'https://u.example', title: null, encrypted_index: 'I' }] });
    });

    it('keeps no response text for calls without a web search tool: a citation then has only the provider\'s cited text', () => {
      const events: LipEvent[] = [...start, { type: 'text_delta', text: 'Plain.' }, { type: 'citation', url: 'https://u.example', start: 0, end: 6 }, { type: 'response_finished', reason: 'stop' }];
      const { streamed, content } = both(events, emptyCall({ model: 'claude-x' }));
      expect(streamed[0]!.citations[0].cited_text).to.equal('');
      expect(content).to.deep.equal(streamed);
    });
  });
});
