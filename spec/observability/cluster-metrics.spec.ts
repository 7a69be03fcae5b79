import { expect } from 'chai';
import type { CircuitStatus } from '../../lib/circuit/index.js';
import type { ContinuityStatus } from '../../lib/continuity/index.js';
import { aggregateWorkerMetrics } from '../../lib/observability/cluster-metrics.js';
import { createMetrics } from '../../lib/observability/metrics.js';

const circuit: CircuitStatus = { enabled: false, store: 'memory', healthy: true, detail: 'disabled', since: null, open: 0, half_open: 0 };
const continuity = (ready: boolean, pending: number) => ({
  store: 'memory', ready, state: ready ? 'ok' : 'full', reason: null, legs: 0, pending, capacity: 0, written: 0, write_errors: 0, retries: 0,
  dropped: 0, failed_records: 0, rejected: 0, lost: 0, reopened: 0, last_error: null, last_error_at: null, last_flush_at: null,
}) as unknown as ContinuityStatus;

/** What the primary of `lip serve --workers` answers a scrape with: the workers' series, summed. */
describe('aggregateWorkerMetrics', () => {
  it('adds counters and pending records up, and takes the minimum of the health gauges', async () => {
    const one = createMetrics(true, () => ({ circuit: () => circuit, continuity: () => continuity(true, 2), models: () => new Set<string>() }))!;
    const two = createMetrics(true, () => ({ circuit: () => ({ ...circuit, healthy: false }), continuity: () => continuity(false, 3), models: () => new Set<string>() }))!;
    try {
      one.request({ method: 'POST', route: '/v1/chat/completions', status: 200, seconds: 0.01 });
      one.request({ method: 'POST', route: '/v1/chat/completions', status: 200, seconds: 0.01 });
      two.request({ method: 'POST', route: '/v1/chat/completions', status: 200, seconds: 0.2 });
      const text = await aggregateWorkerMetrics([await one.json(), await two.json()]);
      expect(text).to.match(/^lip_http_requests_total\{method="POST",route="\/v1\/chat\/completions",status_class="2xx"\} 3$/m);
      expect(text).to.match(/^lip_http_request_duration_seconds_count\{route="\/v1\/chat\/completions",status_class="2xx"\} 3$/m);
      expect(text).to.match(/^lip_continuity_pending_records\{store="memory"\} 5$/m);
      expect(text).to.match(/^lip_continuity_ready\{store="memory"\} 0$/m);
      expect(text).to.match(/^lip_circuit_store_healthy\{store="memory"\} 0$/m);
      expect(text).to.not.match(/^process_start_time_seconds/m); // prom-client omits it from sums
    } finally {
      one.close();
      two.close();
    }
  });

  it('adds up circuits each worker keeps (memory) and takes the largest count of circuits all share (redis)', async () => {
    for (const [store, open] of [['memory', 3], ['redis', 2]] as const) {
      const workers = [1, 2].map((n) => createMetrics(true, () => ({
        circuit: () => ({ ...circuit, enabled: true, store, open: n, half_open: 0 }), continuity: () => continuity(true, 0), models: () => new Set<string>(),
      }))!);
      try {
        const text = await aggregateWorkerMetrics(await Promise.all(workers.map((w) => w.json())));
        expect(text, store).to.match(new RegExp(`^lip_circuits\\{state="open"\\} ${open}$`, 'm'));
      } finally {
        for (const w of workers) w.close();
      }
    }
  });
});
