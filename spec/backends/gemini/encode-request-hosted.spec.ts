import { expect } from 'chai';
import { encodeGeminiRequest } from '../../../lib/backends/gemini/index.js';
import { emptyCall, WEB_SEARCH_TOOL_NAME, type Call, type Message, type ToolChoice, type ToolDefinition } from '../../../lib/canonical/index.js';
import type { LipError } from '../../../lib/errors/index.js';
import { thrownBy } from '../decode-both-ways.js';

const GEMINI = 'gemini.builtin_tool';
const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const call = (overrides: Partial<Call>): Call => emptyCall({ model: 'x', messages: [user('hi')], ...overrides });
const fn: ToolDefinition = { name: 'lookup', parameters: { type: 'object', properties: {} } };
const fnWire = { name: 'lookup', parametersJsonSchema: { type: 'object', properties: {} } };
const search: ToolDefinition = { kind: 'web_search', name: WEB_SEARCH_TOOL_NAME, parameters: {} };
const hosted = (name: string, dialect = GEMINI, definition: Record<string, unknown> = { [name]: {} }): ToolDefinition => ({ kind: 'hosted', name, parameters: {}, providerTool: { dialect, definition } });
const CODE = { executableCode: { language: 'PYTHON', code: 'print(2**10)' }, thoughtSignature: 'c2lnLWNvZGU=' };
const RESULT = { codeExecutionResult: { outcome: 'OUTCOME_OK', output: '1024\n' } };

describe('backends/gemini/encode-request: code execution and URL context', () => {
  it('sends each built-in as a tool entry of its own, as the client declared it, after the functions and the search', () => {
    const body = encodeGeminiRequest(call({ tools: [hosted('codeExecution'), fn, search, hosted('urlContext')] }));
    expect(body.tools).to.deep.equal([{ functionDeclarations: [fnWire] }, { googleSearch: {} }, { codeExecution: {} }, { urlContext: {} }]);
    expect(body.toolConfig).to.deep.equal({ functionCallingConfig: { mode: 'AUTO' } });
    // The declaration goes as written, whatever it holds.
    expect(encodeGeminiRequest(call({ tools: [hosted('urlContext', GEMINI, { urlContext: { future: true } })] })).tools).to.deep.equal([{ urlContext: { future: true } }]);
  });

  it('sends no function calling config when there is no function (it speaks of functions only)', () => {
    const body = encodeGeminiRequest(call({ tools: [hosted('codeExecution')] }));
    expect(body.tools).to.deep.equal([{ codeExecution: {} }]);
    expect(body).to.not.have.property('toolConfig');
  });

  it('leaves the built-ins out under tool choice none, as the search (Gemini\'s NONE would not stop them)', () => {
    expect(encodeGeminiRequest(call({ tools: [fn, hosted('codeExecution'), hosted('urlContext')], toolChoice: { type: 'none' } }))).to.deep.include({
      tools: [{ functionDeclarations: [fnWire] }], toolConfig: { functionCallingConfig: { mode: 'NONE' } },
    });
    expect(encodeGeminiRequest(call({ tools: [hosted('codeExecution')], toolChoice: { type: 'none' } }))).to.not.have.property('tools');
  });

  it('keeps an allowed built-in declared under a restricted AUTO, and leaves the built-ins out of the function choice', () => {
    const tools = [fn, { ...fn, name: 'other' }, hosted('codeExecution')];
    const body = encodeGeminiRequest(call({ tools, toolChoice: { type: 'auto', allowed: ['lookup', 'codeExecution'] } }));
    expect(body.tools).to.deep.equal([{ functionDeclarations: [fnWire] }, { codeExecution: {} }]);
    expect(body.toolConfig).to.deep.equal({ functionCallingConfig: { mode: 'AUTO' } });
    const config = (toolChoice: ToolChoice) => encodeGeminiRequest(call({ tools, toolChoice })).toolConfig;
    expect(config({ type: 'tool', name: 'codeExecution' })).to.deep.equal({ functionCallingConfig: { mode: 'NONE' } });
    expect(config({ type: 'any', allowed: ['codeExecution', 'other'] })).to.deep.equal({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['other'] } });
    expect(config({ type: 'any', allowed: ['codeExecution'] })).to.deep.equal({ functionCallingConfig: { mode: 'NONE' } });
  });

  it('sends the code execution parts of the history back in place in the model turn, as written', () => {
    const messages: Message[] = [
      user('2**10?'),
      { role: 'assistant', parts: [{ type: 'text', text: 'Computing.' }, { type: 'hosted_tool', dialect: GEMINI, block: CODE }, { type: 'hosted_tool', dialect: GEMINI, block: RESULT }, { type: 'text', text: 'It is 1024.' }] },
      user('and 2**11?'),
    ];
    expect(encodeGeminiRequest(call({ messages, tools: [hosted('codeExecution')] })).contents).to.deep.equal([
      { role: 'user', parts: [{ text: '2**10?' }] },
      { role: 'model', parts: [{ text: 'Computing.' }, CODE, RESULT, { text: 'It is 1024.' }] },
      { role: 'user', parts: [{ text: 'and 2**11?' }] },
    ]);
  });

  it('puts a pending signature on an empty text part before a code execution part (its own signature is in its block)', () => {
    const messages: Message[] = [user('x'), { role: 'assistant', parts: [{ type: 'reasoning', dialect: 'gemini.thought', text: '', signature: 'sig' }, { type: 'hosted_tool', dialect: GEMINI, block: RESULT }] }];
    expect(encodeGeminiRequest(call({ messages })).contents).to.deep.equal([
      { role: 'user', parts: [{ text: 'x' }] }, { role: 'model', parts: [{ text: '', thoughtSignature: 'sig' }, RESULT] },
    ]);
  });

  it('leaves another provider\'s hosted parts out, and a hosted part in a user turn (Gemini has none there)', () => {
    const messages: Message[] = [
      { role: 'user', parts: [{ type: 'text', text: 'x' }, { type: 'hosted_tool', dialect: GEMINI, block: RESULT }] },
      { role: 'assistant', parts: [{ type: 'hosted_tool', dialect: 'anthropic.server_tool', block: { type: 'server_tool_use', id: 's', name: 'code_execution', input: {} } }, { type: 'text', text: 'done' }] },
    ];
    expect(encodeGeminiRequest(call({ messages })).contents).to.deep.equal([{ role: 'user', parts: [{ text: 'x' }] }, { role: 'model', parts: [{ text: 'done' }] }]);
  });

  it('refuses another provider\'s hosted tool before sending, retryable so that a route moves on', () => {
    const err: LipError = thrownBy(() => encodeGeminiRequest(call({ tools: [hosted('codeExecution'), hosted('code_execution', 'anthropic.server_tool', { type: 'code_execution_20250825', name: 'code_execution' })] })));
    expect(err).to.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
    expect(err.message).to.include('"code_execution"');
  });
});
