import { expect } from 'chai';
import { anthropicOptions, AnthropicResponseDecoder, AnthropicStreamDecoder, encodeAnthropicRequest } from '../../../lib/backends/anthropic/index.js';
import { collectEvents, emptyCall, validateSequence, type Call, type HostedToolPart, type LipEvent, type ToolDefinition } from '../../../lib/canonical/index.js';
import { anthropicProtocol, type Script } from '../../helpers/emulators/index.js';
import { decodeAnthropicFrames } from './decode-frames.js';
import { comparable, decodeBothWays, recorded } from '../decode-both-ways.js';

const HOSTED = 'anthropic.server_tool';
const o = anthropicOptions({ id: 'b', kind: 'anthropic', models: [] });
const call = (overrides: Partial<Call>): Call => emptyCall({ model: 'x', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], ...overrides });
const part = (block: Record<string, unknown>): HostedToolPart => ({ type: 'hosted_tool', dialect: HOSTED, block });

const SERVERS = [
  { type: 'url', url: 'https://mcp.example.com/sse', name: 'docs', authorization_token: 'tok-0123456789', tool_configuration: { enabled: true, allowed_tools: ['search'] } },
  { type: 'url', url: 'https://wiki.example.com/mcp', name: 'wiki' },
];
const TOOLSET = { type: 'mcp_toolset', mcp_server_name: 'docs', default_config: { defer_loading: false }, configs: { search: { enabled: true } } };
const toolset: ToolDefinition = { name: 'mcp:docs', kind: 'hosted', parameters: {}, providerTool: { dialect: HOSTED, definition: TOOLSET }, cache: { ttl: '1h' } };
const USE = { type: 'mcp_tool_use', id: 'mcptoolu_01', name: 'search', server_name: 'docs', input: { query: 'rate limits', limit: 3 } };
const RESULT = { type: 'mcp_tool_result', tool_use_id: 'mcptoolu_01', is_error: false, content: [{ type: 'text', text: 'Rate limits are per key.' }] };
const LISTING = { type: 'mcp_tool_listing', mcp_server_name: 'docs', tools: [{ name: 'search', description: 'Search the docs', input_schema: { type: 'object' } }] };

const decodeStream = decodeAnthropicFrames;
const hostedEvents = (events: LipEvent[]) => events.filter((e) => e.type === 'hosted_tool');

/**
 * Anthropic's MCP connector through an anthropic backend: the toolset goes up as declared, the
 * servers as written (their tokens included: Anthropic needs them), the blocks of the history in
 * place; the answer's mcp_tool_use (its input streamed as input_json_delta), mcp_tool_result and
 * mcp_tool_listing come back as hosted events carrying the blocks as written.
 */
