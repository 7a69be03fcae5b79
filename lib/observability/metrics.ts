import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { CircuitEvent, CircuitStatus } from '../circuit/index.js';
import type { UpstreamKeyEvent } from '../backends/http/key-rotation.js';
import type { ContinuityStatus } from '../continuity/index.js';
import { UPSTREAM_QUEUE_DEPTH } from '../backends/http/origin-queue.js';
import type { AttemptReport } from '../core/attempt.js';
import { reportInternalError, type InternalErrorReport } from '../errors/index.js';
import { FAIL_OPEN_SKIPS } from '../extensions/hook-failures.js';
import { REASONING_PRESERVATION } from '../extensions/features/reasoning-output-preservation/index.js';
import { COMPACTION_CONTINUITY } from '../extensions/features/compaction-continuity/outcomes.js';
import { TOOL_CALL_REPAIRS } from '../extensions/features/tool-call-repair/index.js';
import { RECORDING_COUNTS } from '../replay/recording-writer.js';
import { MODEL_CATALOG_COUNTS } from '../core/model-catalog/counts.js';
import { STREAM_RESUMES } from '../core/resume-answer.js';
import { INGRESS_DENIED } from '../core/ingress-gate.js';
import { GenAiMetrics } from './gen-ai-metrics.js';

/** What the metrics read at scrape time (the runtime serving now, which a reload may swap). */
export interface MetricsSources {
  circuit(): CircuitStatus;
  continuity(): ContinuityStatus;
  /** The configured models (backends' inventories): model labels outside it read `other`. */
  models(): ReadonlySet<string>;
  /** The model catalog's snapshot (`model_catalog`; undefined when it is off). */
  catalog?(): { readonly loadedAtMs?: number } | undefined;
  /** Responses background responses of this process: running, and ended ones whose streams are kept. */
  background?(): { readonly running: number; readonly kept: number };
  /** Batches of this process (the Message Batches API): running, their requests running, and their requests ended by outcome. */
  batches?(): { readonly running: number; readonly requestsRunning: number; readonly outcomes: ReadonlyMap<string, number> };
}

/** One finished HTTP request, as the access log sees it. */
export interface RequestSample {
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly seconds: number;
  /** The failure's code, when the request failed (routing exhaustion is counted from it). */
  readonly errorCode?: string;
  /** The client went away before the response was finished. */
  readonly aborted?: boolean;
  /** A generation request: who served it (`none` when nobody did) and how it streamed. */
  readonly generation?: {
    readonly provider: string;
    readonly model: string;
    readonly stream: boolean;
    readonly ttftSeconds?: number;
    readonly outputTokens?: number;
  };
  /** How the response cache met it (with `cache.enabled`): a generation or an embeddings request. */
  readonly cache?: 'hit' | 'miss' | 'refresh' | 'bypass';
  /** The caller's API key id (a configured key: a bounded label), for refusals by its own limits. */
  readonly keyId?: string;
}

const CATALOG_SNAPSHOT = 'lip_model_catalog_snapshot_timestamp_seconds';

/** Request failure codes that are an API key's own limits refusing it, by reason label. */
const KEY_REFUSALS: Readonly<Record<string, string>> = {
  LIP_ERR_AUTH_KEY_LIMITED: 'rate_limited',
  LIP_ERR_AUTH_KEY_BUDGET_EXCEEDED: 'budget_exceeded',
  LIP_ERR_AUTH_KEY_BUDGET_RESERVED: 'budget_reserved',
  LIP_ERR_AUTH_CANDIDATE_FORBIDDEN: 'candidate_forbidden',
};

/** Request failure codes that mean routing ran out of candidates, by reason label. */
const EXHAUSTION: Readonly<Record<string, string>> = {
  LIP_ERR_ROUTE_MAX_ATTEMPTS: 'max_attempts',
  LIP_ERR_ROUTE_ALL_FAILED: 'all_failed',
  LIP_ERR_ROUTE_NO_CANDIDATE: 'no_candidate',
  LIP_ERR_ROUTE_RATE_LIMITED: 'rate_limited',
  LIP_ERR_ROUTE_OVERLOADED: 'overloaded',
  LIP_ERR_ROUTE_CONTEXT_EXCEEDED: 'context_exceeded',
  // Every candidate's upstream quota spent (the route's final answer keeps the upstream code).
  LIP_ERR_UPSTREAM_QUOTA_EXCEEDED: 'quota_exceeded',
};

