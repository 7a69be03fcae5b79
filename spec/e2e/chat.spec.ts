import { expect } from 'chai';
import { subscribe as listen, unsubscribe as unlisten } from 'node:diagnostics_channel';
import OpenAI from 'openai';
import type { AttemptReport } from '../../lib/core/attempt.js';
import type { LocalstubLifecycle } from '../../lib/backends/localstub/index.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest, parseSse } from '../helpers/sse-client.js';

const BACKENDS = `
  - { id: stub, kind: localstub, models: [stub-default], text: "Hello there, world", chunks: 3, input_tokens: 11, output_tokens: 4, cache_read_tokens: 3 }
  - id: tools
    kind: localstub
    text: "Checking both."
    tool_calls:
      - { name: get_weather, args: '{"city":"Paris"}' }
      - { name: get_time, args: '{"zone":"CET"}' }
  - { id: broken, kind: localstub, text: "partial answer", chunks: 2, fail: after_output }
  - { id: down, kind: localstub, fail: "before_output:503" }
  - { id: refuses, kind: localstub, fail: "before_output:400" }
  - { id: slow, kind: localstub, fail: stall }
  - { id: late, kind: localstub, text: "late", first_token_delay: 200ms }
  - { id: long, kind: localstub, finish_reason: length, text: "cut" }
`;

