import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

/**
 * Regression (found by probing): a token count lip sends upstream (Anthropic `count_tokens`)
 * carried neither the request's X-Request-Id nor its trace context, which generations and
 * embeddings send to every upstream call (docs/observability.md): the provider's logs could not
 * be searched for it and a tracing upstream did not join the trace. It now sends both, the
 * trace context naming the request's SERVER span (a count has no attempt span).
 */
describe('regression: a token count sends its X-Request-Id and trace context upstream', function () {
  this.timeout(30_000);
  let claude: Emulator;
  let receiver: OtlpReceiver;
  let lip: RunningLip;
  let anthropic: Anthropic;
  before(async () => {
    [claude, receiver] = await Promise.all([startAnthropicEmulator(), startOtlpReceiver()]);
    lip = await startLip(testConfig(`  - { id: claude, kind: anthropic, base_url: "${claude.url}", api_key: upstream-key-0123456789 }`, 'observability: { tracing: { enabled: true } }'),
      {}, { tracing: { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } } });
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0, openTelemetry: false } as never);
  });
  after(async () => {
    await lip?.close();
    await Promise.all([claude?.close(), receiver?.close()]);
  });
  beforeEach(() => claude.reset());

  const count = (headers: Record<string, string>) =>
    anthropic.messages.countTokens({ model: 'claude:claude-sonnet-4-6', messages: [{ role: 'user', content: 'How many tokens?' }] }, { headers });

  it("a client's trace: the count goes upstream with the request's id, in that trace, under the request's span", async () => {
    claude.enqueue({ usage: { input: 42, output: 0 } });
    expect(await count({ 'x-request-id': 'count-traced-1', traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` })).to.deep.equal({ input_tokens: 42 });
    const [sent] = claude.requests;
    expect(sent!.path).to.equal('/v1/messages/count_tokens');
    expect(sent!.headers['x-request-id']).to.equal('count-traced-1');
    await lip.server.flushTraces();
    const server = receiver.spans.find((s) => s.attributes['lip.request_id'] === 'count-traced-1');
    expect(server, 'the SERVER span of the count').not.to.equal(undefined);
    expect(server).to.include({ traceId: CLIENT_TRACE, parentSpanId: CLIENT_SPAN });
    expect(sent!.headers.traceparent).to.equal(`00-${CLIENT_TRACE}-${server!.spanId}-01`);
  });

  it('no id from the client: the one lip made, which its answer names, and a trace of its own', async () => {
    claude.enqueue({ usage: { input: 7, output: 0 } });
    const { response } = await anthropic.messages.countTokens({ model: 'claude:claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    const [sent] = claude.requests;
    expect(sent!.headers['x-request-id']).to.equal(response.headers.get('x-request-id'));
    expect(sent!.headers.traceparent).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});