/**
 * Prometheus metrics (prom-client, loaded only when `observability.metrics.enabled`):
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `lip_http_requests_total` | counter | method, route, status_class |
 * | `lip_http_request_duration_seconds` | histogram | route, status_class |
 * | `lip_client_aborts_total` | counter | route (the client left before its response was finished) |
 * | `lip_attempts_total` | counter | backend, outcome (success, failure, cancelled, client_abort) |
 * | `lip_attempt_first_output_seconds` | histogram | backend |
 * | `lip_failovers_total` | counter | backend (the one failed away from), reason (error code) |
 * | `lip_race_legs_total` | counter | backend, result (win, loss) |
 * | `lip_ttft_expiries_total` | counter | scope (leaf, global) |
 * | `lip_routing_exhausted_total` | counter | reason (max_attempts, all_failed, no_candidate, rate_limited, quota_exceeded, overloaded, context_exceeded) |
 * | `lip_cache_lookups_total` | counter | result (hit, miss, refresh, bypass; with `cache.enabled`) |
 * | `lip_upstream_key_events_total` | counter | backend, action (retired, cooled_down) |
 * | `lip_key_refusals_total` | counter | key (a configured API key id), reason (rate_limited, budget_exceeded, budget_reserved, candidate_forbidden) |
 * | `lip_circuit_transitions_total` | counter | backend, from, to |
 * | `lip_gen_ai_*`, `lip_cost_total`, `lip_web_searches_total` | see gen-ai-metrics.ts | provider, model, ... |
 * | `lip_circuits` | gauge | state (open, half_open) |
 * | `lip_circuit_store_healthy` | gauge | store |
 * | `lip_upstream_queue_depth` | gauge | backend (requests waiting for a connection) |
 * | `lip_background_responses` | gauge | state (running, kept: ended, their streams kept for resuming) |
 * | `lip_batches_running`, `lip_batch_requests_running` | gauge | - |
 * | `lip_batch_requests_total` | counter | outcome (succeeded, errored, canceled, expired) |
 * | `lip_continuity_ready`, `lip_continuity_pending_records` | gauge | store |
 * | `lip_continuity_write_errors_total`, `_write_retries_total`, `_dropped_records_total`, `_lost_records_total`, `_reopened_total` | counter (from the store's counts) | store |
 * | `lip_internal_errors_total` | counter | where (the guarded callback that caught a throw) |
 * | `lip_extension_stage_fail_open_skips_total` | counter (from the extensions' count) | stage |
 * | `lip_tool_call_repair_total` | counter (tool-call-repair outcomes) | reason |
 * | `lip_recording_written_total`, `_dropped_total`, `_write_errors_total` | counter (from the recorder's counts) | - |
 *
 * plus prom-client's default process and Node.js metrics under their standard names
 * (`process_cpu_seconds_total`, `nodejs_eventloop_lag_seconds`, ...), so stock dashboards work,
 * minus the three gauges it names `_total` (see the constructor).
 * Labels are bounded: route groups, backend ids, configured models, outcomes and error codes,
 * never raw paths, candidate queries or client-supplied model names.
 */
export class Metrics {
  private readonly registry: PromClient.Registry;
  private readonly requests: PromClient.Counter<'method' | 'route' | 'status_class'>;
  private readonly durations: PromClient.Histogram<'route' | 'status_class'>;
  private readonly aborts: PromClient.Counter<'route'>;
  private readonly attempts: PromClient.Counter<'backend' | 'outcome'>;
  private readonly firstOutput: PromClient.Histogram<'backend'>;
  private readonly failovers: PromClient.Counter<'backend' | 'reason'>;
  private readonly raceLegs: PromClient.Counter<'backend' | 'result'>;
  private readonly ttftExpiries: PromClient.Counter<'scope'>;
  private readonly exhausted: PromClient.Counter<'reason'>;
  private readonly cacheLookups: PromClient.Counter<'result'>;
  private readonly keyEvents: PromClient.Counter<'backend' | 'action'>;
  private readonly keyRefusals: PromClient.Counter<'key' | 'reason'>;
  private readonly transitions: PromClient.Counter<'backend' | 'from' | 'to'>;
  private readonly genAi: GenAiMetrics;
  private readonly internalErrors: PromClient.Counter<'where'>;
  private readonly catalogSnapshot: PromClient.Gauge;
  private readonly onAttempt = (message: unknown) => {
    try {
      this.attempt(message as AttemptReport);
    } catch (err) {
      reportInternalError('metrics.attempt', err); // a channel subscriber's throw would be uncaught
    }
  };
  private readonly onInternalError = (message: unknown) => this.internalErrors.inc({ where: (message as InternalErrorReport).where });
  private readonly onKey = (message: unknown) => {
    const event = message as UpstreamKeyEvent;
    this.keyEvents.inc({ backend: event.backendId, action: event.action });
  };
  /**
   * Transitions this instance made (its own outcomes and probes). One learnt from the shared
   * store is another instance's, counted there: summed over instances or workers, each change
   * counts once.
   */
  private readonly onCircuit = (message: unknown) => {
    const event = message as CircuitEvent;
    if (event.type === 'transition' && event.origin === 'local') this.transitions.inc({ backend: backendOf(event.key), from: event.from, to: event.to });
  };
  /** Whether the last scrape's circuits were shared (Redis): every worker then holds the same ones. */
  private sharedCircuits = false;

