import { expect } from 'chai';
import { validateCall, type ToolDefinition } from '../../../lib/canonical/index.js';
import type { LipError } from '../../../lib/errors/index.js';
import { decodeGenerateContent } from '../../../lib/frontends/gemini/index.js';
import { refusalOf } from '../../helpers/refusal.js';

const decode = (body: Record<string, unknown>) => decodeGenerateContent(body, 'gemini-x', false).call;
const decodeError = (body: Record<string, unknown>): LipError => refusalOf(() => decode(body));
const contents = [{ role: 'user', parts: [{ text: 'what is 2**10?' }] }];
const fn = { name: 'lookup', parameters: { type: 'OBJECT', properties: {} } };
const hosted = (name: string, definition: Record<string, unknown>): ToolDefinition => ({
  kind: 'hosted', name, parameters: {}, providerTool: { dialect: 'gemini.builtin_tool', definition },
});
const CODE = { executableCode: { language: 'PYTHON', code: 'print(2**10)' } };
const RESULT = { codeExecutionResult: { outcome: 'OUTCOME_OK', output: '1024\n' } };

describe('frontends/gemini decodeGenerateContent: code execution and URL context', () => {
  it('decodes codeExecution and urlContext into hosted tools named after their key, each declaration the one-key tool object as written', () => {
    const call = decode({ contents, tools: [{ codeExecution: {} }, { urlContext: {} }] });
    expect(call.tools).to.deep.equal([hosted('codeExecution', { codeExecution: {} }), hosted('urlContext', { urlContext: {} })]);
    expect(call.toolChoice).to.deep.equal({ type: 'auto' });
    expect(validateCall(call)).to.deep.equal([]);
  });

  it('reads the snake_case spellings (code_execution, url_context) as the REST API does', () => {
    const call = decode({ contents, tools: [{ code_execution: {} }, { url_context: {} }] });
    expect(call.tools).to.deep.equal([hosted('codeExecution', { codeExecution: {} }), hosted('urlContext', { urlContext: {} })]);
  });

  it('splits an entry that combines functions, the search and the built-ins, as it splits them apart', () => {
    const together = decode({ contents, tools: [{ functionDeclarations: [fn], googleSearch: {}, codeExecution: {}, urlContext: {} }] });
    const apart = decode({ contents, tools: [{ codeExecution: {} }, { googleSearch: {} }, { urlContext: {} }, { functionDeclarations: [fn] }] });
    expect(together.tools.map((t) => [t.name, t.kind])).to.deep.equal([['lookup', undefined], ['web_search', 'web_search'], ['codeExecution', 'hosted'], ['urlContext', 'hosted']]);
    expect(apart.tools).to.deep.equal(together.tools);
    expect(validateCall(together)).to.deep.equal([]);
  });

  it('keeps the built-ins allowed beside a restricted AUTO choice of functions; ANY restricts functions', () => {
    const tools = [{ functionDeclarations: [fn, { ...fn, name: 'other' }], codeExecution: {} }];
    expect(decode({ contents, tools, toolConfig: { functionCallingConfig: { mode: 'AUTO', allowedFunctionNames: ['lookup'] } } }).toolChoice)
      .to.deep.equal({ type: 'auto', allowed: ['lookup', 'codeExecution'] });
    expect(decode({ contents, tools, toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['lookup'] } } }).toolChoice)
      .to.deep.equal({ type: 'tool', name: 'lookup' });
    // A built-in is no function: a function choice cannot name it.
    expect(decodeError({ contents, tools, toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['codeExecution'] } } }).param)
      .to.equal('toolConfig.functionCallingConfig.allowedFunctionNames[0]');
  });

  it('refuses a second declaration of a built-in, a function of its name and a declaration of the wrong type, naming the field', () => {
    expect(decodeError({ contents, tools: [{ codeExecution: {} }, { functionDeclarations: [fn], codeExecution: {} }] })).to.deep.include({
      status: 400, code: 'LIP_ERR_REQUEST_INVALID', param: 'tools[1].codeExecution', message: 'tools[1].codeExecution: a second codeExecution tool (tools[0].codeExecution declares one already)',
    });
    expect(decodeError({ contents, tools: [{ functionDeclarations: [{ ...fn, name: 'urlContext' }] }, { urlContext: {} }] })).to.deep.include({
      code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'tools[1].urlContext',
      message: 'tools[1].urlContext: lip names the built-in tool "urlContext", and a function of that name is declared too; rename the function',
    });
    expect(decodeError({ contents, tools: [{ codeExecution: 'yes' }] }).param).to.equal('tools[0].codeExecution');
    expect(decodeError({ contents, tools: [{ url_context: [] }] }).param).to.equal('tools[0].urlContext');
  });

  it('refuses a tool key it does not know (one Google adds later), naming it', () => {
    expect(decodeError({ contents, tools: [{ codeExecution: {}, googleFlights: {} }] })).to.deep.include({
      status: 400, code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'tools[0].googleFlights', message: 'tools[0].googleFlights: googleFlights tools are not supported',
    });
  });

  it('turns the model\'s code execution parts into hosted tool parts in place, as written (thoughtSignature included)', () => {
    const signed = { ...CODE, thoughtSignature: 'c2lnLWNvZGU=' };
    const call = decode({
      contents: [...contents, { role: 'model', parts: [{ text: 'Let me compute.' }, signed, RESULT, { text: '2**10 is 1024.' }] }, { role: 'user', parts: [{ text: 'and 2**11?' }] }],
      tools: [{ codeExecution: {} }],
    });
    expect(call.messages[1]).to.deep.equal({
      role: 'assistant',
      parts: [
        { type: 'text', text: 'Let me compute.' },
        { type: 'hosted_tool', dialect: 'gemini.builtin_tool', block: signed },
        { type: 'hosted_tool', dialect: 'gemini.builtin_tool', block: RESULT },
        { type: 'text', text: '2**10 is 1024.' },
      ],
    });
    expect(validateCall(call)).to.deep.equal([]);
  });

  it('keeps parts of consecutive model turns (a streamed answer as a chat keeps it) in one message, in order', () => {
    const call = decode({ contents: [...contents, { role: 'model', parts: [CODE] }, { role: 'model', parts: [RESULT] }, { role: 'model', parts: [{ text: '1024' }] }] });
    expect(call.messages[1]!.parts.map((p) => p.type)).to.deep.equal(['hosted_tool', 'hosted_tool', 'text']);
  });

  it('reads snake_case parts (executable_code, code_execution_result) in the camelCase form the API answers with', () => {
    const call = decode({ contents: [...contents, { role: 'model', parts: [{ executable_code: { language: 'PYTHON', code: 'x = 1' } }, { code_execution_result: { outcome: 'OUTCOME_FAILED', output: 'boom' } }] }] });
    expect(call.messages[1]!.parts).to.deep.equal([
      { type: 'hosted_tool', dialect: 'gemini.builtin_tool', block: { executableCode: { language: 'PYTHON', code: 'x = 1' } } },
      { type: 'hosted_tool', dialect: 'gemini.builtin_tool', block: { codeExecutionResult: { outcome: 'OUTCOME_FAILED', output: 'boom' } } },
    ]);
  });

  it('refuses a code execution part in a user turn, a part that holds text beside it and a field of the wrong type, naming it', () => {
    expect(decodeError({ contents: [{ role: 'user', parts: [RESULT] }] })).to.deep.include({
      code: 'LIP_ERR_REQUEST_INVALID', param: 'contents[0].parts[0].codeExecutionResult', message: 'contents[0].parts[0].codeExecutionResult: codeExecutionResult parts belong in model turns',
    });
    expect(decodeError({ contents: [...contents, { role: 'model', parts: [{ ...CODE, text: 'x' }] }] })).to.deep.include({
      param: 'contents[1].parts[0].text', message: 'contents[1].parts[0].text: a part holds one kind of data, and this one holds executableCode already',
    });
    expect(decodeError({ contents: [...contents, { role: 'model', parts: [{ executableCode: { code: 7 } }] }] }).param).to.equal('contents[1].parts[0].executableCode.code');
    expect(decodeError({ contents: [...contents, { role: 'model', parts: [{ codeExecutionResult: 'ok' }] }] }).param).to.equal('contents[1].parts[0].codeExecutionResult');
  });
});
