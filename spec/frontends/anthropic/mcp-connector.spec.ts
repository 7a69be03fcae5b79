import { expect } from 'chai';
import { collectEvents, type Call, type LipEvent } from '../../../lib/canonical/index.js';
import type { LipError } from '../../../lib/errors/index.js';
import { AnthropicStreamEncoder, decodeMessagesRequest, encodeMessagesResponse } from '../../../lib/frontends/anthropic/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { refusalOf } from '../../helpers/refusal.js';
import { accumulate, checkAnthropicWire } from './wire-check.js';

const HOSTED = 'anthropic.server_tool';
const base = { model: 'claude-x', max_tokens: 256 };
const decode = (body: Record<string, unknown>): Call => decodeMessagesRequest({ ...base, messages: [{ role: 'user', content: 'q' }], ...body }).call;
const decodeError = (body: Record<string, unknown>): LipError => refusalOf(() => decode(body));

const SERVER = { type: 'url', url: 'https://mcp.example.com/sse', name: 'docs', authorization_token: 'tok-0123456789', tool_configuration: { enabled: true, allowed_tools: ['search'] } };
const WIKI = { type: 'url', url: 'https://wiki.example.com/mcp', name: 'wiki' };
const TOOLSET = { type: 'mcp_toolset', mcp_server_name: 'docs', default_config: { enabled: false }, configs: { search: { enabled: true, defer_loading: false } } };
const USE = { type: 'mcp_tool_use', id: 'mcptoolu_01', name: 'search', server_name: 'docs', input: { query: 'rate limits' } };
const RESULT = { type: 'mcp_tool_result', tool_use_id: 'mcptoolu_01', is_error: false, content: [{ type: 'text', text: 'Per key.' }] };
const LISTING = { type: 'mcp_tool_listing', mcp_server_name: 'docs', tools: [{ name: 'search', description: null, input_schema: { type: 'object' } }] };

const contextOf = (call: Call): EncodeContext => ({ call, model: undefined, hints: {}, requestId: 'r', created: 1700000000 });
const hosted = (id: string, phase: 'added' | 'progress' | 'done', fields: Record<string, unknown>): LipEvent => ({ type: 'hosted_tool', id, dialect: HOSTED, phase, ...fields });
const inputDelta = (partial_json: string) => ({ update: { type: 'content_block_delta', delta: { type: 'input_json_delta', partial_json } } });

function both(events: readonly LipEvent[]) {
  const call = decode({ mcp_servers: [SERVER], tools: [TOOLSET] });
  const encoder = new AnthropicStreamEncoder(contextOf(call));
  const wire = checkAnthropicWire(events.map((e) => encoder.event(e)).join('') + encoder.end());
  const answer = encodeMessagesResponse(collectEvents(events), contextOf(call));
  return { wire, streamed: accumulate(wire), content: answer.content as Record<string, unknown>[] };
}

/**
 * Anthropic's MCP connector for an Anthropic client: `mcp_servers` and `mcp_toolset` were a 400.
 * Now the servers are carried as written in providerOptions.anthropic, each toolset is a hosted
 * tool (`mcp:<server>`), the blocks of the history hosted parts, and the answer's blocks are
 * written back as the upstream streamed them; what Anthropic would refuse is a 400 naming the field.
 */
