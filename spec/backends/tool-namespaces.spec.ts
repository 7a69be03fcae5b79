import { expect } from 'chai';
import { from } from 'rxjs/internal/observable/from';
import { lastValueFrom } from 'rxjs/internal/lastValueFrom';
import { toArray } from 'rxjs/internal/operators/toArray';
import { FLAT_NAME_CHARS, flatNames, namespacedCallsFromFunctions, namespacesAsFunctions } from '../../lib/backends/tool-namespaces.js';
import { TOOL_SEARCH_DIALECTS, emptyCall, validateCall, type Call, type LipEvent, type ToolDefinition } from '../../lib/canonical/index.js';

const params = { type: 'object', properties: { title: { type: 'string' } } };
const createEvent: ToolDefinition = { name: 'create_event', parameters: params, namespace: 'mcp__calendar', namespaceDescription: 'Calendar', deferLoading: true };
const search: ToolDefinition = { name: 'tool_search', description: 'Find tools', parameters: { type: 'object', properties: { query: { type: 'string' } } }, kind: 'tool_search' };
const shell: ToolDefinition = { name: 'shell', parameters: params, deferLoading: true };
const listIssues: ToolDefinition = { name: 'list_issues', parameters: params, namespace: 'mcp__github', deferLoading: true };

const call: Call = emptyCall({
  model: 'm',
  tools: [shell, createEvent, search],
  messages: [
    { role: 'user', parts: [{ type: 'text', text: 'go' }] },
    { role: 'assistant', parts: [{ type: 'tool_call', id: 'ts1', name: 'tool_search', arguments: '{"query":"issues"}' }] },
    {
      role: 'tool', parts: [{
        type: 'tool_result', callId: 'ts1', content: [{ type: 'tool_reference', name: 'list_issues', namespace: 'mcp__github' }],
        loaded: { tools: [listIssues], dialect: TOOL_SEARCH_DIALECTS.openaiResponses, record: { type: 'tool_search_output' } },
      }],
    },
    { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'list_issues', namespace: 'mcp__github', arguments: '{}' }] },
    { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: '[]' }] },
  ],
});

async function through(events: LipEvent[], c: Call = call): Promise<LipEvent[]> {
  return lastValueFrom(from(events).pipe(namespacedCallsFromFunctions(c), toArray()));
}

