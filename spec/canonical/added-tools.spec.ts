import { expect } from 'chai';
import {
  HOSTED_DIALECTS, HOSTED_KNOB_DIALECTS, addedTools, catalogView, emptyCall, fromCatalogView, holdsAddedTools, hostedKnobs, sameTool, toolKey, toolsWithAdded, validateCall,
  type Call, type HostedToolPart, type Message, type ToolDefinition,
} from '../../lib/canonical/index.js';

const read: ToolDefinition = { name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } };
const write: ToolDefinition = { name: 'write_file', parameters: { type: 'object' } };
const event: ToolDefinition = { name: 'create_event', parameters: { type: 'object' }, namespace: 'mcp__calendar' };
const adding = (tools: ToolDefinition[]): HostedToolPart => ({ type: 'hosted_tool', dialect: HOSTED_DIALECTS.openaiResponses, block: { type: 'additional_tools', role: 'developer', tools: [] }, tools });
const ask: Message = { role: 'user', parts: [{ type: 'text', text: 'go' }] };
const callWith = (tools: ToolDefinition[], parts: HostedToolPart[]): Call => emptyCall({ model: 'm', tools, messages: [ask, ...parts.map((p): Message => ({ role: 'user', parts: [p] }))] });

describe('canonical/added-tools', () => {
  it('names a tool by its name in its namespace', () => {
    expect(toolKey(read)).to.equal('read_file');
    expect(toolKey(event)).to.equal('mcp__calendar\u0000create_event');
  });

  it('judges two declarations the same whatever the order of their fields, absent and undefined alike', () => {
    expect(sameTool({ name: 'f', parameters: { a: 1, b: [1, { c: 2 }] } }, { parameters: { b: [1, { c: 2 }], a: 1 }, name: 'f' })).to.equal(true);
    expect(sameTool({ name: 'f', parameters: {}, description: undefined }, { name: 'f', parameters: {} })).to.equal(true);
    expect(sameTool({ name: 'f', parameters: { a: [1, 2] } }, { name: 'f', parameters: { a: [2, 1] } })).to.equal(false);
    expect(sameTool({ name: 'f', parameters: {} }, { name: 'f', parameters: {}, strict: true })).to.equal(false);
    expect(sameTool({ name: 'f', parameters: { a: null } }, { name: 'f', parameters: { a: {} } })).to.equal(false);
  });

  it('lists the tools the history adds, and every tool of the call once per name', () => {
    const call = callWith([read], [adding([write, read]), adding([event, write])]);
    expect(holdsAddedTools(call.messages)).to.equal(true);
    expect(addedTools(call.messages).map((t) => t.name)).to.deep.equal(['write_file', 'read_file', 'create_event', 'write_file']);
    expect(toolsWithAdded(call)).to.deep.equal([read, write, event]);
    const plain = emptyCall({ model: 'm', tools: [read], messages: [ask] });
    expect(holdsAddedTools(plain.messages)).to.equal(false);
    expect(toolsWithAdded(plain)).to.equal(plain.tools);
  });

  it('validateCall: a tool added again must be the same declaration as the one the call has already', () => {
    expect(validateCall(callWith([read], [adding([write, { ...read }]), adding([write])]))).to.deep.equal([]);
    expect(validateCall(callWith([read], [adding([{ ...read, description: 'other' }])]))).to.deep.equal([
      { path: 'messages[1].parts[0].tools[0].name', message: 'declares the tool "read_file" otherwise than tools[0]; a tool added later must be the same declaration' },
    ]);
    expect(validateCall(callWith([], [adding([write]), adding([{ ...write, strict: true }])]))[0]).to.deep.include({
      path: 'messages[2].parts[0].tools[0].name', message: 'declares the tool "write_file" otherwise than messages[1].parts[0].tools[0]; a tool added later must be the same declaration',
    });
    // The same name in another namespace is another tool.
    expect(validateCall(callWith([{ ...event, namespace: undefined }], [adding([event])]))).to.deep.equal([]);
    expect(validateCall(callWith([], [adding([{ name: ' x', parameters: {} }])]))[0]).to.deep.include({ path: 'messages[1].parts[0].tools[0].name' });
    expect(validateCall(callWith([], [{ ...adding([]), tools: 'read' as never }]))[0]).to.deep.include({ path: 'messages[1].parts[0].tools' });
  });

  describe('a tool catalog filter\'s view', () => {
    const without = (call: Call, ...names: string[]): Call => ({ ...call, tools: call.tools.filter((t) => !names.includes(t.name)) });

    it('shows every tool the model may call; the call itself when nothing adds tools', () => {
      const call = callWith([read], [adding([write, event])]);
      expect(catalogView(call).tools).to.deep.equal([read, write, event]);
      const plain = emptyCall({ model: 'm', tools: [read], messages: [ask] });
      expect(catalogView(plain)).to.equal(plain);
      expect(fromCatalogView(plain, without(plain, 'read_file')).tools).to.deep.equal([]);
    });

    it('an answer that removes nothing puts the call back as it was', () => {
      const call = callWith([read], [adding([write, read])]);
      expect(fromCatalogView(call, catalogView(call))).to.deep.equal(call);
    });

    it('a removed added tool leaves its item; an item left with none leaves the call; the call\'s own tools stay its own', () => {
      const call = callWith([read], [adding([write, event]), adding([write])]);
      const answered = fromCatalogView(call, without(catalogView(call), 'write_file'));
      expect(answered.tools).to.deep.equal([read]);
      expect(answered.messages).to.have.length(2);
      expect((answered.messages[1]!.parts[0] as HostedToolPart).tools).to.deep.equal([event]);
      expect(validateCall(answered)).to.deep.equal([]);
      expect(toolsWithAdded(answered)).to.deep.equal([read, event]);
    });

    it('a tool both declared and added again leaves both places; one the filter brings in joins the call\'s own', () => {
      const call = callWith([read], [adding([read, write])]);
      const extra: ToolDefinition = { name: 'lookup', parameters: { type: 'object' } };
      const answered = fromCatalogView(call, { ...without(catalogView(call), 'read_file'), tools: [write, extra] });
      expect(answered.tools).to.deep.equal([extra]);
      expect((answered.messages[1]!.parts[0] as HostedToolPart).tools).to.deep.equal([write]);
    });

    it('a message that holds other parts keeps them', () => {
      const call = emptyCall({ model: 'm', tools: [], messages: [{ role: 'user', parts: [{ type: 'text', text: 'go' }, adding([write])] }] });
      const answered = fromCatalogView(call, without(catalogView(call), 'write_file'));
      expect(answered.messages).to.deep.equal([ask]);
    });
  });

  it('hostedKnobs: OpenAI\'s requests for its own compaction are hosted knobs of the Responses dialect', () => {
    const dialect = HOSTED_DIALECTS.openaiResponses;
    expect(hostedKnobs({ openai: { contextManagement: [{ type: 'compaction', compact_threshold: 1000 }], compactionTrigger: true } })).to.deep.equal([
      { dialect, field: 'context_management' }, { dialect, field: 'compaction_trigger' },
    ]);
    expect(hostedKnobs({ openai: { contextManagement: [], compactionTrigger: false, serviceTier: 'flex' } })).to.deep.equal([]);
    expect(hostedKnobs(undefined)).to.deep.equal([]);
  });

  it('hostedKnobs: an OpenAI moderation policy that blocks is a hosted knob of OpenAI\'s moderation; one that only scores is not', () => {
    const blocking = (input: string, output: string) => hostedKnobs({ openai: { moderation: { model: 'omni-moderation-latest', policy: { input: { mode: input }, output: { mode: output } } } } });
    expect(blocking('score', 'block')).to.deep.equal([{ dialect: HOSTED_KNOB_DIALECTS.openaiModeration, field: 'moderation' }]);
    expect(blocking('block', 'score')).to.deep.equal([{ dialect: HOSTED_KNOB_DIALECTS.openaiModeration, field: 'moderation' }]);
    expect(blocking('score', 'score')).to.deep.equal([]);
    expect(hostedKnobs({ openai: { moderation: { model: 'omni-moderation-latest' } } })).to.deep.equal([]);
  });
});
