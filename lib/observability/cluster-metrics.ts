import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';

/**
 * The primary of `lip serve --workers`: collects every worker's registry (prom-client's
 * cluster messages) and sums them into one Prometheus text; health gauges take the minimum
 * (one unhealthy worker shows). Loaded only when metrics are enabled.
 */
export interface ClusterMetrics {
  collect(): Promise<string>;
}

export function createClusterMetrics(): ClusterMetrics {
  const client = createRequire(import.meta.url)('prom-client') as typeof PromClient;
  const aggregator = new client.AggregatorRegistry();
  return { collect: () => aggregator.clusterMetrics() };
}
