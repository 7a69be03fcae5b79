import { expect } from 'chai';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import * as semconv from '@opentelemetry/semantic-conventions/incubating';
import { LipError } from '../../lib/errors/index.js';
import { operationName, providerName } from '../../lib/backends/gen-ai/registry.js';
import { GEN_AI_METRICS } from '../../lib/observability/gen-ai.js';
import { createTracing, otlpTracesUrl, type Tracing } from '../../lib/observability/tracing.js';

const PARENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT_SPAN = 'b7ad6b7169203331';

describe('observability/tracing', () => {
  let exporter: InMemorySpanExporter;
  let tracing: Tracing;
  const start = (ratio = 1) => {
    exporter = new InMemorySpanExporter();
    tracing = createTracing({ enabled: true, service_name: 'lip-test', exporter: 'otlp', sample_ratio: ratio }, { exporter, simple: true })!;
  };
  afterEach(async () => tracing?.shutdown());
  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  const byName = (name: string) => spans().find((s) => s.name === name)!;

  it('is not created when disabled', () => {
    expect(createTracing({ enabled: false, service_name: 'lip', exporter: 'otlp', sample_ratio: 1 })).to.equal(undefined);
  });

  it('exports to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces; one that is no http(s) URL is refused, naming it', () => {
    expect(otlpTracesUrl({})).to.equal(undefined);
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4318//' })).to.equal('https://collector:4318/v1/traces');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c/t', OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).to.equal('http://c/t');
    const refusal = (env: NodeJS.ProcessEnv) => { try { otlpTracesUrl(env); } catch (err) { return err; } return undefined; };
    expect(refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).to.be.instanceOf(LipError).and.include({
      code: 'LIP_ERR_CONFIG_INVALID', message: 'OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" is not an http(s) URL',
    });
    expect(refusal({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4318/v1/traces' })).to.include({ message: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "collector:4318/v1/traces" is not an http(s) URL' });
    expect(() => createTracing({ enabled: true, service_name: 'lip', exporter: 'otlp', sample_ratio: 1 }, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' } })).to.throw(LipError, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  });

  it('continues the client trace: SERVER span under traceparent, CLIENT attempt spans under it with GenAI attributes', () => {
    start();
    const trace = tracing.startRequest('POST', { traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01`, baggage: 'tenant=acme' });
    trace.setName('POST /v1/chat/completions');
    const attempt = trace.attempt({ candidateKey: 'oa:gpt-4o', backendId: 'oa', model: 'gpt-4o', provider: 'openai', operation: 'chat', stream: true, aLegId: 'a_1', inRace: false });
    attempt.setBLegSeq(2);
    attempt.firstOutput(250);
    attempt.end('success', {
      usage: { inputTokens: 12, outputTokens: 7, cacheReadTokens: 4, reasoningTokens: 2 }, responseModel: 'gpt-4o-2024', finishReason: 'stop',
      upstreamStatus: 200, upstreamRequestId: 'req_9', cost: 0.5,
    }, undefined, undefined);
    trace.end(200);
    const server = byName('POST /v1/chat/completions');
    const client = byName('chat gpt-4o');
    expect(server.spanContext().traceId).to.equal(PARENT_TRACE);
    expect(server.parentSpanContext?.spanId).to.equal(PARENT_SPAN);
    expect(server.kind).to.equal(1); // SERVER
    expect(client.kind).to.equal(2); // CLIENT
    expect(client.parentSpanContext?.spanId).to.equal(server.spanContext().spanId);
    expect(client.attributes).to.deep.include({
      'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.response.model': 'gpt-4o-2024',
      'gen_ai.usage.input_tokens': 12, 'gen_ai.usage.output_tokens': 7, 'gen_ai.usage.cache_read.input_tokens': 4, 'gen_ai.usage.reasoning.output_tokens': 2,
      'gen_ai.response.time_to_first_chunk': 0.25, 'lip.candidate_key': 'oa:gpt-4o', 'lip.a_leg_id': 'a_1', 'lip.b_leg_seq': 2, 'lip.outcome': 'success',
      'lip.upstream_request_id': 'req_9',
    });
    expect(client.attributes['gen_ai.response.finish_reasons']).to.deep.equal(['stop']);
    // The upstream gets this attempt's span as parent, and the client's baggage.
    expect(attempt.headers.traceparent).to.equal(`00-${PARENT_TRACE}-${client.spanContext().spanId}-01`);
    expect(attempt.headers.baggage).to.equal('tenant=acme');
    expect(server.resource.attributes['service.name']).to.equal('lip-test');
  });

  it('marks race losses, TTFT expiries and failures on the attempt span', () => {
    start();
    const trace = tracing.startRequest('POST', {});
    const loser = trace.attempt({ candidateKey: 'a:m', backendId: 'a', model: 'm', provider: 'openai', operation: 'chat', stream: true, inRace: true });
    loser.end('cancelled', undefined, undefined, 'race loser');
    const slow = trace.attempt({ candidateKey: 'b:m', backendId: 'b', model: 'm', provider: 'openai', operation: 'chat', stream: true, inRace: false });
    slow.end('failure', undefined, new LipError('LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT', 'no output'), undefined);
    trace.event('lip.failover', { 'lip.failover.from': 'b:m', 'lip.failover.to': 'c:m' });
    trace.end(502, 'LIP_ERR_ROUTE_ALL_FAILED');
    const [first, second, server] = spans();
    expect(first!.events.map((e) => e.name)).to.deep.equal(['lip.race.start', 'lip.race.loss']);
    expect(first!.attributes).to.deep.include({ 'lip.outcome': 'cancelled', 'lip.cancel_reason': 'race loser' });
    expect(second!.events.map((e) => e.name)).to.deep.equal(['lip.ttft_timeout']);
    expect(second!.attributes['error.type']).to.equal('LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT');
    expect(second!.status.code).to.equal(2); // ERROR
    expect(server!.events.map((e) => [e.name, e.attributes])).to.deep.equal([['lip.failover', { 'lip.failover.from': 'b:m', 'lip.failover.to': 'c:m' }]]);
    expect(server!.attributes).to.deep.include({ 'http.response.status_code': 502, 'error.type': 'LIP_ERR_ROUTE_ALL_FAILED' });
  });

  it('samples by ratio at the root and follows a sampled parent (parent-based)', () => {
    start(0);
    const root = tracing.startRequest('POST', {});
    expect(root.recording).to.equal(false);
    expect(root.propagation.traceparent).to.match(new RegExp(`^00-${root.traceId}-[0-9a-f]{16}-00$`));
    root.end(200);
    // Not recorded, but the ids still propagate (sampled flag off).
    const child = root.attempt({ candidateKey: 'a:m', backendId: 'a', model: 'm', provider: 'openai', operation: 'chat', stream: false, inRace: false });
    expect(child.headers.traceparent).to.match(new RegExp(`^00-${root.traceId}-[0-9a-f]{16}-00$`));
    const followed = tracing.startRequest('POST', { traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01` });
    expect(followed.recording).to.equal(true);
    followed.end(200);
    expect(spans().map((s) => s.spanContext().traceId)).to.deep.equal([PARENT_TRACE]);
  });

  it('caps attribute values at 1,024 characters (a client\'s 64 KiB model name is not held whole by every queued span); OTEL_*_ATTRIBUTE_VALUE_LENGTH_LIMIT wins', async () => {
    start();
    const model = 'M'.repeat(65_536);
    const trace = tracing.startRequest('POST', {});
    trace.setAttributes({ 'gen_ai.request.model': model, 'lip.served': `stub:${model}` });
    trace.attempt({ candidateKey: `stub:${model}`, backendId: 'stub', model, provider: 'localstub', operation: 'chat', stream: false, inRace: false })
      .end('success', undefined, undefined, undefined);
    trace.end(200);
    const [attempt, server] = spans();
    expect(String(server!.attributes['gen_ai.request.model'])).to.have.length(1024);
    expect(String(server!.attributes['lip.served'])).to.have.length(1024);
    expect(String(attempt!.attributes['lip.candidate_key'])).to.have.length(1024);
    await tracing.shutdown();
    exporter = new InMemorySpanExporter();
    tracing = createTracing({ enabled: true, service_name: 'lip-test', exporter: 'otlp', sample_ratio: 1 }, { exporter, simple: true, env: { OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '10' } })!;
    const limited = tracing.startRequest('POST', {});
    limited.setAttributes({ 'gen_ai.request.model': model });
    limited.end(200);
    expect(String(spans()[0]!.attributes['gen_ai.request.model'])).to.have.length(10);
  });

  it('says when exports start failing (once per outage, with the reason) and when they recover, with the spans lost', () => {
    const lines: [string, string, Record<string, unknown>][] = [];
    const log = { warn: (m: string, meta: Record<string, unknown>) => { lines.push(['warn', m, meta]); }, info: (m: string, meta: Record<string, unknown>) => { lines.push(['info', m, meta]); } };
    let failing = true;
    const collector = {
      export: (batch: ReadableSpan[], done: (r: { code: number; error?: Error }) => void) => done(failing ? { code: 1, error: new Error('Service Unavailable') } : { code: 0 }),
      shutdown: async () => undefined,
    };
    tracing = createTracing({ enabled: true, service_name: 'lip-test', exporter: 'otlp', sample_ratio: 1 }, { exporter: collector, simple: true }, log)!;
    for (let i = 0; i < 3; i++) tracing.startRequest('POST', {}).end(200);
    expect(lines).to.deep.equal([['warn', 'trace export failed; spans are dropped until the collector answers again', { error: 'Service Unavailable' }]]);
    failing = false;
    tracing.startRequest('POST', {}).end(200);
    tracing.startRequest('POST', {}).end(200);
    expect(lines.slice(1)).to.deep.equal([['info', 'trace export recovered', { failed_exports: 3, spans_lost: 3 }]]);
  });

  // Found by probing observability: with a collector that answered in 30 s, 12,860 spans were
  // made and 1,034 arrived, and `recovered` said 2,560 lost: the batch processor's queue had
  // dropped the rest (the SDK says so only to its diag logger).
  it('counts the spans the batch queue drops while the collector is slow: said when it starts, and in spans_lost once exports keep up', async () => {
    const lines: [string, string, Record<string, unknown>][] = [];
    const log = { warn: (m: string, meta: Record<string, unknown>) => { lines.push(['warn', m, meta]); }, info: (m: string, meta: Record<string, unknown>) => { lines.push(['info', m, meta]); } };
    const held: (() => void)[] = [];
    let answering = false;
    let exported = 0;
    const collector = {
      export: (batch: ReadableSpan[], done: (r: { code: number }) => void) => {
        const answer = () => { exported += batch.length; done({ code: 0 }); };
        if (answering) answer();
        else held.push(answer);
      },
      shutdown: async () => undefined,
    };
    tracing = createTracing({ enabled: true, service_name: 'lip-test', exporter: 'otlp', sample_ratio: 1 }, { exporter: collector }, log)!;
    for (let i = 0; i < 3000; i++) tracing.startRequest('POST', {}).end(200);
    // One export of 512 is out and unanswered, 2,048 wait in the queue: 440 were dropped.
    expect(held).to.have.length(1);
    expect(lines).to.deep.equal([['warn', 'trace export queue full; spans are dropped until the collector keeps up', {}]]);
    answering = true;
    held.shift()!();
    await tracing.flush();
    expect(exported).to.equal(3000 - 440);
    expect(lines.slice(1)).to.deep.equal([['info', 'trace export recovered', { failed_exports: 0, spans_lost: 440 }]]);
  });

  it('speaks the GenAI semantic conventions (names checked against @opentelemetry/semantic-conventions)', () => {
    expect(providerName('openai-chat')).to.equal(semconv.GEN_AI_PROVIDER_NAME_VALUE_OPENAI);
    expect(providerName('anthropic')).to.equal(semconv.GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC);
    expect(providerName('gemini')).to.equal(semconv.GEN_AI_PROVIDER_NAME_VALUE_GCP_GEMINI);
    expect(providerName('bedrock')).to.equal(semconv.GEN_AI_PROVIDER_NAME_VALUE_AWS_BEDROCK);
    expect(operationName('gemini')).to.equal(semconv.GEN_AI_OPERATION_NAME_VALUE_GENERATE_CONTENT);
    expect(operationName('anthropic')).to.equal(semconv.GEN_AI_OPERATION_NAME_VALUE_CHAT);
    expect(GEN_AI_METRICS.tokenUsage.semconv).to.equal(semconv.METRIC_GEN_AI_CLIENT_TOKEN_USAGE);
    expect(GEN_AI_METRICS.operationDuration.semconv).to.equal(semconv.METRIC_GEN_AI_CLIENT_OPERATION_DURATION);
    expect(GEN_AI_METRICS.requestDuration.semconv).to.equal(semconv.METRIC_GEN_AI_SERVER_REQUEST_DURATION);
    expect(GEN_AI_METRICS.timeToFirstToken.semconv).to.equal(semconv.METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN);
    expect(GEN_AI_METRICS.timePerOutputToken.semconv).to.equal(semconv.METRIC_GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN);
    for (const m of Object.values(GEN_AI_METRICS)) expect(m.prometheus.startsWith(`lip_${m.semconv.replace(/\./g, '_')}`)).to.equal(true);
  });
});
