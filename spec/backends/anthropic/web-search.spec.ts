import { expect } from 'chai';
import { anthropicOptions, AnthropicResponseDecoder, AnthropicStreamDecoder, encodeAnthropicRequest } from '../../../lib/backends/anthropic/index.js';
import { emptyCall, validateSequence, type Call, type LipEvent, type ToolDefinition, type WebSearchPart } from '../../../lib/canonical/index.js';
import { anthropicProtocol, type Script } from '../../helpers/emulators/index.js';
import { comparable, decodeBothWays, recorded } from '../decode-both-ways.js';

const OWN = 'anthropic.web_search';
const o = anthropicOptions({ id: 'b', kind: 'anthropic', models: [] });
const call = (overrides: Partial<Call>): Call => emptyCall({ model: 'x', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], ...overrides });
const searchTool = (extra: Partial<ToolDefinition> = {}): ToolDefinition => ({ name: 'web_search', kind: 'web_search', parameters: {}, ...extra });

function decodeStream(frames: Record<string, unknown>[]): LipEvent[] {
  const decoder = new AnthropicStreamDecoder('b', []);
  const out: LipEvent[] = [];
  for (const f of frames) decoder.message({ event: String(f.type), data: JSON.stringify(f) }, out);
  expect(validateSequence(out)).to.deep.equal([]);
  return out;
}
const start = { type: 'message_start', message: { id: 'msg_1', model: 'claude', usage: { input_tokens: 10, output_tokens: 1 } } };
const stop = (reason = 'end_turn') => [{ type: 'message_delta', delta: { stop_reason: reason, stop_sequence: null }, usage: { output_tokens: 9, server_tool_use: { web_search_requests: 1 } } }, { type: 'message_stop' }];
const only = (events: LipEvent[]) => events.filter((e) => e.type === 'web_search' || e.type === 'citation' || e.type === 'text_delta');

const RESULT = { type: 'web_search_result', url: 'https://en.wikipedia.org/wiki/Claude_Shannon', title: 'Claude Shannon - Wikipedia', encrypted_content: 'EqgfCio', page_age: 'April 30, 2025' };
const CITATION = { type: 'web_search_result_location', url: RESULT.url, title: RESULT.title, encrypted_index: 'Eo8BCio', cited_text: 'Claude Elwood Shannon (April 30, 1916' };

