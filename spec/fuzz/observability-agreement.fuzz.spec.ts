import * as chai from 'chai';
import { expect } from 'chai';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { charTokens, estimateTokens, type Call, type Usage } from '../../lib/canonical/index.js';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import type { ExchangeRecord, AttemptRecord } from '../../lib/replay/record-format.js';
import { KINDS, type KindCase } from '../backends/kinds.js';
import { TOOLS } from '../conformance/scenarios.js';
import { batchOfOne } from '../helpers/batches.js';
import { CLIENT_DRIVERS } from '../helpers/clients/index.js';
import { backgroundRun, websocketTurn } from '../helpers/clients/responses-transports.js';
import { configFrom, testConfigYaml } from '../helpers/config.js';
import type { Emulator, Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { startOtlpReceiver, type OtlpReceiver, type OtlpSpan } from '../helpers/otlp-receiver.js';
import { eventually, RecordLines } from '../replay/recording-helpers.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { kindIndex, resumePlan, routePlans, type Plan } from './generated-plans.js';
import { scriptedAnswer, type Generated } from './generated-scripts.js';

/**
 * lip tells the story of an exchange in six places: the recording's line, the access line, the
 * `attempt failed` / `attempt cancelled` lines, the trace (a SERVER span and one CLIENT span per
 * attempt), the attempt rows of `GET /admin/attempts` and the Prometheus counters. Each is
 * written by its own code from its own hooks, so each can drift from the others (a race loser
 * counted as a failure in one and cancelled in another, tokens summed in one and not another, a
 * skipped candidate lost). Generated exchanges (any client protocol through its official SDK,
 * streamed or not; any backend kind's emulator writing a generated answer with generated usage;
 * a single leaf, a failover past an error status or a reset, a race with or without a handicap,
 * a TTFT expiry, an in-band error after output; circuits that open on one failure and an API key
 * whose allow list leaves Bedrock out, so candidates are skipped) must be told the same way
 * everywhere. The record is the reference: the recording round trip (recording-roundtrip.fuzz)
 * proves it replays as the traffic ran.
 */

const idOf = (k: KindCase) => `o-${k.kind}`;
const KEY = 'fuzz-observer-key-0123456789';
const leaf = (i: number) => `${idOf(KINDS[i]!)}:model-x`;
/** Per million tokens: every candidate is priced, so every attempt with usage has a cost. */
const PRICES = { input: 2, output: 8, cache_read: 1, cache_write: 3, reasoning: 5 };

/** An upstream failure a race leg drops out on and a `|` chain moves on from. */
const legFailure = fc.constantFrom(429, 500, 503).map((status): Script => ({ status, error: { message: `upstream says ${status}` } }));

const plan = (answer: Generated): fc.Arbitrary<Plan> => fc.oneof(
  ...routePlans(answer, leaf, [400, 429, 500, 503]),
  resumePlan(answer, leaf),
  // A race whose first leg fails (mostly before its handicapped leg starts: that start is no
  // failover), alone or followed by an arm its second leg may fail over to.
  fc.tuple(fc.uniqueArray(kindIndex, { minLength: 3, maxLength: 3 }), legFailure, fc.option(legFailure, { nil: undefined }), fc.boolean())
    .map(([[a, b, c], failA, failB, next]): Plan => ({
      selector: `${leaf(a!)}![handicap=40ms]${leaf(b!)}${next ? `|${leaf(c!)}` : ''}`,
      scripts: new Map([[a!, failA], [b!, failB ?? answer.script], ...(next ? [[c!, answer.script] as const] : [])]),
      label: 'race with a failing leg',
    })),
  // The client goes away after the first chunk of a slow answer (read through plain fetch: the SDK drivers read to the end).
  fc.tuple(fc.uniqueArray(kindIndex, { minLength: 1, maxLength: 2 })).map(([legs]): Plan => ({
    selector: legs.map(leaf).join('!'), scripts: new Map(legs.map((k) => [k, { text: Array.from({ length: 40 }, (_, i) => `t${i} `), dripMs: 25, usage: answer.usage }])), label: 'abort',
  })),
);

/**
 * How a client sends its request: over HTTP (its SDK driver); a Responses request also as a turn
 * of a WebSocket connection or in background mode, an Anthropic one also as a Message Batch.
 */
type Transport = 'http' | 'websocket' | 'background' | 'batch';

/** A streamed Chat request that reads the answer's first chunk, then goes away. */
async function abandon(url: string, model: string, headers: Record<string, string>): Promise<void> {
  const controller = new AbortController();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST', signal: controller.signal, headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
  });
  const reader = res.body!.getReader();
  await reader.read().catch(() => undefined);
  controller.abort();
  await reader.read().catch(() => undefined);
}

