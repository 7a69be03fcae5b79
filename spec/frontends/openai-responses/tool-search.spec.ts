import { expect } from 'chai';
import { HOSTED_DIALECTS, TOOL_SEARCH_DIALECTS, collectEvents, type LipEvent } from '../../../lib/canonical/index.js';
import { ResponsesStreamEncoder, decodeResponsesRequest, encodeInputItems, encodeResponsesResponse } from '../../../lib/frontends/openai-responses/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { checkResponsesWire } from './wire-check.js';
import { refusalOf } from '../../helpers/refusal.js';

type Json = Record<string, any>;

const CREATE = { type: 'function', name: 'create_event', description: 'Create', parameters: { type: 'object' }, strict: false, defer_loading: true };
const CALENDAR = { type: 'namespace', name: 'mcp__calendar', description: 'Calendar', tools: [CREATE, { type: 'custom', name: 'note' }] };
const SEARCH = { type: 'tool_search', execution: 'client', description: 'Find tools', parameters: { type: 'object', properties: { query: { type: 'string' } } } };
const OUTPUT = { type: 'tool_search_output', call_id: 'ts1', execution: 'client', status: 'completed', tools: [CALENDAR, { type: 'function', name: 'weather' }] };

const decode = (body: Json) => decodeResponsesRequest({ model: 'gpt-5.4', input: 'go', ...body });
const refusal = (body: Json) => refusalOf(() => decode(body));

function contextOf(body: Json = { tools: [CALENDAR, SEARCH] }): EncodeContext {
  const decoded = decode(body);
  return { call: decoded.call, model: undefined, hints: decoded.hints!, requestId: 'r', created: 1_700_000_000, responseId: 'resp_0123456789abcdef0123456789abcdef0123456789abcdef' };
}

const CALLS: LipEvent[] = [
  { type: 'response_started' }, { type: 'message_started' },
  { type: 'tool_call_started', id: 'c1', name: 'create_event', namespace: 'mcp__calendar' },
  { type: 'tool_call_delta', id: 'c1', args: '{"title":' }, { type: 'tool_call_delta', id: 'c1', args: '"x"}' },
  { type: 'tool_call_finished', id: 'c1' },
  { type: 'tool_call_started', id: 'ts2', name: 'tool_search' },
  { type: 'tool_call_delta', id: 'ts2', args: '{"query":"weather"}' },
  { type: 'tool_call_finished', id: 'ts2' },
  { type: 'response_finished', reason: 'tool_calls' },
];

