import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { Config } from '../config/index.js';
import type { ContinuityLogger, ContinuityStore } from './continuity-store.js';
import { MemoryContinuityStore, type MemoryStoreOptions } from './memory-store.js';
import { SqliteContinuityStore, type SqliteStoreOptions } from './sqlite-store.js';

export interface ContinuityDeps {
  /** Clock and timers (virtual time in tests); defaults to the async scheduler (wall time). */
  readonly scheduler?: SchedulerLike;
  /** Where store failures are reported (a winston logger fits). */
  readonly logger?: ContinuityLogger;
  /** Limits beyond the config keys, for tests and benchmarks. */
  readonly memory?: Partial<Pick<MemoryStoreOptions, 'maxAttemptsPerLeg' | 'maxAttempts' | 'maxResponseBytes'>>;
  readonly sqlite?: Partial<Pick<SqliteStoreOptions, 'cacheLegs' | 'busyTimeoutMs' | 'pruneIntervalMs' | 'queue'>>;
}

/**
 * Builds the store `continuity.store` names: `memory` (default) or `sqlite` at
 * `continuity.sqlite_path`. Throws `LIP_ERR_CONTINUITY_UNAVAILABLE` when the SQLite file cannot
 * be opened or migrated (a startup error: `lip serve` should exit with its message).
 *
 * ```ts
 * const store = createContinuityStore(config.continuity, { logger });
 * const leg = store.resolveALeg(principal, req.headers['x-lip-session-id']);
 * const ticket = store.beginAttempt(leg.aLegId, { candidateKey, backendId, model });
 * store.firstOutput(ticket);
 * store.finishAttempt(ticket, { outcome: 'success', httpStatus: 200 });
 * ```
 * @see spec/continuity/create-continuity-store.spec.ts
 */
export function createContinuityStore(config: Config['continuity'], deps: ContinuityDeps = {}): ContinuityStore {
  const scheduler = deps.scheduler ?? asyncScheduler;
  if (config.store === 'sqlite') {
    return new SqliteContinuityStore({
      path: config.sqlite_path, ttlMs: config.ttl, maxLegs: config.max_legs, scheduler,
      ...(deps.logger ? { log: deps.logger } : {}), ...deps.sqlite,
    });
  }
  return new MemoryContinuityStore({ ttlMs: config.ttl, maxLegs: config.max_legs, scheduler, ...deps.memory });
}
