import { expect } from 'chai';
import { anthropicOptions, AnthropicResponseDecoder, AnthropicStreamDecoder, encodeAnthropicRequest } from '../../../lib/backends/anthropic/index.js';
import { anthropicHeaders } from '../../../lib/backends/anthropic/source.js';
import { collectEvents, emptyCall, validateSequence, type Call, type HostedToolPart, type LipEvent, type ToolDefinition } from '../../../lib/canonical/index.js';
import { anthropicProtocol, drain, startAnthropicEmulator, useEmulatedBackend, type Script } from '../../helpers/emulators/index.js';
import { decodeAnthropicFrames } from './decode-frames.js';
import { comparable, decodeBothWays, recorded, thrownBy } from '../decode-both-ways.js';

const HOSTED = 'anthropic.server_tool';
const o = anthropicOptions({ id: 'b', kind: 'anthropic', models: [] });
const call = (overrides: Partial<Call>): Call => emptyCall({ model: 'x', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], ...overrides });
const hostedTool = (definition: Record<string, unknown>, extra: Partial<ToolDefinition> = {}): ToolDefinition => ({
  name: String(definition.name), kind: 'hosted', parameters: {}, providerTool: { dialect: HOSTED, definition }, ...extra,
});
const part = (block: Record<string, unknown>, dialect = HOSTED): HostedToolPart => ({ type: 'hosted_tool', dialect, block });

const CODE = { type: 'code_execution_20250825', name: 'code_execution' };
const USE = { type: 'server_tool_use', id: 'srvtoolu_01', name: 'bash_code_execution', input: { command: 'ls -la' } };
const RAN = { type: 'bash_code_execution_tool_result', tool_use_id: 'srvtoolu_01', content: { type: 'bash_code_execution_result', stdout: 'a.txt\n', stderr: '', return_code: 0, content: [] } };
const CONTAINER = { id: 'container_011CQ', expires_at: '2025-09-10T01:00:00Z', skills: null };

const decodeStream = decodeAnthropicFrames;
const start = { type: 'message_start', message: { id: 'msg_1', model: 'claude', usage: { input_tokens: 10, output_tokens: 1 }, container: null } };
const stop = (reason = 'end_turn', delta: Record<string, unknown> = {}) => [
  { type: 'message_delta', delta: { stop_reason: reason, stop_sequence: null, ...delta }, usage: { output_tokens: 9, server_tool_use: { web_search_requests: 0, web_fetch_requests: 1 } } },
  { type: 'message_stop' },
];
const hostedEvents = (events: LipEvent[]) => events.filter((e) => e.type === 'hosted_tool');