/** Generated usage with the cache and reasoning parts too (each protocol writes them its own way). */
const withUsage = scriptedAnswer.chain((answer) => fc.record({
  cacheRead: fc.nat({ max: answer.usage.input }), cacheWrite: fc.nat({ max: 50 }), reasoning: fc.nat({ max: answer.usage.output }),
}).map((extra): Generated => ({ ...answer, script: { ...answer.script, usage: { ...answer.usage, ...extra } } })));

type Tokens = Partial<Record<'input_tokens' | 'output_tokens' | 'cache_read_tokens' | 'cache_write_tokens' | 'reasoning_tokens', number>>;
const TOKEN_FIELDS = [['inputTokens', 'input_tokens'], ['outputTokens', 'output_tokens'], ['cacheReadTokens', 'cache_read_tokens'], ['cacheWriteTokens', 'cache_write_tokens'], ['reasoningTokens', 'reasoning_tokens']] as const;

/** An attempt's usage as its recorded events report it: each usage event is a snapshot whose fields replace the earlier ones. */
function usageOf(attempt: AttemptRecord): Tokens | undefined {
  let tokens: Tokens | undefined;
  for (const [, event] of attempt.events) {
    if (event.type !== 'usage') continue;
    const usage = (event as { usage: Usage }).usage;
    tokens ??= {};
    for (const [from, to] of TOKEN_FIELDS) if (usage[from] !== undefined) tokens[to] = usage[from];
  }
  return tokens;
}

/**
 * What the key is charged for an attempt (its row and the access line hold it): what its upstream
 * reported, and for an answer cut after it began (cancelled once the request was served, not as a
 * race's loser) lip's estimate of what the upstream had not reported yet: the input as
 * estimateTokens estimates the call, as output at least the characters streamed at about four a
 * token. The spans and the counters keep what the upstream reported.
 */
function chargedOf(attempt: AttemptRecord, reported: Tokens | undefined, served: boolean): Tokens | undefined {
  if (attempt.outcome !== 'cancelled' || attempt.reason === 'race loser' || !served) return reported;
  let chars = 0;
  for (const [, event] of attempt.events) {
    if (event.type === 'text_delta' || event.type === 'reasoning_delta') chars += event.text.length;
    else if (event.type === 'tool_call_delta') chars += event.args.length;
  }
  const streamed = charTokens(chars);
  if (reported?.input_tokens !== undefined && (reported.output_tokens ?? 0) >= streamed) return reported;
  return { ...reported, input_tokens: reported?.input_tokens ?? estimateTokens(attempt.call as Call), output_tokens: Math.max(reported?.output_tokens ?? 0, streamed) };
}

/** An attempt's cost at PRICES (every candidate's row), as `pricing:` prices its tokens; none without input or output. */
function priceOf(t: Tokens | undefined): number | undefined {
  if (t?.input_tokens === undefined && t?.output_tokens === undefined) return undefined;
  const input = t.input_tokens ?? 0;
  const output = t.output_tokens ?? 0;
  const read = Math.min(t.cache_read_tokens ?? 0, input);
  const write = Math.min(t.cache_write_tokens ?? 0, input - read);
  const reasoning = Math.min(t.reasoning_tokens ?? 0, output);
  return ((input - read - write) * PRICES.input + read * PRICES.cache_read + write * PRICES.cache_write + (output - reasoning) * PRICES.output + reasoning * PRICES.reasoning) / 1e6;
}

/** The request's tokens: the attempts' summed field by field (a field none reported stays absent). */
function sumOf(list: readonly (Tokens | undefined)[]): Tokens {
  const out: Tokens = {};
  for (const t of list) for (const [, field] of TOKEN_FIELDS) if (t?.[field] !== undefined) out[field] = (out[field] ?? 0) + t[field]!;
  return out;
}

/** An attempt's status as rows keep it: a failure's error status as recorded, 200 for a success (the record keeps one only for failures). */
const statusOf = (a: AttemptRecord): number | undefined => (a.outcome === 'success' ? 200 : a.http_status ?? undefined);

