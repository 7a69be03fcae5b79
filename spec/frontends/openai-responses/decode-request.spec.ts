import { expect } from 'chai';
import { REASONING_DIALECTS } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { decodeResponsesRequest, openaiResponsesFrontend, type ResponsesHints } from '../../../lib/frontends/openai-responses/index.js';
import type { RequestContext } from '../../../lib/frontends/protocol.js';
import { refusalOf } from '../../helpers/refusal.js';

const decode = (body: Record<string, unknown>) => decodeResponsesRequest({ model: 'gpt-x', ...body });

function decodeError(body: unknown, run: (b: unknown) => unknown = decodeResponsesRequest): LipError {
  return refusalOf(() => run(body));
}

describe('frontends/openai-responses decodeResponsesRequest', () => {
  // A json_schema text.format without its name or schema was read as any JSON (an empty schema);
  // OpenAI refuses it: "Missing required parameter: 'text.format.name'" (and 'text.format.schema').
  it('refuses a json_schema text.format without its name or its schema, naming the field', () => {
    const format = (f: unknown) => ({ model: 'm', input: 'x', text: { format: f } });
    expect(decodeError(format({ type: 'json_schema' }))).to.deep.include({ status: 400, code: 'LIP_ERR_REQUEST_INVALID', param: 'text.format.name', message: 'text.format.name: is required' });
    expect(decodeError(format({ type: 'json_schema', schema: { type: 'object' } }))).to.deep.include({ param: 'text.format.name' });
    expect(decodeError(format({ type: 'json_schema', name: 'out' }))).to.deep.include({ param: 'text.format.schema', message: 'text.format.schema: is required' });
    expect(decodeResponsesRequest(format({ type: 'json_object' })).call.options.responseFormat).to.deep.equal({ type: 'json_object' });
    expect(decodeResponsesRequest(format({ type: 'text' })).call.options.responseFormat).to.deep.equal({ type: 'text' });
  });

  it('maps a string input, instructions and the options', () => {
    const { call, hints } = decode({
      input: 'hi', instructions: 'Be brief.', stream: true, temperature: 0.5, top_p: 0.8, presence_penalty: 0.4, frequency_penalty: -0.2, max_output_tokens: 300,
      reasoning: { effort: 'high', summary: 'auto' }, text: { verbosity: 'low', format: { type: 'json_schema', name: 'out', description: 'the out', schema: { type: 'object' }, strict: true } },
      parallel_tool_calls: false, metadata: { k: 'v' }, safety_identifier: 'user-7', include: ['reasoning.encrypted_content'], store: false,
    });
    expect(call).to.deep.include({ model: 'gpt-x', stream: true, user: 'user-7' });
    expect(call.system).to.deep.equal([{ type: 'text', text: 'Be brief.' }]);
    expect(call.messages).to.deep.equal([{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }]);
    expect(call.metadata).to.deep.equal({ k: 'v' });
    expect(call.options).to.deep.equal({
      temperature: 0.5, topP: 0.8, presencePenalty: 0.4, frequencyPenalty: -0.2, maxOutputTokens: 300, reasoning: { effort: 'high', includeThoughts: true, summary: 'auto' }, verbosity: 'low', parallelToolCalls: false,
      responseFormat: { type: 'json_schema', name: 'out', description: 'the out', schema: { type: 'object' }, strict: true },
    });
    expect(hints).to.deep.include({ includeEncryptedReasoning: true, store: false });
    expect((hints as unknown as ResponsesHints).echo).to.deep.include({ instructions: 'Be brief.', max_output_tokens: 300, parallel_tool_calls: false, presence_penalty: 0.4, frequency_penalty: -0.2 });
  });

  it('echoes a function tool with every field of its object (Open Responses requires them): description, parameters and strict null when left out', () => {
    const { hints } = decode({ input: 'hi', tools: [{ type: 'function', name: 'w' }, { type: 'function', name: 'v', description: 'd', parameters: { type: 'object' }, strict: true }, { type: 'custom', name: 'c' }] });
    expect((hints as unknown as ResponsesHints).echo.tools).to.deep.equal([
      { type: 'function', name: 'w', description: null, parameters: null, strict: null },
      { type: 'function', name: 'v', description: 'd', parameters: { type: 'object' }, strict: true },
      { type: 'custom', name: 'c' },
    ]);
  });

  it('maps message items with text, images and files; leading system/developer items go to system', () => {
    const big = `data:image/png;base64,${'A'.repeat(1024 * 1024)}`;
    const { call } = decode({
      instructions: 'I1',
      input: [
        { role: 'developer', content: 'D1' },
        {
          type: 'message', role: 'user',
          content: [
            { type: 'input_text', text: 'look' },
            { type: 'input_image', image_url: big, detail: 'high' },
            { type: 'input_image', image_url: 'https://example.com/a.png' },
            { type: 'input_file', file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' },
            { type: 'input_file', file_data: 'JVBERi0=', filename: 'b.pdf' },
            { type: 'input_file', file_url: 'https://example.com/c.pdf' },
            { type: 'input_file', file_id: 'file-123' },
          ],
        },
        { role: 'system', content: [{ type: 'input_text', text: 'S2' }] },
      ],
    });
    expect(call.system).to.deep.equal([{ type: 'text', text: 'I1' }, { type: 'text', text: 'D1' }]);
    expect(call.messages).to.deep.equal([
      {
        role: 'user',
        parts: [
          { type: 'text', text: 'look' },
          { type: 'image', data: big.slice('data:image/png;base64,'.length), mediaType: 'image/png', detail: 'high' },
          { type: 'image', url: 'https://example.com/a.png' },
          { type: 'file', data: 'JVBERi0=', mediaType: 'application/pdf', filename: 'a.pdf' },
          { type: 'file', data: 'JVBERi0=', mediaType: 'application/pdf', filename: 'b.pdf' },
          { type: 'file', url: 'https://example.com/c.pdf' },
          { type: 'file', fileId: 'file-123' },
        ],
      },
      { role: 'system', parts: [{ type: 'text', text: 'S2' }] },
    ]);
  });

  it('folds one assistant turn (reasoning, output_text, function calls) into one message, and outputs into one tool message', () => {
    const { call } = decode({
      input: [
        { role: 'user', content: 'weather?' },
        {
          type: 'reasoning', id: 'rs_1', encrypted_content: 'ENC',
          summary: [{ type: 'summary_text', text: 'First.' }, { type: 'summary_text', text: 'Second.' }],
        },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.', annotations: [] }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', id: 'fc_1' },
        { type: 'function_call', call_id: 'call_2', name: 'get_time', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
        { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: '12:00' }] },
      ],
    });
    expect(call.messages).to.deep.equal([
      { role: 'user', parts: [{ type: 'text', text: 'weather?' }] },
      {
        role: 'assistant',
        parts: [
          { type: 'reasoning', dialect: REASONING_DIALECTS.openaiResponses, text: 'First.\n\nSecond.', summary: ['First.', 'Second.'], opaque: 'ENC', id: 'rs_1' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { type: 'tool_call', id: 'call_2', name: 'get_time', arguments: '{}' },
        ],
      },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_1', content: 'sunny' }, { type: 'tool_result', callId: 'call_2', content: [{ type: 'text', text: '12:00' }] }] },
    ]);
  });

  it('keeps an encrypted-only reasoning item (no summary) replayable', () => {
    const { call } = decode({ input: [{ role: 'user', content: 'x' }, { type: 'reasoning', id: 'rs_2', summary: [], encrypted_content: 'E2' }, { role: 'assistant', content: 'y' }] });
    expect(call.messages[1]!.parts[0]).to.deep.equal({ type: 'reasoning', dialect: REASONING_DIALECTS.openaiResponses, text: '', opaque: 'E2', id: 'rs_2' });
  });

  it('maps function tools and every tool_choice form', () => {
    const tools = [{ type: 'function', name: 'w', description: 'd', parameters: { type: 'object' }, strict: true }, { type: 'function', name: 'v' }];
    const input = 'x';
    // `strict` left out is the Responses API's default (strict where the schema allows), not Chat's false.
    expect(decode({ input, tools }).call.tools).to.deep.equal([
      { name: 'w', description: 'd', parameters: { type: 'object' }, strict: true },
      { name: 'v', parameters: { type: 'object', properties: {} }, providerOptions: { openai: { strictOmitted: true } } },
    ]);
    expect(decode({ input, tools, tool_choice: 'required' }).call.toolChoice).to.deep.equal({ type: 'any' });
    expect(decode({ input, tools, tool_choice: 'none' }).call.toolChoice).to.deep.equal({ type: 'none' });
    expect(decode({ input, tools, tool_choice: { type: 'function', name: 'w' } }).call.toolChoice).to.deep.equal({ type: 'tool', name: 'w' });
    const allowed = (mode: string, names: string[]) => ({ type: 'allowed_tools', mode, tools: names.map((name) => ({ type: 'function', name })) });
    expect(decode({ input, tools, tool_choice: allowed('required', ['w', 'v']) }).call.toolChoice).to.deep.equal({ type: 'any', allowed: ['w', 'v'] });
    expect(decode({ input, tools, tool_choice: allowed('auto', ['v', 'v']) }).call.toolChoice).to.deep.equal({ type: 'auto', allowed: ['v'] });
    expect(decode({ input, tools, tool_choice: allowed('required', ['w']) }).call.toolChoice).to.deep.equal({ type: 'tool', name: 'w' });
    expect(decodeError({ model: 'm', input, tools, tool_choice: allowed('required', []) })).to.deep.include({ status: 400, param: 'tool_choice.tools', message: 'tool_choice.tools: must have at least 1 item (got 0)' });
    expect(decodeError({ model: 'm', input, tools, tool_choice: allowed('auto', ['w', 'nope']) })).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'tool_choice.tools[1].name' });
    expect(decodeError({ model: 'm', input, tools, tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'future_tool' }] } })).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'tool_choice.tools[0].type' });
    expect(decodeError({ model: 'm', input, tools, tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'programmatic_tool_calling' }] } })).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'tool_choice.tools[0].type' });
    expect(decodeError({ model: 'm', input, tools, tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'computer_use_preview' }] } })).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'tool_choice.tools[0].type', message: 'tool_choice.tools[0].type: names the computer_use_preview tool, which is not in tools' });
    expect(decodeError({ model: 'm', input, tools, tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'mcp', server_label: 's' }] } })).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'tool_choice.tools[0].server_label' });
    expect(decodeError({ model: 'm', input, tools, tool_choice: { type: 'allowed_tools', mode: 'sometimes', tools: [{ type: 'function', name: 'w' }] } })).to.deep.include({ param: 'tool_choice.mode' });
    expect(decodeError({ model: 'm', input, tools, tool_choice: { type: 'function' } })).to.deep.include({ param: 'tool_choice.name', message: 'tool_choice.name: is required' });
    expect(decode({ input, tools }).call.toolChoice).to.deep.equal({ type: 'auto' });
  });

  it('names the offending field for unknown content and item types and unsupported tools', () => {
    const content = decodeError({ model: 'm', input: [{ role: 'user', content: 'a' }, { role: 'user', content: [{ type: 'foo' }] }] });
    expect(content).to.deep.include({ status: 400, code: 'LIP_ERR_REQUEST_INVALID', param: 'input[1].content[0].type', message: 'input[1].content[0].type: unknown content type "foo"' });
    expect(decodeError({ model: 'm', input: [{ type: 'bar' }] }).message).to.equal('input[0].type: unknown or unsupported item type "bar"');
    expect(decodeError({ model: 'm', input: [{ type: 'compaction_trigger' }, { role: 'user', content: 'x' }] })).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'input[0].type' });
    expect(decodeError({ model: 'm', input: [{ type: 'item_reference', id: 'msg_1' }] }).code).to.equal('LIP_ERR_REQUEST_UNSUPPORTED');
    expect(decodeError({ model: 'm', input: 'x', tools: [{ type: 'future_tool' }] })).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'tools[0].type' });
    const image = (detail: unknown) => ({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x/y.png', detail }] }] });
    expect(decodeError(image('low\u0000'))).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'input[0].content[0].detail' });
    expect(decodeResponsesRequest(image('original')).call.messages[0]!.parts[0]).to.deep.include({ type: 'image', detail: 'original' });
    expect(decodeError({ model: 'm', input: 'x', conversation: 'conv_1' })).to.deep.include({
      code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'conversation', message: 'conversation: a conversation is resolved only in a request that runs; send its items in input',
    });
    expect(decodeError({ model: 'm', input: 'x', prompt: { id: 'pmpt_1', variables: {} } })).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'prompt' });
    expect(decodeError({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'f' }] }] }).param).to.equal('input[0].content[0].file_id');
    expect(decodeError({ model: 'm' }).message).to.equal('input: is required');
    expect(decodeError({ model: 'm', input: 5 }).message).to.equal('input: must be a string or an array of input items (got number 5)');
    expect(decodeError({ model: 'm', input: [{ type: 'function_call', name: 'x', arguments: '{}' }] }).message).to.equal('input[0].call_id: is required');
  });

  it('decodes previous_response_id and store into the continuation the server acts on (store defaults to true), with the fields a retrieval echoes', () => {
    const { hints, continuation } = decode({ previous_response_id: 'resp_1', instructions: 'Be brief.', metadata: { k: 'v' } });
    const echo = (hints as unknown as ResponsesHints).echo;
    expect((hints as unknown as ResponsesHints).previousResponseId).to.equal('resp_1');
    expect(continuation).to.deep.equal({ store: true, echo, previousResponseId: 'resp_1' });
    expect(echo).to.deep.include({ instructions: 'Be brief.', metadata: { k: 'v' } });
    const context: RequestContext = { params: {}, query: new URLSearchParams(), headers: {} };
    expect(openaiResponsesFrontend.routes[0]!.decode({ model: 'm', input: 'x', store: false }, context).continuation).to.deep.include({ store: false });
  });

  it('reads user and text.format.description sent as null as absent, as OpenAI does', () => {
    const { call, hints } = decode({
      input: 'hi', user: null, safety_identifier: 'user-7',
      text: { format: { type: 'json_schema', name: 'out', description: null, schema: { type: 'object' } } },
    });
    expect(call.user).to.equal('user-7');
    expect(call.options.responseFormat).to.deep.equal({ type: 'json_schema', name: 'out', schema: { type: 'object' } });
    expect((hints as unknown as ResponsesHints).echo).to.deep.include({ user: null });
    expect(decodeError({ model: 'm', input: 'x', user: 7 }).param).to.equal('user');
  });
});