describe('backends/anthropic the MCP connector (mcp_servers, mcp_toolset, mcp_tool_use / _result / _listing)', () => {
  describe('encode-request', () => {
    it('sends the toolset as declared with its cache mark and mcp_servers as written, also without provider_options, and to count_tokens', () => {
      const c = call({ tools: [toolset], providerOptions: { anthropic: { mcpServers: SERVERS } } });
      const body = encodeAnthropicRequest(c, 'claude', o);
      expect(body.tools).to.deep.equal([{ ...TOOLSET, cache_control: { type: 'ephemeral', ttl: '1h' } }]);
      expect(body.mcp_servers).to.deep.equal(SERVERS);
      const off = anthropicOptions({ id: 'b', kind: 'anthropic', models: [], provider_options: false });
      expect(encodeAnthropicRequest(c, 'claude', off).mcp_servers).to.deep.equal(SERVERS);
      expect(encodeAnthropicRequest(call({}), 'claude', o)).to.not.have.property('mcp_servers');
    });

    it('sends the servers alone (the 2025-04-04 beta: no toolset), and the history\'s MCP blocks in place exactly as written', () => {
      const history: Call['messages'] = [
        { role: 'user', parts: [{ type: 'text', text: 'What are the rate limits?' }] },
        { role: 'assistant', parts: [part(LISTING), { type: 'text', text: 'Searching.' }, part(USE), part({ ...RESULT, cache_control: { type: 'ephemeral' } }), { type: 'text', text: 'Per key.' }] },
        { role: 'user', parts: [{ type: 'text', text: 'Thanks' }] },
      ];
      const body = encodeAnthropicRequest(call({ messages: history, providerOptions: { anthropic: { mcpServers: SERVERS } } }), 'claude', o);
      expect(body).to.not.have.property('tools');
      expect(body.mcp_servers).to.deep.equal(SERVERS);
      expect(body.messages).to.deep.equal([
        { role: 'user', content: [{ type: 'text', text: 'What are the rate limits?' }] },
        { role: 'assistant', content: [LISTING, { type: 'text', text: 'Searching.' }, USE, { ...RESULT, cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Per key.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
      ]);
    });
  });

  describe('decode-stream', () => {
    const frames = [
      { type: 'message_start', message: { id: 'msg_1', model: 'claude', usage: { input_tokens: 10, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: LISTING },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { ...USE, input: {} } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"query": "rate ' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: 'limits", "limit": 3}' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: RESULT },
      { type: 'content_block_stop', index: 2 },
      { type: 'content_block_start', index: 3, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 3, delta: { type: 'text_delta', text: 'Per key.' } },
      { type: 'content_block_stop', index: 3 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 9 } },
      { type: 'message_stop' },
    ];

    it('reports an mcp_tool_use added as it started, its input deltas as progress, done with the input parsed; the result and the listing added and done', () => {
      const events = decodeStream(frames);
      const delta = (partial_json: string) => ({ type: 'content_block_delta', delta: { type: 'input_json_delta', partial_json } });
      expect(hostedEvents(events)).to.deep.equal([
        { type: 'hosted_tool', id: 'mcp_tool_listing@0', dialect: HOSTED, phase: 'added', block: LISTING },
        { type: 'hosted_tool', id: 'mcp_tool_listing@0', dialect: HOSTED, phase: 'done', block: LISTING },
        { type: 'hosted_tool', id: 'mcptoolu_01', dialect: HOSTED, phase: 'added', block: { ...USE, input: {} } },
        { type: 'hosted_tool', id: 'mcptoolu_01', dialect: HOSTED, phase: 'progress', update: delta('{"query": "rate ') },
        { type: 'hosted_tool', id: 'mcptoolu_01', dialect: HOSTED, phase: 'progress', update: delta('limits", "limit": 3}') },
        { type: 'hosted_tool', id: 'mcptoolu_01', dialect: HOSTED, phase: 'done', block: USE },
        { type: 'hosted_tool', id: 'mcptoolu_01:mcp_tool_result', dialect: HOSTED, phase: 'added', block: RESULT },
        { type: 'hosted_tool', id: 'mcptoolu_01:mcp_tool_result', dialect: HOSTED, phase: 'done', block: RESULT },
      ]);
      expect(events.filter((e) => e.type === 'tool_call_started')).to.deep.equal([]);
      const collected = collectEvents(events);
      expect(collected.blocks.map((b) => (b.type === 'hosted_tool' ? b.block : b.type))).to.deep.equal([LISTING, USE, RESULT, 'text']);
      expect(collected.finishReason).to.equal('stop');
    });

    it('keeps the start\'s input when the streamed one is cut off', () => {
      const cut = decodeStream([frames[0], frames[3], frames[4], frames[6], frames[12], frames[13]]);
      expect(hostedEvents(cut).at(-1)).to.deep.equal({ type: 'hosted_tool', id: 'mcptoolu_01', dialect: HOSTED, phase: 'done', block: { ...USE, input: {} } });
    });

    it('a whole answer gives each block once, done, as written; streamed and whole collect to the same answer', () => {
      const out: LipEvent[] = [];
      new AnthropicResponseDecoder('b', []).decode({ id: 'msg_1', model: 'claude', content: [LISTING, USE, RESULT, { type: 'text', text: 'Per key.' }], stop_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 4 } }, out);
      expect(validateSequence(out)).to.deep.equal([]);
      expect(hostedEvents(out)).to.deep.equal([
        { type: 'hosted_tool', id: 'mcp_tool_listing@0', dialect: HOSTED, phase: 'done', block: LISTING },
        { type: 'hosted_tool', id: 'mcptoolu_01', dialect: HOSTED, phase: 'done', block: USE },
        { type: 'hosted_tool', id: 'mcptoolu_01:mcp_tool_result', dialect: HOSTED, phase: 'done', block: RESULT },
      ]);
      const script: Script = { hosted: [LISTING, USE, RESULT], text: ['Per ', 'key.'] };
      const r = decodeBothWays(anthropicProtocol, script, recorded({ model: 'm', stream: true }), () => new AnthropicStreamDecoder('b', []), () => new AnthropicResponseDecoder('b', []));
      expect(r.violations).to.deep.equal([]);
      expect(comparable(r.whole)).to.deep.equal(comparable(r.streamed));
      expect(comparable(r.streamed).blocks.map((b) => (b.type === 'hosted_tool' ? b.block : b.type))).to.deep.equal([LISTING, USE, RESULT, 'text']);
    });
  });
});
