import { asyncScheduler } from 'rxjs/internal/scheduler/async';
import type { SchedulerLike } from 'rxjs';
import type { Config } from '../config/index.js';
import { LipError } from '../errors/index.js';
import type { ContinuityLogger, ContinuityStore, StoreLimits } from './continuity-store.js';
import { MemoryContinuityStore, type MemoryStoreOptions } from './memory-store.js';
import { SqliteContinuityStore, type SqliteStoreOptions } from './sqlite-store.js';
import { RedisContinuityStore, type RedisStoreOptions } from './redis/redis-store.js';

export interface ContinuityDeps {
  /** Clock and timers (virtual time in tests); defaults to the async scheduler (wall time). */
  readonly scheduler?: SchedulerLike;
  /** Where store failures are reported (a winston logger fits). */
  readonly logger?: ContinuityLogger;
  /** Limits beyond the config keys, for tests and benchmarks. */
  readonly memory?: Partial<Pick<MemoryStoreOptions, 'maxAttemptsPerLeg' | 'maxAttempts' | 'maxResponseBytes'>>;
  readonly sqlite?: Partial<Pick<SqliteStoreOptions, 'cacheLegs' | 'busyTimeoutMs' | 'pruneIntervalMs' | 'queue'>>;
  /** The top-level `redis` section, needed for `store: redis`. */
  readonly redis?: Pick<Config['redis'], 'url' | 'key_prefix'>;
  readonly redisStore?: Partial<Pick<RedisStoreOptions, 'timeoutMs' | 'reconnectMaxMs' | 'cacheLegs' | 'maxAttemptsPerLeg' | 'localResponseBytes' | 'queue'>>;
}

/**
 * Builds the store `continuity.store` names: `memory` (default; its stored responses within
 * `continuity.max_response_bytes`), `sqlite` at
 * `continuity.sqlite_path`, or `redis` over the top-level `redis` connection (shared by every
 * instance; it connects in the background and never throws for an unreachable Redis). Throws `LIP_ERR_CONTINUITY_UNAVAILABLE` when the SQLite file cannot
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
export function createContinuityStore(config: StoreSettings, deps: ContinuityDeps = {}): ContinuityStore {
  const scheduler = deps.scheduler ?? asyncScheduler;
  const limits = storeLimits(config);
  if (config.store === 'sqlite') {
    return new SqliteContinuityStore({
      path: config.sqlite_path, ...limits, scheduler,
      ...(deps.logger ? { log: deps.logger } : {}), ...deps.sqlite,
    });
  }
  if (config.store === 'redis') {
    if (!deps.redis) throw new LipError('LIP_ERR_CONFIG_INVALID', 'continuity.store is redis but no redis settings were given');
    return new RedisContinuityStore({
      url: deps.redis.url, keyPrefix: deps.redis.key_prefix, ...limits, scheduler,
      ...(deps.logger ? { log: deps.logger } : {}), ...deps.redisStore,
    });
  }
  return new MemoryContinuityStore({ ...limits, scheduler, ...deps.memory });
}

/** The limits of a store's settings: what `ContinuityStore.reconfigure` takes when a reload changes only them. */
export function storeLimits(config: StoreSettings): StoreLimits {
  return {
    ttlMs: config.ttl, maxLegs: config.max_legs, resumeWindowMs: config.resume_window ?? RESUME_WINDOW_DEFAULT_MS,
    ...(config.max_response_bytes !== undefined ? { maxResponseBytes: config.max_response_bytes } : {}),
  };
}

/**
 * Whether a reload from `before` to `after` keeps the running store: the same `store`, and the
 * same file for SQLite (the `redis` connection is the caller's to compare). The limits
 * (`storeLimits`) are applied to it in place; the session keys are not the store's.
 */
export function sameStore(before: StoreSettings, after: StoreSettings): boolean {
  return before.store === after.store && (before.store !== 'sqlite' || before.sqlite_path === after.sqlite_path);
}

/** The `continuity` keys a store reads (the session keys are read by SecureSessions). */
export type StoreSettings = Pick<Config['continuity'], 'store' | 'sqlite_path' | 'ttl' | 'max_legs'> & Partial<Pick<Config['continuity'], 'resume_window' | 'max_response_bytes'>>;

/** `continuity.resume_window` when not given: 168 hours. */
export const RESUME_WINDOW_DEFAULT_MS = 168 * 3_600_000;