/** An attempt's outcome as spans and counters name it: a cancellation by the client that left is `client_abort` there. */
const observedOutcome = (a: AttemptRecord): string => (a.outcome === 'cancelled' && a.reason === 'client abort' ? 'client_abort' : a.outcome);

const pick = (o: Record<string, unknown>, fields: readonly string[]) => Object.fromEntries(fields.filter((f) => o[f] !== undefined && o[f] !== null).map((f) => [f, o[f]]));

/** Counter samples of a Prometheus text (`name{labels} value`) by `name{labels}`. */
function countersOf(text: string, names: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{.*\})? ([-\d.e+]+)$/.exec(line);
    if (m && names.includes(m[1]!)) out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

/** Where the attempt rows, the usage and the key's budget are kept: each store must tell the same story. */
type Store = 'memory' | 'sqlite' | 'redis';

/** The property over one continuity store, `scale` of the runs. */
const agreement = (store: Store, scale: number) => describe(`fuzz: the record, the access log, the attempt lines, the trace, the attempt rows and the metrics tell one story (${store} store)`, function () {
  this.timeout(fuzzTimeout(3_000));
  let lip: RunningLip;
  let emulators: Emulator[] = [];
  let receiver: OtlpReceiver;
  let redis: RedisServer | undefined;
  let dir: string;
  let file: string;

  let truncation: number;
  before(async function () {
    if (store === 'redis') redis = await requireRedisServer(this);
    truncation = chai.config.truncateThreshold;
    chai.config.truncateThreshold = 0; // a disagreement is shown whole
    dir = mkdtempSync(join(tmpdir(), 'lip-obs-fuzz-'));
    file = join(dir, 'traffic.jsonl');
    for (const k of KINDS) emulators.push(await k.start());
    receiver = await startOtlpReceiver();
    // A judge (pre-request-policy) asks its own backend before every exchange: an auxiliary call each plane must tell too.
    mkdirSync(join(dir, 'prompts'));
    writeFileSync(join(dir, 'prompts', 'judge.md'), 'Say VERDICT: DENY when the request is unsafe.');
    const rows = `${KINDS.map((k, i) => k.row(idOf(k), emulators[i]!)).join('\n')}\n  - { id: o-judge, kind: localstub, models: [j], text: "VERDICT: ALLOW" }`;
    const yaml = testConfigYaml(rows, [
      `routing: { default_route: "${leaf(0)}", circuit_breaker: { enabled: true, failure_threshold: 1, open_for: 200ms }, resume_after_output: { enabled: true } }`,
      `recording: { enabled: true, path: "${file}" }`,
      `auth: { api_keys: [{ id: obs-key, key: ${KEY}, principal: observer, allow: ["o-openai-*", "o-anthropic", "o-gemini", "o-judge"], budget: { max_tokens: 1000000000000, period: day } }] }`,
      'diagnostics: { enabled: true }',
      store === 'sqlite' ? `continuity: { store: sqlite, sqlite_path: "${join(dir, 'lip.db')}" }` : '',
      store === 'redis' ? `continuity: { store: redis }\nredis: { url: "${redis!.url}", key_prefix: "lip-fz-agree-${process.pid}:" }` : '',
      'logging: { access_log: true }',
      'observability: { metrics: { enabled: true }, tracing: { enabled: true, service_name: lip-fuzz } }',
      'features:',
      '  - id: pre-request-policy',
      `    config: { prompt_dir: "${join(dir, 'prompts')}", handlers: [{ id: judge, prompt_filename: judge.md, model_routing_string: "o-judge:j", deny_pattern: "VERDICT: DENY" }] }`,
      `pricing: [${[...KINDS.map(idOf), 'o-judge'].map((id) => `{ backend: ${id}, input: ${PRICES.input}, output: ${PRICES.output}, cache_read: ${PRICES.cache_read}, cache_write: ${PRICES.cache_write}, reasoning: ${PRICES.reasoning} }`).join(', ')}]`,
    ].join('\n'));
    lip = await startLip(configFrom(yaml), {}, { tracing: { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } } });
  });
  after(async () => {
    chai.config.truncateThreshold = truncation;
    await lip?.close();
    await receiver?.close();
    await Promise.all(emulators.map((e) => e.close()));
    await redis?.close();
    emulators = [];
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const admin = async <T>(path: string): Promise<T> => (await (await fetch(`${lip.url}${path}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as T;
  const metrics = async () => countersOf(await (await fetch(`${lip.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).text(), ['lip_attempts_total', 'lip_http_requests_total', 'lip_cost_total', 'lip_race_legs_total', 'lip_failovers_total', 'lip_ttft_expiries_total']);

  it('every exchange is told the same way by each of them', async () => {
    let runs = 0;
    const lines = new RecordLines(file);
    const records: ExchangeRecord[] = [];
    const accessLines: Record<string, unknown>[] = [];
    const attemptRows: Record<string, unknown>[] = [];
    /** The attempts charged an estimate (by B-leg id): the cost of what their upstream reported, which the counters hold. */
    const reportedCosts = new Map<unknown, number | undefined>();
    /** Routing events on the SERVER spans, counted as the routing counters label them. */
    const routing = new Map<string, number>();
    const tally = (key: string) => routing.set(key, (routing.get(key) ?? 0) + 1);
    const before = await metrics();
    const arbitrary = withUsage.chain((answer) => fc.record({
      answer: fc.constant(answer), plan: plan(answer), frontend: fc.constantFrom(...Object.keys(FRONTENDS)), stream: fc.boolean(),
      transport: fc.constantFrom<Transport>('http', 'http', 'websocket', 'background', 'batch'),
    }));
    await fc.assert(fc.asyncProperty(arbitrary, async ({ answer, plan: p, frontend, stream, transport: t }) => {
      for (const e of emulators) e.reset();
      for (const [k, script] of p.scripts) emulators[k]!.enqueue(script);
      const seen = lines.all().length;
      const sent = `observed-${++runs}`;
      const headers = { authorization: `Bearer ${KEY}`, 'x-request-id': sent };
      // WebSocket turns and background runs are Responses requests. The abort plan: an HTTP client
      // leaves, a WebSocket client closes its connection, a background response is cancelled.
      const transport = frontend === 'openai-responses' ? (t === 'batch' ? 'http' : t) : frontend === 'anthropic' && t === 'batch' ? t : 'http';
      const leave = p.label === 'abort';
      if (transport === 'websocket') await websocketTurn(lip.url, KEY, p.selector, leave);
      else if (transport === 'background') await backgroundRun(lip.url, KEY, p.selector, sent, leave).catch(() => undefined); // refused: an HTTP answer
      else if (transport === 'batch') await batchOfOne(lip.url, KEY, p.selector, leave);
      else if (leave) await abandon(lip.url, p.selector, headers);
      else {
        await CLIENT_DRIVERS[frontend]!.run(lip.url, {
          model: p.selector, stream, messages: [{ role: 'user', text: 'Hi' }], headers,
          ...(answer.calls.length > 0 ? { tools: TOOLS } : {}), ...(answer.reasoning ? { reasoning: true } : {}),
        }).catch(() => undefined); // A refused or failed exchange is told too.
      }
      const label = `${p.label} ${p.selector} ${leave && transport === 'http' ? 'openai-chat' : frontend} ${transport === 'http' ? `stream=${leave || stream}` : transport}`;
      // The exchange's records: a WebSocket turn has a request id of its own (the handshake's is not a turn's).
      const fresh = await eventually(() => lines.all().slice(seen), (r) => r.length > 0);
      const requestId = fresh[0]!.request_id;
      if (transport === 'batch') expect(requestId, `${label}: a batch request's id`).to.match(/^msgbatch_\w+\/only$/);
      else if (transport !== 'websocket') expect(requestId, `${label}: the request id sent`).to.equal(sent);
      const recorded = lines.of(requestId);
      expect(fresh.filter((r) => r.request_id !== requestId), `${label}: records of other requests`).to.deep.equal([]);
      const logs = () => lip.logs.filter((l) => l.request_id === requestId);
      const access = await eventually(() => logs().filter((l) => l.message === 'request'), (a) => a.length >= recorded.length);
      expect(access.length, `${label}: one access line per recorded exchange`).to.equal(recorded.length);
      await lip.server.flushTraces();
      const servers = await eventually(() => receiver.spans.filter((s) => s.kind === 2 && s.attributes['lip.request_id'] === requestId), (s) => s.length >= recorded.length);
      expect(servers.length, `${label}: one SERVER span per recorded exchange`).to.equal(recorded.length);
      const attemptLines = logs().filter((l) => l.message === 'attempt failed' || l.message === 'attempt cancelled');
      const unserved = recorded.flatMap((r) => r.attempts.filter((a) => a.outcome !== 'success'));
      expect(attemptLines.map((l) => [l.message, l.candidate_key, l.message === 'attempt failed' ? l.error : l.reason]), `${label}: the attempt lines`)
        .to.have.deep.members(unserved.map((a) => [a.outcome === 'failure' ? 'attempt failed' : 'attempt cancelled', a.candidate_key, a.reason]));
      // The upstream's own status (a line's `upstream_status`) is the error's (the record's) when the error is that status.
      for (const a of unserved.filter((u) => u.reason === 'LIP_ERR_UPSTREAM_STATUS')) {
        expect(attemptLines.find((l) => l.candidate_key === a.candidate_key)?.upstream_status, `${label}: ${a.candidate_key}'s upstream status`).to.equal(a.http_status);
      }

      for (const [i, record] of recorded.entries()) {
        records.push(record);
        const what = `${label} (exchange ${i + 1} of ${recorded.length}): ${JSON.stringify(record.attempts.map((a) => [a.seq, a.candidate_key, a.outcome, a.reason, a.http_status, a.first_output_ms]))} skipped ${JSON.stringify(record.skipped)}`;
        const line = access[i]!;
        accessLines.push(line);
        const server = servers[i]!;
        const perAttempt = record.attempts.map(usageOf);
        const charged = record.attempts.map((a, n) => chargedOf(a, perAttempt[n], record.served !== null));
        for (const [n, a] of record.attempts.entries()) if (charged[n] !== perAttempt[n]) reportedCosts.set(a.b_leg_id, priceOf(perAttempt[n]));
        const upstreamStatus = (a: AttemptRecord) => (a.outcome === 'success' ? 200 : attemptLines.find((l) => l.candidate_key === a.candidate_key)?.upstream_status as number | undefined);
        const tokens = sumOf(charged);

        // The access line.
        expect(pick(line, ['status', 'backend', 'attempts', 'error', 'key_id', 'frontend', 'selector_source', 'stream', 'trace_id', 'token_count', ...TOKEN_FIELDS.map(([, f]) => f)]), `${what}: the access line`).to.deep.equal({
          status: record.client.status, ...(record.served ? { backend: record.served } : {}), attempts: record.attempts.length,
          ...(record.client.error ? { error: record.client.error.code } : {}), key_id: record.key_id, frontend: record.frontend, selector_source: record.selector_source,
          stream: (record.request.body as { stream?: boolean } | undefined)?.stream === true || record.request.path.includes('stream'), trace_id: server.traceId, ...tokens,
          ...(charged.some((c, n) => c !== perAttempt[n]) ? { token_count: 'estimate' } : {}),
        });

        // The trace: the SERVER span, its routing events, one CLIENT span per attempt.
        expect(pick(server.attributes, ['lip.served', 'lip.selector_source', 'lip.attempts', 'http.response.status_code', 'error.type', 'lip.principal']), `${what}: the SERVER span`).to.deep.equal({
          ...(record.selector_source ? { 'lip.selector_source': record.selector_source } : {}),
          ...(record.served ? { 'lip.served': record.served } : {}), 'lip.attempts': record.attempts.length, 'http.response.status_code': record.client.status,
          ...(record.client.error ? { 'error.type': record.client.error.code } : {}), 'lip.principal': record.principal,
        });
        // Each failover on the SERVER span: from a failed attempt (its error) to one started after it.
        for (const e of server.events.filter((x) => x.name === 'lip.failover')) {
          const from = record.attempts.find((a) => a.candidate_key === e.attributes['lip.failover.from']);
          const to = record.attempts.find((a) => a.candidate_key === e.attributes['lip.failover.to']);
          expect([from?.outcome, from?.reason, to !== undefined && from !== undefined && to.seq > from.seq], `${what}: failover ${JSON.stringify(e.attributes)}`)
            .to.deep.equal(['failure', e.attributes['error.type'], true]);
          tally(`lip_failovers_total{backend="${from!.backend_id}",reason="${from!.reason}"}`);
        }
        // One failover per move to a later `|` arm that opened an attempt (a race leg that starts
        // after another failed is none). A resumption fails over too, to any candidate: left out.
        if (p.label !== 'resume') {
          const arms = p.selector.split('|').map((arm) => arm.split(/[!^]/).map((l) => l.replace(/^(\[[^\]]*\])+/, '')));
          const entered = new Set(record.attempts.map((a) => arms.findIndex((legs) => legs.includes(a.candidate_key))));
          expect(server.events.filter((e) => e.name === 'lip.failover').length, `${what}: the failovers`).to.equal(Math.max(0, entered.size - 1));
        }
        // A race's win: the candidate that served (or failed after output), among the attempts.
        for (const e of server.events.filter((x) => x.name === 'lip.race.win')) {
          const winner = record.attempts.find((a) => a.candidate_key === e.attributes['lip.candidate_key']);
          expect(winner?.first_output_ms, `${what}: the race's winner ${String(e.attributes['lip.candidate_key'])} had output`).to.be.a('number');
          tally(`lip_race_legs_total{backend="${winner!.backend_id}",result="win"}`);
        }
        for (const a of record.attempts) {
          if (a.reason === 'race loser') tally(`lip_race_legs_total{backend="${a.backend_id}",result="loss"}`);
          if (a.reason === 'LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT') tally('lip_ttft_expiries_total{scope="leaf"}');
        }
        expect(server.events.filter((e) => e.name === 'lip.circuit.skip' || e.name === 'lip.route.skip').map((e) => [e.attributes['lip.candidate_key'], e.attributes['lip.reason']]), `${what}: the skips on the SERVER span`)
          .to.deep.equal((record.skipped ?? []).map((s) => [s.candidate_key, s.reason]));
        const clients: OtlpSpan[] = receiver.spans.filter((s) => s.kind === 3 && s.parentSpanId === server.spanId)
          .sort((a, b) => Number(a.attributes['lip.b_leg_seq']) - Number(b.attributes['lip.b_leg_seq']));
        expect(clients.map((s) => pick(s.attributes, ['lip.b_leg_seq', 'lip.candidate_key', 'lip.outcome', 'error.type', 'lip.cancel_reason', 'http.response.status_code', 'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens'])), `${what}: the CLIENT spans`)
          .to.deep.equal(record.attempts.map((a, n) => ({
            'lip.b_leg_seq': a.seq, 'lip.candidate_key': a.candidate_key, 'lip.outcome': observedOutcome(a),
            ...(a.outcome === 'failure' ? { 'error.type': a.reason } : {}), ...(a.outcome === 'cancelled' ? { 'lip.cancel_reason': a.reason } : {}),
            // The upstream's status: the attempt line's, 200 for a success.
            ...(upstreamStatus(a) !== undefined ? { 'http.response.status_code': upstreamStatus(a) } : {}),
            ...(perAttempt[n]?.input_tokens !== undefined ? { 'gen_ai.usage.input_tokens': perAttempt[n]!.input_tokens } : {}),
            ...(perAttempt[n]?.output_tokens !== undefined ? { 'gen_ai.usage.output_tokens': perAttempt[n]!.output_tokens } : {}),
          })));

        // The attempt rows.
        const rows = (await (await fetch(`${lip.url}/admin/attempts?a_leg_id=${record.a_leg_id}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { attempts: Record<string, unknown>[] };
        const mine = rows.attempts.filter((r) => record.attempts.some((a) => a.b_leg_id === r.b_leg_id));
        expect(mine.map((r) => ({ ...pick(r, ['b_leg_id', 'candidate_key', 'http_status', ...TOKEN_FIELDS.map(([, f]) => f)]), outcome: String(r.outcome).replace(/^(swallowed|surfaced)_/, '') })), `${what}: the attempt rows`)
          .to.deep.equal(record.attempts.map((a, n) => ({
            b_leg_id: a.b_leg_id, candidate_key: a.candidate_key, ...(statusOf(a) !== undefined ? { http_status: statusOf(a) } : {}),
            ...charged[n], outcome: a.outcome,
          })));
        attemptRows.push(...mine);
        const cost = mine.reduce((sum, r) => sum + (typeof r.cost === 'number' ? r.cost : 0), 0);
        if (mine.some((r) => typeof r.cost === 'number')) expect(line.cost as number, `${what}: the access line's cost is its attempts'`).to.be.closeTo(cost, 1e-12);
        else expect(line, `${what}: no cost without a priced attempt`).not.to.have.property('cost');
      }
    }), fuzzParameters(scale));

    // The counters moved by what the records hold.
    const after = await metrics();
    const moved = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
    const attempts = new Map<string, number>();
    // Every attempt counts, the judge's (the record's auxiliary calls) too.
    for (const r of records) for (const a of [...r.attempts, ...(r.auxiliary ?? []).flatMap((x) => x.attempts)]) {
      const key = `lip_attempts_total{backend="${a.backend_id}",outcome="${observedOutcome(a)}"}`;
      attempts.set(key, (attempts.get(key) ?? 0) + 1);
    }
    const counted = [...after.keys()].filter((k) => k.startsWith('lip_attempts_total') && moved(k) !== 0);
    expect(Object.fromEntries(counted.map((k) => [k, moved(k)])), 'lip_attempts_total').to.deep.equal(Object.fromEntries(attempts));
    const statuses = new Map<string, number>();
    // A request of a batch is not an HTTP request (the batch's create is, and is not recorded).
    for (const r of records.filter((x) => !x.request_id.includes('/'))) {
      const key = `${Math.floor(r.client.status / 100)}xx`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    }
    const requests = new Map<string, number>();
    for (const k of after.keys()) {
      // Generation requests only (not the diagnostics, a background response's retrievals and cancel, a WebSocket handshake, a batch's create).
      if (!k.startsWith('lip_http_requests_total') || !k.includes('method="POST"') || k.includes('/cancel"') || k.includes('/batches') || moved(k) === 0) continue;
      const status = /status_class="(\w+)"/.exec(k)![1]!;
      requests.set(status, (requests.get(status) ?? 0) + moved(k));
    }
    expect(Object.fromEntries(requests), 'lip_http_requests_total').to.deep.equal(Object.fromEntries(statuses));

    // The routing counters moved by the races, failovers and budgets the spans and records tell.
    const routed = [...after.keys()].filter((k) => /^lip_(race_legs|failovers|ttft_expiries)_total/.test(k) && moved(k) !== 0);
    expect(Object.fromEntries(routed.map((k) => [k, moved(k)])), 'the routing counters').to.deep.equal(Object.fromEntries(routing));
    // Enough runs fail over, race and expire a budget (else the counters' check proves less than it says).
    if (runs >= 100) expect([...routing.keys()].map((k) => k.slice(0, k.indexOf('{'))).filter((k, i, all) => all.indexOf(k) === i).sort(), 'routing seen').to.deep.equal(['lip_failovers_total', 'lip_race_legs_total', 'lip_ttft_expiries_total']);

    // What the exchanges cost, by the counter and by the rows (the judge's own rows are its A-legs', not the exchanges'):
    // a row charged an estimate counts what its upstream reported.
    const costs = new Map<string, number>();
    for (const r of attemptRows) {
      const cost = reportedCosts.has(r.b_leg_id) ? reportedCosts.get(r.b_leg_id) : r.cost;
      if (typeof cost === 'number') costs.set(String(r.backend_id), (costs.get(String(r.backend_id)) ?? 0) + cost);
    }
    for (const [backend, cost] of costs) {
      const counted = [...after.keys()].filter((k) => k.startsWith(`lip_cost_total{backend="${backend}",`)).reduce((sum, k) => sum + moved(k), 0);
      expect(counted, `lip_cost_total of ${backend}`).to.be.closeTo(cost, cost * 1e-9);
    }
    // What the key spent: its budget's count and GET /admin/usage by key are what its access lines sum to.
    const tokens = accessLines.reduce<number>((sum, l) => sum + (Number(l.input_tokens ?? 0) + Number(l.output_tokens ?? 0)), 0);
    const spent = await admin<{ budgets: { key_id: string; spent_tokens: number }[] }>('/admin/budgets');
    expect(spent.budgets.find((b) => b.key_id === 'obs-key')?.spent_tokens, 'the key\'s budget').to.equal(tokens);
    const usage = await admin<{ groups: { group: string; input_tokens: number; output_tokens: number }[] }>('/admin/usage?group_by=key&since=1h');
    const byKey = usage.groups.find((g) => g.group === 'obs-key');
    const rowTokens = attemptRows.reduce<number>((sum, r) => sum + Number(r.input_tokens ?? 0) + Number(r.output_tokens ?? 0), 0);
    expect((byKey?.input_tokens ?? 0) + (byKey?.output_tokens ?? 0), 'GET /admin/usage by key').to.equal(rowTokens);
    expect(rowTokens, 'the rows and the access lines').to.equal(tokens);
  });
});

agreement('memory', 0.3);
agreement('sqlite', 0.1);
agreement('redis', 0.1);
