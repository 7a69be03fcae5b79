export type { CircuitBreaker } from './circuit-breaker.js';
export { createCircuitBreaker, circuitPolicy, DISABLED_BREAKER, redactUrl, type CircuitBreakerConfig, type CircuitBreakerDeps, type RedisSettings } from './create-circuit-breaker.js';
export { outcomeOf } from './circuit-outcome.js';
export { circuitChannel } from './circuit-events.js';
export type { CircuitStore, CircuitChange, CircuitListing, StoreAck, AdmitAck } from './circuit-store.js';
export { MemoryCircuitHub } from './memory-store.js';
export { RedisCircuitStore, type RedisStoreOptions } from './redis/redis-store.js';
export { RedisKeyCooldowns } from './redis/key-cooldowns.js';
export type { CircuitDecision, CircuitEvent, CircuitOutcome, CircuitPolicy, CircuitRecord, CircuitRow, CircuitState, CircuitStatus } from './types.js';
