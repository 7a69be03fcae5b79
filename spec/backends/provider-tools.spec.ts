import { expect } from 'chai';
import { encodeBedrockRequest } from '../../lib/backends/bedrock/index.js';
import { encodeGeminiRequest } from '../../lib/backends/gemini/index.js';
import { codexOptions, encodeCodexRequest } from '../../lib/backends/openai-codex/index.js';
import { chatOptions, encodeChatRequest } from '../../lib/backends/openai-chat/index.js';
import { encodeResponsesRequest, responsesOptions } from '../../lib/backends/openai-responses/index.js';
import { TOOL_DIALECTS, emptyCall, type Call, type ToolDefinition } from '../../lib/canonical/index.js';

const PARAMETERS = { type: 'object', properties: { command: { type: 'string', enum: ['view', 'create'] }, path: { type: 'string' } }, required: ['command', 'path'] };
const DESCRIPTION = 'Views, creates and edits text files.';

/** A provider tool as the Anthropic frontend decodes `text_editor_20250728` (parameters shortened). */
const editor: ToolDefinition = {
  name: 'str_replace_based_edit_tool', description: DESCRIPTION, parameters: PARAMETERS, kind: 'provider',
  providerTool: { dialect: TOOL_DIALECTS.anthropic, definition: { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool', max_characters: 10000 } },
};
const call: Call = emptyCall({
  model: 'm', tools: [editor], toolChoice: { type: 'tool', name: 'str_replace_based_edit_tool' },
  messages: [
    { role: 'user', parts: [{ type: 'text', text: 'Show /repo/a.py.' }] },
    { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'str_replace_based_edit_tool', arguments: '{"command":"view","path":"/repo/a.py"}' }] },
    { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: '1: x = 1' }] },
  ],
});

/**
 * A provider-defined tool (an Anthropic client's text editor, bash, memory or computer tool) on a
 * backend not of its dialect: an ordinary function tool of its name with the frontend's
 * description and schema; its calls and results in the history are ordinary too. Only the
 * anthropic backend sends the definition (spec/backends/anthropic/encode-request.spec.ts).
 */
describe('backends: a provider tool of another dialect is a function tool', () => {
  it('openai-chat: a function with the name, description and schema (not strict: the schema is open)', () => {
    const body = encodeChatRequest(call, 'gpt', chatOptions({ id: 'b', kind: 'openai-chat', models: [] }));
    expect(body.tools).to.deep.equal([{ type: 'function', function: { name: 'str_replace_based_edit_tool', description: DESCRIPTION, parameters: PARAMETERS } }]);
    expect(body.tool_choice).to.deep.equal({ type: 'function', function: { name: 'str_replace_based_edit_tool' } });
    expect((body.messages as Record<string, unknown>[])[1]).to.deep.include({ tool_calls: [{ id: 'c1', type: 'function', function: { name: 'str_replace_based_edit_tool', arguments: '{"command":"view","path":"/repo/a.py"}' } }] });
  });

  it('openai-responses and openai-codex: a function tool, never strict (the schema is outside the strict subset)', () => {
    const responses = encodeResponsesRequest(call, 'gpt-5', responsesOptions({ id: 'b', kind: 'openai-responses', models: [] }));
    const codex = encodeCodexRequest(call, 'gpt-5.4', codexOptions({ id: 'cx', kind: 'openai-codex', models: [] }), { conversationId: 'c', turn: 1, bump: false });
    for (const body of [responses, codex]) {
      expect(body.tools).to.deep.equal([{ type: 'function', name: 'str_replace_based_edit_tool', description: DESCRIPTION, parameters: PARAMETERS, strict: false }]);
    }
  });

  it('gemini: a function declaration with the schema as parametersJsonSchema', () => {
    const body = encodeGeminiRequest(call);
    expect(body.tools).to.deep.equal([{ functionDeclarations: [{ name: 'str_replace_based_edit_tool', description: DESCRIPTION, parametersJsonSchema: PARAMETERS }] }]);
  });

  it('bedrock, a Claude model too: a toolSpec with the schema (Converse declares no tool by type)', () => {
    const body = encodeBedrockRequest(call, 'anthropic');
    expect(body.toolConfig).to.deep.equal({
      tools: [{ toolSpec: { name: 'str_replace_based_edit_tool', description: DESCRIPTION, inputSchema: { json: PARAMETERS } } }],
      toolChoice: { tool: { name: 'str_replace_based_edit_tool' } },
    });
    expect(JSON.stringify(body)).to.not.contain('text_editor_20250728');
  });
});
