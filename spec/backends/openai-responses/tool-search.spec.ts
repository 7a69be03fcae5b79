import { expect } from 'chai';
import { ResponsesResponseDecoder, encodeResponsesRequest, responsesOptions } from '../../../lib/backends/openai-responses/index.js';
import { codexOptions, encodeCodexRequest } from '../../../lib/backends/openai-codex/index.js';
import { HOSTED_DIALECTS, TOOL_SEARCH_DIALECTS, emptyCall, validateSequence, type Call, type LipEvent, type ToolDefinition } from '../../../lib/canonical/index.js';

import { drain, startOpenAIResponsesEmulator, useEmulatedBackend } from '../../helpers/emulators/index.js';
import { decodeResponsesFrames } from './decode-frames.js';

type Json = Record<string, any>;

const params = { type: 'object', properties: {} };
const shell: ToolDefinition = { name: 'shell', parameters: params };
const create: ToolDefinition = { name: 'create_event', description: 'Create', parameters: params, namespace: 'mcp__calendar', namespaceDescription: 'Calendar', deferLoading: true };
const list: ToolDefinition = { name: 'list', parameters: params, namespace: 'mcp__github', deferLoading: true };
const remove: ToolDefinition = { name: 'delete_event', parameters: params, namespace: 'mcp__calendar', deferLoading: true };
const search: ToolDefinition = { name: 'tool_search', description: 'Find tools', parameters: { type: 'object', properties: { query: { type: 'string' } } }, kind: 'tool_search' };
const RECORD = { type: 'tool_search_output', id: 'tso_9', call_id: 'sealed_or_not', execution: 'client', status: 'completed', tools: [{ type: 'function', name: 'weather', defer_loading: true }] };

const call = (tools: ToolDefinition[]): Call => emptyCall({
  model: 'm', tools,
  messages: [
    { role: 'user', parts: [{ type: 'text', text: 'go' }] },
    { role: 'assistant', parts: [{ type: 'tool_call', id: 'ts1', name: 'tool_search', arguments: '{"query":"cal"}' }, { type: 'tool_call', id: 'c1', name: 'create_event', namespace: 'mcp__calendar', arguments: '{}' }] },
    {
      role: 'tool', parts: [
        { type: 'tool_result', callId: 'ts1', content: [{ type: 'tool_reference', name: 'weather' }], loaded: { tools: [{ name: 'weather', parameters: params, deferLoading: true }], dialect: TOOL_SEARCH_DIALECTS.openaiResponses, record: RECORD } },
        { type: 'tool_result', callId: 'c1', content: 'ok' },
      ],
    },
  ],
});
const encode = (c: Call) => encodeResponsesRequest(c, 'gpt-5.4', responsesOptions({ id: 'or', kind: 'openai-responses', models: [] })) as Json;

function decode(frames: Json[]): LipEvent[] {
  const out = decodeResponsesFrames([{ type: 'response.created', response: { id: 'r' } }, ...frames, { type: 'response.completed', response: { status: 'completed' } }]);
  expect(validateSequence(out)).to.deep.equal([]);
  return out;
}

