import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { CircuitStatus } from '../circuit/index.js';
import type { ContinuityStatus } from '../continuity/index.js';
import type { AttemptReport } from '../core/attempt.js';
import { FAIL_OPEN_SKIPS } from '../extensions/hook-failures.js';

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
 * | `lip_continuity_ready`, `lip_continuity_pending_records` | gauge | store |
 * | `lip_continuity_write_errors_total` | counter (from the store's count) | store |
 * | `lip_extension_stage_fail_open_skips_total` | counter (from the extensions' count) | stage |
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
  private readonly onAttempt = (message: unknown) => this.attempt(message as AttemptReport);

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
      name: 'lip_circuit_store_healthy', help: '1 while the circuit store (memory, or Redis) answers; 0 while the breaker runs on local state.', labelNames: ['store'], registers,
      collect() {
        const status = sources().circuit();
        this.set({ store: status.store }, status.healthy ? 1 : 0);
      },
    });
    new client.Gauge({
      name: 'lip_continuity_ready', help: '1 while the continuity store records; 0 while it fails or its queue is full.', labelNames: ['store'], registers,
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
    new client.Gauge({
      name: 'lip_continuity_write_errors_total', help: 'Failed continuity writes (each retried).', labelNames: ['store'], registers,
      collect() {
        const status = sources().continuity();
        this.set({ store: status.store }, status.write_errors);
      },
    });
    new client.Gauge({
      name: 'lip_extension_stage_fail_open_skips_total', help: 'Extension hooks that failed and were skipped (fail_open), by stage.', labelNames: ['stage'], registers,
      collect() { for (const [stage, count] of FAIL_OPEN_SKIPS) this.set({ stage }, count); },
    });
    subscribe('lip:attempt', this.onAttempt);
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

  close(): void {
    unsubscribe('lip:attempt', this.onAttempt);
  }
}

/** Metrics when enabled; prom-client is not even loaded otherwise. */
export function createMetrics(enabled: boolean, sources: () => MetricsSources): Metrics | undefined {
  if (!enabled) return undefined;
  const client = createRequire(import.meta.url)('prom-client') as typeof PromClient;
  return new Metrics(client, sources);
}
