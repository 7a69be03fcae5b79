import { expect } from 'chai';
import { decodeChatRequest } from '../../../lib/frontends/openai-chat/index.js';
import { isLipError } from '../../../lib/errors/index.js';

function rejection(body: unknown): string {
  try {
    decodeChatRequest(body);
  } catch (err) {
    if (isLipError(err)) return `${err.status} ${err.param ?? '-'} ${err.message}`;
    throw err;
  }
  return 'accepted';
}

describe('frontends/openai-chat/decodeChatRequest', () => {
  // A json_schema response_format without its json_schema object was read as plain text (200 on
  // every backend); OpenAI refuses it: "Missing required parameter: 'response_format.json_schema'".
  it('refuses a json_schema response_format without its json_schema object, naming response_format.json_schema', () => {
    const body = (response_format: unknown) => ({ model: 'm', messages: [{ role: 'user', content: 'x' }], response_format });
    expect(rejection(body({ type: 'json_schema' }))).to.equal('400 response_format.json_schema response_format.json_schema: is required');
    expect(rejection(body({ type: 'json_schema', json_schema: null }))).to.match(/^400 response_format\.json_schema /);
    expect(decodeChatRequest(body({ type: 'json_schema', json_schema: { name: 'r' } })).call.options.responseFormat).to.deep.equal({ type: 'json_schema', name: 'r', schema: {} });
    expect(decodeChatRequest(body({ type: 'text' })).call.options.responseFormat).to.deep.equal({ type: 'text' });
    expect(decodeChatRequest(body(null)).call.options.responseFormat).to.equal(undefined);
  });

  it('decodes a full conversation', () => {
    const { call, hints } = decodeChatRequest({
      model: 'gpt-4o', stream: true, stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'developer', content: [{ type: 'text', text: 'dev' }] },
        { role: 'user', content: [
          { type: 'text', text: 'look' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,aGk=', detail: 'low' } },
          { type: 'image_url', image_url: { url: 'https://x/y.png' } },
          { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBE', filename: 'a.pdf' } },
        ] },
        { role: 'assistant', content: null, reasoning_content: 'hmm', tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'get', arguments: '{"a":1}' } },
          { id: 'c2', type: 'function', function: { name: 'put', arguments: '' } },
        ] },
        { role: 'tool', tool_call_id: 'c1', content: 'one' },
        { role: 'tool', tool_call_id: 'c2', content: [{ type: 'text', text: 'two' }] },
        { role: 'system', content: 'late system' },
        { role: 'user', content: 'next' },
      ],
      tools: [{ type: 'function', function: { name: 'get', description: 'd', parameters: { type: 'object' } } }, { type: 'function', function: { name: 'put' } }],
      tool_choice: { type: 'function', function: { name: 'get' } },
      temperature: 0.2, top_p: 0.9, max_tokens: 10, max_completion_tokens: 20, stop: 'END', seed: 7,
      reasoning_effort: 'high', verbosity: 'low', parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'r', description: 'a reply', schema: { type: 'object' }, strict: true } },
      metadata: { k: 'v' }, user: 'u1',
    });
    expect(hints).to.deep.equal({ includeUsage: true });
    expect(call.stream).to.equal(true);
    expect(call.system).to.deep.equal([{ type: 'text', text: 'sys' }, { type: 'text', text: 'dev' }]);
    expect(call.messages).to.deep.equal([
      { role: 'user', parts: [
        { type: 'text', text: 'look' },
        { type: 'image', data: 'aGk=', mediaType: 'image/png', detail: 'low' },
        { type: 'image', url: 'https://x/y.png' },
        { type: 'file', data: 'JVBE', mediaType: 'application/pdf', filename: 'a.pdf' },
      ] },
      { role: 'assistant', parts: [
        { type: 'reasoning', dialect: 'openai.chat.reasoning_content', text: 'hmm' },
        { type: 'tool_call', id: 'c1', name: 'get', arguments: '{"a":1}' },
        { type: 'tool_call', id: 'c2', name: 'put', arguments: '' },
      ] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: 'one' }] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'c2', content: [{ type: 'text', text: 'two' }] }] },
      { role: 'system', parts: [{ type: 'text', text: 'late system' }] },
      { role: 'user', parts: [{ type: 'text', text: 'next' }] },
    ]);
    expect(call.tools).to.deep.equal([
      { name: 'get', description: 'd', parameters: { type: 'object' } },
      { name: 'put', parameters: { type: 'object', properties: {} } },
    ]);
    expect(call.toolChoice).to.deep.equal({ type: 'tool', name: 'get' });
    expect(call.options).to.deep.equal({
      temperature: 0.2, topP: 0.9, maxOutputTokens: 20, stopSequences: ['END'], seed: 7, reasoning: { effort: 'high' },
      verbosity: 'low', parallelToolCalls: false, responseFormat: { type: 'json_schema', schema: { type: 'object' }, name: 'r', description: 'a reply', strict: true },
    });
    expect(call.metadata).to.deep.equal({ k: 'v' });
    expect(call.user).to.equal('u1');
  });

  it('keeps cache_control breakpoints on content parts (as OpenRouter-style clients send them for Claude)', () => {
    const eph = { type: 'ephemeral' };
    const call = decodeChatRequest({
      model: 'm',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Rules.', cache_control: { type: 'ephemeral', ttl: '1h' } }] },
        { role: 'user', content: [{ type: 'text', text: 'Look.', cache_control: eph }, { type: 'image_url', image_url: { url: 'https://x/a.png' }, cache_control: eph }, { type: 'text', text: 'plain' }] },
      ],
    }).call;
    expect(call.system).to.deep.equal([{ type: 'text', text: 'Rules.', cache: { ttl: '1h' } }]);
    expect(call.messages[0]!.parts).to.deep.equal([{ type: 'text', text: 'Look.', cache: {} }, { type: 'image', url: 'https://x/a.png', cache: {} }, { type: 'text', text: 'plain' }]);
  });

  // Found by probing the SDKs: a message's `name` (speakers of one role told apart) was dropped,
  // even Chat to Chat.
  it('refuses top_logprobs without logprobs: true, as OpenAI does (the alternatives would silently not come back)', () => {
    const messages = [{ role: 'user', content: 'hi' }];
    expect(rejection({ model: 'm', messages, top_logprobs: 3 })).to.match(/^400 top_logprobs top_logprobs: .*logprobs: true/);
    expect(rejection({ model: 'm', messages, logprobs: false, top_logprobs: 3 })).to.match(/^400 top_logprobs /);
    expect(decodeChatRequest({ model: 'm', messages, logprobs: true, top_logprobs: 3 }).call.options.logprobs).to.equal(3);
    // Nothing asked for, nothing lost: no alternatives, or none set.
    expect(decodeChatRequest({ model: 'm', messages, top_logprobs: 0 }).call.options.logprobs).to.equal(undefined);
    expect(decodeChatRequest({ model: 'm', messages, top_logprobs: null }).call.options.logprobs).to.equal(undefined);
  });

  it('keeps the participant name of user and assistant messages', () => {
    const { call } = decodeChatRequest({ model: 'm', messages: [
      { role: 'user', name: 'alice', content: 'hi' },
      { role: 'assistant', name: 'helper', content: 'hello' },
      { role: 'user', name: '', content: 'and bob?' },
      { role: 'user', content: 'plain' },
    ] });
    expect(call.messages.map((m) => m.name)).to.deep.equal(['alice', 'helper', undefined, undefined]);
  });

  it('maps tool_choice strings', () => {
    const choice = (tc: unknown) => decodeChatRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }], tool_choice: tc }).call.toolChoice;
    expect([choice('auto'), choice('none'), choice('required')]).to.deep.equal([{ type: 'auto' }, { type: 'none' }, { type: 'any' }]);
  });

  it('maps an allowed_tools choice onto the tools the model may call, naming what is wrong', () => {
    const tools = [
      { type: 'function', function: { name: 'a', parameters: { type: 'object' } } },
      { type: 'function', function: { name: 'b', parameters: { type: 'object' } } },
      { type: 'custom', custom: { name: 'c' } },
    ];
    const base = { model: 'm', messages: [{ role: 'user', content: 'x' }], tools };
    const entry = (name: string) => (name === 'c' ? { type: 'custom', custom: { name } } : { type: 'function', function: { name } });
    const allowed = (mode: string, names: string[]) => ({ type: 'allowed_tools', allowed_tools: { mode, tools: names.map(entry) } });
    const choice = (tc: unknown) => decodeChatRequest({ ...base, tool_choice: tc }).call.toolChoice;
    expect(choice(allowed('auto', ['a', 'c']))).to.deep.equal({ type: 'auto', allowed: ['a', 'c'] });
    expect(choice(allowed('required', ['b', 'c']))).to.deep.equal({ type: 'any', allowed: ['b', 'c'] });
    expect(choice(allowed('required', ['c']))).to.deep.equal({ type: 'tool', name: 'c' });
    expect(rejection({ ...base, tool_choice: allowed('auto', ['a', 'z']) })).to.equal('400 tool_choice.allowed_tools.tools[1] tool_choice.allowed_tools.tools[1]: names the tool "z", which is not in tools');
    expect(rejection({ ...base, tool_choice: allowed('auto', []) })).to.match(/^400 tool_choice\.allowed_tools\.tools .*at least 1 item/);
    expect(rejection({ ...base, tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'maybe', tools: [entry('a')] } } })).to.match(/^400 tool_choice\.allowed_tools\.mode /);
    expect(rejection({ ...base, tool_choice: { type: 'allowed_tools' } })).to.equal('400 tool_choice.allowed_tools tool_choice.allowed_tools: is required');
    expect(rejection({ ...base, tool_choice: { type: 'function', function: {} } })).to.equal('400 tool_choice.function.name tool_choice.function.name: is required');
    expect(rejection({ ...base, tool_choice: 'sometimes' })).to.match(/^400 tool_choice tool_choice: must be one of "auto", "none", "required"/);
  });

  it('turns legacy function_call / function messages into tool calls and results', () => {
    const { call } = decodeChatRequest({ model: 'm', messages: [
      { role: 'user', content: 'x' },
      { role: 'assistant', content: null, function_call: { name: 'f', arguments: '{}' } },
      { role: 'function', name: 'f', content: 'done' },
    ] });
    expect(call.messages[1]!.parts).to.deep.equal([{ type: 'tool_call', id: 'call_legacy_1', name: 'f', arguments: '{}' }]);
    expect(call.messages[2]!.parts).to.deep.equal([{ type: 'tool_result', callId: 'call_legacy_1', name: 'f', content: 'done' }]);
  });

  it('names the offending field of a wrong type', () => {
    expect(rejection({ model: 'm', messages: [{ role: 'user', content: 7 }] })).to.equal('400 messages[0].content messages[0].content: must be a string or an array of content parts (got number 7)');
    expect(rejection({ model: 'm', messages: 'hi' })).to.equal('400 messages messages: must be an array (got "hi")');
    expect(rejection({ model: 3, messages: [] })).to.equal('400 model model: must be a string (got number 3)');
    expect(rejection({ model: 'm', messages: [{ role: 'robot', content: 'x' }] })).to.match(/^400 messages\[0\]\.role messages\[0\]\.role: must be one of "system", "developer", "user", "assistant", "tool", "function" \(got "robot"\)$/);
    expect(rejection({ model: 'm', messages: [{ role: 'tool', content: 'x' }] })).to.equal('400 messages[0].tool_call_id messages[0].tool_call_id: is required');
    expect(rejection({ model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' })).to.equal('400 temperature temperature: must be a number or a null (got "hot")');
    expect(rejection({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] })).to.equal('400 messages[0].content[0].image_url.url messages[0].content[0].image_url.url: is required');
    expect(rejection([])).to.equal('400 - request body must be an object (got an array)');
    // OpenAI's three image details (a mutated one was passed on until the fuzz found it).
    expect(rejection({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low\u0000' } }] }] }))
      .to.match(/^400 messages\[0\]\.content\[0\]\.image_url\.detail messages\[0\]\.content\[0\]\.image_url\.detail: must be one of "auto", "low", "high"/);
  });

  it('requires the fields the API requires', () => {
    expect(rejection({ messages: [{ role: 'user', content: 'x' }] })).to.equal('400 model model: is required');
    expect(rejection({ model: 'm', messages: [] })).to.equal('400 messages messages: must have at least 1 item (got 0)');
  });

  it('refuses what it cannot honour instead of ignoring it', () => {
    expect(rejection({ model: 'm', n: 2, messages: [{ role: 'user', content: 'x' }] })).to.equal('400 n n: only one choice per request is supported (n must be 1)');
    // OpenAI answers n below 1 with a 400 naming n; it was taken as 1.
    expect(rejection({ model: 'm', n: 0, messages: [{ role: 'user', content: 'x' }] })).to.equal('400 n n: must be >= 1 (got number 0)');
    expect(rejection({ model: 'm', n: -3, messages: [{ role: 'user', content: 'x' }] })).to.equal('400 n n: must be >= 1 (got number -3)');
    expect(rejection({ model: 'm', n: 1, messages: [{ role: 'user', content: 'x' }] })).to.equal('accepted');
    expect(rejection({ model: 'm', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] })).to.match(/^400 messages\[0\]\.content\[0\]\.input_audio\.data .*is required/);
    const audio = (format: string) => decodeChatRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'QUJD', format } }] }] }).call.messages[0]!.parts[0];
    expect([audio('wav'), audio('mp3')]).to.deep.equal([{ type: 'file', data: 'QUJD', mediaType: 'audio/wav' }, { type: 'file', data: 'QUJD', mediaType: 'audio/mpeg' }]);
    expect(rejection({ model: 'm', messages: [{ role: 'user', content: [{ type: 'video', video: {} }] }] })).to.match(/^400 messages\[0\]\.content\[0\]\.type /);
    const base = { model: 'm', messages: [{ role: 'user', content: 'x' }] };
    expect(rejection({ ...base, functions: [{ name: 'f', parameters: {} }] })).to.match(/^400 functions functions: the deprecated functions list is not supported; declare them as tools/);
    expect(rejection({ ...base, function_call: 'auto' })).to.equal('400 function_call function_call: the deprecated function_call choice is not supported; use tools and tool_choice');
    expect(rejection({ ...base, modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' } })).to.equal('400 modalities modalities: audio output is not supported');
    expect(rejection({ ...base, audio: { voice: 'alloy', format: 'wav' } })).to.equal('400 audio audio: audio output is not supported');
    // What asks for nothing is still accepted.
    for (const extra of [{ functions: [] }, { function_call: null }, { modalities: ['text'] }, { audio: null }, { web_search_options: null }]) {
      expect(decodeChatRequest({ ...base, ...extra }).call.messages).to.have.length(1);
    }
  });
});