describe('backends/tool-namespaces', () => {
  describe('namespacesAsFunctions', () => {
    it('offers namespaced tools under flat names, the tool search as a function, the tools it loaded declared, nothing deferred', () => {
      const sent = namespacesAsFunctions(call);
      expect(sent.tools).to.deep.equal([
        { name: 'shell', parameters: params },
        { name: 'mcp__calendar__create_event', parameters: params },
        { name: 'tool_search', description: 'Find tools', parameters: search.parameters },
        { name: 'mcp__github__list_issues', parameters: params },
      ]);
      expect(validateCall(sent)).to.deep.equal([]);
    });

    it('sends namespaced calls of the history under their flat names, and a search\'s result as text naming what it loaded', () => {
      const sent = namespacesAsFunctions(call);
      expect(sent.messages[2]!.parts[0]).to.deep.equal({ type: 'tool_result', callId: 'ts1', content: [{ type: 'text', text: 'Tool loaded: mcp__github__list_issues' }] });
      expect(sent.messages[3]!.parts[0]).to.deep.equal({ type: 'tool_call', id: 'c1', name: 'mcp__github__list_issues', arguments: '{}' });
      expect(sent.messages[1]).to.equal(call.messages[1]); // untouched messages are the same objects
    });

    it('is the identity for a call without namespaces or a tool search, deferred tools and all (Claude Code\'s stay deferred)', () => {
      const plain = emptyCall({ model: 'm', tools: [shell], messages: call.messages.slice(0, 1) });
      expect(namespacesAsFunctions(plain)).to.equal(plain);
    });

    it('leaves an optional hosted tool for the backend\'s encoder to drop, and drops deferral beside it', () => {
      const hostedSearch: ToolDefinition = { name: 'tool_search', parameters: {}, kind: 'hosted', optional: true, providerTool: { dialect: 'openai.responses.hosted_tool', definition: { type: 'tool_search' } } };
      const sent = namespacesAsFunctions(emptyCall({ model: 'm', tools: [shell, hostedSearch], messages: call.messages.slice(0, 1) }));
      expect(sent.tools).to.deep.equal([{ name: 'shell', parameters: params }, hostedSearch]);
    });
  });

  describe('flatNames', () => {
    it('keeps names within 64 characters of [a-zA-Z0-9_-], unique, and the same on every turn', () => {
      const long = 'x'.repeat(80);
      const tools: ToolDefinition[] = [
        { name: 'mcp__a__b', parameters: params }, // a plain tool that holds the flat name of the next
        { name: 'b', parameters: params, namespace: 'mcp__a' },
        { name: `${long}1`, parameters: params, namespace: 'srv.v2' },
        { name: `${long}2`, parameters: params, namespace: 'srv.v2' },
      ];
      const c = emptyCall({ model: 'm', tools, messages: call.messages.slice(0, 1) });
      const names = [...flatNames(c).values()];
      expect(names).to.have.length(3);
      for (const name of names) expect(name).to.match(/^[a-zA-Z0-9_-]+$/).and.have.length.at.most(FLAT_NAME_CHARS);
      expect(new Set([...names, 'mcp__a__b']).size).to.equal(4);
      expect(names[0]).to.match(/^mcp__a__b_[0-9a-f]{8}$/);
      expect(names[1]).to.have.length(FLAT_NAME_CHARS).and.match(/^srv_v2__x+_[0-9a-f]{8}$/);
      expect([...flatNames(c).values()]).to.deep.equal(names);
    });

    it('round-trips a long name: the model\'s call of the flat name comes back as (namespace, name)', async () => {
      const longName = `create_${'very_'.repeat(20)}long_event`;
      const c = emptyCall({ model: 'm', tools: [{ name: longName, parameters: params, namespace: 'mcp__calendar' }], messages: call.messages.slice(0, 1) });
      const flat = namespacesAsFunctions(c).tools[0]!.name;
      expect(flat).to.have.length.at.most(FLAT_NAME_CHARS);
      const out = await through([{ type: 'tool_call_started', id: 'k', name: flat }], c);
      expect(out).to.deep.equal([{ type: 'tool_call_started', id: 'k', name: longName, namespace: 'mcp__calendar' }]);
    });
  });

  describe('namespacedCallsFromFunctions', () => {
    it('maps flat calls back, a loaded tool\'s too; other calls, the search\'s and every other event pass untouched', async () => {
      const events: LipEvent[] = [
        { type: 'tool_call_started', id: 'a', name: 'mcp__calendar__create_event' },
        { type: 'tool_call_delta', id: 'a', args: '{}' },
        { type: 'tool_call_started', id: 'b', name: 'mcp__github__list_issues' },
        { type: 'tool_call_started', id: 'c', name: 'tool_search' },
        { type: 'tool_call_started', id: 'd', name: 'shell' },
      ];
      expect(await through(events)).to.deep.equal([
        { type: 'tool_call_started', id: 'a', name: 'create_event', namespace: 'mcp__calendar' },
        events[1],
        { type: 'tool_call_started', id: 'b', name: 'list_issues', namespace: 'mcp__github' },
        events[3], events[4],
      ]);
    });

    it('is the identity when the call has no namespaced tool', async () => {
      const plain = emptyCall({ model: 'm', tools: [shell], messages: call.messages.slice(0, 1) });
      const events: LipEvent[] = [{ type: 'tool_call_started', id: 'a', name: 'mcp__calendar__create_event' }];
      expect(await through(events, plain)).to.deep.equal(events);
    });
  });
});
