import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';

/**
 * The primary of `lip serve --workers`: sums the workers' metrics (each worker's registry as
 * prom-client JSON) into one Prometheus text with prom-client's `AggregatorRegistry.aggregate`:
 * counters and histograms add up, health gauges take the minimum (one unhealthy worker shows),
 * circuits shared in Redis the maximum, prom-client's process gauges their own aggregation. Loaded only when metrics are enabled.
 */
export function aggregateWorkerMetrics(perWorker: readonly unknown[][]): Promise<string> {
  const client = createRequire(import.meta.url)('prom-client') as typeof PromClient;
  return client.AggregatorRegistry.aggregate([...perWorker]).metrics();
}
