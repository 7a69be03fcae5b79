import { expect } from 'chai';
import { channel } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import type { AttemptReport } from '../../lib/core/attempt.js';
import { createMetrics, type Metrics, type MetricsSources } from '../../lib/observability/metrics.js';

/**
 * `promtool check metrics` is not installed here, so this spec applies the rules it applies
 * (Prometheus promlint) to the exposition after traffic that touches every family: HELP and
 * TYPE for every family, counters end in `_total` and nothing else does, no `_count` / `_sum`
 * / `_bucket` base names, base units only (seconds, bytes), no unit abbreviations, no type
 * names inside metric names, no camelCase or reserved `:` in metric and label names, and every
 * sample line parses (values as Go's ParseFloat reads them: `NaN`, `Nan`, `+Inf` are all fine).
 */
export interface LintProblem {
  readonly metric: string;
  readonly problem: string;
}

export function promlint(text: string): LintProblem[] {
  const problems: LintProblem[] = [];
  const help = new Set<string>();
  const types = new Map<string, string>();
  const sampleNames = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m: RegExpExecArray | null;
    if ((m = /^# HELP (\S+) (.*)$/.exec(line))) {
      if (m[2]!.trim() === '') problems.push({ metric: m[1]!, problem: 'no help text' });
      help.add(m[1]!);
    } else if ((m = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line))) {
      types.set(m[1]!, m[2]!);
    } else if (line.startsWith('#')) {
      problems.push({ metric: line, problem: 'malformed comment line' });
    } else if ((m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|[Nn][Aa][Nn]|[+-][Ii][Nn][Ff])( -?\d+)?$/.exec(line))) {
      sampleNames.add(m[1]!);
      for (const label of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) {
        if (/[a-z][A-Z]/.test(label[1]!)) problems.push({ metric: m[1]!, problem: `label name "${label[1]}" is camelCase` });
      }
    } else {
      problems.push({ metric: line, problem: 'sample line does not parse' });
    }
  }
  for (const [name, type] of types) {
    if (!help.has(name)) problems.push({ metric: name, problem: 'no HELP line' });
    if (type === 'counter' && !name.endsWith('_total')) problems.push({ metric: name, problem: 'counter metrics should have "_total" suffix' });
    if (type !== 'counter' && name.endsWith('_total')) problems.push({ metric: name, problem: 'non-counter metrics should not have "_total" suffix' });
    if (/_(count|sum|bucket)$/.test(name)) problems.push({ metric: name, problem: 'metric name should not end in _count, _sum or _bucket' });
    if (/[a-z][A-Z]/.test(name)) problems.push({ metric: name, problem: 'metric names should be written in snake_case not camelCase' });
    if (name.includes(':')) problems.push({ metric: name, problem: 'metric names should not contain ":"' });
    if (/_(milliseconds|microseconds|nanoseconds|minutes|hours|days|kilobytes|megabytes|gigabytes|percent)(_|$)/.test(name)) problems.push({ metric: name, problem: 'use base unit (seconds, bytes, ratio)' });
    if (/_(ms|us|ns|sec|secs|mins|hrs|kb|mb|pct)(_|$)/.test(name)) problems.push({ metric: name, problem: 'metric names should not contain abbreviated units' });
    if (/_(counter|gauge|histogram|summary)(_|$)/.test(name)) problems.push({ metric: name, problem: `metric name should not include type '${type}'` });
  }
  for (const name of sampleNames) {
    const base = [...types.keys()].find((t) => name === t || (/^(histogram|summary)$/.test(types.get(t)!) && /^(_bucket|_sum|_count)$/.test(name.slice(t.length)) && name.startsWith(t)));
    if (base === undefined) problems.push({ metric: name, problem: 'sample without a TYPE line' });
  }
  return problems;
}

const sources = (): MetricsSources => ({
  circuit: () => ({ open: 1, half_open: 0, store: 'memory', healthy: true }) as never,
  continuity: () => ({ store: 'sqlite', ready: true, pending: 2, write_errors: 3, retries: 1, dropped: 0, lost: 0, reopened: 0 }) as never,
  models: () => new Set(['gpt', 'fast']),
});

