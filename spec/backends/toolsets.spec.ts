import { expect } from 'chai';
import { encodeBedrockRequest } from '../../lib/backends/bedrock/index.js';
import { encodeGeminiRequest } from '../../lib/backends/gemini/index.js';
import { chatOptions, encodeChatRequest } from '../../lib/backends/openai-chat/index.js';
import { encodeResponsesRequest, responsesOptions } from '../../lib/backends/openai-responses/index.js';
import type { Call } from '../../lib/canonical/index.js';
import { decodeMessagesRequest } from '../../lib/frontends/anthropic/index.js';

type Json = Record<string, any>;

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const STATE = {
  type: 'browser_state',
  tabs: [{ tab_id: 't1', title: 'Docs', url: 'https://docs.example/', active: true }, { tab_id: 't2', title: 'Report', url: 'https://docs.example/r.pdf' }],
  state_changes: [{ type: 'tab_opened', tab_id: 't2' }],
};
const STATE_TEXT = 'Browser tabs: t1 "Docs" https://docs.example/ (active); t2 "Report" https://docs.example/r.pdf.\nChanged by this action: tab t2 opened.';

/**
 * An Anthropic client's toolsets as the frontend decodes them: the browser toolset with two
 * members turned off, a member's call and result (a screenshot and the browser's state) in the
 * history.
 */
const call: Call = decodeMessagesRequest({
  model: 'claude-x', max_tokens: 256,
  tools: [{ type: 'browser_toolset_20260801', configs: { javascript_exec: { enabled: true }, hover: { enabled: false }, find: { enabled: false } }, cache_control: { type: 'ephemeral' } }],
  tool_choice: { type: 'tool', name: 'screenshot' },
  messages: [
    { role: 'user', content: 'Open the report and look at it.' },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'screenshot', input: { tab_id: 't2' }, toolset_name: 'browser' }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', toolset_name: 'browser', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }, STATE] }] },
  ],
}).call;
const MEMBERS = call.tools.map((t) => t.name);
const screenshot = call.tools.find((t) => t.name === 'screenshot')!;

/**
 * The toolsets on every backend but Anthropic's: each enabled member is a function of its own
 * name with lip's description and schema, its calls and results ordinary ones, the browser's state
 * text in its place and a screenshot in a result reaching the model as the backend carries images
 * of tool results.
 */
describe('backends: Anthropic\'s toolsets on other providers, one function per member', () => {
  it('declares the enabled members (javascript_exec turned on; hover and find, and the members off by default, left out)', () => {
    expect(MEMBERS).to.include('javascript_exec').and.not.include.members(['hover', 'find', 'read_console', 'file_upload']);
    expect(MEMBERS.length).to.equal(26);
  });

  it('openai-chat: a function per member, the call a function call, the state text in the tool message, the screenshot in a user message after it', () => {
    const body = encodeChatRequest(call, 'gpt', chatOptions({ id: 'b', kind: 'openai-chat', models: [] }));
    expect((body.tools as Json[]).map((t) => t.function.name)).to.deep.equal(MEMBERS);
    expect((body.tools as Json[]).find((t) => t.function.name === 'screenshot')).to.deep.equal({ type: 'function', function: { name: 'screenshot', description: screenshot.description, parameters: screenshot.parameters } });
    expect(body.tool_choice).to.deep.equal({ type: 'function', function: { name: 'screenshot' } });
    const messages = body.messages as Json[];
    expect(messages[1]).to.deep.include({ tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'screenshot', arguments: '{"tab_id":"t2"}' } }] });
    expect(messages[2]).to.deep.include({ role: 'tool', tool_call_id: 'toolu_1' });
    expect(JSON.stringify(messages[2])).to.contain(JSON.stringify(STATE_TEXT).slice(1, -1));
    expect(JSON.stringify(messages.slice(3))).to.contain(PNG);
    expect(JSON.stringify(body)).to.not.contain('browser_toolset').and.not.contain('toolset_name').and.not.contain('browser_state');
  });

  it('openai-responses: a function tool per member, the call a function_call, its output the state text, the screenshot after it', () => {
    const body = encodeResponsesRequest(call, 'gpt-5', responsesOptions({ id: 'b', kind: 'openai-responses', models: [] }));
    expect((body.tools as Json[]).map((t) => [t.type, t.name])).to.deep.equal(MEMBERS.map((n) => ['function', n]));
    const input = body.input as Json[];
    expect(input.find((i) => i.type === 'function_call')).to.deep.include({ call_id: 'toolu_1', name: 'screenshot', arguments: '{"tab_id":"t2"}' });
    expect(JSON.stringify(input.find((i) => i.type === 'function_call_output'))).to.contain(JSON.stringify(STATE_TEXT).slice(1, -1));
    expect(JSON.stringify(input)).to.contain(PNG);
    expect(JSON.stringify(body)).to.not.contain('browser_toolset').and.not.contain('browser_state');
  });

  it('gemini: a function declaration per member, the call a functionCall, the state text in its functionResponse, the screenshot beside it', () => {
    const body = encodeGeminiRequest(call);
    const declarations = (body.tools as Json[])[0]!.functionDeclarations as Json[];
    expect(declarations.map((d) => d.name)).to.deep.equal(MEMBERS);
    expect(declarations.find((d) => d.name === 'screenshot')).to.deep.equal({ name: 'screenshot', description: screenshot.description, parametersJsonSchema: screenshot.parameters });
    const contents = body.contents as Json[];
    expect(contents[1]!.parts[0]).to.deep.include({ functionCall: { name: 'screenshot', args: { tab_id: 't2' } } });
    const response = contents[2]!.parts.find((p: Json) => p.functionResponse !== undefined);
    expect(response.functionResponse.name).to.equal('screenshot');
    expect(JSON.stringify(response)).to.contain(JSON.stringify(STATE_TEXT).slice(1, -1));
    expect(contents[2]!.parts.some((p: Json) => p.inlineData?.data === PNG)).to.equal(true);
  });

  it('bedrock, a Claude model too: a toolSpec per member (Converse declares no toolset), the state as text', () => {
    const body = encodeBedrockRequest(call, 'anthropic');
    expect(((body.toolConfig as Json).tools as Json[]).filter((t) => t.toolSpec).map((t) => t.toolSpec.name)).to.deep.equal(MEMBERS);
    expect(JSON.stringify(body.messages)).to.contain(JSON.stringify(STATE_TEXT).slice(1, -1));
    expect(JSON.stringify(body)).to.not.contain('browser_toolset').and.not.contain('browser_state');
  });
});