describe('backends/anthropic hosted server tools (web fetch, code execution, tool search)', () => {
  describe('encode-request', () => {
    it('sends the declarations as written with the cache mark, the container as written (also without provider_options), no beta of its own', () => {
      const fetch = { type: 'web_fetch_20250910', name: 'web_fetch', max_uses: 2, allowed_callers: ['direct'], some_new_field: true };
      const given = call({
        tools: [hostedTool(CODE, { cache: { ttl: '1h' } }), hostedTool(fetch), { name: 'f', parameters: { type: 'object' } }],
        providerOptions: { anthropic: { container: { id: 'container_011CQ', skills: [{ type: 'anthropic', skill_id: 'xlsx', version: 'latest' }] } } },
      });
      const body = encodeAnthropicRequest(given, 'claude', o);
      expect(body.tools).to.deep.equal([{ ...CODE, cache_control: { type: 'ephemeral', ttl: '1h' } }, fetch, { name: 'f', input_schema: { type: 'object' } }]);
      expect(body.container).to.deep.equal(given.providerOptions!.anthropic!.container);
      expect(encodeAnthropicRequest({ ...given, providerOptions: { anthropic: { container: 'container_011CQ' } } }, 'claude', { ...o, providerOptions: false }).container).to.equal('container_011CQ');
      expect(encodeAnthropicRequest(call({ tools: [hostedTool(CODE)] }), 'claude', o)).to.not.have.property('container');
      expect(anthropicHeaders(o, 'k', 'text/event-stream', undefined)).to.not.have.property('anthropic-beta');
    });

    it('sends the history\'s hosted blocks in place exactly as written (cache_control in them included), in user and assistant turns', () => {
      const marked = { ...RAN, cache_control: { type: 'ephemeral' } };
      const upload = { type: 'container_upload', file_id: 'file_011' };
      const body = encodeAnthropicRequest(call({
        tools: [hostedTool(CODE)],
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'Look at this file.' }, part(upload)] },
          { role: 'assistant', parts: [{ type: 'text', text: 'Listing.' }, part(USE), part(marked), { type: 'text', text: 'One file.' }] },
          { role: 'user', parts: [{ type: 'text', text: 'Thanks' }] },
        ],
      }), 'claude', o);
      expect(body.messages).to.deep.equal([
        { role: 'user', content: [{ type: 'text', text: 'Look at this file.' }, upload] },
        { role: 'assistant', content: [{ type: 'text', text: 'Listing.' }, USE, marked, { type: 'text', text: 'One file.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
      ]);
    });

    it('refuses, before sending and retryably, another provider\'s hosted tool; leaves its history blocks out', () => {
      const err = thrownBy(() => encodeAnthropicRequest(call({ tools: [{ name: 'code_interpreter', kind: 'hosted', parameters: {}, providerTool: { dialect: 'openai.responses.hosted_tool', definition: { type: 'code_interpreter' } } }] }), 'claude', o));
      expect(err).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
      const body = encodeAnthropicRequest(call({
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'q' }] },
          { role: 'assistant', parts: [part({ type: 'code_interpreter_call', id: 'ci_1' }, 'openai.responses.hosted_tool'), { type: 'text', text: 'a' }] },
        ],
      }), 'claude', o);
      expect((body.messages as { content: unknown[] }[])[1]!.content).to.deep.equal([{ type: 'text', text: 'a' }]);
    });
  });

  describe('decode-stream', () => {
    const frames = [
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Listing.' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { ...USE, input: {} } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"command": ' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"ls -la"}' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: RAN },
      { type: 'content_block_stop', index: 2 },
      ...stop('end_turn', { container: CONTAINER }),
    ];

    it('reports a server_tool_use added as it started, each delta as progress, done with the streamed input parsed; a result added and done; the container before the end', () => {
      const events = decodeStream(frames);
      expect(hostedEvents(events)).to.deep.equal([
        { type: 'hosted_tool', id: 'srvtoolu_01', dialect: HOSTED, phase: 'added', block: { ...USE, input: {} } },
        { type: 'hosted_tool', id: 'srvtoolu_01', dialect: HOSTED, phase: 'progress', update: { type: 'content_block_delta', delta: { type: 'input_json_delta', partial_json: '{"command": ' } } },
        { type: 'hosted_tool', id: 'srvtoolu_01', dialect: HOSTED, phase: 'progress', update: { type: 'content_block_delta', delta: { type: 'input_json_delta', partial_json: '"ls -la"}' } } },
        { type: 'hosted_tool', id: 'srvtoolu_01', dialect: HOSTED, phase: 'done', block: USE },
        { type: 'hosted_tool', id: 'srvtoolu_01:bash_code_execution_tool_result', dialect: HOSTED, phase: 'added', block: RAN },
        { type: 'hosted_tool', id: 'srvtoolu_01:bash_code_execution_tool_result', dialect: HOSTED, phase: 'done', block: RAN },
        { type: 'hosted_tool', id: CONTAINER.id, dialect: HOSTED, phase: 'done', block: CONTAINER, scope: 'message' },
      ]);
      expect(events.at(-2)).to.deep.include({ scope: 'message' });
      expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'stop' });
      const collected = collectEvents(events);
      expect(collected.blocks.map((b) => (b.type === 'hosted_tool' ? b.block : b.type))).to.deep.equal(['text', USE, RAN, CONTAINER]);
      expect(collected.finishReason).to.equal('stop');
    });

    it('a whole answer gives each block once, done, as written, and its container; both ways collect to the same answer', () => {
      const out: LipEvent[] = [];
      new AnthropicResponseDecoder('b', []).decode({ id: 'msg_1', model: 'claude', content: [{ type: 'text', text: 'Listing.' }, USE, RAN], stop_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 4 }, container: CONTAINER }, out);
      expect(validateSequence(out)).to.deep.equal([]);
      expect(hostedEvents(out)).to.deep.equal([
        { type: 'hosted_tool', id: 'srvtoolu_01', dialect: HOSTED, phase: 'done', block: USE },
        { type: 'hosted_tool', id: 'srvtoolu_01:bash_code_execution_tool_result', dialect: HOSTED, phase: 'done', block: RAN },
        { type: 'hosted_tool', id: CONTAINER.id, dialect: HOSTED, phase: 'done', block: CONTAINER, scope: 'message' },
      ]);
      const fetch = { type: 'server_tool_use', id: 'srvtoolu_02', name: 'web_fetch', input: { url: 'https://example.com/a' } };
      const fetched = { type: 'web_fetch_tool_result', tool_use_id: 'srvtoolu_02', content: { type: 'web_fetch_tool_result_error', error_code: 'url_not_accessible' } };
      const script: Script = { hosted: [USE, RAN, fetch, fetched, { type: 'container_upload', file_id: 'file_1' }], text: ['Done', '.'], hostedMeta: CONTAINER };
      const r = decodeBothWays(anthropicProtocol, script, recorded({ model: 'm', stream: true }), () => new AnthropicStreamDecoder('b', []), () => new AnthropicResponseDecoder('b', []));
      expect(r.violations).to.deep.equal([]);
      expect(comparable(r.whole)).to.deep.equal(comparable(r.streamed));
      expect(comparable(r.streamed).blocks.map((b) => (b.type === 'hosted_tool' ? b.block : b.type))).to.deep.equal([USE, RAN, fetch, fetched, { type: 'container_upload', file_id: 'file_1' }, 'text', CONTAINER]);
    });

    it('passes a malformed block as data: no id (an id of its own type and place), a repeated id, a cut-off input, a delta that is not an object, a block never stopped', () => {
      const events = decodeStream([
        start,
        { type: 'content_block_start', index: 0, content_block: { type: 'server_tool_use', name: 'code_execution', input: {} } },
        { type: 'content_block_delta', index: 0, delta: 'not an object' },
        { type: 'content_block_stop', index: 0 },
        { type: 'content_block_start', index: 1, content_block: { type: 'code_execution_tool_result', content: 7 } },
        { type: 'content_block_stop', index: 1 },
        { type: 'content_block_start', index: 2, content_block: { ...USE, input: {} } },
        { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"command": "ls' } },
        { type: 'content_block_stop', index: 2 },
        { type: 'content_block_start', index: 3, content_block: { ...USE, input: 'weird' } },
        ...stop('pause_turn', { container: 'not an object' }),
      ]);
      expect(hostedEvents(events).filter((e) => e.phase === 'done').map((e) => [e.id, e.block])).to.deep.equal([
        ['server_tool_use@0', { type: 'server_tool_use', name: 'code_execution', input: {} }],
        ['code_execution_tool_result@1', { type: 'code_execution_tool_result', content: 7 }],
        ['srvtoolu_01', { ...USE, input: {} }],
        ['srvtoolu_01#3.3', { ...USE, input: 'weird' }],
      ]);
      expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'other', raw: 'pause_turn' });
    });

    it('fails the attempt (a LipError, never a crash) on a server_tool_use input nested too deep', () => {
      const deep = '{"a":'.repeat(300);
      const err = thrownBy(() => decodeStream([start, { type: 'content_block_start', index: 0, content_block: { ...USE, input: {} } }, { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: deep } }]));
      expect(err.code).to.equal('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED');
    });
  });

  describe('a paused turn (pause_turn)', () => {
    const up = useEmulatedBackend(startAnthropicEmulator, (url) => `  - { id: a, kind: anthropic, base_url: "${url}", api_key: k-0123456789 }`, 'a');
    const search: ToolDefinition = { name: 'web_search', kind: 'web_search', parameters: {} };
    const run = async (tools: ToolDefinition[]) => {
      up.emulator().reset();
      up.emulator().enqueue({ hosted: [USE, RAN], text: 'Paused. ', rawFinish: 'pause_turn', hostedMeta: CONTAINER }, { text: 'Continued.' });
      const { events, error } = await drain(up.backend().stream(call({ tools }), { model: 'm', candidateKey: 'a:m' }));
      expect(error).to.equal(undefined);
      return { events, requests: up.emulator().requests.length };
    };

    it('passes the pause through when the call declares another server tool (the Anthropic client continues with its container)', async () => {
      const { events, requests } = await run([search, hostedTool(CODE)]);
      expect(requests).to.equal(1);
      expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'other', raw: 'pause_turn' });
    });

    it('still continues a turn of web search alone upstream, in the container the paused part ran in (reported once)', async () => {
      const { events, requests } = await run([search]);
      expect(requests).to.equal(2);
      expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'stop' });
      expect((up.emulator().requests[1]!.body as { container?: unknown }).container).to.equal(CONTAINER.id);
      expect(events.filter((e) => e.type === 'hosted_tool' && e.scope === 'message')).to.have.length(1);
      expect(validateSequence(events)).to.deep.equal([]);
    });
  });
});
