import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { until } from '../helpers/hostile-rig.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';

/**
 * Regression (found by fuzz/embeddings-replay): an embeddings request is told as a generation
 * is. Its access line named the last candidate tried as `backend` when none had served and had
 * no `selector_source` or `attempts`; its `attempt failed` line gave lip's own 502 as the
 * upstream's status of a reset no upstream answered; its attempts had no CLIENT spans and sent
 * no `X-Request-Id` or trace context upstream.
 */
describe('regression: an embeddings request\'s access line, attempt lines and trace', function () {
  this.timeout(30_000);
  let chat: Emulator;
  let receiver: OtlpReceiver;
  let lip: RunningLip;
  let openai: OpenAI;
  before(async () => {
    chat = await startOpenAIChatEmulator();
    receiver = await startOtlpReceiver();
    lip = await startLip(testConfig(`  - { id: chat, kind: openai-chat, base_url: "${chat.url}", api_key: chat-key-0123456789 }`, [
      'routing: { default_route: "chat:n" }',
      'model_aliases: [{ pattern: "^embed$", replacement: "chat:m|chat:n" }]',
      'logging: { access_log: true }',
      'observability: { tracing: { enabled: true, service_name: lip-test } }',
    ].join('\n')), {}, { tracing: { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } } });
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await receiver?.close();
    await chat?.close();
  });
  beforeEach(() => chat.reset());

  const accessLine = async (requestId: string) => {
    await until(() => lip.logs.some((l) => l.request_id === requestId && l.message === 'request'), 'the access line');
    return lip.logs.find((l) => l.request_id === requestId && l.message === 'request')!;
  };

  it('a failover past a reset: the served candidate, two attempts, no upstream status for the reset, two CLIENT spans, the request id upstream', async () => {
    chat.enqueue({ fault: { reset: 'before_first_byte' } }, { usage: { input: 5, output: 0 } });
    const res = await openai.embeddings.create({ model: 'embed', input: 'a text', encoding_format: 'float' }, { headers: { 'x-request-id': 'emb-failover-1' } });
    expect(res.data).to.have.length(1);
    expect(await accessLine('emb-failover-1')).to.deep.include({ status: 200, backend: 'chat:n', attempts: 2, selector_source: 'alias', frontend: 'openai-chat', model: 'embed', input_tokens: 5 });
    const failed = lip.logs.find((l) => l.request_id === 'emb-failover-1' && l.message === 'attempt failed')!;
    expect(failed).to.include({ candidate_key: 'chat:m', error: 'LIP_ERR_UPSTREAM_RESET' });
    expect(failed).not.to.have.property('upstream_status');
    expect(chat.requests.map((r) => [r.headers['x-request-id'], typeof r.headers.traceparent])).to.deep.equal([['emb-failover-1', 'string'], ['emb-failover-1', 'string']]);
    await lip.server.flushTraces();
    await until(() => receiver.spans.some((s) => s.kind === 2 && s.attributes['lip.request_id'] === 'emb-failover-1'), 'the SERVER span');
    const server = receiver.spans.find((s) => s.kind === 2 && s.attributes['lip.request_id'] === 'emb-failover-1')!;
    expect(server.attributes).to.include({ 'lip.served': 'chat:n', 'lip.attempts': 2, 'lip.selector_source': 'alias' });
    expect(server.events.map((e) => e.name)).to.include('lip.failover');
    const clients = receiver.spans.filter((s) => s.kind === 3 && s.parentSpanId === server.spanId).sort((a, b) => Number(a.attributes['lip.b_leg_seq']) - Number(b.attributes['lip.b_leg_seq']));
    expect(clients.map((s) => [s.name, s.attributes['lip.candidate_key'], s.attributes['lip.outcome'], s.attributes['http.response.status_code']])).to.deep.equal([
      ['embeddings m', 'chat:m', 'failure', undefined],
      ['embeddings n', 'chat:n', 'success', 200],
    ]);
  });

  it('a request no candidate served names no backend in its access line', async () => {
    chat.enqueue({ status: 400, error: { message: 'input too long' } });
    const err = await openai.embeddings.create({ model: 'chat:m', input: 'x' }, { headers: { 'x-request-id': 'emb-refused-1' } }).then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(err?.status).to.equal(400);
    const line = await accessLine('emb-refused-1');
    expect(line).to.deep.include({ status: 400, attempts: 1, error: 'LIP_ERR_UPSTREAM_STATUS', selector_source: 'model' });
    expect(line).not.to.have.property('backend');
    const failed = lip.logs.find((l) => l.request_id === 'emb-refused-1' && l.message === 'attempt failed')!;
    expect(failed.upstream_status).to.equal(400);
  });
});