  constructor(client: typeof PromClient, private readonly sources: () => MetricsSources) {
    const registry = new client.Registry();
    this.registry = registry;
    client.collectDefaultMetrics({ register: registry });
    // prom-client exports these three counts as gauges named `_total`, which `promtool check
    // metrics` rejects; `nodejs_active_handles` / `_requests` / `_resources` (by type) remain.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
    const registers = [registry];
    this.requests = new client.Counter({ name: 'lip_http_requests_total', help: 'HTTP requests by route group and status class (system routes only with observability.include_system_routes).', labelNames: ['method', 'route', 'status_class'], registers });
    this.durations = new client.Histogram({
      name: 'lip_http_request_duration_seconds', help: 'From a request\'s arrival to the end of its response.', labelNames: ['route', 'status_class'], registers,
      buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2, 10, 60, 300],
    });
    this.aborts = new client.Counter({ name: 'lip_client_aborts_total', help: 'Requests whose client went away before the response was finished.', labelNames: ['route'], registers });
    this.attempts = new client.Counter({ name: 'lip_attempts_total', help: 'Backend attempts by how they ended (cancelled: stopped by routing; client_abort: the client left).', labelNames: ['backend', 'outcome'], registers });
    this.firstOutput = new client.Histogram({
      name: 'lip_attempt_first_output_seconds', help: 'From an attempt\'s start to its first output event.', labelNames: ['backend'], registers,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    });
    this.failovers = new client.Counter({ name: 'lip_failovers_total', help: 'Times routing moved on to another candidate after an attempt failed, by the failed backend and error code.', labelNames: ['backend', 'reason'], registers });
    this.raceLegs = new client.Counter({ name: 'lip_race_legs_total', help: 'Race legs that won or lost (losers are cancelled at once).', labelNames: ['backend', 'result'], registers });
    this.ttftExpiries = new client.Counter({ name: 'lip_ttft_expiries_total', help: 'Time-to-first-token budgets that expired: a leaf\'s own (the attempt fails over) or the selector\'s global one (the request fails).', labelNames: ['scope'], registers });
    this.cacheLookups = new client.Counter({ name: 'lip_cache_lookups_total', help: 'Generation and embeddings requests by how the response cache met them: hit (answered from it), miss (routed, its answer kept), refresh (Cache-Control: no-cache), bypass (no-store).', labelNames: ['result'], registers });
    this.exhausted = new client.Counter({ name: 'lip_routing_exhausted_total', help: 'Requests that failed because routing ran out: max_attempts spent, every candidate failed, none eligible, all rate-limited, all overloaded, none fits the context.', labelNames: ['reason'], registers });
    this.keyEvents = new client.Counter({ name: 'lip_upstream_key_events_total', help: 'Upstream API keys retired (401) or cooled down (429), by backend.', labelNames: ['backend', 'action'], registers });
    this.keyRefusals = new client.Counter({ name: 'lip_key_refusals_total', help: 'Requests refused by their API key\'s own limits: its rate limits (requests, tokens, concurrency), its budget, or its allow list.', labelNames: ['key', 'reason'], registers });
    this.transitions = new client.Counter({ name: 'lip_circuit_transitions_total', help: 'Circuit state changes this instance made, by backend (one another instance made, learnt through Redis, is counted there).', labelNames: ['backend', 'from', 'to'], registers });
    this.genAi = new GenAiMetrics(client, registers);
    const metrics = this;
    new client.Gauge({
      name: 'lip_circuits', help: 'Circuits that are not closed, by state.', labelNames: ['state'], registers,
      collect() {
        const status = sources().circuit();
        metrics.sharedCircuits = status.store === 'redis';
        this.set({ state: 'open' }, status.open);
        this.set({ state: 'half_open' }, status.half_open);
      },
    });
    // A gauge labelled by store has the series of the store serving now only: a reload may switch it.
    new client.Gauge({
      name: 'lip_circuit_store_healthy', help: '1 while the circuit store (memory, or Redis) answers; 0 while the breaker runs on local state.', labelNames: ['store'], registers, aggregator: 'min',
      collect() {
        const status = sources().circuit();
        this.reset();
        this.set({ store: status.store }, status.healthy ? 1 : 0);
      },
    });
    // Registered only while the catalog is on (see `catalogGauge`): a gauge without labels
    // always has a value, so a registered one would read 0 with the catalog off.
    this.catalogSnapshot = new client.Gauge({
      name: CATALOG_SNAPSHOT, help: 'When the model catalog\'s running snapshot was last known current: its file\'s time, then each refresh that fetched it or found it unchanged; 0 when none could be read; absent when the catalog is off.', registers: [], aggregator: 'min',
      collect() {
        const catalog = sources().catalog?.();
        this.set(catalog?.loadedAtMs === undefined ? 0 : catalog.loadedAtMs / 1000);
      },
    });
    new client.Gauge({
      name: 'lip_background_responses', help: 'Responses background responses of this process: running, and ended ones whose streams are kept for resuming.', labelNames: ['state'], registers,
      collect() {
        const background = sources().background?.();
        this.set({ state: 'running' }, background?.running ?? 0);
        this.set({ state: 'kept' }, background?.kept ?? 0);
      },
    });
    new client.Gauge({
      name: 'lip_batches_running', help: 'Batches of generation requests (the Message Batches API) running in this process.', registers,
      collect() { this.set(sources().batches?.().running ?? 0); },
    });
    new client.Gauge({
      name: 'lip_batch_requests_running', help: 'Requests of batches running now in this process (at most server.batch_concurrency).', registers,
      collect() { this.set(sources().batches?.().requestsRunning ?? 0); },
    });
    new client.Counter({
      name: 'lip_batch_requests_total', help: 'Requests of batches that ended in this process, by outcome (succeeded, errored, canceled, expired).', labelNames: ['outcome'], registers,
      collect() {
        this.reset();
        for (const [outcome, count] of sources().batches?.().outcomes ?? []) this.inc({ outcome }, count);
      },
    });
    new client.Gauge({
      name: 'lip_upstream_queue_depth', help: 'Upstream requests waiting for a connection (http_client.connections_per_origin), by backend.', labelNames: ['backend'], registers,
      collect() {
        this.reset();
        for (const [backend, depth] of UPSTREAM_QUEUE_DEPTH) this.set({ backend }, depth);
      },
    });
    new client.Gauge({
      name: 'lip_continuity_ready', help: '1 while the continuity store serves; 0 while a SQLite store fails or its queue is full, or once closed (a Redis store stays 1 through an outage: see lip_continuity_store_healthy).', labelNames: ['store'], registers, aggregator: 'min',
      collect() {
        const status = sources().continuity();
        this.reset();
        this.set({ store: status.store }, status.ready ? 1 : 0);
      },
    });
    new client.Gauge({
      name: 'lip_continuity_store_healthy', help: '1 while the continuity store writes without trouble; 0 while it fails, is degraded (Redis unreachable), full or closed.', labelNames: ['store'], registers, aggregator: 'min',
      collect() {
        const status = sources().continuity();
        this.reset();
        this.set({ store: status.store }, status.state === 'ok' ? 1 : 0);
      },
    });
    new client.Gauge({
      name: 'lip_continuity_pending_records', help: 'Continuity records waiting to be written.', labelNames: ['store'], registers,
      collect() {
        const status = sources().continuity();
        this.reset();
        this.set({ store: status.store }, status.pending);
      },
    });
    // Counts the store keeps itself: exposed as they are (a new store starts again at 0).
    const storeCounters: [string, string, (s: ContinuityStatus) => number][] = [
      ['lip_continuity_write_errors_total', 'Failed continuity batch writes (their records are kept and retried).', (s) => s.write_errors],
      ['lip_continuity_write_retries_total', 'Continuity batch writes made to retry a failed one.', (s) => s.retries],
      ['lip_continuity_dropped_records_total', 'Continuity records pushed out of a full write queue while the database (or Redis) could not keep up.', (s) => s.dropped],
      ['lip_continuity_lost_records_total', 'Continuity records not stored (left at close, or held only by a removed database file).', (s) => s.lost],
      ['lip_continuity_reopened_total', 'Times the continuity database file was found removed or replaced and opened afresh.', (s) => s.reopened],
    ];
    for (const [name, help, read] of storeCounters) {
      new client.Counter({
        name, help, labelNames: ['store'], registers,
        collect() {
          const status = sources().continuity();
          this.reset();
          this.inc({ store: status.store }, read(status));
        },
      });
    }
    this.internalErrors = new client.Counter({
      name: 'lip_internal_errors_total', help: 'Throws caught where none should happen (bugs), by where they were caught; each one failed only its own request.',
      labelNames: ['where'], registers,
    });
    /** A counter over process-wide counts kept by the module that counts (read at each scrape). */
    const fromCounts = (name: string, help: string, label: string, counts: ReadonlyMap<string, number>) => new client.Counter({
      name, help, labelNames: [label], registers,
      collect() {
        this.reset();
        for (const [value, count] of counts) this.inc({ [label]: value }, count);
      },
    });
    fromCounts('lip_extension_stage_fail_open_skips_total', 'Extension hooks that failed and were skipped (fail_open), by stage.', 'stage', FAIL_OPEN_SKIPS);
    fromCounts('lip_tool_call_repair_total', 'Tool calls seen by tool-call-repair, by outcome reason (a repaired call counts once per repair).', 'reason', TOOL_CALL_REPAIRS);
    fromCounts('lip_reasoning_preservation_total', 'Assistant turns seen by reasoning-output-preservation, by outcome (kept, restored, left alone and why).', 'outcome', REASONING_PRESERVATION);
    fromCounts('lip_compaction_continuity_total', 'What compaction-continuity did: compaction boundaries found, extractions (by result), requests the kept state was put into, and why a request had none.', 'event', COMPACTION_CONTINUITY);
    fromCounts('lip_ingress_denied_total', 'Requests refused by access.geoip before anything else ran: by its rules (policy), or for a forwarding header that could not be read (forwarding).', 'reason', INGRESS_DENIED);
    fromCounts('lip_stream_resumes_total', 'Answers that broke after output (routing.resume_after_output): resumed, failed (no candidate continued them, or the resumes were spent), not_resumable (a tool call or hosted tool had started).', 'outcome', STREAM_RESUMES);
    fromCounts('lip_model_catalog_total', 'What the model catalog did: refreshes by outcome, candidates left out and requests adapted, by event.', 'event', MODEL_CATALOG_COUNTS);
    const recordingCounters: [string, string, keyof typeof RECORDING_COUNTS][] = [
      ['lip_recording_written_total', 'Exchanges written to the recording.', 'written'],
      ['lip_recording_dropped_total', 'Exchanges not recorded because the recording write queue was full.', 'dropped'],
      ['lip_recording_write_errors_total', 'Exchanges lost to a failed recording write.', 'writeErrors'],
      ['lip_recording_redaction_failures_total', 'Exchanges recorded with a part masked whole ([REDACTION FAILED]) because its redaction failed.', 'redactionFailures'],
    ];
    for (const [name, help, field] of recordingCounters) {
      new client.Counter({ name, help, registers, collect() { this.reset(); this.inc(RECORDING_COUNTS[field]); } });
    }
    subscribe('lip:attempt', this.onAttempt);
    subscribe('lip:internal-error', this.onInternalError);
    subscribe('lip:upstream-key', this.onKey);
    subscribe('lip:circuit', this.onCircuit);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  request(sample: RequestSample): void {
    const statusClass = sample.status >= 100 && sample.status < 600 ? `${Math.floor(sample.status / 100)}xx` : 'other';
    this.requests.inc({ method: sample.method, route: sample.route, status_class: statusClass });
    this.durations.observe({ route: sample.route, status_class: statusClass }, sample.seconds);
    if (sample.aborted) this.aborts.inc({ route: sample.route });
    const code = sample.errorCode;
    if (code !== undefined) {
      const reason = EXHAUSTION[code];
      if (reason !== undefined) this.exhausted.inc({ reason });
      else if (code === 'LIP_ERR_ROUTE_TTFT_TIMEOUT') this.ttftExpiries.inc({ scope: 'global' });
      else if (sample.keyId !== undefined && KEY_REFUSALS[code] !== undefined) this.keyRefusals.inc({ key: sample.keyId, reason: KEY_REFUSALS[code] });
    }
    const g = sample.generation;
    if (sample.cache !== undefined) this.cacheLookups.inc({ result: sample.cache });
    if (g) {
      this.genAi.served({
        // A request the client left before it ended: not a success (the dashboards' error_type="" panels).
        provider: g.provider, model: this.model(g.model), seconds: sample.seconds, errorType: code ?? (sample.aborted ? 'cancelled' : undefined),
        ttftSeconds: g.stream ? g.ttftSeconds : undefined, outputTokens: g.outputTokens,
      });
    }
  }

