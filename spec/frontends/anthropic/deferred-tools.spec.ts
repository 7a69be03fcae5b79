import { expect } from 'chai';
import { CALLER_DIALECTS, HOSTED_DIALECTS, REASONING_DIALECTS, collectEvents, emptyCall, validateCall, type LipEvent } from '../../../lib/canonical/index.js';
import type { LipError } from '../../../lib/errors/index.js';
import { AnthropicStreamEncoder, decodeMessagesRequest, encodeMessagesResponse } from '../../../lib/frontends/anthropic/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { refusalOf } from '../../helpers/refusal.js';
import { accumulate, checkAnthropicWire } from './wire-check.js';

const base = { model: 'claude-x', max_tokens: 256 };
const QUESTION = { role: 'user', content: 'Open an issue about the flaky test.' };
const decode = (body: Record<string, unknown>) => decodeMessagesRequest({ ...base, messages: [QUESTION], ...body }).call;
const decodeError = (body: Record<string, unknown>): LipError => refusalOf(() => decodeMessagesRequest({ ...base, messages: [QUESTION], ...body }));

/** An MCP tool as Claude Code declares it with tool search on. */
const ISSUE = { name: 'mcp__github__create_issue', description: 'Creates an issue.', input_schema: { type: 'object', properties: { title: { type: 'string' } } }, defer_loading: true };
const SEARCH = { name: 'ToolSearch', description: 'Finds deferred tools.', input_schema: { type: 'object', properties: { query: { type: 'string' } } } };
/** A programmatic call's caller: code execution called the tool. */
const CALLER = { type: 'code_execution_20250825', tool_id: 'srvtoolu_01Code' };

/** The history of a tool search: ToolSearch called, its result the tool_reference blocks of what it found. */
const searched = (content: unknown[]) => [
  QUESTION,
  { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01S', name: 'ToolSearch', input: { query: 'github issue' } }] },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01S', content }] },
];

