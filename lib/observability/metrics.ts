import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { CircuitStatus } from '../circuit/index.js';
import type { ContinuityStatus } from '../continuity/index.js';
import { UPSTREAM_QUEUE_DEPTH } from '../backends/http/origin-queue.js';
import type { AttemptReport } from '../core/attempt.js';
import type { InternalErrorReport } from '../errors/index.js';
import { FAIL_OPEN_SKIPS } from '../extensions/hook-failures.js';
import { TOOL_CALL_REPAIRS } from '../extensions/features/tool-call-repair/index.js';
import { RECORDING_COUNTS } from '../replay/recording-writer.js';

/** What the metrics read at scrape time (the runtime serving now, which a reload may swap). */
export interface MetricsSources {
  circuit(): CircuitStatus;
  continuity(): ContinuityStatus;
}

/** One finished HTTP request, as the access log sees it. */
export interface RequestSample {
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly seconds: number;
}

/**
 * Prometheus metrics (prom-client, loaded only when `observability.metrics.enabled`):
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `lip_http_requests_total` | counter | method, route, status_class |
 * | `lip_http_request_duration_seconds` | histogram | route, status_class |
 * | `lip_attempts_total` | counter | backend, outcome (success, failure, cancelled) |
 * | `lip_attempt_first_output_seconds` | histogram | backend |
 * | `lip_circuits` | gauge | state (open, half_open) |
 * | `lip_circuit_store_healthy` | gauge | store |
 * | `lip_upstream_queue_depth` | gauge | backend (requests waiting for a connection) |
 * | `lip_continuity_ready`, `lip_continuity_pending_records` | gauge | store |
 * | `lip_continuity_write_errors_total`, `_write_retries_total`, `_dropped_records_total`, `_lost_records_total`, `_reopened_total` | counter (from the store's counts) | store |
 * | `lip_internal_errors_total` | counter | where (the guarded callback that caught a throw) |
 * | `lip_extension_stage_fail_open_skips_total` | counter (from the extensions' count) | stage |
 * | `lip_tool_call_repair_total` | counter (tool-call-repair outcomes) | reason |
 * | `lip_recording_written_total`, `_dropped_total`, `_write_errors_total` | counter (from the recorder's counts) | - |
 *
 * plus prom-client's process metrics (`lip_process_*`, `lip_nodejs_*`). Labels are bounded:
 * route groups, backend ids and outcomes, never raw paths or candidate queries.
 */
export class Metrics {
  private readonly registry: PromClient.Registry;
  private readonly requests: PromClient.Counter<'method' | 'route' | 'status_class'>;
  private readonly durations: PromClient.Histogram<'route' | 'status_class'>;
  private readonly attempts: PromClient.Counter<'backend' | 'outcome'>;
  private readonly firstOutput: PromClient.Histogram<'backend'>;
  private readonly internalErrors: PromClient.Counter<'where'>;
  private readonly onAttempt = (message: unknown) => this.attempt(message as AttemptReport);
  private readonly onInternalError = (message: unknown) => this.internalErrors.inc({ where: (message as InternalErrorReport).where });