  private attempt(report: AttemptReport): void {
    if (report.phase === 'win') return this.raceLegs.inc({ backend: report.backendId, result: 'win' });
    if (report.phase === 'start') {
      if (report.failoverFrom !== undefined) this.failovers.inc({ backend: backendOf(report.failoverFrom), reason: report.failoverReason ?? 'unknown' });
      return;
    }
    if (report.outcome === undefined) return;
    const outcome = report.outcome === 'cancelled' && report.cancelReason === 'client abort' ? 'client_abort' : report.outcome;
    this.attempts.inc({ backend: report.backendId, outcome });
    if (report.ttftMs !== undefined) this.firstOutput.observe({ backend: report.backendId }, report.ttftMs / 1000);
    if (report.cancelReason === 'race loser') this.raceLegs.inc({ backend: report.backendId, result: 'loss' });
    if (report.errorCode === 'LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT') this.ttftExpiries.inc({ scope: 'leaf' });
    const model = this.model(report.model ?? '');
    this.genAi.attempt({
      provider: report.provider ?? 'unknown', model, responseModel: report.responseModel === undefined ? model : this.model(report.responseModel),
      // A cancelled attempt (a race loser, a client that left, a budget) is not a success: its duration is not an upstream's answer time.
      seconds: (report.durationMs ?? 0) / 1000, errorType: report.errorCode ?? (report.outcome === 'cancelled' ? 'cancelled' : undefined), usage: report.usage, backend: report.backendId, cost: report.cost,
      ...(report.webSearches !== undefined ? { webSearches: report.webSearches } : {}),
    });
  }