describe('backends/openai-responses tool search and namespaces', () => {
  describe('the request', () => {
    it('groups namespaced tools back into namespaces, in declaration order, with defer_loading beside the tool search', () => {
      const body = encode(call([shell, create, search, list, remove]));
      expect(body.tools).to.deep.equal([
        { type: 'function', name: 'shell', parameters: params, strict: false },
        {
          type: 'namespace', name: 'mcp__calendar', description: 'Calendar', tools: [
            { type: 'function', name: 'create_event', description: 'Create', parameters: params, strict: false, defer_loading: true },
            { type: 'function', name: 'delete_event', parameters: params, strict: false, defer_loading: true },
          ],
        },
        { type: 'tool_search', execution: 'client', description: 'Find tools', parameters: search.parameters },
        { type: 'namespace', name: 'mcp__github', description: '', tools: [{ type: 'function', name: 'list', parameters: params, strict: false, defer_loading: true }] },
      ]);
    });

    it('sends no defer_loading without a tool search (Claude Code\'s deferred tools are declared in full here); OpenAI\'s own search counts as one', () => {
      expect(JSON.stringify(encode(call([shell, { ...shell, name: 'late', deferLoading: true }])).tools)).not.to.contain('defer_loading');
      const hosted: ToolDefinition = { name: 'tool_search', parameters: {}, kind: 'hosted', optional: true, providerTool: { dialect: HOSTED_DIALECTS.openaiResponses, definition: { type: 'tool_search' } } };
      const body = encode(call([create, hosted]));
      expect(body.tools[1]).to.deep.equal({ type: 'tool_search' });
      expect(body.tools[0].tools[0].defer_loading).to.equal(true);
    });

    it('sends the search call as a tool_search_call, its answer as the item the client wrote, a namespaced call with its namespace', () => {
      const input = encode(call([shell, create, search])).input as Json[];
      expect(input.slice(1)).to.deep.equal([
        { type: 'tool_search_call', call_id: 'ts1', execution: 'client', status: 'completed', arguments: { query: 'cal' } },
        { type: 'function_call', call_id: 'c1', name: 'create_event', arguments: '{}', namespace: 'mcp__calendar' },
        { type: 'tool_search_output', call_id: 'ts1', execution: 'client', status: 'completed', tools: RECORD.tools },
        { type: 'function_call_output', call_id: 'c1', output: 'ok' },
      ]);
    });

    it('openai-codex sends them the same way, leaves OpenAI\'s own search out, and keeps its function strictness', () => {
      const hosted: ToolDefinition = { name: 'tool_search', parameters: {}, kind: 'hosted', optional: true, providerTool: { dialect: HOSTED_DIALECTS.openaiResponses, definition: { type: 'tool_search' } } };
      const body = encodeCodexRequest(call([shell, create, search, hosted]), 'gpt-5.4', codexOptions({ id: 'cx', kind: 'openai-codex', models: [] }), { conversationId: 'c', turn: 1, bump: false }) as Json;
      expect(body.tools.map((t: Json) => t.type)).to.deep.equal(['function', 'namespace', 'tool_search']);
      expect(body.tools[1].tools[0]).to.include({ name: 'create_event', defer_loading: true });
      expect(body.input.map((i: Json) => i.type)).to.include.members(['tool_search_call', 'tool_search_output']);
    });
  });

  describe('the answer', () => {
    it('reads a function_call\'s namespace and a client tool_search_call as a call of the search, its arguments whole when done', () => {
      const fc = { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'create_event', namespace: 'mcp__calendar', arguments: '' };
      const ts = { id: 'tsc_1', type: 'tool_search_call', call_id: 'call_2', execution: 'client', status: 'in_progress', arguments: {} };
      const out = decode([
        { type: 'response.output_item.added', output_index: 0, item: fc },
        { type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 0, delta: '{}' },
        { type: 'response.output_item.done', output_index: 0, item: { ...fc, arguments: '{}' } },
        { type: 'response.output_item.added', output_index: 1, item: ts },
        { type: 'response.output_item.done', output_index: 1, item: { ...ts, status: 'completed', arguments: { query: 'weather', limit: 2 } } },
      ]);
      expect(out.filter((e) => e.type.startsWith('tool_call'))).to.deep.equal([
        { type: 'tool_call_started', id: 'call_1', name: 'create_event', namespace: 'mcp__calendar' },
        { type: 'tool_call_delta', id: 'call_1', args: '{}' },
        { type: 'tool_call_finished', id: 'call_1' },
        { type: 'tool_call_started', id: 'call_2', name: 'tool_search' },
        { type: 'tool_call_delta', id: 'call_2', args: '{"query":"weather","limit":2}' },
        { type: 'tool_call_finished', id: 'call_2' },
      ]);
    });

    it('reads OpenAI\'s own search items as hosted items, streamed and whole', () => {
      const call = { id: 'tsc_s', type: 'tool_search_call', call_id: null, execution: 'server', status: 'completed', arguments: { query: 'x' } };
      const output = { id: 'tso_s', type: 'tool_search_output', call_id: null, execution: 'server', status: 'completed', tools: [] };
      const streamed = decode([{ type: 'response.output_item.added', output_index: 0, item: call }, { type: 'response.output_item.done', output_index: 0, item: call }, { type: 'response.output_item.done', output_index: 1, item: output }]);
      expect(streamed.filter((e) => e.type === 'hosted_tool').map((e) => [(e as Json).phase, (e as Json).block.type])).to.deep.equal([['added', 'tool_search_call'], ['done', 'tool_search_call'], ['done', 'tool_search_output']]);
      expect(streamed.some((e) => e.type === 'tool_call_started')).to.equal(false);
      const whole: LipEvent[] = [];
      new ResponsesResponseDecoder('b', []).decode({ id: 'r', status: 'completed', output: [call, output] }, whole);
      expect(whole.filter((e) => e.type === 'hosted_tool').map((e) => (e as Json).phase)).to.deep.equal(['done', 'done']);
    });
  });
});

/**
 * `tool_namespaces: flatten`: a Responses endpoint without namespaces or OpenAI's tool search
 * gets what every other provider gets (plain functions, the search a function), and the model's
 * call of a flattened name still reaches the client with its namespace.
 */
describe('backends/openai-responses tool_namespaces: flatten', () => {
  const up = useEmulatedBackend(startOpenAIResponsesEmulator, (url) => `  - { id: or, kind: openai-responses, base_url: "${url}", api_key: k-0123456789, tool_namespaces: flatten }`, 'or');

  it('sends plain functions and maps the model\'s call back to its namespace', async () => {
    up.emulator().reset();
    up.emulator().enqueue({ toolCalls: [{ id: 'call_1', name: 'mcp__calendar__create_event', args: '{}' }] });
    const { events, error } = await drain(up.backend().stream(emptyCall({ model: 'm', tools: [create, search], messages: [{ role: 'user', parts: [{ type: 'text', text: 'go' }] }] }), { model: 'gpt-5.4', candidateKey: 'or:gpt-5.4' }));
    expect(error).to.equal(undefined);
    const tools = (up.emulator().requests[0]!.body as Json).tools as Json[];
    expect(tools.map((t) => [t.type, t.name])).to.deep.equal([['function', 'mcp__calendar__create_event'], ['function', 'tool_search']]);
    expect(JSON.stringify(tools)).to.not.contain('defer_loading');
    expect(events.find((e) => e.type === 'tool_call_started')).to.deep.include({ name: 'create_event', namespace: 'mcp__calendar' });
  });
});
