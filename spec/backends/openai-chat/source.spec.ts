import { expect } from 'chai';
import { performance } from 'node:perf_hooks';
import { emptyCall, type Call, type LipEvent } from '../../../lib/canonical/index.js';
import type { Runtime } from '../../../lib/core/runtime.js';
import { backendOf, drain, runtimeFor, startOpenAIChatEmulator, type Emulator } from '../../helpers/emulators/index.js';

const call = (overrides: Partial<Call> = {}): Call => emptyCall({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], ...overrides });
const target = { model: 'gpt-4o', candidateKey: 'oa:gpt-4o' };

describe('backends/openai-chat: the source against the emulator', () => {
  let emu: Emulator;
  let runtime: Runtime;
  before(async () => {
    emu = await startOpenAIChatEmulator();
    runtime = runtimeFor(`
  - { id: oa, kind: openai-chat, base_url: "${emu.url}", api_key: sk-test-0123456789 }
  - { id: fast, kind: openai-chat, base_url: "${emu.url}", api_key: sk-test-0123456789 }`, {}, 'http_client: { headers_timeout: 300ms, body_timeout: 300ms }');
  });
  beforeEach(() => {
    emu.reset();
    emu.handler = undefined;
  });
  after(async () => {
    await runtime.close();
    await emu.close();
  });
  const stream = (c: Call = call(), id = 'oa') => drain(backendOf(runtime, id).stream(c, target));

  it('streams text, usage and the finish in canonical order, and asks for streamed usage', async () => {
    emu.enqueue({ id: 'chatcmpl-1', model: 'gpt-4o-2024-08-06', text: ['Hel', 'lo'], usage: { input: 12, output: 2, cacheRead: 8 } });
    const { events, error, violations } = await stream();
    expect(error).to.equal(undefined);
    expect(violations).to.deep.equal([]);
    expect(events).to.deep.equal([
      { type: 'response_started', id: 'chatcmpl-1', model: 'gpt-4o-2024-08-06' },
      { type: 'message_started' },
      { type: 'text_delta', text: 'Hel' },
      { type: 'text_delta', text: 'lo' },
      { type: 'usage', usage: { inputTokens: 12, outputTokens: 2, totalTokens: 14, cacheReadTokens: 8 } },
      { type: 'response_finished', reason: 'stop' },
    ]);
    const sent = emu.requests[0]!;
    expect(sent.path).to.equal('/v1/chat/completions');
    expect(sent.headers.authorization).to.equal('Bearer sk-test-0123456789');
    expect(sent.body).to.deep.include({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true } });
    expect(sent.body.messages).to.deep.equal([{ role: 'user', content: 'hi' }]);
  });

  it('reassembles two parallel tool calls and closes both before the finish', async () => {
    emu.enqueue({ toolCalls: [{ id: 'call_a', name: 'get_weather', args: ['{"city":', '"Paris"}'] }, { id: 'call_b', name: 'get_time', args: '{"zone":"CET"}' }] });
    const { events, violations } = await stream();
    expect(violations).to.deep.equal([]);
    expect(events.filter((e) => e.type.startsWith('tool_call'))).to.deep.equal([
      { type: 'tool_call_started', id: 'call_a', name: 'get_weather' },
      { type: 'tool_call_delta', id: 'call_a', args: '{"city":' },
      { type: 'tool_call_delta', id: 'call_a', args: '"Paris"}' },
      { type: 'tool_call_started', id: 'call_b', name: 'get_time' },
      { type: 'tool_call_delta', id: 'call_b', args: '{"zone":"CET"}' },
      { type: 'tool_call_finished', id: 'call_a' },
      { type: 'tool_call_finished', id: 'call_b' },
    ]);
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'tool_calls' });
  });

  it('maps a length stop', async () => {
    emu.enqueue({ text: 'cut', finish: 'length' });
    const { events } = await stream();
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'length' });
  });

  it('surfaces a 400 with its status, not retryable, with a sanitised message', async () => {
    emu.enqueue({ status: 400, error: { message: 'Invalid schema for function get_weather (key sk-test-0123456789)' } });
    const { events, error } = await stream();
    expect(events).to.deep.equal([]);
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 400, retryable: false });
    expect(error!.message).to.contain('Invalid schema for function get_weather');
    expect(error!.message).not.to.contain('sk-test-0123456789');
  });

  it('marks a 503 retryable and keeps its Retry-After', async () => {
    emu.enqueue({ status: 503, headers: { 'retry-after': '3' } });
    const { error } = await stream();
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 503, retryable: true, retryAfter: 3 });
  });

  it('turns an in-band error frame into LIP_ERR_UPSTREAM_STREAM_ERROR after the output it follows', async () => {
    emu.enqueue({ text: 'partial', streamError: { message: 'The server had an error' } });
    const { events, error, violations } = await stream();
    expect(violations).to.deep.equal([]);
    expect(events.map((e) => e.type)).to.deep.equal(['response_started', 'message_started', 'text_delta']);
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR', retryable: true });
  });

  it('reports a reset after output as LIP_ERR_UPSTREAM_RESET, after the events that arrived', async () => {
    emu.enqueue({ text: ['a', 'b', 'c'], fault: { reset: 3 } });
    const { events, error } = await stream();
    expect(events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text)).to.deep.equal(['a', 'b']);
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_RESET', retryable: true });
  });

  it('reports a reset before the first byte as a retryable reset', async () => {
    emu.enqueue({ fault: { reset: 'before_first_byte' } });
    const { events, error } = await stream();
    expect(events).to.deep.equal([]);
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_RESET', retryable: true });
  });

  it('reports a stream that ends before any output as LIP_ERR_UPSTREAM_EMPTY_STREAM (retryable)', async () => {
    emu.enqueue({ text: 'never', fault: { endAt: 1 } });
    const { error } = await stream();
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_EMPTY_STREAM', retryable: true });
  });

  it('rejects a malformed frame with LIP_ERR_UPSTREAM_MALFORMED', async () => {
    emu.enqueue({ text: ['a', 'b'], fault: { malformedAt: 2 } });
    const { error } = await stream();
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
  });

  it('distinguishes the headers timeout from the body timeout', async () => {
    emu.enqueue({ fault: { stall: 'before_headers' } });
    expect((await stream(call(), 'fast')).error).to.include({ code: 'LIP_ERR_UPSTREAM_HEADERS_TIMEOUT', retryable: true });
    emu.enqueue({ text: ['a', 'b'], fault: { stall: 2 } });
    const mid = await stream(call(), 'fast');
    expect(mid.events.some((e) => e.type === 'text_delta')).to.equal(true);
    expect(mid.error).to.include({ code: 'LIP_ERR_UPSTREAM_BODY_TIMEOUT', retryable: true });
  });

  // The emulator reports a close only when it comes before the response ended.
  it('closes the upstream connection on an unsubscribe, before the stream could end', async () => {
    emu.enqueue({ text: ['a', 'b', 'c', 'd', 'e', 'f'], dripMs: 40 });
    const closed = emu.nextClose();
    let unsubscribedAt = 0;
    await new Promise<void>((resolve) => {
      const sub = backendOf(runtime, 'oa').stream(call(), target).subscribe((event: LipEvent) => {
        if (event.type === 'text_delta') {
          unsubscribedAt = performance.now();
          sub.unsubscribe();
          resolve();
        }
      });
    });
    const close = await closed;
    expect(close.at).to.be.at.least(unsubscribedAt);
    expect(emu.closes).to.have.length(1);
  });

  it('lists the upstream models', async () => {
    emu.models = ['gpt-4o', 'gpt-4o-mini'];
    expect(await backendOf(runtime, 'oa').listModels!()).to.deep.equal(['gpt-4o', 'gpt-4o-mini']);
    expect(emu.requests[0]).to.include({ method: 'GET', path: '/v1/models', key: 'sk-test-0123456789' });
  });
});