describe('frontends/anthropic deferred tools, tool references and callers', () => {
  describe('tool fields', () => {
    it('decodes defer_loading as deferLoading and allowed_callers, input_examples, eager_input_streaming into the tool\'s Anthropic bag', () => {
      const [issue, search, plain] = decode({
        tools: [
          { ...ISSUE, allowed_callers: ['code_execution_20250825'], input_examples: [{ title: 'Flaky test' }], eager_input_streaming: true },
          { ...SEARCH, defer_loading: false, eager_input_streaming: null },
          { name: 'f', input_schema: { type: 'object' } },
        ],
      }).tools;
      expect(issue).to.deep.equal({
        name: ISSUE.name, description: ISSUE.description, parameters: ISSUE.input_schema, deferLoading: true,
        providerOptions: { anthropic: { allowedCallers: ['code_execution_20250825'], inputExamples: [{ title: 'Flaky test' }], eagerInputStreaming: true } },
      });
      expect(search).to.deep.equal({ name: SEARCH.name, description: SEARCH.description, parameters: SEARCH.input_schema, deferLoading: false });
      expect(plain).to.deep.equal({ name: 'f', parameters: { type: 'object' } });
    });

    it('takes them on a web search tool too, apart from its declaration; a hosted tool keeps them in its declaration as written', () => {
      const [search, code] = decode({
        tools: [
          { type: 'web_search_20250305', name: 'web_search', max_uses: 2, defer_loading: true, allowed_callers: ['direct'] },
          { type: 'code_execution_20250825', name: 'code_execution', allowed_callers: ['direct'], defer_loading: false },
        ],
      }).tools;
      expect(search).to.deep.include({ deferLoading: true, providerOptions: { anthropic: { allowedCallers: ['direct'] } } });
      expect(search!.providerTool!.definition).to.deep.equal({ type: 'web_search_20250305', name: 'web_search', max_uses: 2 });
      expect(code).to.not.have.any.keys('deferLoading', 'providerOptions');
      expect(code!.providerTool).to.deep.equal({ dialect: HOSTED_DIALECTS.anthropic, definition: { type: 'code_execution_20250825', name: 'code_execution', allowed_callers: ['direct'], defer_loading: false } });
    });

    it('refuses a wrong type with a 400 naming the field, on any tool', () => {
      const bad = (field: Record<string, unknown>, type?: string) => decodeError({ tools: [{ ...(type ? { type, name: type.split('_')[0] } : SEARCH), ...field }] });
      expect(bad({ defer_loading: 'yes' })).to.deep.include({ status: 400, code: 'LIP_ERR_REQUEST_INVALID', message: 'tools[0].defer_loading: must be a boolean (got "yes")' });
      expect(bad({ defer_loading: null })).to.deep.include({ param: 'tools[0].defer_loading' });
      expect(bad({ allowed_callers: 'direct' })).to.deep.include({ message: 'tools[0].allowed_callers: must be an array (got "direct")' });
      expect(bad({ allowed_callers: ['direct', 7] })).to.deep.include({ param: 'tools[0].allowed_callers[1]' });
      expect(bad({ allowed_callers: [''] })).to.deep.include({ param: 'tools[0].allowed_callers[0]' });
      expect(bad({ input_examples: { title: 'x' } })).to.deep.include({ param: 'tools[0].input_examples' });
      expect(bad({ input_examples: ['x'] })).to.deep.include({ message: 'tools[0].input_examples[0]: must be an object (got "x")' });
      expect(bad({ eager_input_streaming: 1 })).to.deep.include({ param: 'tools[0].eager_input_streaming' });
      expect(bad({ defer_loading: 1 }, 'bash_20250124')).to.deep.include({ param: 'tools[0].defer_loading' });
      expect(bad({ allowed_callers: 'direct' }, 'code_execution_20250825')).to.deep.include({ param: 'tools[0].allowed_callers' });
    });
  });

  describe('tool_reference blocks', () => {
    it('decodes a tool_result\'s tool_reference blocks into tool_reference parts in place, a cache mark kept', () => {
      const call = decode({
        tools: [SEARCH, ISSUE],
        messages: searched([{ type: 'text', text: 'Found:' }, { type: 'tool_reference', tool_name: ISSUE.name, cache_control: { type: 'ephemeral' } }, { type: 'tool_reference', tool_name: 'mcp__github__list_issues' }]),
      });
      expect(validateCall(call)).to.deep.equal([]);
      expect(call.messages[2]).to.deep.equal({
        role: 'tool',
        parts: [{
          type: 'tool_result', callId: 'toolu_01S',
          content: [{ type: 'text', text: 'Found:' }, { type: 'tool_reference', name: ISSUE.name, cache: {} }, { type: 'tool_reference', name: 'mcp__github__list_issues' }],
        }],
      });
    });

    it('refuses a tool_reference without its tool name, and one outside a tool_result, with a 400 naming it', () => {
      expect(decodeError({ messages: searched([{ type: 'tool_reference' }]) })).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', message: 'messages[2].content[0].content[0].tool_name: is required' });
      expect(decodeError({ messages: searched([{ type: 'tool_reference', tool_name: '' }]) })).to.deep.include({ param: 'messages[2].content[0].content[0].tool_name' });
      expect(decodeError({ messages: searched([{ type: 'tool_reference', tool_name: 7 }]) })).to.deep.include({ param: 'messages[2].content[0].content[0].tool_name' });
      const outside = decodeError({ messages: [{ role: 'user', content: [{ type: 'tool_reference', tool_name: ISSUE.name }] }] });
      expect(outside).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', message: 'messages[0].content[0].type: tool_reference blocks belong in the content of a tool_result' });
    });

    it('validateCall refuses a tool reference without a name, and one standing as a part of a message', () => {
      const call = emptyCall({ model: 'm', messages: [
        { role: 'user', parts: [{ type: 'tool_reference', name: 'f' }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'c', name: 'f', arguments: '{}' }] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'c', content: [{ type: 'tool_reference', name: '' }] }] },
      ] });
      expect(validateCall(call)).to.deep.equal([
        { path: 'messages[0].parts[0]', message: 'a tool_reference part is not allowed in a user message' },
        { path: 'messages[2].parts[0].content[0].name', message: 'must be a non-empty tool name' },
      ]);
    });
  });

  describe('callers', () => {
    const history = (use: Record<string, unknown>) => [QUESTION, { role: 'assistant', content: [use] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '3 issues' }] }];
    const USE = { type: 'tool_use', id: 'toolu_01P', name: 'mcp__github__list_issues', input: { state: 'open' } };

    it('decodes a history tool_use\'s caller as the call\'s caller of Anthropic\'s dialect, as written; null or none is no caller', () => {
      const call = decode({ messages: history({ ...USE, caller: CALLER }) });
      expect(call.messages[1]!.parts[0]).to.deep.equal({ type: 'tool_call', id: 'toolu_01P', name: USE.name, arguments: '{"state":"open"}', caller: { dialect: CALLER_DIALECTS.anthropic, value: CALLER } });
      expect(validateCall(call)).to.deep.equal([]);
      expect(decode({ messages: history({ ...USE, caller: { type: 'direct' } }) }).messages[1]!.parts[0]).to.deep.include({ caller: { dialect: CALLER_DIALECTS.anthropic, value: { type: 'direct' } } });
      expect(decode({ messages: history({ ...USE, caller: null }) }).messages[1]!.parts[0]).to.not.have.property('caller');
    });

    it('refuses a caller that is not an object with a type, with a 400 naming it', () => {
      expect(decodeError({ messages: history({ ...USE, caller: 'code_execution' }) })).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'messages[1].content[0].caller' });
      expect(decodeError({ messages: history({ ...USE, caller: { tool_id: 'x' } }) })).to.deep.include({ message: 'messages[1].content[0].caller.type: is required' });
      expect(decodeError({ messages: history({ ...USE, caller: { type: 'code_execution_20250825', tool_id: 7 } }) })).to.deep.include({ param: 'messages[1].content[0].caller.tool_id' });
    });

    const context: EncodeContext = { call: emptyCall({ model: 'claude-x' }), model: undefined, hints: {}, requestId: 'r', created: 1700000000 };
    const events = (caller?: { dialect: string; value: Record<string, unknown> }): LipEvent[] => [
      { type: 'response_started' }, { type: 'message_started' },
      { type: 'tool_call_started', id: 'toolu_01P', name: 'list', ...(caller ? { caller } : {}) },
      { type: 'tool_call_delta', id: 'toolu_01P', args: '{"state":"open"}' }, { type: 'tool_call_finished', id: 'toolu_01P' },
      { type: 'response_finished', reason: 'tool_calls' },
    ];
    const streamed = (list: LipEvent[]) => {
      const encoder = new AnthropicStreamEncoder(context);
      return checkAnthropicWire(list.map((e) => encoder.event(e)).join('') + encoder.end());
    };

    it('streams the caller of Anthropic\'s dialect in the tool_use block\'s content_block_start; none of another dialect, none without', () => {
      const wire = streamed(events({ dialect: CALLER_DIALECTS.anthropic, value: CALLER }));
      expect(wire.find((e) => e.event === 'content_block_start')!.data.content_block).to.deep.equal({ type: 'tool_use', id: 'toolu_01P', name: 'list', input: {}, caller: CALLER });
      expect(accumulate(wire)).to.deep.equal([{ type: 'tool_use', id: 'toolu_01P', name: 'list', input: {}, caller: CALLER, json: '{"state":"open"}' }]);
      for (const other of [events({ dialect: REASONING_DIALECTS.geminiThought, value: CALLER }), events()]) {
        expect(streamed(other).find((e) => e.event === 'content_block_start')!.data.content_block).to.not.have.property('caller');
      }
    });

    it('writes the caller of Anthropic\'s dialect on the whole response\'s tool_use block; none of another dialect', () => {
      const whole = encodeMessagesResponse(collectEvents(events({ dialect: CALLER_DIALECTS.anthropic, value: CALLER })), context);
      expect(whole.content).to.deep.equal([{ type: 'tool_use', id: 'toolu_01P', name: 'list', input: { state: 'open' }, caller: CALLER }]);
      const other = encodeMessagesResponse(collectEvents(events({ dialect: 'other.caller', value: CALLER })), context);
      expect((other.content as Record<string, unknown>[])[0]).to.not.have.property('caller');
    });
  });
});