  /** A model label: configured models as they are (and `none`: nobody served), anything else `other`. */
  private model(name: string): string {
    return name === 'none' || this.sources().models().has(name) ? name : 'other';
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    this.catalogGauge();
    return this.registry.metrics();
  }

  /**
   * The series as prom-client JSON, which the primary of `lip serve --workers` sums
   * (`cluster-metrics.ts`). Circuits in Redis are the same circuits in every worker: the
   * primary takes the largest count of `lip_circuits` rather than the sum (memory circuits,
   * each worker's own, add up).
   */
  async json(): Promise<PromClient.MetricObjectWithValues<PromClient.MetricValue<string>>[]> {
    this.catalogGauge();
    const series = await this.registry.getMetricsAsJSON();
    if (this.sharedCircuits) for (const metric of series) if (metric.name === 'lip_circuits') metric.aggregator = 'max';
    return series;
  }

  /** Registers the catalog's snapshot gauge while the catalog is on, and removes it while off (a reload may do either). */
  private catalogGauge(): void {
    const on = this.sources().catalog?.() !== undefined;
    const registered = this.registry.getSingleMetric(CATALOG_SNAPSHOT) !== undefined;
    if (on && !registered) this.registry.registerMetric(this.catalogSnapshot);
    else if (!on && registered) this.registry.removeSingleMetric(CATALOG_SNAPSHOT);
  }

  close(): void {
    unsubscribe('lip:attempt', this.onAttempt);
    unsubscribe('lip:internal-error', this.onInternalError);
    unsubscribe('lip:upstream-key', this.onKey);
    unsubscribe('lip:circuit', this.onCircuit);
  }
}

/** The backend id of a candidate key (`backend:model[?query]`). */
function backendOf(candidateKey: string): string {
  const colon = candidateKey.indexOf(':');
  return colon < 0 ? candidateKey : candidateKey.slice(0, colon);
}

/** Metrics when enabled; prom-client is not even loaded otherwise. */
export function createMetrics(enabled: boolean, sources: () => MetricsSources): Metrics | undefined {
  if (!enabled) return undefined;
  const client = createRequire(import.meta.url)('prom-client') as typeof PromClient;
  return new Metrics(client, sources);
}
