import { expect } from 'chai';
import { from } from 'rxjs/internal/observable/from';
import { lastValueFrom } from 'rxjs/internal/lastValueFrom';
import { toArray } from 'rxjs/internal/operators/toArray';
import { originalToolNames, portableToolNames } from '../../lib/backends/tool-names.js';
import { emptyCall, validateCall, type Call, type LipEvent, type ToolDefinition } from '../../lib/canonical/index.js';

const params = { type: 'object', properties: {} };
const tool = (name: string, extra: Partial<ToolDefinition> = {}): ToolDefinition => ({ name, parameters: params, ...extra });
const long = `mcp_${'x'.repeat(80)}`;

const call: Call = emptyCall({
  model: 'm',
  tools: [tool('calendar.read'), tool('github:create_issue'), tool('Create CIFS Share'), tool(long), tool('calendar_read_ok'), tool('web_search', { kind: 'web_search' })],
  toolChoice: { type: 'any', allowed: ['calendar.read', 'calendar_read_ok'] },
  messages: [
    { role: 'user', parts: [{ type: 'text', text: 'go' }] },
    { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'calendar.read', arguments: '{}' }] },
    { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', name: 'calendar.read', content: 'ok' }] },
  ],
});

describe('backends/tool-names: tool names every provider takes', () => {
  it('renames the names that do not fit, in tools, history calls and results, and the choice; keeps the others and the hosted ones', () => {
    const sent = portableToolNames(call);
    expect(sent.tools.map((t) => t.name)).to.deep.equal(['calendar_read', 'github_create_issue', 'Create_CIFS_Share', sent.tools[3]!.name, 'calendar_read_ok', 'web_search']);
    expect(sent.tools[3]!.name).to.match(/^mcp_x{51}_[0-9a-f]{8}$/).and.to.have.length(64);
    expect(sent.messages[1]!.parts[0]).to.include({ name: 'calendar_read' });
    expect(sent.messages[2]!.parts[0]).to.include({ name: 'calendar_read' });
    expect(sent.toolChoice).to.deep.equal({ type: 'any', allowed: ['calendar_read', 'calendar_read_ok'] });
    expect(validateCall(sent)).to.deep.equal([]);
    // The same on every turn: the request of the next turn names them alike.
    expect(portableToolNames(call).tools.map((t) => t.name)).to.deep.equal(sent.tools.map((t) => t.name));
  });

  it('a name that starts with a digit or a dash gets a leading _ (Gemini on Vertex AI refuses it)', () => {
    const sent = portableToolNames(emptyCall({ model: 'm', tools: [tool('2fa_check'), tool('-x'), tool('_ok')], messages: [{ role: 'user', parts: [{ type: 'text', text: 'x' }] }] }));
    expect(sent.tools.map((t) => t.name)).to.deep.equal(['_2fa_check', '_-x', '_ok']);
  });

  it('never takes a name that fits and is in use: a clash is tagged with a hash', () => {
    const clash = emptyCall({ model: 'm', tools: [tool('a.b'), tool('a_b')], messages: [{ role: 'assistant', parts: [{ type: 'tool_call', id: 'c', name: 'x_y', arguments: '{}' }] }, { role: 'user', parts: [{ type: 'text', text: 'x' }] }] });
    const sent = portableToolNames(emptyCall({ ...clash, tools: [...clash.tools, tool('x.y')] }));
    expect(sent.tools.map((t) => t.name)).to.deep.equal([sent.tools[0]!.name, 'a_b', sent.tools[2]!.name]);
    expect(sent.tools[0]!.name).to.match(/^a_b_[0-9a-f]{8}$/);
    expect(sent.tools[2]!.name).to.match(/^x_y_[0-9a-f]{8}$/);
  });

  it('leaves a hosted tool and a tool choice naming it alone (the provider\'s own names: an MCP server is `mcp:<label>`)', () => {
    const mcp: ToolDefinition = { name: 'mcp:deepwiki', parameters: {}, kind: 'hosted', providerTool: { dialect: 'openai-responses', definition: { type: 'mcp', server_label: 'deepwiki' } } };
    const hostedOnly = emptyCall({ model: 'm', tools: [mcp], toolChoice: { type: 'tool', name: 'mcp:deepwiki' }, messages: [{ role: 'user', parts: [{ type: 'text', text: 'x' }] }] });
    expect(portableToolNames(hostedOnly)).to.equal(hostedOnly);
    const mixed = portableToolNames(emptyCall({ ...hostedOnly, tools: [mcp, tool('a.b')] }));
    expect(mixed.tools.map((t) => t.name)).to.deep.equal(['mcp:deepwiki', 'a_b']);
    expect(mixed.toolChoice).to.deep.equal({ type: 'tool', name: 'mcp:deepwiki' });
  });

  it('returns a call whose names all fit as it is, and its answer untouched', async () => {
    const fine = emptyCall({ model: 'm', tools: [tool('get_weather')], messages: [{ role: 'user', parts: [{ type: 'text', text: 'x' }] }] });
    expect(portableToolNames(fine)).to.equal(fine);
    const events: LipEvent[] = [{ type: 'tool_call_started', id: 't', name: 'get_weather' }];
    expect(await lastValueFrom(from(events).pipe(originalToolNames(fine), toArray()))).to.deep.equal(events);
  });

  it('maps the model\'s calls of a portable name back to the client\'s name; other events pass', async () => {
    const sent = portableToolNames(call);
    const events: LipEvent[] = [
      { type: 'tool_call_started', id: 't1', name: 'calendar_read' },
      { type: 'tool_call_started', id: 't2', name: sent.tools[3]!.name },
      { type: 'tool_call_started', id: 't3', name: 'calendar_read_ok' },
      { type: 'tool_call_delta', id: 't1', args: '{}' },
    ];
    const back = await lastValueFrom(from(events).pipe(originalToolNames(call), toArray()));
    expect(back.filter((e) => e.type === 'tool_call_started').map((e) => (e as { name: string }).name)).to.deep.equal(['calendar.read', long, 'calendar_read_ok']);
    expect(back[3]).to.equal(events[3]);
  });
});