describe('frontends/anthropic the MCP connector (mcp_servers, mcp_toolset, the mcp_tool_* blocks)', () => {
  describe('the request', () => {
    it('carries mcp_servers as written and each mcp_toolset as a hosted tool named mcp:<server>, less its cache_control (the cache mark)', () => {
      const call = decode({ mcp_servers: [SERVER, WIKI], tools: [{ ...TOOLSET, cache_control: { type: 'ephemeral', ttl: '1h' } }, { type: 'mcp_toolset', mcp_server_name: 'wiki' }] });
      expect(call.providerOptions).to.deep.equal({ anthropic: { mcpServers: [SERVER, WIKI] } });
      expect(call.tools).to.deep.equal([
        { name: 'mcp:docs', kind: 'hosted', parameters: {}, providerTool: { dialect: HOSTED, definition: TOOLSET }, cache: { ttl: '1h' } },
        { name: 'mcp:wiki', kind: 'hosted', parameters: {}, providerTool: { dialect: HOSTED, definition: { type: 'mcp_toolset', mcp_server_name: 'wiki' } } },
      ]);
    });

    it('takes the servers alone (the 2025-04-04 beta), and an empty or null list as not set', () => {
      expect(decode({ mcp_servers: [SERVER] })).to.deep.include({ tools: [], providerOptions: { anthropic: { mcpServers: [SERVER] } } });
      expect(decode({ mcp_servers: [] })).to.not.have.property('providerOptions');
      expect(decode({ mcp_servers: null })).to.not.have.property('providerOptions');
    });

    it('refuses malformed servers and toolsets with a 400 naming the field', () => {
      const invalid = { status: 400, code: 'LIP_ERR_REQUEST_INVALID' };
      expect(decodeError({ mcp_servers: { docs: SERVER } })).to.deep.include({ ...invalid, param: 'mcp_servers' });
      expect(decodeError({ mcp_servers: [{ ...SERVER, type: 'stdio' }] })).to.deep.include({ ...invalid, message: 'mcp_servers[0].type: must be "url" (got "stdio")' });
      expect(decodeError({ mcp_servers: [WIKI, { type: 'url', name: 'x' }] })).to.deep.include({ ...invalid, message: 'mcp_servers[1].url: is required' });
      expect(decodeError({ mcp_servers: [{ ...SERVER, name: '' }] })).to.deep.include({ ...invalid, param: 'mcp_servers[0].name' });
      expect(decodeError({ mcp_servers: [{ ...SERVER, authorization_token: 7 }] })).to.deep.include({ ...invalid, param: 'mcp_servers[0].authorization_token' });
      expect(decodeError({ mcp_servers: [{ ...SERVER, tool_configuration: { allowed_tools: 'search' } }] })).to.deep.include({ ...invalid, param: 'mcp_servers[0].tool_configuration.allowed_tools' });
      expect(decodeError({ mcp_servers: [SERVER, { ...WIKI, name: 'docs' }] })).to.deep.include({ ...invalid, message: 'mcp_servers[1].name: repeats the MCP server name "docs"' });
      expect(decodeError({ mcp_servers: [SERVER], tools: [{ type: 'mcp_toolset' }] })).to.deep.include({ ...invalid, message: 'tools[0].mcp_server_name: is required' });
      expect(decodeError({ mcp_servers: [SERVER], tools: [{ ...TOOLSET, default_config: { enabled: 'yes' } }] })).to.deep.include({ ...invalid, param: 'tools[0].default_config.enabled' });
      expect(decodeError({ mcp_servers: [SERVER], tools: [{ ...TOOLSET, configs: { search: { defer_loading: 1 } } }] })).to.deep.include({ ...invalid, param: 'tools[0].configs.search.defer_loading' });
      expect(decodeError({ tools: [TOOLSET] })).to.deep.include({ ...invalid, message: 'tools[0].mcp_server_name: names no server of mcp_servers ("docs")' });
      expect(decodeError({ mcp_servers: [SERVER], tools: [TOOLSET, { type: 'mcp_toolset', mcp_server_name: 'docs' }] })).to.deep.include({ ...invalid, message: 'tools[1].mcp_server_name: repeats the mcp_toolset of the MCP server "docs"' });
      // Every other tool still needs its name.
      expect(decodeError({ tools: [{ input_schema: { type: 'object' } }] })).to.deep.include({ ...invalid, message: 'tools[0].name: is required' });
    });

    it('keeps the blocks of an assistant turn in place as hosted parts, as written; refuses them in a user turn and malformed ones with a 400 naming the field', () => {
      const call = decode({
        mcp_servers: [SERVER], tools: [TOOLSET],
        messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [LISTING, { type: 'text', text: 'Looking.' }, { ...USE, cache_control: { type: 'ephemeral' } }, RESULT, { type: 'text', text: 'Per key.' }] }, { role: 'user', content: 'thanks' }],
      });
      expect(call.messages[1]!.parts).to.deep.equal([
        { type: 'hosted_tool', dialect: HOSTED, block: LISTING }, { type: 'text', text: 'Looking.' },
        { type: 'hosted_tool', dialect: HOSTED, block: { ...USE, cache_control: { type: 'ephemeral' } } }, { type: 'hosted_tool', dialect: HOSTED, block: RESULT },
        { type: 'text', text: 'Per key.' },
      ]);
      const turn = (content: unknown[], role = 'assistant') => decodeError({ mcp_servers: [SERVER], messages: [{ role: 'user', content: 'q' }, { role, content }] });
      expect(turn([USE], 'user')).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', message: 'messages[1].content[0].type: mcp_tool_use blocks belong in assistant messages' });
      expect(turn([{ ...USE, server_name: undefined }])).to.deep.include({ param: 'messages[1].content[0].server_name' });
      expect(turn([{ ...RESULT, tool_use_id: '' }])).to.deep.include({ param: 'messages[1].content[0].tool_use_id' });
      expect(turn([{ ...RESULT, content: { text: 'x' } }])).to.deep.include({ param: 'messages[1].content[0].content' });
      expect(turn([{ ...LISTING, tools: undefined }])).to.deep.include({ param: 'messages[1].content[0].tools' });
    });

    it('puts the automatic cache breakpoint on the block before a trailing tool listing (which takes no cache_control)', () => {
      const call = decode({ mcp_servers: [SERVER], cache_control: { type: 'ephemeral' }, messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [RESULT, LISTING] }] });
      expect(call.messages[1]!.parts).to.deep.equal([
        { type: 'hosted_tool', dialect: HOSTED, block: { ...RESULT, cache_control: { type: 'ephemeral' } } }, { type: 'hosted_tool', dialect: HOSTED, block: LISTING },
      ]);
    });
  });

  describe('the answer', () => {
    const start: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }];

    it('streams an mcp_tool_use as the upstream did (the start, its input deltas, the stop), the result and listing whole, and puts them in place in the whole answer', () => {
      const { wire, streamed, content } = both([
        ...start, hosted('mcp_tool_listing@0', 'added', { block: LISTING }), hosted('mcp_tool_listing@0', 'done', { block: LISTING }),
        hosted('mcptoolu_01', 'added', { block: { ...USE, input: {} } }),
        hosted('mcptoolu_01', 'progress', inputDelta('{"query":')), hosted('mcptoolu_01', 'progress', inputDelta('"rate limits"}')),
        hosted('mcptoolu_01', 'done', { block: USE }),
        hosted('r', 'added', { block: RESULT }), hosted('r', 'done', { block: RESULT }),
        { type: 'text_delta', text: 'Per key.' }, { type: 'response_finished', reason: 'stop' },
      ]);
      const expected = [LISTING, USE, RESULT, { type: 'text', text: 'Per key.' }];
      expect(streamed).to.deep.equal(expected);
      expect(content).to.deep.equal(expected);
      const starts = wire.filter((e) => e.event === 'content_block_start').map((e) => e.data.content_block);
      expect(starts.slice(0, 3)).to.deep.equal([LISTING, { ...USE, input: {} }, RESULT]);
      expect(wire.filter((e) => e.event === 'content_block_delta' && e.data.index === 1).map((e) => e.data.delta)).to.deep.equal([
        { type: 'input_json_delta', partial_json: '{"query":' }, { type: 'input_json_delta', partial_json: '"rate limits"}' },
      ]);
    });

    it('writes an mcp_tool_use that comes only done (a whole upstream answer) as an empty input and one input_json_delta', () => {
      const { wire, streamed } = both([...start, hosted('mcptoolu_01', 'done', { block: USE }), hosted('r', 'done', { block: RESULT }), { type: 'response_finished', reason: 'stop' }]);
      expect(streamed).to.deep.equal([USE, RESULT]);
      expect(wire.slice(2, 5).map((e) => [e.event, e.data.content_block ?? e.data.delta])).to.deep.equal([
        ['content_block_start', { ...USE, input: {} }], ['content_block_delta', { type: 'input_json_delta', partial_json: '{"query":"rate limits"}' }], ['content_block_stop', undefined],
      ]);
    });
  });
});
