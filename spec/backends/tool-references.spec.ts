import { expect } from 'chai';
import { encodeBedrockRequest } from '../../lib/backends/bedrock/encode-request.js';
import { encodeGeminiRequest } from '../../lib/backends/gemini/encode-request.js';
import { chatOptions } from '../../lib/backends/openai-chat/options.js';
import { encodeChatRequest } from '../../lib/backends/openai-chat/encode-request.js';
import { responsesOptions } from '../../lib/backends/openai-responses/options.js';
import { encodeResponsesRequest } from '../../lib/backends/openai-responses/encode-request.js';
import { toolReferencesAsText } from '../../lib/backends/tool-references.js';
import { CALLER_DIALECTS, emptyCall, validateCall, type Call, type ToolDefinition } from '../../lib/canonical/index.js';

const SCHEMA = { type: 'object', properties: { title: { type: 'string' } } };
const ISSUE: ToolDefinition = { name: 'mcp__github__create_issue', parameters: SCHEMA };
const SEARCH: ToolDefinition = { name: 'ToolSearch', parameters: SCHEMA };
/** Claude Code's tool search as the canonical call has it: a deferred tool, the search's call, its result naming what it found. */
const searched = (tools: readonly ToolDefinition[]): Call => emptyCall({
  model: 'm', tools,
  messages: [
    { role: 'user', parts: [{ type: 'text', text: 'Open an issue.' }] },
    { role: 'assistant', parts: [{ type: 'tool_call', id: 'toolu_01S', name: 'ToolSearch', arguments: '{"query":"github"}', caller: { dialect: CALLER_DIALECTS.anthropic, value: { type: 'direct' } } }] },
    { role: 'tool', parts: [{ type: 'tool_result', callId: 'toolu_01S', name: 'ToolSearch', content: [{ type: 'text', text: 'Found:' }, { type: 'tool_reference', name: ISSUE.name, cache: {} }] }] },
  ],
});
const DEFERRED = searched([SEARCH, { ...ISSUE, deferLoading: true, providerOptions: { anthropic: { allowedCallers: ['code_execution_20250825'], inputExamples: [{ title: 'x' }] } } }]);
const PLAIN = searched([SEARCH, ISSUE]);
const LOADED = 'Tool loaded: mcp__github__create_issue';

describe('backends/tool-references', () => {
  it('leaves a call without tool references as it is (the same object)', () => {
    const call = emptyCall({ model: 'm', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
    expect(toolReferencesAsText(call)).to.equal(call);
  });

  it('turns each tool reference of a tool result into a text part in its place, keeping its cache mark; the rest of the call is untouched', () => {
    expect(validateCall(DEFERRED)).to.deep.equal([]);
    const sent = toolReferencesAsText(DEFERRED);
    expect(sent.messages[2]!.parts).to.deep.equal([{ type: 'tool_result', callId: 'toolu_01S', name: 'ToolSearch', content: [{ type: 'text', text: 'Found:' }, { type: 'text', text: LOADED, cache: {} }] }]);
    expect(sent.messages[0]).to.equal(DEFERRED.messages[0]);
    expect(sent.messages[1]).to.equal(DEFERRED.messages[1]);
    expect(sent.tools).to.equal(DEFERRED.tools);
  });

  describe('the other backends: the tool in full, the reference as text, no caller', () => {
    const chat = chatOptions({ id: 'c', kind: 'openai-chat', models: [] });
    const responses = responsesOptions({ id: 'r', kind: 'openai-responses', models: [] });
    const encoders: [string, (call: Call) => Record<string, unknown>][] = [
      ['openai-chat', (call) => encodeChatRequest(call, 'gpt', chat)],
      ['openai-responses', (call) => encodeResponsesRequest(call, 'gpt', responses)],
      ['gemini', (call) => encodeGeminiRequest(call)],
      ['bedrock', (call) => encodeBedrockRequest(call, 'anthropic')],
    ];
    for (const [kind, encode] of encoders) {
      it(`${kind}: declares a deferred tool as it declares any tool, and reads the reference as text`, () => {
        const sent = toolReferencesAsText(DEFERRED);
        const body = encode(sent);
        expect(body).to.deep.equal(encode(toolReferencesAsText(PLAIN)));
        const text = JSON.stringify(body);
        expect(text).to.include(LOADED).and.not.include('tool_reference').and.not.include('defer_loading').and.not.include('caller').and.not.include('allowed_callers');
      });
    }

    it('bedrock reads a reference as text also when the call still holds one (its encoder takes every result part)', () => {
      expect(JSON.stringify(encodeBedrockRequest(DEFERRED, 'anthropic'))).to.include(LOADED);
    });
  });
});