describe('backends/anthropic hosted web search', () => {
  describe('encode-request', () => {
    it('sends an Anthropic client\'s web_search declaration as it was written (any version, every field, the cache mark)', () => {
      const definition = { type: 'web_search_20260209', name: 'web_search', max_uses: 2, allowed_domains: ['wikipedia.org'], some_new_field: true };
      const body = encodeAnthropicRequest(call({ tools: [searchTool({ webSearch: { maxUses: 2 }, providerTool: { dialect: OWN, definition }, cache: {} })] }), 'claude', o);
      expect(body.tools).to.deep.equal([{ ...definition, cache_control: { type: 'ephemeral' } }]);
    });

    it('builds web_search_20250305 from another client\'s options, leaving out those Anthropic lacks', () => {
      const tool = searchTool({
        webSearch: { maxUses: 3, allowedDomains: ['a.example'], userLocation: { city: 'Paris', country: 'FR' }, contextSize: 'high', liveAccess: false },
        providerTool: { dialect: 'openai.responses.web_search', definition: { type: 'web_search', search_context_size: 'high' } },
      });
      const body = encodeAnthropicRequest(call({ tools: [tool, { name: 'f', parameters: { type: 'object' } }] }), 'claude', o);
      expect(body.tools).to.deep.equal([
        { type: 'web_search_20250305', name: 'web_search', max_uses: 3, allowed_domains: ['a.example'], user_location: { type: 'approximate', city: 'Paris', country: 'FR' } },
        { name: 'f', input_schema: { type: 'object' } },
      ]);
      expect(encodeAnthropicRequest(call({ tools: [searchTool({ webSearch: { blockedDomains: ['b.example'] } })] }), 'claude', o).tools)
        .to.deep.equal([{ type: 'web_search_20250305', name: 'web_search', blocked_domains: ['b.example'] }]);
      expect(encodeAnthropicRequest(call({ tools: [searchTool()] }), 'claude', o).tools).to.deep.equal([{ type: 'web_search_20250305', name: 'web_search' }]);
    });

    it('sends back the searches Anthropic ran, where they were, as server_tool_use + web_search_tool_result; another provider\'s are left out', () => {
      const own: WebSearchPart = {
        type: 'web_search', id: 'srvtoolu_1', status: 'completed', query: 'shannon', dialect: OWN,
        results: [{ url: RESULT.url, title: RESULT.title, pageAge: RESULT.page_age, encrypted: RESULT.encrypted_content }, { url: 'https://b.example' }],
      };
      const failed: WebSearchPart = { type: 'web_search', id: 'srvtoolu_2', status: 'failed', error: 'max_uses_exceeded', dialect: OWN };
      const foreign: WebSearchPart = { type: 'web_search', id: 'ws_1', status: 'completed', query: 'q', results: [{ url: 'https://c.example' }], dialect: 'openai.responses.web_search' };
      const body = encodeAnthropicRequest(call({
        tools: [searchTool()],
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'When was Shannon born?' }] },
          { role: 'assistant', parts: [{ type: 'text', text: 'Looking.' }, own, failed, foreign, { type: 'text', text: 'April 30, 1916.' }] },
          { role: 'assistant', parts: [foreign] },
          { role: 'user', parts: [{ type: 'text', text: 'Where?' }] },
        ],
      }), 'claude', o);
      expect(body.messages).to.deep.equal([
        { role: 'user', content: [{ type: 'text', text: 'When was Shannon born?' }] },
        {
          role: 'assistant', content: [
            { type: 'text', text: 'Looking.' },
            { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'shannon' } },
            { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [RESULT, { type: 'web_search_result', url: 'https://b.example', title: '', encrypted_content: '', page_age: null }] },
            { type: 'server_tool_use', id: 'srvtoolu_2', name: 'web_search', input: {} },
            { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_2', content: { type: 'web_search_tool_result_error', error_code: 'max_uses_exceeded' } },
            { type: 'text', text: 'April 30, 1916.' },
          ],
        },
        { role: 'user', content: [{ type: 'text', text: 'Where?' }] },
      ]);
    });
  });

  describe('decode-stream', () => {
    it('reports a search when its server_tool_use stops (the query from the streamed input), its result as completed, and a cited block\'s citations at its stop, spanning its text', () => {
      const events = decodeStream([
        start,
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'I’ll look. ' } },
        { type: 'content_block_stop', index: 0 },
        { type: 'content_block_start', index: 1, content_block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} } },
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"query": "claude ' } },
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: 'shannon"}' } },
        { type: 'content_block_stop', index: 1 },
        { type: 'content_block_start', index: 2, content_block: { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [RESULT, { type: 'web_search_result', url: 'https://b.example', title: 'B', encrypted_content: 'E2', page_age: null }] } },
        { type: 'content_block_stop', index: 2 },
        { type: 'content_block_start', index: 3, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 3, delta: { type: 'text_delta', text: 'Shannon was born ' } },
        { type: 'content_block_stop', index: 3 },
        { type: 'content_block_start', index: 4, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 4, delta: { type: 'citations_delta', citation: CITATION } },
        { type: 'content_block_delta', index: 4, delta: { type: 'citations_delta', citation: { type: 'char_location', cited_text: 'doc', document_index: 0 } } },
        { type: 'content_block_delta', index: 4, delta: { type: 'text_delta', text: 'on April 30, 1916' } },
        { type: 'content_block_stop', index: 4 },
        { type: 'content_block_start', index: 5, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 5, delta: { type: 'text_delta', text: '.' } },
        { type: 'content_block_stop', index: 5 },
        ...stop(),
      ]);
      const before = 'I’ll look. Shannon was born '.length;
      expect(only(events)).to.deep.equal([
        { type: 'text_delta', text: 'I’ll look. ' },
        { type: 'web_search', id: 'srvtoolu_1', status: 'searching', query: 'claude shannon', dialect: OWN },
        {
          type: 'web_search', id: 'srvtoolu_1', status: 'completed', query: 'claude shannon', dialect: OWN,
          results: [{ url: RESULT.url, title: RESULT.title, pageAge: RESULT.page_age, encrypted: RESULT.encrypted_content }, { url: 'https://b.example', title: 'B', encrypted: 'E2' }],
        },
        { type: 'text_delta', text: 'Shannon was born ' },
        { type: 'text_delta', text: 'on April 30, 1916' },
        { type: 'citation', url: RESULT.url, title: RESULT.title, citedText: CITATION.cited_text, start: before, end: before + 'on April 30, 1916'.length, encryptedIndex: CITATION.encrypted_index, dialect: OWN },
        { type: 'text_delta', text: '.' },
      ]);
    });

    it('reports a failed search with its error code; keeps pause_turn; ignores other server tools', () => {
      const events = decodeStream([
        start,
        { type: 'content_block_start', index: 0, content_block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'q' } } },
        { type: 'content_block_stop', index: 0 },
        { type: 'content_block_start', index: 1, content_block: { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: { type: 'web_search_tool_result_error', error_code: 'too_many_requests' } } },
        { type: 'content_block_stop', index: 1 },
        { type: 'content_block_start', index: 2, content_block: { type: 'server_tool_use', id: 'srvtoolu_2', name: 'web_fetch', input: { url: 'https://x' } } },
        { type: 'content_block_stop', index: 2 },
        { type: 'content_block_start', index: 3, content_block: { type: 'server_tool_use', id: 'srvtoolu_3', name: 'web_search', input: {} } },
        { type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '{"query": "cut' } },
        { type: 'content_block_stop', index: 3 },
        ...stop('pause_turn'),
      ]);
      expect(only(events)).to.deep.equal([
        { type: 'web_search', id: 'srvtoolu_1', status: 'searching', query: 'q', dialect: OWN },
        { type: 'web_search', id: 'srvtoolu_1', status: 'failed', query: 'q', error: 'too_many_requests', dialect: OWN },
        { type: 'web_search', id: 'srvtoolu_3', status: 'searching', dialect: OWN },
      ]);
      expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'other', raw: 'pause_turn' });
    });

    it('reports each search once, and refuses a search block without an id as malformed', () => {
      const result = { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] };
      const events = decodeStream([
        start,
        { type: 'content_block_start', index: 0, content_block: result }, { type: 'content_block_stop', index: 0 },
        { type: 'content_block_start', index: 1, content_block: result }, { type: 'content_block_stop', index: 1 },
        { type: 'content_block_start', index: 2, content_block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} } }, { type: 'content_block_stop', index: 2 },
        ...stop(),
      ]);
      expect(only(events)).to.deep.equal([{ type: 'web_search', id: 'srvtoolu_1', status: 'completed', results: [], dialect: OWN }]);
      expect(() => decodeStream([start, { type: 'content_block_start', index: 0, content_block: { type: 'web_search_tool_result', content: [] } }])).to.throw().with.property('code', 'LIP_ERR_UPSTREAM_MALFORMED');
      expect(() => decodeStream([start, { type: 'content_block_start', index: 0, content_block: { type: 'server_tool_use', id: 5, name: 'web_search' } }])).to.throw().with.property('code', 'LIP_ERR_UPSTREAM_MALFORMED');
    });
  });

  describe('decode-response', () => {
    it('decodes a whole answer\'s search blocks and cited text block like the stream', () => {
      const out: LipEvent[] = [];
      new AnthropicResponseDecoder('b', []).decode({
        id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', stop_reason: 'end_turn', usage: { input_tokens: 5, output_tokens: 7 },
        content: [
          { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'shannon' } },
          { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [RESULT] },
          { type: 'text', text: 'Born ', citations: null },
          { type: 'text', text: 'on April 30, 1916', citations: [CITATION] },
        ],
      }, out);
      expect(validateSequence(out)).to.deep.equal([]);
      expect(only(out).filter((e) => e.type !== 'text_delta')).to.deep.equal([
        { type: 'web_search', id: 'srvtoolu_1', status: 'searching', query: 'shannon', dialect: OWN },
        { type: 'web_search', id: 'srvtoolu_1', status: 'completed', query: 'shannon', results: [{ url: RESULT.url, title: RESULT.title, pageAge: RESULT.page_age, encrypted: RESULT.encrypted_content }], dialect: OWN },
        { type: 'citation', url: RESULT.url, title: RESULT.title, citedText: CITATION.cited_text, start: 5, end: 22, encryptedIndex: CITATION.encrypted_index, dialect: OWN },
      ]);
    });

    it('agrees with the stream decoder on emulator scripts with searches and citations', () => {
      const scripts: Script[] = [
        {
          searches: [{ id: 'srvtoolu_a', query: 'claude shannon', results: [{ url: RESULT.url, title: RESULT.title, pageAge: RESULT.page_age, encrypted: 'E1' }] }, { query: 'again', error: 'max_uses_exceeded' }],
          text: ['Claude Shannon was born ', 'on April 30, 1916', ' in Petoskey', '.'],
          citations: [{ delta: 1, url: RESULT.url, title: RESULT.title, citedText: 'April 30, 1916', encryptedIndex: 'I1' }, { delta: 2, url: 'https://p.example' }],
        },
        { searches: [{ query: 'nothing', results: [] }], text: 'No results.', finish: 'stop', rawFinish: 'pause_turn' },
      ];
      for (const script of scripts) {
        const r = decodeBothWays(anthropicProtocol, script, recorded({ model: 'm', stream: true }),
          () => new AnthropicStreamDecoder('b', []), () => new AnthropicResponseDecoder('b', []));
        expect(r.violations).to.deep.equal([]);
        expect(comparable(r.whole), JSON.stringify(script)).to.deep.equal(comparable(r.streamed));
      }
      const r = decodeBothWays(anthropicProtocol, scripts[0]!, recorded({ model: 'm', stream: true }), () => new AnthropicStreamDecoder('b', []), () => new AnthropicResponseDecoder('b', []));
      expect(comparable(r.streamed).citations).to.deep.equal([
        { url: RESULT.url, title: RESULT.title, citedText: 'April 30, 1916', start: 24, end: 41, encryptedIndex: 'I1', dialect: OWN },
        { url: 'https://p.example', citedText: ' in Petoskey', start: 41, end: 53, encryptedIndex: '', dialect: OWN },
      ]);
    });
  });
});