describe('observability/metrics exposition (promtool rules)', () => {
  let metrics: Metrics;
  beforeEach(() => { metrics = createMetrics(true, sources)!; });
  afterEach(() => metrics.close());

  const publish = (report: Partial<AttemptReport>) => channel('lip:attempt').publish({ requestId: 'r', candidateKey: 'up:gpt', backendId: 'up', ...report });

  it('reports nothing after traffic in every family; default metrics keep their standard names', async () => {
    publish({ phase: 'end', outcome: 'failure', errorCode: 'LIP_ERR_UPSTREAM_STATUS', model: 'gpt', provider: 'openai', durationMs: 20, upstreamStatus: 503 });
    publish({ phase: 'start', failoverFrom: 'up:gpt', failoverReason: 'LIP_ERR_UPSTREAM_STATUS', model: 'fast' });
    publish({ phase: 'win', candidateKey: 'up:fast' });
    publish({ phase: 'end', outcome: 'cancelled', cancelReason: 'race loser', model: 'gpt', provider: 'openai', durationMs: 5 });
    publish({ phase: 'end', outcome: 'success', model: 'fast', provider: 'openai', responseModel: 'fast-2025', durationMs: 80, ttftMs: 30, usage: { inputTokens: 100, outputTokens: 20, cacheReadTokens: 10, reasoningTokens: 5 }, cost: 0.01, webSearches: 2 });
    publish({ phase: 'end', outcome: 'cancelled', cancelReason: 'client abort', model: 'client-text', provider: 'openai', durationMs: 5 });
    channel('lip:upstream-key').publish({ backendId: 'up', action: 'retired' });
    channel('lip:circuit').publish({ type: 'transition', key: 'up:gpt?temperature=1', from: 'closed', to: 'open', failures: 5, origin: 'local' });
    // Another instance's change, learnt through Redis: counted there, not here.
    channel('lip:circuit').publish({ type: 'transition', key: 'up:gpt', from: 'closed', to: 'open', failures: 5, origin: 'remote' });
    metrics.request({ method: 'POST', route: '/v1/chat/completions', status: 200, seconds: 0.2, generation: { provider: 'openai', model: 'fast', stream: true, ttftSeconds: 0.05, outputTokens: 20 } });
    metrics.request({ method: 'POST', route: '/v1/chat/completions', status: 502, seconds: 0.1, errorCode: 'LIP_ERR_ROUTE_MAX_ATTEMPTS', generation: { provider: 'none', model: 'none', stream: false } });
    metrics.request({ method: 'POST', route: '/v1/chat/completions', status: 499, seconds: 0.1, aborted: true, errorCode: 'LIP_ERR_ROUTE_TTFT_TIMEOUT' });
    metrics.request({ method: 'POST', route: '/v1/chat/completions', status: 429, seconds: 0.001, errorCode: 'LIP_ERR_AUTH_KEY_LIMITED', keyId: 'team' });
    metrics.request({ method: 'POST', route: '/v1/chat/completions', status: 429, seconds: 0.001, errorCode: 'LIP_ERR_AUTH_KEY_LIMITED', keyId: 'team' });
    metrics.request({ method: 'POST', route: '/v1/chat/completions', status: 429, seconds: 0.001, errorCode: 'LIP_ERR_AUTH_KEY_BUDGET_EXCEEDED', keyId: 'ci' });
    metrics.request({ method: 'POST', route: '/v1/chat/completions', status: 429, seconds: 0.001, errorCode: 'LIP_ERR_UPSTREAM_STATUS', keyId: 'team' });
    const text = await metrics.render();
    expect(promlint(text)).to.deep.equal([]);
    expect(text).to.match(/^process_cpu_seconds_total \d/m);
    expect(text).to.match(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).not.to.match(/^lip_(process|nodejs)_/m);
    expect(text).to.include('lip_failovers_total{backend="up",reason="LIP_ERR_UPSTREAM_STATUS"} 1');
    expect(text).to.include('lip_race_legs_total{backend="up",result="win"} 1');
    expect(text).to.include('lip_race_legs_total{backend="up",result="loss"} 1');
    expect(text).to.include('lip_attempts_total{backend="up",outcome="client_abort"} 1');
    expect(text).to.include('lip_upstream_key_events_total{backend="up",action="retired"} 1');
    expect(text).to.include('lip_circuit_transitions_total{backend="up",from="closed",to="open"} 1');
    expect(text).to.include('lip_routing_exhausted_total{reason="max_attempts"} 1');
    expect(text).to.include('lip_key_refusals_total{key="team",reason="rate_limited"} 2');
    expect(text).to.include('lip_key_refusals_total{key="ci",reason="budget_exceeded"} 1');
    expect(text.match(/^lip_key_refusals_total\{/gm)).to.have.length(2);
    expect(text).to.include('lip_ttft_expiries_total{scope="global"} 1');
    expect(text).to.include('lip_client_aborts_total{route="/v1/chat/completions"} 1');
    expect(text).to.include('lip_continuity_write_errors_total{store="sqlite"} 3');
    expect(text).to.include('lip_cost_total{backend="up",model="fast"} 0.01');
    expect(text).to.include('lip_web_searches_total{backend="up",model="fast"} 2');
    expect(text).to.include('lip_gen_ai_client_token_usage_sum{token_type="input",provider="openai",model="fast",response_model="other"} 100');
    expect(text).to.include('lip_gen_ai_client_token_usage_sum{token_type="cache_read",provider="openai",model="fast",response_model="other"} 10');
    // A model name nobody configured is never a label value.
    expect(text).not.to.include('client-text');
    // Cancelled attempts (the race loser, the client abort) are not successes.
    expect(text).to.include('lip_gen_ai_client_operation_duration_seconds_count{provider="openai",model="other",error_type="cancelled"} 1');
    expect(text).to.include('lip_gen_ai_client_operation_duration_seconds_count{provider="openai",model="gpt",error_type="cancelled"} 1');
    expect(text).to.include('lip_gen_ai_client_operation_duration_seconds_count{provider="openai",model="fast"} 1');
    expect(text).to.include('lip_gen_ai_server_time_to_first_token_seconds_sum{provider="openai",model="fast"} 0.05');
    // (0.2 - 0.05) / (20 - 1) per output token after the first
    expect(text).to.match(/lip_gen_ai_server_time_per_output_token_seconds_sum\{provider="openai",model="fast"\} 0\.0078947/);
    expect(text).to.include('lip_gen_ai_server_request_duration_seconds_count{provider="none",model="none",error_type="LIP_ERR_ROUTE_MAX_ATTEMPTS"} 1');
  });

  it('the sample Grafana dashboard (docs/grafana-dashboard.json) queries only metrics lip exports', async () => {
    const dashboard = readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8');
    const used = new Set([...dashboard.matchAll(/\b((?:lip|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, '')));
    const exported = new Set([...(await metrics.render()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    expect([...used].filter((name) => !exported.has(name))).to.deep.equal([]);
    expect(used.size).to.be.greaterThan(15);
  });

  it('the lint itself catches what promtool catches', () => {
    const bad = [
      '# HELP a_total x', '# TYPE a_total gauge', 'a_total 1',
      '# HELP b x', '# TYPE b counter', 'b 1',
      '# HELP c_ms x', '# TYPE c_ms gauge', 'c_ms 1',
      '# TYPE d gauge', 'd 1',
      'e{fooBar="1"} 1',
    ].join('\n');
    expect(promlint(bad).map((p) => `${p.metric}: ${p.problem}`)).to.deep.equal([
      'e: label name "fooBar" is camelCase',
      'a_total: non-counter metrics should not have "_total" suffix',
      'b: counter metrics should have "_total" suffix',
      'c_ms: metric names should not contain abbreviated units',
      'd: no HELP line',
      'e: sample without a TYPE line',
    ]);
  });
});
