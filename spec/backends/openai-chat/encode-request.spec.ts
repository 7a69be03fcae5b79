import { expect } from 'chai';
import { chatOptions, encodeChatRequest } from '../../../lib/backends/openai-chat/index.js';
import { REASONING_DIALECTS, emptyCall, type Call } from '../../../lib/canonical/index.js';

const options = (extra: Record<string, unknown> = {}) => chatOptions({ id: 'b', kind: 'openai-chat', models: [], ...extra });
const call = (overrides: Partial<Call>): Call => emptyCall({ model: 'x', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], ...overrides });

describe('backends/openai-chat/encode-request', () => {
  // api.openai.com takes at most 4 stop sequences and refuses more with a 400 that is not
  // retryable; 5 were sent on as given, so a route never moved on to a candidate that takes them.
  it('refuses more stop sequences than the row takes before sending, retryable: 4 at api.openai.com, max_stop_sequences elsewhere, else any', () => {
    const five = call({ options: { stopSequences: ['a', 'b', 'c', 'd', 'e'] } });
    expect(encodeChatRequest(call({ options: { stopSequences: ['a', 'b', 'c', 'd'] } }), 'gpt', options()).stop).to.deep.equal(['a', 'b', 'c', 'd']);
    for (const extra of [{}, { base_url: 'https://api.openai.com/v1/' }, { base_url: 'http://127.0.0.1:8000/v1', max_stop_sequences: 4 }]) {
      expect(() => encodeChatRequest(five, 'gpt', options(extra)), JSON.stringify(extra)).to.throw()
        .that.deep.includes({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', status: 400, retryable: true })
        .and.has.property('message').that.matches(/^stop sequences \(stop, stop_sequences, generationConfig\.stopSequences\): openai-chat backend "b" takes at most 4, the request has 5/);
    }
    // A compatible server (vLLM) takes more: no limit unless the row sets one; a row at OpenAI may raise it.
    expect(encodeChatRequest(five, 'gpt', options({ base_url: 'http://127.0.0.1:8000/v1' })).stop).to.have.length(5);
    expect(encodeChatRequest(five, 'gpt', options({ max_stop_sequences: 8 })).stop).to.have.length(5);
  });

  it('always streams and asks for streamed usage unless the row turns it off', () => {
    expect(encodeChatRequest(call({}), 'gpt', options())).to.deep.equal({
      model: 'gpt', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true },
    });
    expect(encodeChatRequest(call({}), 'gpt', options({ stream_usage: false }))).not.to.have.property('stream_options');
  });

  it('maps system, images, documents, tool history and mid-conversation system messages', () => {
    const body = encodeChatRequest(call({
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'Look' }, { type: 'image', data: 'AAAA', mediaType: 'image/png', detail: 'low' }, { type: 'image', url: 'https://x/y.png' }, { type: 'image', url: 'https://x/z.png', detail: 'original' }, { type: 'file', data: 'JVBE', mediaType: 'application/pdf', filename: 'a.pdf' }] },
        { role: 'assistant', parts: [{ type: 'text', text: 'Calling.' }, { type: 'tool_call', id: 'c1', name: 'f', arguments: '{"a":1}' }, { type: 'tool_call', id: 'c2', name: 'g', arguments: '{}' }] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: 'one' }, { type: 'tool_result', callId: 'c2', content: [{ type: 'text', text: 'two' }] }] },
        { role: 'system', parts: [{ type: 'text', text: 'Now summarise.' }] },
      ],
    }), 'gpt', options());
    expect(body.messages).to.deep.equal([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [
        { type: 'text', text: 'Look' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
        { type: 'image_url', image_url: { url: 'https://x/y.png' } },
        // The Responses API's `original` (full resolution) is Chat's nearest, high.
        { type: 'image_url', image_url: { url: 'https://x/z.png', detail: 'high' } },
        { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBE', filename: 'a.pdf' } },
      ] },
      { role: 'assistant', content: 'Calling.', tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
        { id: 'c2', type: 'function', function: { name: 'g', arguments: '{}' } },
      ] },
      { role: 'tool', tool_call_id: 'c1', content: 'one' },
      { role: 'tool', tool_call_id: 'c2', content: 'two' },
      { role: 'system', content: 'Now summarise.' },
    ]);
  });

  it('sends the images and documents of tool results as a user message after the run of tool messages (tool messages take text only)', () => {
    const body = encodeChatRequest(call({
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'Screenshot both' }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'shot', arguments: '{}' }, { type: 'tool_call', id: 'c2', name: 'shot', arguments: '{}' }] },
        { role: 'tool', parts: [
          { type: 'tool_result', callId: 'c1', content: [{ type: 'text', text: 'first' }, { type: 'image', data: 'AAAA', mediaType: 'image/png' }] },
          { type: 'tool_result', callId: 'c2', content: [{ type: 'image', url: 'https://x/2.png' }, { type: 'file', data: 'JVBE', mediaType: 'application/pdf', filename: 'r.pdf' }] },
        ] },
        { role: 'user', parts: [{ type: 'text', text: 'Compare them.' }] },
      ],
    }), 'gpt', options());
    expect((body.messages as unknown[]).slice(2)).to.deep.equal([
      { role: 'tool', tool_call_id: 'c1', content: 'first' },
      { role: 'tool', tool_call_id: 'c2', content: '' },
      { role: 'user', content: [
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        { type: 'image_url', image_url: { url: 'https://x/2.png' } },
        { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBE', filename: 'r.pdf' } },
      ] },
      { role: 'user', content: 'Compare them.' },
    ]);
    const last = encodeChatRequest(call({ messages: [
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'shot', arguments: '{}' }] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: [{ type: 'image', data: 'AAAA', mediaType: 'image/png' }] }] },
    ] }), 'gpt', options());
    expect((last.messages as unknown[]).at(-1)).to.deep.equal({ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] });
  });

  it('sends the participant name of user and assistant messages', () => {
    const body = encodeChatRequest(call({ messages: [
      { role: 'user', name: 'alice', parts: [{ type: 'text', text: 'hi' }] },
      { role: 'assistant', name: 'helper', parts: [{ type: 'text', text: 'hello' }] },
      { role: 'user', parts: [{ type: 'text', text: 'plain' }] },
    ] }), 'gpt', options());
    expect(body.messages).to.deep.equal([
      { role: 'user', name: 'alice', content: 'hi' },
      { role: 'assistant', content: 'hello', name: 'helper' },
      { role: 'user', content: 'plain' },
    ]);
  });

  it('sends null content for an assistant turn with only tool calls', () => {
    const body = encodeChatRequest(call({ messages: [{ role: 'user', parts: [{ type: 'text', text: 'q' }] }, { role: 'assistant', parts: [{ type: 'tool_call', id: 'c', name: 'f', arguments: '{}' }] }] }), 'gpt', options());
    expect((body.messages as Record<string, unknown>[])[1]).to.deep.include({ content: null });
  });

  it('maps tools, tool choice and generation options', () => {
    const body = encodeChatRequest(call({
      tools: [{ name: 'f', description: 'd', parameters: { type: 'object', properties: {}, additionalProperties: false }, strict: true }],
      toolChoice: { type: 'tool', name: 'f' },
      options: {
        temperature: 0.2, topP: 0.9, maxOutputTokens: 100, stopSequences: ['END'], presencePenalty: 0.1, frequencyPenalty: 0.3, seed: 7,
        reasoning: { effort: 'high' }, verbosity: 'low', parallelToolCalls: false,
        responseFormat: { type: 'json_schema', name: 'out', description: 'd', schema: { type: 'object' }, strict: true },
      },
      metadata: { k: 'v' }, user: 'u1',
    }), 'gpt', options({ base_url: 'http://127.0.0.1:4000/v1' }));
    expect(body).to.deep.include({
      tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object', properties: {}, additionalProperties: false }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'f' } }, parallel_tool_calls: false,
      temperature: 0.2, top_p: 0.9, max_completion_tokens: 100, stop: ['END'], presence_penalty: 0.1, frequency_penalty: 0.3, seed: 7,
      reasoning_effort: 'high', verbosity: 'low',
      response_format: { type: 'json_schema', json_schema: { name: 'out', description: 'd', schema: { type: 'object' }, strict: true } },
      metadata: { k: 'v' }, user: 'u1',
    });
    // OpenAI's own API refuses metadata without `store: true`, which lip never sends there.
    for (const base_url of ['https://api.openai.com/v1', 'https://API.openai.com:443/v1']) {
      expect(encodeChatRequest(call({ metadata: { k: 'v' } }), 'gpt', options({ base_url })), base_url).not.to.have.property('metadata');
    }
    expect(encodeChatRequest(call({ metadata: { k: 'v' } }), 'gpt', options({ base_url: 'https://api.openai.com.example.net/v1' }))).to.have.property('metadata');
    expect(encodeChatRequest(call({ tools: [{ name: 'f', parameters: {} }], toolChoice: { type: 'any' } }), 'gpt', options()).tool_choice).to.equal('required');
    const restricted = call({ tools: [{ name: 'f', parameters: {} }, { name: 'g', parameters: {} }, { name: 'c', parameters: {}, kind: 'custom' }], toolChoice: { type: 'any', allowed: ['g', 'c'] } });
    const native = encodeChatRequest(restricted, 'gpt', options());
    expect((native.tools as unknown[]).length).to.equal(3);
    expect(native.tool_choice).to.deep.equal({ type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'g' } }, { type: 'custom', custom: { name: 'c' } }] } });
    const filtered = encodeChatRequest({ ...restricted, toolChoice: { type: 'auto', allowed: ['g'] } }, 'gpt', options({ allowed_tools: 'filter' }));
    expect([(filtered.tools as { function: { name: string } }[]).map((t) => t.function.name), filtered.tool_choice]).to.deep.equal([['g'], 'auto']);
    const optional = { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['a'], additionalProperties: false };
    const closed = { ...optional, required: ['a', 'b'] };
    const strictOf = (parameters: Record<string, unknown>, strict?: boolean) => (encodeChatRequest(call({ tools: [{ name: 'f', parameters, ...(strict !== undefined ? { strict } : {}) }] }), 'gpt', options()).tools as { function: { strict?: boolean } }[])[0]!.function.strict;
    expect([strictOf(closed, true), strictOf(optional, true), strictOf(closed, false), strictOf(closed)]).to.deep.equal([true, false, false, undefined]);
  });

  it('follows the row quirks: max_tokens, OpenRouter-style reasoning object', () => {
    const body = encodeChatRequest(call({ options: { maxOutputTokens: 50, reasoning: { effort: 'low' } } }), 'm', options({ max_tokens_field: 'max_tokens', reasoning_param: 'reasoning' }));
    expect(body).to.deep.include({ max_tokens: 50, reasoning: { effort: 'low' } });
    expect(body).not.to.have.property('reasoning_effort');
    const budget = encodeChatRequest(call({ options: { reasoning: { budgetTokens: 2000 } } }), 'm', options({ reasoning_param: 'reasoning' }));
    expect(budget.reasoning).to.deep.equal({ max_tokens: 2000 });
  });

  it('replays only chat reasoning, and only into the field the row names', () => {
    const history = call({
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'q' }] },
        { role: 'assistant', parts: [
          { type: 'reasoning', dialect: REASONING_DIALECTS.openaiChat, text: 'mine' },
          { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: 'theirs', signature: 's' },
          { type: 'text', text: 'a' },
        ] },
      ],
    });
    expect((encodeChatRequest(history, 'm', options({ reasoning_field: 'reasoning_content' })).messages as Record<string, unknown>[])[1]).to.deep.equal({ role: 'assistant', content: 'a', reasoning_content: 'mine' });
    expect((encodeChatRequest(history, 'm', options()).messages as Record<string, unknown>[])[1]).to.deep.equal({ role: 'assistant', content: 'a' });
  });

  it('replays plain reasoning text of another dialect (a client of another protocol handing a Chat server\'s reasoning back), never a signed or opaque block or lip\'s compaction summary', () => {
    const history = call({
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'q' }] },
        { role: 'assistant', parts: [
          { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: 'relayed ' },
          { type: 'reasoning', dialect: REASONING_DIALECTS.openaiResponses, text: 'summary', id: 'rs_1' },
          { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: 'signed', signature: 's' },
          { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicRedacted, opaque: 'blob' },
          { type: 'reasoning', dialect: REASONING_DIALECTS.openaiResponses, text: 'encrypted', opaque: 'enc' },
          { type: 'reasoning', dialect: REASONING_DIALECTS.lipCompaction, text: 'summary of the past' },
          { type: 'text', text: 'a' },
        ] },
      ],
    });
    expect((encodeChatRequest(history, 'm', options({ reasoning_field: 'reasoning_content' })).messages as Record<string, unknown>[])[1]).to.deep.equal({ role: 'assistant', content: 'a', reasoning_content: 'relayed summary' });
  });

  it('prefill: a trailing assistant text is marked as the answer\'s start (partial, prefix), and only that', () => {
    const prefilled = call({ messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }, { role: 'assistant', parts: [{ type: 'text', text: 'Dear customer,' }] }] });
    const last = (o: ReturnType<typeof options>, c: Call = prefilled) => (encodeChatRequest(c, 'm', o).messages as Record<string, unknown>[]).at(-1);
    expect(last(options({ prefill: 'partial' }))).to.deep.equal({ role: 'assistant', content: 'Dear customer,', partial: true });
    expect(last(options({ prefill: 'prefix' }))).to.deep.equal({ role: 'assistant', content: 'Dear customer,', prefix: true });
    expect(last(options())).to.deep.equal({ role: 'assistant', content: 'Dear customer,' });
    // An assistant turn with tool calls, or one followed by more, is history, not a start.
    const withCall = call({ messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }, { role: 'assistant', parts: [{ type: 'text', text: 'Calling.' }, { type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' }] }] });
    expect(last(options({ prefill: 'partial' }), withCall)).to.not.have.property('partial');
    const history = call({ messages: [...prefilled.messages, { role: 'user', parts: [{ type: 'text', text: 'more' }] }] });
    expect((encodeChatRequest(history, 'm', options({ prefill: 'partial' })).messages as Record<string, unknown>[]).some((m) => 'partial' in m)).to.equal(false);
  });
});