describe('frontends/openai-responses tool search and namespaces', () => {
  describe('the request', () => {
    it('decodes a namespace into its tools, each with the namespace, its description and deferral', () => {
      const tools = decode({ tools: [CALENDAR] }).call.tools;
      expect(tools).to.deep.equal([
        { name: 'create_event', description: 'Create', parameters: { type: 'object' }, strict: false, deferLoading: true, namespace: 'mcp__calendar', namespaceDescription: 'Calendar' },
        { name: 'note', parameters: tools[1]!.parameters, kind: 'custom', namespace: 'mcp__calendar', namespaceDescription: 'Calendar' },
      ]);
    });

    it('decodes the client\'s tool search as kind tool_search, OpenAI\'s as an optional hosted tool as written', () => {
      expect(decode({ tools: [SEARCH] }).call.tools).to.deep.equal([{ name: 'tool_search', description: 'Find tools', parameters: SEARCH.parameters, kind: 'tool_search' }]);
      expect(decode({ tools: [{ type: 'tool_search' }] }).call.tools).to.deep.equal([
        { name: 'tool_search', parameters: {}, kind: 'hosted', optional: true, providerTool: { dialect: HOSTED_DIALECTS.openaiResponses, definition: { type: 'tool_search' } } },
      ]);
    });

    it('refuses malformed namespaces and tool searches with a 400 naming the field', () => {
      const cases: [Json, string][] = [
        [{ tools: [{ type: 'namespace', name: 'n', tools: [] }] }, 'tools[0].tools: must have at least 1 item'],
        [{ tools: [{ type: 'namespace', tools: [CREATE] }] }, 'tools[0].name: is required'],
        [{ tools: [{ type: 'namespace', name: ' n', tools: [CREATE] }] }, 'tools[0].name:'],
        [{ tools: [{ type: 'namespace', name: 'n', tools: [{ type: 'web_search' }] }] }, 'tools[0].tools[0].type: "web_search" tools cannot be in a namespace'],
        [{ tools: [{ type: 'namespace', name: 'n', tools: [CREATE, CREATE] }] }, 'tools[0].tools[1].name: duplicates the tool "create_event" of the namespace "n"'],
        [{ tools: [{ type: 'namespace', name: 'n', tools: [{ ...CREATE, defer_loading: 'yes' }] }] }, 'tools[0].tools[0].defer_loading:'],
        [{ tools: [SEARCH, SEARCH] }, 'tools[1].type: declares a second tool_search tool'],
        [{ tools: [SEARCH, { type: 'function', name: 'tool_search' }] }, 'tools[1].name: "tool_search" is the name of the tool_search tool here'],
        [{ tools: [{ type: 'tool_search', execution: 'elsewhere' }] }, 'tools[0].execution: must be one of "client", "server"'],
        [{ input: [{ type: 'tool_search_call', execution: 'client', arguments: {} }] }, 'input[0].call_id: is required'],
        [{ input: [{ type: 'tool_search_output', call_id: 'x', execution: 'client' }] }, 'input[0].tools: is required'],
        [{ input: [{ ...OUTPUT, tools: [{ type: 'namespace', name: 'n', tools: [{ type: 'mcp' }] }] }] }, 'input[0].tools[0].tools[0].type:'],
        [{ input: [{ type: 'function_call', call_id: 'c', name: 'f', arguments: '{}', namespace: '' }] }, 'input[0].namespace:'],
      ];
      for (const [body, message] of cases) {
        const error = refusal(body);
        expect(error.status, message).to.equal(400);
        expect(error.message).to.contain(message);
      }
    });

    it('keeps the web search and hosted tool checks at their declaration index past a namespace', () => {
      expect(refusal({ tools: [CALENDAR, { type: 'web_search' }, { type: 'web_search' }] }).message).to.contain('tools[2].type: declares a second web search tool');
    });

    it('decodes the history: a search call, its output (tools loaded, the item kept), a namespaced call; OpenAI\'s own search items as hosted', () => {
      const server = [{ type: 'tool_search_call', id: 'tsc_1', call_id: null, execution: 'server', arguments: { q: 'x' }, status: 'completed' }, { type: 'tool_search_output', id: 'tso_1', call_id: null, execution: 'server', status: 'completed', tools: [] }];
      const { messages } = decode({
        tools: [CALENDAR, SEARCH],
        input: [
          { role: 'user', content: 'go' },
          { type: 'tool_search_call', call_id: 'ts1', execution: 'client', status: 'completed', arguments: { query: 'cal' } },
          OUTPUT,
          { type: 'function_call', call_id: 'c1', name: 'create_event', namespace: 'mcp__calendar', arguments: '{}' },
          ...server,
        ],
      }).call;
      expect(messages[1]!.parts).to.deep.equal([{ type: 'tool_call', id: 'ts1', name: 'tool_search', arguments: '{"query":"cal"}' }]);
      const result = messages[2]!.parts[0] as Json;
      expect(result.content).to.deep.equal([
        { type: 'tool_reference', name: 'create_event', namespace: 'mcp__calendar' }, { type: 'tool_reference', name: 'note', namespace: 'mcp__calendar' },
        { type: 'tool_reference', name: 'weather' },
      ]);
      expect(result.loaded.dialect).to.equal(TOOL_SEARCH_DIALECTS.openaiResponses);
      expect(result.loaded.record).to.deep.equal(OUTPUT);
      expect(result.loaded.tools.map((t: Json) => [t.namespace, t.name])).to.deep.equal([['mcp__calendar', 'create_event'], ['mcp__calendar', 'note'], [undefined, 'weather']]);
      expect(messages[3]!.parts).to.deep.equal([
        { type: 'tool_call', id: 'c1', name: 'create_event', namespace: 'mcp__calendar', arguments: '{}' },
        ...server.map((block) => ({ type: 'hosted_tool', dialect: HOSTED_DIALECTS.openaiResponses, block })),
      ]);
    });
  });

  describe('the answer', () => {
    it('streams a namespaced call as a function_call with its namespace, the search as a tool_search_call (added, done; no argument events)', () => {
      const encoder = new ResponsesStreamEncoder(contextOf());
      const wire = CALLS.map((e) => encoder.event(e)).join('') + encoder.end();
      const events = checkResponsesWire(wire).map((e) => e.data as Json);
      const added = events.filter((e) => e.type === 'response.output_item.added').map((e) => e.item);
      expect(added[0]).to.include({ type: 'function_call', name: 'create_event', namespace: 'mcp__calendar' });
      expect(added[1]).to.include({ type: 'tool_search_call', call_id: 'ts2', execution: 'client', status: 'in_progress' });
      const done = events.filter((e) => e.type === 'response.output_item.done').map((e) => e.item);
      expect(done[1]).to.deep.include({ type: 'tool_search_call', arguments: { query: 'weather' }, status: 'completed' });
      expect(events.filter((e) => e.type.startsWith('response.function_call_arguments')).every((e) => e.item_id === added[0].id)).to.equal(true);
      const final = events.at(-1)!.response;
      expect(final.output).to.deep.equal(done);
    });

    it('writes the same items whole', () => {
      const body = encodeResponsesResponse(collectEvents(CALLS), contextOf()) as Json;
      expect(body.output[0]).to.include({ type: 'function_call', name: 'create_event', namespace: 'mcp__calendar', arguments: '{"title":"x"}' });
      expect(body.output[1]).to.deep.include({ type: 'tool_search_call', call_id: 'ts2', execution: 'client', arguments: { query: 'weather' } });
      expect(body.output[1].id).to.match(/^tsc_/);
    });

    it('writes a call named tool_search as a function_call when the client declared no tool search of its own', () => {
      const body = encodeResponsesResponse(collectEvents(CALLS), contextOf({ tools: [CALENDAR, { type: 'function', name: 'tool_search' }] })) as Json;
      expect(body.output[1]).to.include({ type: 'function_call', name: 'tool_search' });
    });

    it('lists a stored input\'s search call, output and namespaced call as they were written', () => {
      const { call } = decode({
        tools: [CALENDAR, SEARCH],
        input: [{ type: 'tool_search_call', call_id: 'ts1', execution: 'client', status: 'completed', arguments: { query: 'cal' } }, OUTPUT, { type: 'function_call', call_id: 'c1', name: 'create_event', namespace: 'mcp__calendar', arguments: '{}' }],
      });
      const items = encodeInputItems('resp_1', call.messages);
      expect(items[0]).to.deep.include({ type: 'tool_search_call', call_id: 'ts1', execution: 'client', arguments: { query: 'cal' } });
      expect(items[1]).to.deep.include(OUTPUT);
      expect(items[1]!.id).to.match(/^tso_/);
      expect(items[2]).to.include({ type: 'function_call', name: 'create_event', namespace: 'mcp__calendar' });
    });
  });
});
