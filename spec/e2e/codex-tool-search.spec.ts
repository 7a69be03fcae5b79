import { expect } from 'chai';
import type { ResponseCreateParamsNonStreaming, ResponseInputItem, Tool } from 'openai/resources/responses/responses';
import type { Script } from '../helpers/emulators/index.js';
import { askResponses, useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

/** Codex CLI's MCP servers' tools, a namespace per server, deferred until its tool search loads them. */
const CREATE_EVENT = { type: 'function', name: 'create_event', description: 'Create a calendar event', strict: false, defer_loading: true, parameters: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] } };
const CALENDAR = { type: 'namespace', name: 'mcp__calendar', description: 'Tools of the calendar MCP server', tools: [CREATE_EVENT] };
const SEARCH = {
  type: 'tool_search', execution: 'client', description: 'Search the tools of the MCP servers and load those that fit',
  parameters: { type: 'object', properties: { query: { type: 'string' }, limit: { type: 'number' } }, required: ['query'] },
};
const SHELL = { type: 'function', name: 'shell', description: 'Run a command', strict: false, parameters: { type: 'object', properties: { command: { type: 'string' } } } };
const TOOLS = [SHELL, CALENDAR, SEARCH] as unknown as Tool[];

/** A history as Codex writes it: its search and what the search loaded, then a call of a loaded tool and its output. */
const SEARCH_CALL = { type: 'tool_search_call', call_id: 'call_ts1', execution: 'client', status: 'completed', arguments: { query: 'calendar', limit: 3 } };
const SEARCH_OUTPUT = { type: 'tool_search_output', call_id: 'call_ts1', execution: 'client', status: 'completed', tools: [CALENDAR] };
const HISTORY = [
  { role: 'user', content: 'Put lunch with Ada in my calendar' },
  SEARCH_CALL,
  SEARCH_OUTPUT,
  { type: 'function_call', call_id: 'call_ev1', name: 'create_event', namespace: 'mcp__calendar', arguments: '{"title":"Lunch"}' },
  { type: 'function_call_output', call_id: 'call_ev1', output: 'created evt_1' },
  { role: 'user', content: 'And dinner too, and find me a weather tool' },
] as unknown as ResponseInputItem[];

/**
 * Codex CLI with a model that searches its tools (gpt-5.4 and later) and MCP servers, through
 * lip: namespaces, its client-run tool search and their history items reach an openai-responses
 * upstream as Codex wrote them, and the model's namespaced calls and searches come back as Codex
 * reads them, streamed and whole. Served by Anthropic or Gemini, the tools are flattened to
 * functions (`mcp__calendar__create_event`, `tool_search`) and the model's calls of them come back
 * namespaced and as tool_search_call items.
 */
describe('e2e: Codex CLI tool search and namespaces', function () {
  this.timeout(20_000);
  const up = useUpstreams({ or: { kind: 'openai-responses' }, an: { kind: 'anthropic' }, gem: { kind: 'gemini' } });
  const ask = (model: string, stream: boolean) => askResponses(up.openai(), { model, input: HISTORY, tools: TOOLS } as ResponseCreateParamsNonStreaming, stream);

  /** The model calls the namespaced tool and the search, as each upstream writes them. */
  const script = (flat: boolean): Script => ({
    toolCalls: [
      { id: 'call_ev2', name: flat ? 'mcp__calendar__create_event' : 'create_event', ...(flat ? {} : { namespace: 'mcp__calendar' }), args: ['{"title":', '"Dinner"}'] },
      { id: 'call_ts2', name: 'tool_search', toolSearch: !flat, args: '{"query":"weather","limit":2}' },
    ],
    finish: 'tool_calls',
  });

  /** What Codex reads of the answer: the namespaced call and the search call (with the upstream's call ids: Gemini has none, lip makes them). */
  function expectCodexCalls(output: readonly Json[], ids = true): void {
    const call = output.find((i) => i.type === 'function_call')!;
    expect(call).to.include({ name: 'create_event', namespace: 'mcp__calendar', arguments: '{"title":"Dinner"}', status: 'completed' });
    if (ids) expect(call.call_id).to.match(/^call_ev2/);
    const search = output.find((i) => i.type === 'tool_search_call')!;
    expect(search).to.include({ execution: 'client', status: 'completed' });
    if (ids) expect(search.call_id).to.match(/^call_ts2/);
    expect(search.arguments).to.deep.equal({ query: 'weather', limit: 2 });
    expect(output.filter((i) => i.type === 'function_call' || i.type === 'tool_search_call')).to.have.length(2);
  }

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`openai-responses: the namespaces, the tool search and the history items reach the upstream as written; the calls come back as Codex reads them (${mode})`, async () => {
      up.emulators.or!.enqueue(script(false));
      const { response, events } = await ask('or:gpt-5.4', stream);
      const body = up.emulators.or!.requests[0]!.body as Json;
      expect(body.tools).to.deep.equal([SHELL, CALENDAR, SEARCH]);
      expect(body.input.slice(1, 5)).to.deep.equal([
        { type: 'tool_search_call', call_id: 'call_ts1', execution: 'client', status: 'completed', arguments: { query: 'calendar', limit: 3 } },
        SEARCH_OUTPUT,
        { type: 'function_call', call_id: 'call_ev1', name: 'create_event', namespace: 'mcp__calendar', arguments: '{"title":"Lunch"}' },
        { type: 'function_call_output', call_id: 'call_ev1', output: 'created evt_1' },
      ]);
      expectCodexCalls(response.output as unknown as Json[]);
      if (stream) {
        const added = events.filter((e) => e.type === 'response.output_item.added').map((e) => (e as Json).item);
        expect(added.map((i: Json) => i.type)).to.deep.equal(['function_call', 'tool_search_call']);
        expect(added[0]).to.include({ namespace: 'mcp__calendar', name: 'create_event' });
        const deltas = events.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => (e as Json).delta);
        expect(deltas.join('')).to.equal('{"title":"Dinner"}');
      }
    });

    for (const [row, model] of [['an', 'an:claude-sonnet-4-5'], ['gem', 'gem:gemini-2.5-pro']] as const) {
      it(`${row === 'an' ? 'anthropic' : 'gemini'}: the tools go flat, the loaded ones declared in full; the model's calls come back namespaced and as tool_search_call items (${mode})`, async () => {
        up.emulators[row]!.enqueue(script(true));
        const { response } = await ask(model, stream);
        const body = up.emulators[row]!.requests[0]!.body as Json;
        const declared: string[] = row === 'an' ? body.tools.map((t: Json) => t.name) : body.tools.flatMap((t: Json) => (t.functionDeclarations ?? []).map((f: Json) => f.name));
        expect(declared).to.deep.equal(['shell', 'mcp__calendar__create_event', 'tool_search']);
        const wire = JSON.stringify(body);
        expect(wire).not.to.include('defer_loading');
        expect(wire).to.include('Tool loaded: mcp__calendar__create_event');
        expectCodexCalls(response.output as unknown as Json[], row !== 'gem');
      });
    }
  }

  it('a stored answer lists its calls as Codex reads them when retrieved', async () => {
    up.emulators.or!.enqueue(script(false));
    const { response } = await ask('or:gpt-5.4', false);
    const again = await up.openai().responses.retrieve(response.id);
    expectCodexCalls(again.output as unknown as Json[]);
  });
});
