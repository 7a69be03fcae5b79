import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type RecordedRequest, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

const USAGE = { input: 1000, output: 100, cacheRead: 200, reasoning: 40 };
/** up pricing: (800 * 2 + 200 * 1 + 60 * 8 + 40 * 8) / 1e6 */
const COST = 0.0026;

/**
 * Observability end to end: a real lip (tracing to a local OTLP/HTTP receiver, metrics, access
 * log, diagnostics, pricing) in front of an emulated OpenAI upstream. One request fails over
 * from a 503 into a race whose slow leg loses: the span tree, the propagated trace context, the
 * log lines and the usage accounting are asserted; then each metric family after a failover,
 * a race, a TTFT expiry, spent attempts, key rotation and a client abort.
 */
describe('e2e: observability (traces, metrics, logs, usage)', () => {
  let upstream: Emulator;
  let receiver: OtlpReceiver;
  let lip: RunningLip;
  const byModel: Record<string, Script> = {
    fast: { text: ['fast ', 'answer'], usage: USAGE, headers: { 'x-request-id': 'up-fast' }, model: 'fast-2025' },
    slow: { text: 'slow', fault: { stall: 'before_first_token' } },
    busy: { status: 503, error: { message: 'overloaded' }, headers: { 'x-request-id': 'up-busy' } },
    drip: { text: Array.from({ length: 200 }, () => 'tick '), dripMs: 50 },
  };
  before(async () => {
    upstream = await startOpenAIChatEmulator();
    upstream.handler = (req: RecordedRequest) => {
      if (req.key === 'bad') return { status: 401, error: { message: 'invalid key' } };
      if (req.key === 'limited') return { status: 429, error: { message: 'slow down' }, headers: { 'retry-after': '30' } };
      return byModel[req.model ?? ''] ?? { text: 'default' };
    };
    receiver = await startOtlpReceiver();
    lip = await startLip(testConfig([
      `  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "k", models: [fast, slow, busy, drip] }`,
      `  - { id: keys, kind: openai-chat, base_url: "${upstream.url}", api_keys: ["bad", "limited"], models: [fast] }`,
    ].join('\n'), [
      'logging: { access_log: true }',
      'diagnostics: { enabled: true }',
      'observability: { metrics: { enabled: true }, tracing: { enabled: true, service_name: lip-e2e } }',
      'routing: { default_route: "up:fast", max_attempts: 3 }',
      'pricing: [{ backend: up, input: 2, output: 8, cache_read: 1 }]',
    ].join('\n')), {}, { tracing: { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } } });
  });
  after(async () => {
    await lip.close();
    await upstream.close();
    await receiver.close();
  });
  beforeEach(() => upstream.reset());

  const chat = (model: string, headers: Record<string, string> = {}, signal?: AbortSignal) => fetch(`${lip.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, ...(signal ? { signal } : {}),
    body: JSON.stringify({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const logsOf = (requestId: string) => lip.logs.filter((l) => l.request_id === requestId);
  const waitFor = async <T>(read: () => T | undefined): Promise<T> => {
    for (let i = 0; i < 400; i++) {
      const value = read();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('timed out waiting');
  };

  it('a failover into a race: span tree, trace context upstream, log lines and usage of every attempt', async () => {
    const res = await chat('up:busy|up:slow!up:fast', { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, baggage: 'tenant=acme', 'x-request-id': 'req-failover-1' });
    expect(res.status).to.equal(200);
    expect(await res.text()).to.include('fast ');
    expect(res.headers.get('x-request-id')).to.equal('req-failover-1');
    const aLegId = res.headers.get('x-lip-a-leg-id')!;

    // Trace context and X-Request-Id reached the upstream on every attempt.
    expect(upstream.requests.map((r) => r.model)).to.have.members(['busy', 'slow', 'fast']);
    for (const r of upstream.requests) {
      expect(r.headers['x-request-id']).to.equal('req-failover-1');
      expect(r.headers.traceparent).to.match(new RegExp(`^00-${CLIENT_TRACE}-[0-9a-f]{16}-01$`));
      expect(r.headers.baggage).to.equal('tenant=acme');
    }

    // The log lines of the failover: one per failed or cancelled attempt, then the access line.
    const access = await waitFor(() => logsOf('req-failover-1').find((l) => l.message === 'request'));
    const attempts = logsOf('req-failover-1').filter((l) => String(l.message).startsWith('attempt'));
    expect(attempts.map((l) => [l.message, l.level, l.candidate_key])).to.have.deep.members([
      ['attempt failed', 'info', 'up:busy'], ['attempt cancelled', 'info', 'up:slow'],
    ]);
    expect(attempts.find((l) => l.candidate_key === 'up:busy')).to.deep.include({ upstream_status: 503, upstream_request_id: 'up-busy', error: 'LIP_ERR_UPSTREAM_STATUS' });
    expect(attempts.find((l) => l.candidate_key === 'up:slow')).to.deep.include({ reason: 'race loser' });
    expect(access).to.deep.include({
      level: 'info', method: 'POST', route: '/v1/chat/completions', status: 200, principal: 'local', frontend: 'openai-chat',
      model: 'up:busy|up:slow!up:fast', stream: true, selector_source: 'model', backend: 'up:fast', attempts: 3,
      input_tokens: 1000, output_tokens: 100, cache_read_tokens: 200, reasoning_tokens: 40, trace_id: CLIENT_TRACE,
    });
    expect(access.cost as number).to.be.closeTo(COST, 1e-12);
    expect(access.ttft_ms as number).to.be.greaterThan(0).and.at.most(access.duration_ms as number);
    expect(access).not.to.have.property('aborted');

    // Usage on the attempt rows, with the upstream's own request id.
    const admin = await (await fetch(`${lip.url}/admin/attempts?a_leg_id=${aLegId}`)).json() as { attempts: Record<string, unknown>[] };
    const rows = Object.fromEntries(admin.attempts.map((a) => [a.candidate_key, a]));
    expect(rows['up:fast']).to.deep.include({ outcome: 'success', principal: 'local', input_tokens: 1000, output_tokens: 100, cache_read_tokens: 200, reasoning_tokens: 40, upstream_request_id: 'up-fast' });
    expect(rows['up:fast']!.cost as number).to.be.closeTo(COST, 1e-12);
    expect(rows['up:busy']).to.deep.include({ outcome: 'swallowed_failure', http_status: 503, upstream_request_id: 'up-busy', input_tokens: null, cost: null });
    expect(rows['up:slow']).to.deep.include({ outcome: 'cancelled', reason: 'race loser' });

    // The span tree, as the OTLP/HTTP receiver got it.
    await lip.server.flushTraces();
    const spans = await waitFor(() => {
      const mine = receiver.spans.filter((s) => s.traceId === CLIENT_TRACE);
      return mine.length >= 4 ? mine : undefined;
    });
    expect(receiver.contentTypes).to.include('application/json');
    const server = spans.find((s) => s.kind === 2)!; // SERVER
    expect(server.name).to.equal('POST /v1/chat/completions');
    expect(server.parentSpanId).to.equal(CLIENT_SPAN);
    expect(server.service).to.equal('lip-e2e');
    expect(server.attributes).to.deep.include({ 'http.response.status_code': 200, 'lip.served': 'up:fast', 'lip.attempts': 3, 'lip.request_id': 'req-failover-1' });
    expect(server.events.map((e) => e.name)).to.deep.equal(['lip.failover', 'lip.race.win']);
    expect(server.events[0]!.attributes).to.deep.equal({ 'lip.failover.from': 'up:busy', 'lip.failover.to': 'up:slow', 'error.type': 'LIP_ERR_UPSTREAM_STATUS' });
    const clients = spans.filter((s) => s.kind === 3); // CLIENT
    expect(clients.map((s) => s.name).sort()).to.deep.equal(['chat busy', 'chat fast', 'chat slow']);
    for (const c of clients) expect(c.parentSpanId).to.equal(server.spanId);
    const span = (model: string) => clients.find((s) => s.attributes['gen_ai.request.model'] === model)!;
    expect(span('busy').attributes).to.deep.include({ 'lip.outcome': 'failure', 'error.type': 'LIP_ERR_UPSTREAM_STATUS', 'http.response.status_code': 503, 'lip.upstream_request_id': 'up-busy', 'lip.b_leg_seq': 1 });
    expect(span('slow').events.map((e) => e.name)).to.deep.equal(['lip.race.start', 'lip.race.loss']);
    expect(span('slow').attributes).to.deep.include({ 'lip.outcome': 'cancelled', 'lip.cancel_reason': 'race loser' });
    expect(span('fast').attributes).to.deep.include({
      'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.response.model': 'fast-2025', 'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 100, 'gen_ai.usage.cache_read.input_tokens': 200, 'gen_ai.usage.reasoning.output_tokens': 40,
      'lip.outcome': 'success', 'lip.candidate_key': 'up:fast', 'lip.a_leg_id': aLegId, 'lip.upstream_request_id': 'up-fast',
    });
    expect(span('fast').attributes['gen_ai.response.finish_reasons']).to.deep.equal(['stop']);
    // Each upstream request carried its own attempt span as parent.
    const parents = upstream.requests.map((r) => String(r.headers.traceparent).split('-')[2]);
    expect(parents.sort()).to.deep.equal(clients.map((c) => c.spanId).sort());
  });

  it('every metric family after a failover, a race, a TTFT expiry, spent attempts, key rotation and a client abort; scrapes are not traffic', async () => {
    await (await chat('up:busy|up:fast')).text();
    await (await chat('up:slow!up:fast')).text();
    await (await chat('[ttft_timeout=100ms]up:slow|up:fast')).text();
    // Three different candidates fail: routing.max_attempts (3) is spent before up:fast.
    const spent = await chat('up:busy|up:busy?temperature=0.1|up:busy?temperature=0.2|up:fast');
    expect(spent.status).to.equal(502);
    expect(await spent.json()).to.deep.nested.include({ 'error.code': 'LIP_ERR_ROUTE_MAX_ATTEMPTS' });
    await (await chat('keys:fast')).text();
    // A client that leaves mid-stream.
    const controller = new AbortController();
    const dripping = await chat('up:drip', { 'x-request-id': 'req-abort-1' }, controller.signal);
    const reader = dripping.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.read().catch(() => undefined);
    const aborted = await waitFor(() => logsOf('req-abort-1').find((l) => l.message === 'request'));
    expect(aborted).to.deep.include({ aborted: true, status: 200 });
    await waitFor(() => logsOf('req-abort-1').find((l) => l.message === 'attempt cancelled' && l.reason === 'client abort'));
    await fetch(`${lip.url}/healthz`);
    await fetch(`${lip.url}/metrics`);
    const text = await (await fetch(`${lip.url}/metrics`)).text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
    expect(value(/^lip_failovers_total\{backend="up",reason="LIP_ERR_UPSTREAM_STATUS"\} (\d+)/m)).to.be.at.least(2);
    expect(value(/^lip_failovers_total\{backend="up",reason="LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT"\} (\d+)/m)).to.equal(1);
    expect(value(/^lip_race_legs_total\{backend="up",result="win"\} (\d+)/m)).to.be.at.least(1);
    expect(value(/^lip_race_legs_total\{backend="up",result="loss"\} (\d+)/m)).to.be.at.least(1);
    expect(value(/^lip_ttft_expiries_total\{scope="leaf"\} (\d+)/m)).to.equal(1);
    expect(value(/^lip_routing_exhausted_total\{reason="max_attempts"\} (\d+)/m)).to.equal(1);
    expect(value(/^lip_upstream_key_events_total\{backend="keys",action="retired"\} (\d+)/m)).to.equal(1);
    expect(value(/^lip_upstream_key_events_total\{backend="keys",action="cooled_down"\} (\d+)/m)).to.equal(1);
    expect(value(/^lip_attempts_total\{backend="up",outcome="client_abort"\} (\d+)/m)).to.equal(1);
    expect(value(/^lip_attempts_total\{backend="up",outcome="cancelled"\} (\d+)/m)).to.be.at.least(1);
    expect(value(/^lip_client_aborts_total\{route="\/v1\/chat\/completions"\} (\d+)/m)).to.equal(1);
    expect(value(/^lip_cost_total\{backend="up",model="fast"\} ([\d.e-]+)/m)).to.be.greaterThan(0);
    expect(value(/^lip_gen_ai_client_token_usage_count\{token_type="input",provider="openai",model="fast",response_model="other"\} (\d+)/m)).to.be.at.least(4);
    expect(value(/^lip_gen_ai_client_operation_duration_seconds_count\{provider="openai",model="busy",error_type="LIP_ERR_UPSTREAM_STATUS"\} (\d+)/m)).to.be.at.least(2);
    expect(value(/^lip_gen_ai_server_request_duration_seconds_count\{provider="openai",model="fast"\} (\d+)/m)).to.be.at.least(4);
    expect(value(/^lip_gen_ai_server_time_to_first_token_seconds_count\{provider="openai",model="fast"\} (\d+)/m)).to.be.at.least(4);
    expect(value(/^lip_gen_ai_server_time_per_output_token_seconds_count\{provider="openai",model="fast"\} (\d+)/m)).to.be.at.least(4);
    expect(text).to.match(/^process_cpu_seconds_total /m);
    // Health checks and scrapes are neither counted nor logged.
    expect(text).not.to.match(/route="\/(metrics|healthz)"/);
    expect(lip.logs.filter((l) => l.route === '/healthz' || l.route === '/metrics')).to.deep.equal([]);
  });

  it('GET /admin/usage sums the attempts by model, backend or principal', async () => {
    await (await chat('up:fast')).text();
    const usage = await (await fetch(`${lip.url}/admin/usage?group_by=backend&since=1h`)).json() as { groups: Record<string, unknown>[]; group_by: string; store: string };
    expect(usage).to.deep.include({ group_by: 'backend', store: 'memory' });
    const up = usage.groups.find((g) => g.group === 'up')!;
    expect(up.input_tokens as number).to.be.at.least(1000);
    expect((up.input_tokens as number) % 1000).to.equal(0);
    expect(up.cost as number).to.be.closeTo((up.input_tokens as number) / 1000 * COST, 1e-9);
    const byPrincipal = await (await fetch(`${lip.url}/admin/usage?group_by=principal&principal=local`)).json() as { groups: { group: string }[] };
    expect(byPrincipal.groups.map((g) => g.group)).to.deep.equal(['local']);
    const bad = await fetch(`${lip.url}/admin/usage?group_by=colour`);
    expect(bad.status).to.equal(400);
    expect(await bad.json()).to.deep.nested.include({ 'error.code': 'LIP_ERR_REQUEST_INVALID' });
    // A bare number is neither a duration (no unit) nor an ISO 8601 time (it was read as the year 2000).
    const bare = await fetch(`${lip.url}/admin/usage?since=0`);
    expect(bare.status).to.equal(400);
    expect(await bare.json()).to.deep.nested.include({ 'error.code': 'LIP_ERR_REQUEST_INVALID', 'error.param': 'since' });
    // A duration back past 1970 is all of it (it was a 500: a time no Date can hold).
    const ages = await fetch(`${lip.url}/admin/usage?group_by=backend&since=99999999999h`);
    expect(ages.status).to.equal(200);
    const all = await ages.json() as { since: string; groups: { group: string }[] };
    expect(all.since).to.equal('1970-01-01T00:00:00.000Z');
    expect(all.groups.map((g) => g.group)).to.include('up');
  });
});