describe('e2e: Chat Completions through the openai SDK', function () {
  let lip: RunningLip;
  let client: OpenAI;
  before(async () => {
    lip = await startLip(testConfig(BACKENDS, 'server: { host: 127.0.0.1, port: 0, keepalive_interval: 40ms }\nrouting: { default_route: "stub:stub-default" }'));
    client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'test-key', maxRetries: 0 });
  });
  after(() => lip.close());

  it('answers a non-streaming request with text, usage and the serving backend', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.object).to.equal('chat.completion');
    expect(data.model).to.equal('stub-default'); // the model that served (gpt-4o is unknown: the default route ran)
    expect(data.choices[0]!.message).to.include({ role: 'assistant', content: 'Hello there, world' });
    expect(data.choices[0]!.finish_reason).to.equal('stop');
    expect(data.usage).to.deep.equal({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15, prompt_tokens_details: { cached_tokens: 3 } });
    expect(response.headers.get('x-lip-backend')).to.equal('stub:stub-default');
    expect(response.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
  });

  it('streams text in chunks, with usage when include_usage is set', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
    const deltas: string[] = [];
    let usage;
    let finish;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) deltas.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(deltas).to.deep.equal(['Hello ', 'there,', ' world']);
    expect(finish).to.equal('stop');
    expect(usage).to.deep.equal({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15, prompt_tokens_details: { cached_tokens: 3 } });
  });

  it('streams two parallel tool calls that the SDK accumulator reassembles', async () => {
    const runner = client.chat.completions.stream({
      model: 'tools:any', messages: [{ role: 'user', content: 'weather and time?' }],
      tools: [
        { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
        { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } },
      ],
    });
    const completion = await runner.finalChatCompletion();
    const message = completion.choices[0]!.message;
    expect(message.content).to.equal('Checking both.');
    expect(message.tool_calls!.map((c) => c.type === 'function' && [c.function.name, JSON.parse(c.function.arguments)])).to.deep.equal([
      ['get_weather', { city: 'Paris' }], ['get_time', { zone: 'CET' }],
    ]);
    expect(new Set(message.tool_calls!.map((c) => c.id)).size).to.equal(2);
    expect(completion.choices[0]!.finish_reason).to.equal('tool_calls');
  });

  it('returns the same tool calls without streaming', async () => {
    const completion = await client.chat.completions.create({ model: 'tools:any', messages: [{ role: 'user', content: 'x' }] });
    expect(completion.choices[0]!.message.tool_calls).to.have.length(2);
    expect(completion.choices[0]!.finish_reason).to.equal('tool_calls');
  });

  it('accepts a tool-result follow-up turn', async () => {
    const completion = await client.chat.completions.create({
      model: 'stub:stub-default',
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
      ],
    });
    expect(completion.choices[0]!.message.content).to.equal('Hello there, world');
  });

  it('reports a length stop as finish_reason length', async () => {
    const completion = await client.chat.completions.create({ model: 'long:m', messages: [{ role: 'user', content: 'x' }] });
    expect(completion.choices[0]!.finish_reason).to.equal('length');
  });

  it('delivers a failure after output as an in-band error the SDK throws', async () => {
    const stream = await client.chat.completions.create({ model: 'broken:m', stream: true, messages: [{ role: 'user', content: 'x' }] });
    const deltas: string[] = [];
    let error: unknown;
    try {
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) deltas.push(chunk.choices[0].delta.content);
    } catch (err) {
      error = err;
    }
    expect(deltas).to.deep.equal(['partial']);
    expect(error).to.be.instanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).error).to.deep.include({ code: 'LIP_ERR_UPSTREAM_RESET', type: 'api_error' });
  });

  it('answers a failure before output with a proper status and OpenAI\'s envelope', async () => {
    const down = await client.chat.completions.create({ model: 'down:m', stream: true, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(down).to.be.instanceOf(OpenAI.APIError);
    // Every candidate (here the only one) answered 503 before output: 503, in OpenAI's overloaded words.
    expect((down as InstanceType<typeof OpenAI.APIError>).status).to.equal(503);
    expect((down as InstanceType<typeof OpenAI.APIError>).error).to.deep.include({ code: 'LIP_ERR_ROUTE_OVERLOADED', type: 'overloaded_error' });
    expect((down as InstanceType<typeof OpenAI.APIError>).message).to.contain('simulated upstream status 503');
    const refused = await client.chat.completions.create({ model: 'refuses:m', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).to.equal(400);
    expect((refused as InstanceType<typeof OpenAI.APIError>).error).to.deep.include({ code: 'LIP_ERR_UPSTREAM_STATUS' });
  });

  it('routes by X-LIP-Route and rejects unknown backends with 400', async () => {
    const { response } = await client.chat.completions.create({ model: 'whatever', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-lip-route': 'long:m' } }).withResponse();
    expect(response.headers.get('x-lip-backend')).to.equal('long:m');
    const res = await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), headers: { 'x-lip-route': 'nowhere:m' } });
    expect(res.status).to.equal(400);
    // The header is named, not the model the client did not get wrong.
    expect(JSON.parse(res.body).error).to.include({ code: 'LIP_ERR_ROUTE_UNKNOWN_BACKEND', param: 'X-LIP-Route' });
    expect(JSON.parse(res.body).error.message).to.match(/^the X-LIP-Route header, column 1: no backend "nowhere" is configured/);
  });

  it('propagates a client abort to the backend source as an unsubscribe', async () => {
    const lifecycle: LocalstubLifecycle[] = [];
    const attempts: AttemptReport[] = [];
    const onStub = (m: unknown) => lifecycle.push(m as LocalstubLifecycle);
    const onAttempt = (m: unknown) => attempts.push(m as AttemptReport);
    listen('lip:localstub', onStub);
    listen('lip:attempt', onAttempt);
    try {
      const controller = new AbortController();
      const pending = client.chat.completions.create({ model: 'slow:m', stream: true, messages: [{ role: 'user', content: 'x' }] }, { signal: controller.signal }).catch((e: unknown) => e);
      await waitFor(() => lifecycle.some((m) => m.backend === 'slow' && m.phase === 'subscribe'));
      controller.abort();
      expect(await pending).to.be.instanceOf(Error);
      await waitFor(() => lifecycle.some((m) => m.backend === 'slow' && m.phase === 'unsubscribe'));
      await waitFor(() => attempts.some((a) => a.phase === 'end' && a.backendId === 'slow'));
      expect(attempts.find((a) => a.phase === 'end' && a.backendId === 'slow')!.outcome).to.equal('cancelled');
    } finally {
      unlisten('lip:localstub', onStub);
      unlisten('lip:attempt', onAttempt);
    }
  });

  it('sends : keepalive comments while waiting for the first event', async () => {
    const res = await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'late:m', stream: true, messages: [{ role: 'user', content: 'x' }] }) });
    expect(res.status).to.equal(200);
    const { comments, messages } = parseSse(res.body);
    expect(comments.filter((c) => c === 'keepalive').length).to.be.greaterThan(0);
    expect(res.body.indexOf(': keepalive')).to.be.lessThan(res.body.indexOf('data: '));
    expect(messages.at(-1)!.data).to.equal('[DONE]');
  });

  describe('bad input', () => {
    const post = (body: string | Buffer, headers: Record<string, string> = {}) => httpRequest(`${lip.url}/v1/chat/completions`, { body, headers });

    it('malformed JSON: 400 with line and column', async () => {
      const res = await post('{\n  "model": "m",\n  "messages": [}');
      expect(res.status).to.equal(400);
      expect(JSON.parse(res.body).error).to.deep.equal({
        message: 'malformed JSON at line 3, column 16: expected a value, found "}"', type: 'invalid_request_error', param: null, code: 'LIP_ERR_REQUEST_INVALID_JSON',
      });
    });

    it('a wrong field type: 400 naming the field', async () => {
      const res = await post(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 'ten' }));
      expect(res.status).to.equal(400);
      expect(JSON.parse(res.body).error).to.deep.include({ param: 'max_tokens', code: 'LIP_ERR_REQUEST_INVALID', message: 'max_tokens: must be an integer or a null (got "ten")' });
    });

    it('a 9 MiB body: 413 naming the limit', async () => {
      const big = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(9 * 1024 * 1024) }] });
      const res = await post(big);
      expect(res.status).to.equal(413);
      expect(JSON.parse(res.body).error).to.deep.include({ code: 'LIP_ERR_REQUEST_TOO_LARGE', type: 'request_too_large', message: 'request body exceeds the limit of 8388608 bytes (server.max_request_body_bytes)' });
    });

    it('a 9 MiB body sent chunked (no Content-Length): 413 too', async () => {
      const res = await new Promise<number>((resolve, reject) => {
        import('node:http').then(({ request }) => {
          const req = request(`${lip.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (r) => {
            r.resume();
            resolve(r.statusCode ?? 0);
          });
          req.on('error', reject);
          const piece = Buffer.alloc(1024 * 1024, 'x');
          for (let i = 0; i < 9; i++) req.write(piece);
          req.end();
        }, reject);
      });
      expect(res).to.equal(413);
    });

    it('a gzip body is inflated before the limit applies', async () => {
      const { gzipSync } = await import('node:zlib');
      const res = await post(gzipSync(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] })), { 'content-encoding': 'gzip' });
      expect(res.status).to.equal(200);
    });

    it('canonical limits: 400 naming the field as the client wrote it', async () => {
      const res = await post(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 5 }));
      expect(res.status).to.equal(400);
      expect(JSON.parse(res.body).error).to.deep.include({ param: 'temperature', message: 'temperature: must be a number between 0 and 2' });
      const max = await post(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }));
      expect(JSON.parse(max.body).error).to.deep.include({ param: 'max_tokens', message: 'max_tokens: must be an integer between 1 and 2147483647' });
      const newer = await post(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_completion_tokens: 0 }));
      expect(JSON.parse(newer.body).error.param).to.equal('max_completion_tokens');
    });

    it('keeps serving after all of that', async () => {
      const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'still there?' }] });
      expect(completion.choices[0]!.message.content).to.equal('Hello there, world');
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}
