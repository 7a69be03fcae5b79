import { expect } from 'chai';
import { LipError } from '../../../lib/errors/index.js';
import { encodeResponsesRequest, responsesOptions } from '../../../lib/backends/openai-responses/index.js';
import { REASONING_DIALECTS, emptyCall, type Call } from '../../../lib/canonical/index.js';

const options = (extra: Record<string, unknown> = {}) => responsesOptions({ id: 'b', kind: 'openai-responses', models: [], ...extra });
const call = (overrides: Partial<Call>): Call => emptyCall({ model: 'x', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], ...overrides });

describe('backends/openai-responses/encode-request', () => {
  it('is stateless: store false, instructions from system, streamed', () => {
    expect(encodeResponsesRequest(call({ system: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }] }), 'gpt-5', options())).to.deep.equal({
      model: 'gpt-5', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }], stream: true, store: false, instructions: 'A\n\nB',
    });
  });

  it('orders items as they happened: messages, reasoning, calls, outputs; keeps summaries apart', () => {
    const body = encodeResponsesRequest(call({
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'q' }, { type: 'image', url: 'https://x/i.png', detail: 'high' }, { type: 'file', data: 'JVBE', mediaType: 'application/pdf', filename: 'a.pdf' }, { type: 'file', fileId: 'file-1' }] },
        { role: 'assistant', parts: [
          { type: 'reasoning', dialect: REASONING_DIALECTS.openaiResponses, text: 'one\n\ntwo', summary: ['one', 'two'], opaque: 'enc', id: 'rs_1' },
          { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: 'foreign', signature: 's' },
          { type: 'text', text: 'Let me ' }, { type: 'text', text: 'check.' },
          { type: 'tool_call', id: 'call_1', name: 'f', arguments: '{"a":1}' },
        ] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_1', content: 'done' }] },
      ],
    }), 'gpt-5', options());
    expect(body.input).to.deep.equal([
      { type: 'message', role: 'user', content: [
        { type: 'input_text', text: 'q' }, { type: 'input_image', image_url: 'https://x/i.png', detail: 'high' },
        { type: 'input_file', filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBE' }, { type: 'input_file', file_id: 'file-1' },
      ] },
      { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'one' }, { type: 'summary_text', text: 'two' }], encrypted_content: 'enc' },
      { type: 'message', role: 'assistant', content: 'Let me check.' },
      { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{"a":1}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'done' },
    ]);
    expect(body.include).to.deep.equal(['reasoning.encrypted_content']);
  });

  it('stateless, sends a reasoning item only with its encrypted content; with store true one of summaries alone too', () => {
    const history = call({ messages: [
      { role: 'user', parts: [{ type: 'text', text: 'q' }] },
      { role: 'assistant', parts: [
        { type: 'reasoning', dialect: REASONING_DIALECTS.openaiResponses, text: 'unsealed', summary: ['unsealed'], id: 'rs_lip' },
        { type: 'tool_call', id: 'call_1', name: 'f', arguments: '{}' },
      ] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_1', content: 'done' }] },
    ] });
    const reasoning = (store: boolean) => (encodeResponsesRequest(history, 'm', options({ store })).input as Record<string, unknown>[]).filter((i) => i.type === 'reasoning');
    expect(reasoning(false), 'OpenAI would look rs_lip up, and keeps nothing with store false').to.deep.equal([]);
    expect(encodeResponsesRequest(history, 'm', options()), 'nothing of it replayed: no include for it').not.to.have.property('include');
    expect(reasoning(true)).to.deep.equal([{ type: 'reasoning', id: 'rs_lip', summary: [{ type: 'summary_text', text: 'unsealed' }] }]);
  });

  it('asks for encrypted reasoning only when useful (auto), always or never', () => {
    expect(encodeResponsesRequest(call({}), 'm', options())).not.to.have.property('include');
    expect(encodeResponsesRequest(call({ options: { reasoning: { effort: 'low' } } }), 'm', options()).include).to.deep.equal(['reasoning.encrypted_content']);
    expect(encodeResponsesRequest(call({}), 'm', options({ encrypted_reasoning: 'always' })).include).to.deep.equal(['reasoning.encrypted_content']);
    expect(encodeResponsesRequest(call({ options: { reasoning: { effort: 'low' } } }), 'm', options({ encrypted_reasoning: 'never' }))).not.to.have.property('include');
    expect(encodeResponsesRequest(call({ options: { reasoning: { effort: 'low' } } }), 'm', options({ store: true }))).to.deep.include({ store: true }).and.not.have.property('include');
  });

  it('asks for no reasoning and no encrypted reasoning when the call turns thinking off or only hides the thoughts', () => {
    // A Gemini client's thinkingBudget 0 (with or without includeThoughts) and includeThoughts false alone.
    for (const reasoning of [{ budgetTokens: 0 }, { budgetTokens: 0, includeThoughts: true }, { includeThoughts: false }]) {
      expect(encodeResponsesRequest(call({ options: { reasoning } }), 'm', options()), JSON.stringify(reasoning)).not.to.have.any.keys('reasoning', 'include');
    }
    // Hidden thoughts with a budget still think: the effort and encrypted reasoning, no summary.
    expect(encodeResponsesRequest(call({ options: { reasoning: { budgetTokens: 2048, includeThoughts: false } } }), 'm', options())).to.deep.include({ reasoning: { effort: 'low' }, include: ['reasoning.encrypted_content'] });
    expect(encodeResponsesRequest(call({ options: { reasoning: { budgetTokens: 0 } } }), 'm', options({ encrypted_reasoning: 'always' })).include).to.deep.equal(['reasoning.encrypted_content']);
  });

  it('maps reasoning, tools, sampling, output format and verbosity; refuses stop sequences (retryable), which the API has not', () => {
    let refused: unknown;
    try { encodeResponsesRequest(call({ options: { stopSequences: ['X'] } }), 'm', options()); } catch (e) { refused = e; }
    expect(refused).to.be.instanceOf(LipError).and.to.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true, status: 400 });
    expect((refused as Error).message).to.include('generationConfig.stopSequences').and.to.include('openai-responses has none');
    expect(encodeResponsesRequest(call({ options: { stopSequences: [] } }), 'm', options())).not.to.have.property('stop');
    const body = encodeResponsesRequest(call({
      tools: [{ name: 'f', parameters: { type: 'object' } }], toolChoice: { type: 'tool', name: 'f' },
      options: {
        reasoning: { effort: 'high' }, temperature: 0.3, topP: 0.7, maxOutputTokens: 99, parallelToolCalls: true,
        verbosity: 'high', responseFormat: { type: 'json_schema', description: 'd', schema: { type: 'object' }, strict: true },
      },
      metadata: { a: 'b' },
    }), 'm', options());
    expect(body).to.deep.include({
      reasoning: { effort: 'high', summary: 'auto' },
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' }, strict: false }], tool_choice: { type: 'function', name: 'f' }, parallel_tool_calls: true,
      temperature: 0.3, top_p: 0.7, max_output_tokens: 99,
      text: { verbosity: 'high', format: { type: 'json_schema', name: 'response', description: 'd', schema: { type: 'object' }, strict: true } },
      metadata: { a: 'b' },
    });
    expect(body).not.to.have.property('stop');
    // The client's summary level goes as asked (it was the row's `auto` whatever the client said);
    // the row's `none` still turns summaries off.
    expect(encodeResponsesRequest(call({ options: { reasoning: { effort: 'low', includeThoughts: true, summary: 'detailed' } } }), 'm', options()).reasoning).to.deep.equal({ effort: 'low', summary: 'detailed' });
    expect(encodeResponsesRequest(call({ options: { reasoning: { effort: 'low', includeThoughts: true } } }), 'm', options({ reasoning_summary: 'concise' })).reasoning).to.deep.equal({ effort: 'low', summary: 'concise' });
    expect(encodeResponsesRequest(call({ options: { reasoning: { effort: 'low', includeThoughts: true, summary: 'detailed' } } }), 'm', options({ reasoning_summary: 'none' })).reasoning).to.deep.equal({ effort: 'low' });
    // The API refuses fewer than 16 output tokens (an Anthropic client's `max_tokens: 1` probe).
    expect([1, 15, 16, 17].map((n) => encodeResponsesRequest(call({ options: { maxOutputTokens: n } }), 'm', options()).max_output_tokens)).to.deep.equal([16, 16, 16, 17]);
    expect(encodeResponsesRequest(call({ options: { reasoning: { effort: 'low', includeThoughts: false } } }), 'm', options()).reasoning).to.deep.equal({ effort: 'low' });
    const restricted = encodeResponsesRequest(call({ tools: [{ name: 'f', parameters: {} }, { name: 'g', parameters: {} }, { name: 'c', parameters: {}, kind: 'custom' }], toolChoice: { type: 'auto', allowed: ['f', 'c'] } }), 'm', options());
    expect([(restricted.tools as unknown[]).length, restricted.tool_choice]).to.deep.equal([3, { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function', name: 'f' }, { type: 'custom', name: 'c' }] }]);
    const optional = { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['a'], additionalProperties: false };
    const closed = { ...optional, required: ['a', 'b'] };
    const strictOf = (parameters: Record<string, unknown>, strict?: boolean) => (encodeResponsesRequest(call({ tools: [{ name: 'f', parameters, ...(strict !== undefined ? { strict } : {}) }] }), 'm', options()).tools as { strict: boolean }[])[0]!.strict;
    expect([strictOf(closed, true), strictOf(optional, true), strictOf(closed, false), strictOf(closed)]).to.deep.equal([true, false, false, false]);
    // A Responses client's tool that left strict out keeps the API's default: no strict at all.
    const omitted = encodeResponsesRequest(call({ tools: [{ name: 'f', parameters: optional, providerOptions: { openai: { strictOmitted: true } } }, { name: 'g', parameters: closed, strict: false, providerOptions: { openai: { strictOmitted: true } } }] }), 'm', options()).tools as Record<string, unknown>[];
    expect(omitted.map((t) => ('strict' in t ? t.strict : 'absent'))).to.deep.equal(['absent', false]);
  });
});
