import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { httpRequest, parseSse } from '../sse-client.js';
import {
  startAnthropicEmulator, startBedrockEmulator, startGeminiEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator,
} from './index.js';
import { emulatedEmbedding } from './script.js';
import { DEFAULT_HTTP_SETTINGS, UpstreamClient } from '../../../lib/backends/http/index.js';

/**
 * The emulators are only worth something if they speak the real wire formats: the official
 * SDKs, pointed straight at them, must accumulate their streams into the expected objects.
 */
describe('helpers/emulators: the official SDKs accept what the emulators send', () => {
  const emulators: Emulator[] = [];
  after(() => Promise.all(emulators.map((e) => e.close())));
  const start = async (make: () => Promise<Emulator>) => {
    const e = await make();
    emulators.push(e);
    return e;
  };

  it('OpenAI chat: finalChatCompletion rebuilds text, parallel tool calls and usage', async () => {
    const emu = await start(startOpenAIChatEmulator);
    emu.enqueue({ text: ['Checking ', 'both.'], toolCalls: [{ id: 'call_1', name: 'a', args: ['{"x":', '1}'] }, { id: 'call_2', name: 'b', args: '{}' }], usage: { input: 20, output: 9, cacheRead: 4, reasoning: 2 } });
    const client = new OpenAI({ baseURL: emu.url, apiKey: 'sk-emu', maxRetries: 0 });
    const completion = await client.chat.completions.stream({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream_options: { include_usage: true } }).finalChatCompletion();
    const message = completion.choices[0]!.message;
    expect(message.content).to.equal('Checking both.');
    expect(message.tool_calls!.map((c) => c.type === 'function' && [c.id, c.function.name, c.function.arguments])).to.deep.equal([['call_1', 'a', '{"x":1}'], ['call_2', 'b', '{}']]);
    expect(completion.choices[0]!.finish_reason).to.equal('tool_calls');
    expect(completion.usage).to.include({ prompt_tokens: 20, completion_tokens: 9, total_tokens: 29 });
    expect(completion.usage!.prompt_tokens_details!.cached_tokens).to.equal(4);
    expect(emu.requests[0]!.key).to.equal('sk-emu');
  });

  it('OpenAI chat: answers a non-streaming request and an error with the OpenAI envelope', async () => {
    const emu = await start(startOpenAIChatEmulator);
    emu.enqueue({ text: 'whole' }, { status: 429, headers: { 'retry-after': '2' }, error: { message: 'Rate limit reached' } });
    const client = new OpenAI({ baseURL: emu.url, apiKey: 'sk-emu', maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0]!.message.content).to.equal('whole');
    const err = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).code).to.equal('rate_limit_exceeded');
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after')).to.equal('2');
  });

  it('OpenAI Responses: finalResponse rebuilds reasoning, text, function calls and usage', async () => {
    const emu = await start(startOpenAIResponsesEmulator);
    emu.enqueue({ reasoning: { text: ['Think', 'ing'], encrypted: 'enc-1' }, text: ['Hi', '!'], toolCalls: [{ id: 'call_9', name: 'f', args: ['{"a"', ':1}'] }], usage: { input: 30, output: 12, cacheRead: 10, reasoning: 5 } });
    const client = new OpenAI({ baseURL: emu.url, apiKey: 'sk-emu', maxRetries: 0 });
    const response = await client.responses.stream({ model: 'gpt-5', input: 'hi' }).finalResponse();
    expect(response.status).to.equal('completed');
    expect(response.output_text).to.equal('Hi!');
    expect(response.output.map((o) => o.type)).to.deep.equal(['reasoning', 'message', 'function_call']);
    const reasoning = response.output[0] as { summary: { text: string }[]; encrypted_content: string };
    expect(reasoning.summary[0]!.text).to.equal('Thinking');
    expect(reasoning.encrypted_content).to.equal('enc-1');
    expect(response.output[2]).to.include({ call_id: 'call_9', name: 'f', arguments: '{"a":1}' });
    expect(response.usage).to.include({ input_tokens: 30, output_tokens: 12, total_tokens: 42 });
  });

  it('OpenAI Responses: sequence numbers run from 0 without gaps', async () => {
    const emu = await start(startOpenAIResponsesEmulator);
    emu.enqueue({ text: ['a', 'b'] });
    const res = await httpRequest(`${emu.url}/responses`, { body: JSON.stringify({ model: 'gpt-5', input: 'hi', stream: true }) });
    const { messages } = parseSse(res.body);
    expect(messages.map((m) => JSON.parse(m.data).sequence_number)).to.deep.equal(messages.map((_, i) => i));
    expect(messages.every((m) => m.event === JSON.parse(m.data).type)).to.equal(true);
    expect(messages.at(-1)!.event).to.equal('response.completed');
  });

  it('Anthropic: finalMessage rebuilds signed thinking, text, tool use and usage', async () => {
    const emu = await start(startAnthropicEmulator);
    emu.enqueue({ reasoning: { text: ['Let me ', 'think.'], signature: 'sig-abc' }, text: 'Answer.', toolCalls: [{ id: 'toolu_1', name: 'f', args: ['{"q":', '"x"}'] }], usage: { input: 100, output: 20, cacheRead: 60, cacheWrite: 10 } });
    const client = new Anthropic({ apiKey: 'ak-emu', baseURL: emu.origin, maxRetries: 0, openTelemetry: false });
    const message = await client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(message.content).to.deep.equal([
      { type: 'thinking', thinking: 'Let me think.', signature: 'sig-abc' },
      { type: 'text', text: 'Answer.' },
      { type: 'tool_use', id: 'toolu_1', name: 'f', input: { q: 'x' } },
    ]);
    expect(message.stop_reason).to.equal('tool_use');
    expect(message.usage).to.include({ input_tokens: 30, cache_read_input_tokens: 60, cache_creation_input_tokens: 10, output_tokens: 20 });
    expect(emu.requests[0]!.key).to.equal('ak-emu');
  });

  it('Anthropic: the beta finalMessage rebuilds a compaction block (streamed as Anthropic streams it) and the usage iterations; a whole answer holds the same', async () => {
    const emu = await start(startAnthropicEmulator);
    const block = { type: 'compaction', content: 'The user asked for a fix of add().', encrypted_content: 'Eo4Bopaque' };
    const script = { compaction: { block, usage: { input: 1800, output: 120 } }, text: 'Fixed.', usage: { input: 300, output: 20 } };
    emu.enqueue(script, script, script);
    const client = new Anthropic({ apiKey: 'ak-emu', baseURL: emu.origin, maxRetries: 0, openTelemetry: false });
    const params = { model: 'claude-sonnet-4-6', max_tokens: 1024, betas: ['compact-2026-01-12'], messages: [{ role: 'user' as const, content: 'hi' }] };
    const summaries: string[] = [];
    const stream = client.beta.messages.stream(params).on('compaction', (summary) => summaries.push(summary));
    const streamed = await stream.finalMessage();
    const whole = await client.beta.messages.create(params);
    for (const message of [streamed, whole]) {
      expect(message.content).to.deep.equal([block, { type: 'text', text: 'Fixed.' }]);
      expect(message.usage).to.include({ input_tokens: 300, output_tokens: 20 });
      expect(message.usage.iterations!.map((i) => [i.type, i.input_tokens, i.output_tokens])).to.deep.equal([['compaction', 1800, 120], ['message', 300, 20]]);
    }
    expect(summaries).to.deep.equal([block.content]);
    const frames = parseSse((await httpRequest(`${emu.origin}/v1/messages`, { body: JSON.stringify({ ...params, betas: undefined, stream: true }) })).body).messages;
    expect(frames.slice(2, 5).map((m) => JSON.parse(m.data))).to.deep.equal([
      { type: 'content_block_start', index: 0, content_block: { type: 'compaction', content: null, encrypted_content: null } },
      { type: 'content_block_delta', index: 0, delta: { type: 'compaction_delta', content: block.content, encrypted_content: block.encrypted_content } },
      { type: 'content_block_stop', index: 0 },
    ]);
  });

  it('Anthropic: errors use the Anthropic envelope', async () => {
    const emu = await start(startAnthropicEmulator);
    emu.enqueue({ status: 529, error: { message: 'Overloaded' } });
    const client = new Anthropic({ apiKey: 'ak-emu', baseURL: emu.origin, maxRetries: 0, openTelemetry: false });
    const err = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).to.equal(529);
    expect((err as { error: { error: { type: string } } }).error.error.type).to.equal('overloaded_error');
  });

  it('Gemini: generateContentStream yields thoughts, text, function calls with signatures and usage', async () => {
    const emu = await start(startGeminiEmulator);
    emu.enqueue({ reasoning: { text: 'Pondering', signature: 'ts-1' }, text: ['Hel', 'lo'], toolCalls: [{ name: 'f', args: '{"a":1}', signature: 'ts-2' }], usage: { input: 40, output: 15, cacheRead: 8, reasoning: 6 } });
    const ai = new GoogleGenAI({ apiKey: 'gk-emu', httpOptions: { baseUrl: emu.origin, apiVersion: 'v1beta' } });
    const parts: Record<string, unknown>[] = [];
    let usage: unknown;
    let finish: unknown;
    for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' })) {
      parts.push(...((chunk.candidates?.[0]?.content?.parts ?? []) as Record<string, unknown>[]));
      usage = chunk.usageMetadata;
      finish = chunk.candidates?.[0]?.finishReason ?? finish;
    }
    expect(parts).to.deep.equal([
      { text: 'Pondering', thought: true, thoughtSignature: 'ts-1' },
      { text: 'Hel' }, { text: 'lo' },
      { functionCall: { name: 'f', args: { a: 1 } }, thoughtSignature: 'ts-2' },
    ]);
    expect(finish).to.equal('STOP');
    expect(usage).to.include({ promptTokenCount: 40, candidatesTokenCount: 9, thoughtsTokenCount: 6, cachedContentTokenCount: 8, totalTokenCount: 55 });
    expect(emu.requests[0]).to.include({ key: 'gk-emu', model: 'gemini-2.5-flash', stream: true });
  });

  it('Gemini: errors use the google.rpc envelope', async () => {
    const emu = await start(startGeminiEmulator);
    emu.enqueue({ status: 400, error: { message: 'Invalid JSON payload' } });
    const ai = new GoogleGenAI({ apiKey: 'gk-emu', httpOptions: { baseUrl: emu.origin, apiVersion: 'v1beta' } });
    const err = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }).catch((e: unknown) => e) as { status?: number; message?: string };
    expect(err.status).to.equal(400);
    expect(err.message).to.contain('INVALID_ARGUMENT');
  });

  it('Anthropic, Bedrock and Gemini: a whole answer with a call cut off by the output limit holds the parameters complete by then', async () => {
    // Found by probing: the emulators parsed the cut arguments as JSON, and the throw took the process down.
    const cut = { toolCalls: [{ id: 'call_1', name: 'f', args: ['{"unit":"C","ci', 'ty":"Par'] }], finish: 'length' as const };
    const anthropic = await start(startAnthropicEmulator);
    anthropic.enqueue(cut);
    const message = await new Anthropic({ apiKey: 'ak-emu', baseURL: anthropic.origin, maxRetries: 0, openTelemetry: false }).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    expect([message.stop_reason, message.content]).to.deep.equal(['max_tokens', [{ type: 'tool_use', id: 'call_1', name: 'f', input: { unit: 'C' } }]]);
    const bedrock = await start(startBedrockEmulator);
    bedrock.enqueue(cut);
    const converse = await httpRequest(`${bedrock.origin}/model/anthropic.claude-sonnet-4-6/converse`, { body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] }), headers: { authorization: 'Bearer bedrock-api-key-1' } });
    expect(converse.status).to.equal(200);
    expect(JSON.parse(converse.body)).to.deep.include({ stopReason: 'max_tokens', output: { message: { role: 'assistant', content: [{ toolUse: { toolUseId: 'call_1', name: 'f', input: { unit: 'C' } } }] } } });
    const gemini = await start(startGeminiEmulator);
    gemini.enqueue(cut, cut);
    const ai = new GoogleGenAI({ apiKey: 'gk-emu', httpOptions: { baseUrl: gemini.origin, apiVersion: 'v1beta' } });
    const whole = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
    expect([whole.candidates?.[0]?.finishReason, whole.functionCalls?.map((c) => c.args)]).to.deep.equal(['MAX_TOKENS', [{ unit: 'C' }]]);
    const args: unknown[] = [];
    for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' })) args.push(...(chunk.functionCalls ?? []).map((c) => c.args));
    expect(args).to.deep.equal([{ unit: 'C' }]);
  });

  it('reports a client that closes mid-stream, and drips frames slowly when asked', async () => {
    const emu = await start(startOpenAIChatEmulator);
    emu.enqueue({ text: ['a', 'b', 'c', 'd'], dripMs: 50 });
    const closed = emu.nextClose();
    const client = new OpenAI({ baseURL: emu.url, apiKey: 'sk-emu', maxRetries: 0 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] }, { signal: controller.signal });
    const seen: string[] = [];
    try {
      for await (const chunk of stream) {
        const text = chunk.choices[0]?.delta.content;
        if (text) seen.push(text);
        if (seen.length === 2) controller.abort();
      }
    } catch { /* aborted */ }
    expect(seen).to.deep.equal(['a', 'b']);
    expect((await closed).path).to.equal('/v1/chat/completions');
  });

  it('hugeLine sends one data line of the given size between the frames; endless streams until the client closes', async () => {
    const emu = await start(startOpenAIChatEmulator);
    emu.enqueue({ text: ['a', 'b'], fault: { hugeLine: { bytes: 300_000, afterOutput: true } } });
    const body = JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const huge = await httpRequest(`${emu.url}/chat/completions`, { body });
    const lines = huge.body.split('\n');
    expect(lines.filter((l) => l.length >= 300_000 - 10 && l.length <= 300_000)).to.have.length(1);
    expect(parseSse(huge.body).messages.filter((m) => m.data.includes('"content":"b"'))).to.have.length(1);

    emu.enqueue({ text: ['tick '], fault: { endless: true } });
    const closed = emu.nextClose();
    const response = await fetch(`${emu.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const reader = response.body!.getReader();
    let read = 0;
    while (read < 200_000) read += (await reader.read()).value?.length ?? 0;
    await reader.cancel();
    expect((await closed).bytes).to.be.at.least(200_000);
  });

  it('OpenAI embeddings: the SDK decodes the emulator\'s base64 vectors; float, dimensions, errors and unknown fields as OpenAI answers them', async () => {
    for (const make of [startOpenAIChatEmulator, startOpenAIResponsesEmulator]) {
      const emu = await start(make);
      const client = new OpenAI({ baseURL: emu.url, apiKey: 'sk-emu', maxRetries: 0 });
      const base64 = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'bc'] });
      expect(base64.data.map((d) => d.embedding)).to.deep.equal([emulatedEmbedding('a'), emulatedEmbedding('bc')]);
      const float = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'abc', dimensions: 3, encoding_format: 'float' });
      expect(float.data[0]!.embedding).to.deep.equal(emulatedEmbedding('abc', 3));
      expect(emu.requests.map((r) => r.route)).to.deep.equal(['embeddings', 'embeddings']);
      emu.enqueue({ status: 503 });
      expect(await client.embeddings.create({ model: 'm', input: 'x' }).catch((e: unknown) => e)).to.be.instanceOf(OpenAI.InternalServerError);
      const extra = await httpRequest(`${emu.url}/embeddings`, { body: JSON.stringify({ model: 'm', input: 'x', stream: true }) });
      expect(extra.status).to.equal(400);
    }
  });

  it('Gemini embeddings: models.embedContent reads :batchEmbedContents, and :embedContent answers one vector', async () => {
    const emu = await start(startGeminiEmulator);
    const client = new GoogleGenAI({ apiKey: 'g-emu', httpOptions: { baseUrl: emu.url } });
    const res = await client.models.embedContent({ model: 'text-embedding-004', contents: ['one', 'two'], config: { outputDimensionality: 4 } });
    expect(res.embeddings!.map((e) => e.values)).to.deep.equal([emulatedEmbedding('one', 4), emulatedEmbedding('two', 4)]);
    expect([emu.requests[0]!.route, emu.requests[0]!.path, emu.requests[0]!.model]).to.deep.equal(['embeddings', '/v1beta/models/text-embedding-004:batchEmbedContents', 'text-embedding-004']);
    const one = await httpRequest(`${emu.url}/v1beta/models/text-embedding-004:embedContent`, { body: JSON.stringify({ content: { parts: [{ text: 'one' }] } }) });
    expect(JSON.parse(one.body)).to.deep.equal({ embedding: { values: emulatedEmbedding('one') } });
  });
  it('Bedrock InvokeModel embeddings: Titan and Cohere answers as Bedrock documents them; a field the model does not take is a ValidationException', async () => {
    const emu = await start(startBedrockEmulator);
    const invoke = async (model: string, body: unknown, key = 'bedrock-api-key-1') => {
      const res = await httpRequest(`${emu.origin}/model/${encodeURIComponent(model)}/invoke`, { body: JSON.stringify(body), headers: { authorization: `Bearer ${key}` } });
      return { status: res.status, type: res.headers['x-amzn-errortype'], body: JSON.parse(res.body) };
    };
    emu.enqueue({ usage: { input: 2, output: 0 } });
    expect(await invoke('amazon.titan-embed-text-v2:0', { inputText: 'abcd', dimensions: 4 })).to.deep.include({
      status: 200, body: { embedding: emulatedEmbedding('abcd', 4), inputTextTokenCount: 2, embeddingsByType: { float: emulatedEmbedding('abcd', 4) } },
    });
    expect((await invoke('amazon.titan-embed-image-v1', { inputText: 'x', embeddingConfig: { outputEmbeddingLength: 3 } })).body.embedding).to.deep.equal(emulatedEmbedding('x', 3));
    expect(await invoke('cohere.embed-english-v3', { texts: ['a', 'b'], input_type: 'search_query' })).to.deep.include({
      status: 200, body: { id: 'emu-embed-2', texts: ['a', 'b'], embeddings: [emulatedEmbedding('a'), emulatedEmbedding('b')], response_type: 'embeddings_floats' },
    });
    expect((await invoke('us.cohere.embed-v4:0', { texts: ['a'], input_type: 'clustering', output_dimension: 2 })).body).to.deep.include({
      embeddings: { float: [emulatedEmbedding('a', 2)] }, response_type: 'embeddings_by_type',
    });
    expect(emu.requests.map((r) => [r.route, r.model])).to.deep.include(['embeddings', 'us.cohere.embed-v4:0']);
    for (const [model, body] of [['amazon.titan-embed-text-v1', { inputText: 'x', dimensions: 256 }], ['cohere.embed-english-v3', { texts: ['x'], input_type: 'search_document', output_dimension: 256 }], ['anthropic.claude-3-haiku', { inputText: 'x' }]] as const) {
      const refused = await invoke(model, body);
      expect([refused.status, String(refused.type).split(':')[0]], model).to.deep.equal([400, 'ValidationException']);
    }
    expect((await invoke('cohere.embed-english-v3', { texts: ['x'], input_type: 'search_document' }, 'not-a-key')).status).to.equal(403);
  });

  it('a request reset before its answer on a reused connection is reset again when lip resends it on a new one', async () => {
    const emu = await start(startOpenAIChatEmulator);
    emu.enqueue({ text: 'first' }, { fault: { reset: 'before_first_byte' } }, { text: 'next' });
    const client = new UpstreamClient(DEFAULT_HTTP_SETTINGS);
    const post = async () => {
      await new Promise((resolve) => setImmediate(resolve)); // the previous connection back in the pool
      const response = await client.open({ method: 'POST', url: `${emu.url}/chat/completions`, headers: { 'content-type': 'application/json' }, body: '{"model":"m","stream":false,"messages":[{"role":"user","content":"hi"}]}' }, new AbortController().signal);
      return response.body.text();
    };
    try {
      expect(await post()).to.contain('first');
      // Reset on the reused connection, resent on a new one by lip, reset again: the scripted fault is the request's.
      expect(await post().then(() => 'answered', () => 'failed')).to.equal('failed');
      expect([emu.requests.length, emu.resends.length]).to.deep.equal([2, 1]);
      expect(await post()).to.contain('next');
    } finally {
      await client.close(0);
    }
  });
});

