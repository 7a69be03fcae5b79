import type { Config } from '../../config/index.js';
import { hasRateLimits } from '../../server/key-limits.js';
import { workerRecordingPath } from './messages.js';

/**
 * What stays per worker under `lip serve --workers N`: each worker is its own process, so state
 * kept in memory is not shared. The primary logs one warning for each such store at start
 * (docs/deployment.md lists all per-worker state, including what is per worker by design).
 */
export function perWorkerStateWarnings(config: Config, workers: number): string[] {
  const warnings: string[] = [];
  const store = config.continuity.store as string;
  if (store === 'memory') {
    warnings.push(`continuity.store: memory with ${workers} workers: each worker keeps its own conversations; a Responses previous_response_id, a session (X-LIP-Session-Id), [first] and affinity continue only when the next request reaches the same worker (use continuity.store: redis to share them between workers and instances)`);
  } else if (store === 'sqlite') {
    warnings.push(`continuity.store: sqlite with ${workers} workers: the workers write one file but each looks conversations up in its own cache; a conversation continues only on the worker that holds it (use continuity.store: redis to share conversations between workers and instances)`);
  }
  if (config.cache.enabled && config.cache.store === 'memory') {
    warnings.push(`cache.store: memory with ${workers} workers: each worker keeps its own answers; a request is a hit only when it reaches the worker that kept the answer (POST /admin/cache/clear clears every worker; use cache.store: redis to share answers between workers and instances)`);
  }
  if (config.routing.circuit_breaker.enabled && config.routing.circuit_breaker.store === 'memory') {
    warnings.push(`routing.circuit_breaker.store: memory with ${workers} workers: each worker counts failures, opens circuits and cools down rate-limited API keys on its own (use store: redis to share circuit state and key cool-downs)`);
  }
  if (config.recording.enabled) {
    warnings.push(`recording with ${workers} workers: each worker writes its own files (${workerRecordingPath(config.recording.path, 1)} … ${workerRecordingPath(config.recording.path, workers)}), each rotated by max_file_bytes and max_files on its own; give lip replay all of them`);
  }
  if (config.server.max_concurrent_requests > 0) {
    warnings.push(`server.max_concurrent_requests (${config.server.max_concurrent_requests}) applies per worker: up to ${config.server.max_concurrent_requests * workers} requests in flight in all`);
  }
  const limited = config.auth.api_keys.filter(hasRateLimits).map((k) => k.id);
  if (limited.length > 0 && config.auth.limits_store === 'memory') {
    warnings.push(`auth.api_keys limits (requests_per_minute, max_concurrent_requests, tokens_per_minute) are counted per worker: with ${workers} workers a key may reach up to ${workers} times its limit (keys: ${limited.join(', ')}; use auth.limits_store: redis to share them)`);
  }
  return warnings;
}