  constructor(client: typeof PromClient, sources: () => MetricsSources) {
    const registry = new client.Registry();
    this.registry = registry;
    client.collectDefaultMetrics({ register: registry, prefix: 'lip_' });
    const registers = [registry];
    this.requests = new client.Counter({ name: 'lip_http_requests_total', help: 'HTTP requests by route group and status class.', labelNames: ['method', 'route', 'status_class'], registers });
    this.durations = new client.Histogram({
      name: 'lip_http_request_duration_seconds', help: 'From a request\'s arrival to the end of its response.', labelNames: ['route', 'status_class'], registers,
      buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2, 10, 60, 300],
    });
    this.attempts = new client.Counter({ name: 'lip_attempts_total', help: 'Backend attempts by how they ended.', labelNames: ['backend', 'outcome'], registers });
    this.firstOutput = new client.Histogram({
      name: 'lip_attempt_first_output_seconds', help: 'From an attempt\'s start to its first output event.', labelNames: ['backend'], registers,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    });
    new client.Gauge({
      name: 'lip_circuits', help: 'Circuits that are not closed, by state.', labelNames: ['state'], registers,
      collect() {
        const status = sources().circuit();
        this.set({ state: 'open' }, status.open);
        this.set({ state: 'half_open' }, status.half_open);
      },
    });
    new client.Gauge({
      name: 'lip_circuit_store_healthy', help: '1 while the circuit store (memory, or Redis) answers; 0 while the breaker runs on local state.', labelNames: ['store'], registers, aggregator: 'min',
      collect() {
        const status = sources().circuit();
        this.set({ store: status.store }, status.healthy ? 1 : 0);
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
      name: 'lip_continuity_ready', help: '1 while the continuity store records; 0 while it fails or its queue is full.', labelNames: ['store'], registers, aggregator: 'min',
      collect() {
        const status = sources().continuity();
        this.set({ store: status.store }, status.ready ? 1 : 0);
      },
    });
    new client.Gauge({
      name: 'lip_continuity_pending_records', help: 'Continuity records waiting to be written.', labelNames: ['store'], registers,
      collect() {
        const status = sources().continuity();
        this.set({ store: status.store }, status.pending);
      },
    });
    // Counts the store keeps itself: exposed as they are (a new store starts again at 0).
    const storeCounters: [string, string, (s: ContinuityStatus) => number][] = [
      ['lip_continuity_write_errors_total', 'Failed continuity batch writes (their records are kept and retried).', (s) => s.write_errors],
      ['lip_continuity_write_retries_total', 'Continuity batch writes made to retry a failed one.', (s) => s.retries],
      ['lip_continuity_dropped_records_total', 'Continuity records pushed out of a full write queue while the database could not keep up.', (s) => s.dropped],
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
    new client.Counter({
      name: 'lip_extension_stage_fail_open_skips_total', help: 'Extension hooks that failed and were skipped (fail_open), by stage.', labelNames: ['stage'], registers,
      collect() {
        this.reset();
        for (const [stage, count] of FAIL_OPEN_SKIPS) this.inc({ stage }, count);
      },
    });
    new client.Counter({
      name: 'lip_tool_call_repair_total', help: 'Tool calls seen by tool-call-repair, by outcome reason (a repaired call counts once per repair).', labelNames: ['reason'], registers,
      collect() {
        this.reset();
        for (const [reason, count] of TOOL_CALL_REPAIRS) this.inc({ reason }, count);
      },
    });
    const recordingCounters: [string, string, keyof typeof RECORDING_COUNTS][] = [
      ['lip_recording_written_total', 'Exchanges written to the recording.', 'written'],
      ['lip_recording_dropped_total', 'Exchanges not recorded because the recording write queue was full.', 'dropped'],
      ['lip_recording_write_errors_total', 'Exchanges lost to a failed recording write.', 'writeErrors'],
    ];
    for (const [name, help, field] of recordingCounters) {
      new client.Counter({ name, help, registers, collect() { this.reset(); this.inc(RECORDING_COUNTS[field]); } });
    }
    subscribe('lip:attempt', this.onAttempt);
    subscribe('lip:internal-error', this.onInternalError);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  request(sample: RequestSample): void {
    const statusClass = sample.status >= 100 && sample.status < 600 ? `${Math.floor(sample.status / 100)}xx` : 'other';
    this.requests.inc({ method: sample.method, route: sample.route, status_class: statusClass });
    this.durations.observe({ route: sample.route, status_class: statusClass }, sample.seconds);
  }

  private attempt(report: AttemptReport): void {
    if (report.phase !== 'end' || report.outcome === undefined) return;
    this.attempts.inc({ backend: report.backendId, outcome: report.outcome });
    if (report.ttftMs !== undefined) this.firstOutput.observe({ backend: report.backendId }, report.ttftMs / 1000);
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The series as prom-client JSON, which the primary of `lip serve --workers` sums (`cluster-metrics.ts`). */
  json(): Promise<PromClient.MetricObjectWithValues<PromClient.MetricValue<string>>[]> {
    return this.registry.getMetricsAsJSON();
  }

  close(): void {
    unsubscribe('lip:attempt', this.onAttempt);
    unsubscribe('lip:internal-error', this.onInternalError);
  }
}

/** Metrics when enabled; prom-client is not even loaded otherwise. */
export function createMetrics(enabled: boolean, sources: () => MetricsSources): Metrics | undefined {
  if (!enabled) return undefined;
  const client = createRequire(import.meta.url)('prom-client') as typeof PromClient;
  return new Metrics(client, sources);
}
