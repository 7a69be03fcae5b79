import { expect } from 'chai';
import { HOSTED_DIALECTS, TOOL_DIALECTS, collectEvents, validateCall, type LipEvent } from '../../../lib/canonical/index.js';
import { ResponsesStreamEncoder, decodeResponsesRequest, encodeInputItems, encodeResponsesResponse } from '../../../lib/frontends/openai-responses/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { checkResponsesWire } from './wire-check.js';
import { refusalOf } from '../../helpers/refusal.js';

type Json = Record<string, any>;

const OURS = HOSTED_DIALECTS.openaiResponses;
const READ = { type: 'function', name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } };
const WRITE = { type: 'function', name: 'write_file', description: 'Writes a file', parameters: { type: 'object', properties: { path: { type: 'string' }, text: { type: 'string' } } }, strict: false };
const CAL = { type: 'namespace', name: 'mcp__calendar', description: 'Calendar', tools: [{ type: 'function', name: 'create_event', parameters: { type: 'object' } }] };
const SHELL = { type: 'shell' };
const CODE = { type: 'code_interpreter', container: { type: 'auto' } };
const added = (tools: Json[], id?: string) => ({ type: 'additional_tools', role: 'developer', tools, ...(id !== undefined ? { id } : {}) });

const decode = (body: Json) => decodeResponsesRequest({ model: 'gpt-5.6', tools: [READ], ...body });
const refusal = (body: Json) => refusalOf(() => decode(body));
const RESPONSE_ID = 'resp_0123456789abcdef0123456789abcdef0123456789abcdef';

describe('frontends/openai-responses additional_tools items', () => {
  it('keeps the item in place as a hosted part of a user turn of its own, carrying its tools as canonical definitions', () => {
    const item = added([WRITE, CAL, SHELL, CODE], 'at_1');
    const { call } = decode({ input: [{ role: 'user', content: 'read a.ts' }, item, { role: 'user', content: 'now write b.ts' }] });
    expect(validateCall(call)).to.deep.equal([]);
    expect(call.tools.map((t) => t.name), 'the call\'s own tools stay what `tools` declares').to.deep.equal(['read_file']);
    expect(call.messages.map((m) => m.role)).to.deep.equal(['user', 'user', 'user']);
    const part = call.messages[1]!.parts[0] as Json;
    expect(part).to.deep.include({ type: 'hosted_tool', dialect: OURS, block: item });
    expect(part.tools).to.deep.equal([
      { name: 'write_file', description: 'Writes a file', parameters: WRITE.parameters, strict: false },
      { name: 'create_event', parameters: { type: 'object' }, providerOptions: { openai: { strictOmitted: true } }, namespace: 'mcp__calendar', namespaceDescription: 'Calendar' },
      { name: 'shell', description: part.tools[2].description, parameters: part.tools[2].parameters, kind: 'provider', providerTool: { dialect: TOOL_DIALECTS.openaiResponses, definition: SHELL } },
      { name: 'code_interpreter', parameters: {}, kind: 'hosted', providerTool: { dialect: OURS, definition: CODE } },
    ]);
  });

  it('takes a tool declared again the same way (in tools or an earlier item), whatever the order of its fields', () => {
    const again = { parameters: READ.parameters, name: 'read_file', type: 'function' };
    const { call } = decode({ input: [added([again]), { role: 'user', content: 'x' }, added([WRITE]), added([WRITE])] });
    expect(validateCall(call)).to.deep.equal([]);
    expect(call.messages.filter((m) => m.parts[0]!.type === 'hosted_tool')).to.have.length(3);
  });

  it('refuses a tool declared otherwise under a name the request already declares, naming the item\'s tool', () => {
    const other = { ...READ, description: 'Reads' };
    expect(refusal({ input: [{ role: 'user', content: 'x' }, added([WRITE, other])] })).to.deep.include({
      code: 'LIP_ERR_REQUEST_INVALID', param: 'input[1].tools[1]',
      message: 'input[1].tools[1]: declares the tool "read_file" otherwise than tools does; a tool made available again must be declared the same way',
    });
    expect(refusal({ input: [added([WRITE]), added([{ ...WRITE, strict: true }])] })).to.deep.include({ param: 'input[1].tools[0]', message: 'input[1].tools[0]: declares the tool "write_file" otherwise than input[0].tools[0] does; a tool made available again must be declared the same way' });
    // A namespace's tool by (namespace, name); a web search under another's name.
    const moved = { ...CAL, tools: [{ type: 'function', name: 'create_event', parameters: { type: 'object', properties: {} } }] };
    expect(refusal({ tools: [CAL], input: [added([moved])] })).to.deep.include({ param: 'input[0].tools[0]' });
    expect(refusal({ tools: [{ type: 'web_search' }], input: [added([{ type: 'function', name: 'web_search' }])] })).to.deep.include({ param: 'input[0].tools[0]' });
  });

  it('refuses a malformed item or a tool lip cannot carry with a 400 naming the field', () => {
    expect(refusal({ input: [{ type: 'additional_tools', role: 'user', tools: [WRITE] }] })).to.deep.include({ param: 'input[0].role' });
    expect(refusal({ input: [{ type: 'additional_tools', role: 'developer' }] })).to.deep.include({ param: 'input[0].tools', message: 'input[0].tools: is required' });
    expect(refusal({ input: [added([])] })).to.deep.include({ param: 'input[0].tools' });
    expect(refusal({ input: [added([{ type: 'function' }])] })).to.deep.include({ param: 'input[0].tools[0].name' });
    expect(refusal({ input: [added([{ type: 'code_interpreter' }])] })).to.deep.include({ param: 'input[0].tools[0].container' });
    expect(refusal({ input: [added([{ type: 'future_tool' }])] })).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'input[0].tools[0].type' });
    expect(refusal({ input: [added([{ type: 'shell', environment: { type: 'container_auto' } }])] })).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'input[0].tools[0].environment.type' });
  });

  it('writes the calls of a tool added later in that tool\'s form (a shell added is a shell_call), streamed and whole', () => {
    const context: EncodeContext = {
      call: decode({ input: [added([SHELL]), { role: 'user', content: 'list files' }] }).call,
      model: undefined, hints: {}, requestId: 'r', created: 1_700_000_000, responseId: RESPONSE_ID,
    };
    const events: LipEvent[] = [
      { type: 'response_started' }, { type: 'message_started' },
      { type: 'tool_call_started', id: 'call_1', name: 'shell' }, { type: 'tool_call_delta', id: 'call_1', args: '{"commands":["ls"]}' }, { type: 'tool_call_finished', id: 'call_1' },
      { type: 'response_finished', reason: 'tool_calls' },
    ];
    const encoder = new ResponsesStreamEncoder(context);
    const wire = checkResponsesWire(events.map((e) => encoder.event(e)).join('') + encoder.end());
    const streamed = wire.at(-1)!.data.response.output;
    expect(streamed.map((i: Json) => i.type)).to.deep.equal(['shell_call']);
    expect(streamed[0].action.commands).to.deep.equal(['ls']);
    expect((encodeResponsesResponse(collectEvents(events), context) as Json).output).to.deep.equal(streamed);
  });

  it('lists the item as written among a stored response\'s input items (an id from its place when it has none)', () => {
    const item = added([WRITE]);
    const input = decode({ input: [{ role: 'user', content: 'x' }, item] }).call.messages;
    const items = encodeInputItems(RESPONSE_ID, input);
    expect(items.map((i) => i.type)).to.deep.equal(['message', 'additional_tools']);
    expect(items[1]).to.deep.include(item);
    expect(items[1]!.id).to.match(/^hti_/);
  });
});
