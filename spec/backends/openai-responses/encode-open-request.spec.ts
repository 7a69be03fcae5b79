import { expect } from 'chai';
import { LipError } from '../../../lib/errors/index.js';
import { checkResponsesRow, encodeOpenResponsesRequest, responsesOptions } from '../../../lib/backends/openai-responses/index.js';
import { REASONING_DIALECTS, emptyCall, type Call } from '../../../lib/canonical/index.js';
import { refusalOf } from '../../helpers/refusal.js';

const options = (extra: Record<string, unknown> = {}) => responsesOptions({ id: 'ors', kind: 'custom-openresponses', models: [], profile: 'openresponses', ...extra });
const call = (overrides: Partial<Call>): Call => emptyCall({ model: 'x', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], ...overrides });
const encode = (c: Call, extra?: Record<string, unknown>) => encodeOpenResponsesRequest(c, 'm', options(extra), 'ors');

describe('backends/openai-responses/encode-open-request (profile openresponses)', () => {
  it('writes the profile\'s items: messages with input parts, assistant output_text, function calls and outputs; no foreign reasoning', () => {
    const body = encode(call({
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'q' }, { type: 'image', url: 'https://x/i.png' }, { type: 'image', url: 'https://x/o.png', detail: 'original' }, { type: 'file', data: 'JVBE', mediaType: 'application/pdf', filename: 'a.pdf' }, { type: 'file', url: 'https://x/b.pdf' }] },
        { role: 'assistant', parts: [
          { type: 'reasoning', dialect: REASONING_DIALECTS.openaiResponses, text: 'think', opaque: 'enc', id: 'rs_1' },
          { type: 'text', text: 'Let me ' }, { type: 'text', text: 'check.' },
          { type: 'tool_call', id: 'call_1', name: 'f', arguments: '{"a":1}' },
        ] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_1', content: 'done' }] },
        { role: 'system', parts: [{ type: 'text', text: 'Now answer.' }] },
      ],
    }));
    expect(body).to.deep.include({ model: 'm', stream: true, store: false, instructions: 'Be brief.' });
    expect(body.input).to.deep.equal([
      { type: 'message', role: 'user', content: [
        { type: 'input_text', text: 'q' }, { type: 'input_image', image_url: 'https://x/i.png', detail: 'auto' },
        // The specification's details are low, high and auto: OpenAI's `original` goes as high.
        { type: 'input_image', image_url: 'https://x/o.png', detail: 'high' },
        { type: 'input_file', filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBE' }, { type: 'input_file', file_url: 'https://x/b.pdf' },
      ] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Let me check.' }] },
      { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{"a":1}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'done' },
      { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'Now answer.' }] },
    ]);
    expect(body).to.not.have.property('include');
  });

  it('sends the profile\'s options: sampling with both penalties, limits, reasoning effort (minimal as low) and summary, text format, logprobs, the end user as safety_identifier', () => {
    const body = encode(call({
      user: 'u-1',
      options: {
        temperature: 0.2, topP: 0.8, presencePenalty: 0.1, frequencyPenalty: 0.3, maxOutputTokens: 99, logprobs: 2, verbosity: 'low', seed: 7,
        reasoning: { effort: 'minimal' }, responseFormat: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true },
      },
      metadata: { k: 'v' },
    }));
    expect(body).to.deep.include({
      temperature: 0.2, top_p: 0.8, presence_penalty: 0.1, frequency_penalty: 0.3, max_output_tokens: 99, top_logprobs: 2,
      include: ['message.output_text.logprobs'], reasoning: { effort: 'low', summary: 'auto' }, metadata: { k: 'v' }, safety_identifier: 'u-1',
      text: { verbosity: 'low', format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } },
    });
    expect(body).to.not.have.any.keys('seed', 'stop', 'user');
    // Stop sequences do not exist there either: refused, retryably, not dropped.
    expect(() => encode(call({ options: { stopSequences: ['x'] } }))).to.throw(LipError, 'stop sequences').with.property('retryable', true);
    // Thinking off (a budget of 0) or thoughts only hidden: no reasoning asked for.
    for (const reasoning of [{ budgetTokens: 0 }, { includeThoughts: false }]) expect(encode(call({ options: { reasoning } }))).not.to.have.property('reasoning');
    // JSON mode: the profile's request formats are text and json_schema.
    expect(encode(call({ options: { responseFormat: { type: 'json_object' } } })).text).to.deep.equal({ format: { type: 'json_schema', name: 'json_object', schema: { type: 'object' }, strict: false } });
  });

  it('of the client\'s OpenAI knobs sends those the profile has; none with provider_options: false', () => {
    const knobs = { providerOptions: { openai: { serviceTier: 'flex', promptCacheKey: 'conv-1', truncation: 'auto', promptCacheRetention: '24h', safetyIdentifier: 'sid' } } } as Partial<Call>;
    expect(encode(call(knobs))).to.deep.include({ service_tier: 'flex', prompt_cache_key: 'conv-1', truncation: 'auto', safety_identifier: 'sid' });
    expect(encode(call(knobs))).to.not.have.property('prompt_cache_retention');
    expect(encode(call(knobs), { provider_options: false })).to.not.have.any.keys('service_tier', 'prompt_cache_key', 'truncation', 'safety_identifier');
  });

  it('declares function tools with strict only for schemas that take it, and every tool choice form', () => {
    const tools = [{ name: 'f', parameters: { type: 'object', properties: {}, additionalProperties: false }, strict: true }, { name: 'g', description: 'G', parameters: { type: 'object' } }];
    const body = encode(call({ tools, toolChoice: { type: 'tool', name: 'g' }, options: { parallelToolCalls: false } }));
    expect(body.tools).to.deep.equal([
      { type: 'function', name: 'f', parameters: { type: 'object', properties: {}, additionalProperties: false }, strict: true },
      { type: 'function', name: 'g', description: 'G', parameters: { type: 'object' }, strict: false },
    ]);
    expect(body).to.deep.include({ tool_choice: { type: 'function', name: 'g' }, parallel_tool_calls: false });
    expect(encode(call({ tools, toolChoice: { type: 'any' } })).tool_choice).to.equal('required');
    expect(encode(call({ toolChoice: { type: 'none' } })).tool_choice).to.equal('none');
  });

  it('refuses, retryable, what the profile cannot carry: a file known only by id, a hosted tool, the hosted web search', () => {
    const byId = refusalOf(() => encode(call({ messages: [{ role: 'user', parts: [{ type: 'file', fileId: 'file-9' }] }] })));
    expect(byId).to.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
    expect(byId.message).to.contain('ors cannot send a file known only by its file id ("file-9")');
    const google = refusalOf(() => encode(call({ messages: [{ role: 'user', parts: [{ type: 'image', url: 'gs://b/cat.png' }, { type: 'file', url: 'https://generativelanguage.googleapis.com/v1beta/files/x' }] }] })));
    expect(google).to.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
    expect(google.message).to.contain("ors cannot read a file in Google's storage (\"gs://b/cat.png\")");
    const hosted = refusalOf(() => encode(call({ tools: [{ name: 'code_interpreter', kind: 'hosted', parameters: {}, providerTool: { dialect: 'openai-responses', definition: { type: 'code_interpreter' } } }] as Call['tools'] })));
    expect(hosted).to.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
    const search = refusalOf(() => encode(call({ tools: [{ name: 'web_search', kind: 'web_search', parameters: {} }] as Call['tools'] })));
    expect(search.message).to.contain('runs no hosted web search');
  });

  it('the row: the profile asks for no encrypted reasoning and flat tool names; a row that says otherwise is refused', () => {
    expect(options()).to.include({ profile: 'openresponses', encryptedReasoning: 'never', toolNamespaces: 'flatten' });
    expect(checkResponsesRow({ profile: 'openresponses' })).to.equal(undefined);
    expect(checkResponsesRow({ profile: 'openresponses', encrypted_reasoning: 'auto' })).to.deep.include({ key: 'encrypted_reasoning' });
    expect(checkResponsesRow({ profile: 'openresponses', tool_namespaces: 'native' })).to.deep.include({ key: 'tool_namespaces' });
    expect(checkResponsesRow({ encrypted_reasoning: 'always', tool_namespaces: 'native' })).to.equal(undefined);
  });
});
