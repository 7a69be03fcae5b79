import { randomUUID } from 'node:crypto';
import { asyncScheduler } from 'rxjs/internal/scheduler/async';
import type { SchedulerLike } from 'rxjs';
import { LipError } from '../errors/index.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { eventSink } from './circuit-events.js';
import type { CircuitStore } from './circuit-store.js';
import { LocalCircuitBreaker } from './local-circuit-breaker.js';
import { RedisCircuitStore } from './redis/redis-store.js';
import { SharedCircuitBreaker } from './shared-circuit-breaker.js';
import { ALLOW } from './transitions.js';
import type { CircuitEvent, CircuitPolicy } from './types.js';

/** `routing.circuit_breaker` (durations in ms), as the config loader produces it. */
export interface CircuitBreakerConfig {
  readonly enabled: boolean;
  readonly failure_threshold: number;
  readonly open_for: number;
  readonly half_open_probes: number;
  readonly store: 'memory' | 'redis';
}

/** The top-level `redis` section. */
export interface RedisSettings {
  readonly url: string;
  readonly key_prefix: string;
}

export interface CircuitBreakerDeps {
  /** Clock and timers (default `asyncScheduler`; tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
  /** Needed for `store: redis`. */
  readonly redis?: RedisSettings;
  /** Transitions and store outages/recoveries, for the logger and metrics. */
  readonly onEvent?: (event: CircuitEvent) => void;
  /** Idle time after which a circuit is forgotten; default max(10 min, 10 x open_for). */
  readonly keyTtlMs?: number;
  /** Bound on every Redis command; default 250 ms. */
  readonly redisTimeoutMs?: number;
  /** Retry interval while Redis is down; default 1 s. */
  readonly recoveryIntervalMs?: number;
  /** Longest pause between Redis reconnection attempts; default 2 s. */
  readonly reconnectMaxMs?: number;
  /** Most circuits tracked per instance, and held in Redis (a new one past them stays on its instance); default 10 000. */
  readonly maxKeys?: number;
  /** This instance's id in Redis announcements; default a random UUID. */
  readonly instanceId?: string;
  /** A store to share state through instead of Redis (tests: a `MemoryCircuitHub` handle). */
  readonly store?: CircuitStore;
}

/**
 * Builds the breaker that `routing.circuit_breaker` describes: a no-op when disabled, the
 * memory breaker for `store: memory`, the Redis-shared breaker for `store: redis`. Never
 * touches the network synchronously: Redis connects in the background and the breaker works
 * on local state until it is in sync (`whenSynced()`).
 *
 * ```ts
 * const breaker = createCircuitBreaker(config.routing.circuit_breaker, {
 *   redis: config.redis, onEvent: (e) => logger.info('circuit', e) });
 * ```
 * @see spec/circuit/create-circuit-breaker.spec.ts
 */
export function createCircuitBreaker(config: CircuitBreakerConfig, deps: CircuitBreakerDeps = {}): CircuitBreaker {
  if (!config.enabled) return DISABLED_BREAKER;
  const scheduler = deps.scheduler ?? asyncScheduler;
  const policy = circuitPolicy(config, deps.keyTtlMs);
  const emit = eventSink(deps.onEvent);
  if (config.store === 'memory' && !deps.store) return new LocalCircuitBreaker(policy, scheduler, emit, deps.maxKeys);
  if (!deps.store && !deps.redis) throw new LipError('LIP_ERR_CONFIG_INVALID', 'routing.circuit_breaker.store is redis but no redis settings were given');
  const origin = deps.instanceId ?? randomUUID();
  const store = deps.store ?? new RedisCircuitStore({
    url: deps.redis!.url, keyPrefix: deps.redis!.key_prefix, policy, origin,
    timeoutMs: deps.redisTimeoutMs ?? 250, reconnectMaxMs: deps.reconnectMaxMs ?? 2_000, ...(deps.maxKeys ? { maxKeys: deps.maxKeys } : {}),
  });
  const label = deps.redis ? `redis ${redactUrl(deps.redis.url)}` : `${store.kind} store`;
  return new SharedCircuitBreaker(policy, store, scheduler, emit, { label, recoveryIntervalMs: deps.recoveryIntervalMs ?? 1_000, ...(deps.maxKeys ? { maxKeys: deps.maxKeys } : {}) });
}

/** The state machine's settings from the config section. */
export function circuitPolicy(config: CircuitBreakerConfig, keyTtlMs?: number): CircuitPolicy {
  const ttl = keyTtlMs ?? Math.max(600_000, 10 * config.open_for);
  if (ttl <= config.open_for) throw new RangeError(`the circuit key TTL (${ttl} ms) must exceed open_for (${config.open_for} ms)`);
  return { failureThreshold: config.failure_threshold, openForMs: config.open_for, halfOpenProbes: config.half_open_probes, keyTtlMs: ttl };
}

/** The breaker of `enabled: false`: admits everything, records nothing. */
export const DISABLED_BREAKER: CircuitBreaker = Object.freeze({
  enabled: false,
  check: () => ALLOW,
  peek: () => ALLOW,
  record: () => undefined,
  forget: () => undefined,
  snapshot: () => [],
  status: () => ({ enabled: false, store: 'memory' as const, healthy: true, detail: 'disabled', since: null, open: 0, half_open: 0 }),
  whenSynced: () => Promise.resolve(),
  close: () => Promise.resolve(),
});

/** The URL without user name and password, for status lines and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = '';
      parsed.password = '';
    }
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<invalid url>';
  }
}
