import type { SchedulerLike } from 'rxjs';
import type { EventSink } from './circuit-events.js';
import { CircuitTable } from './circuit-table.js';
import { TableCircuitBreaker } from './table-circuit-breaker.js';
import type { CircuitPolicy, CircuitStatus } from './types.js';

/**
 * The `memory` breaker: one instance, state in this process only (`routing.circuit_breaker.store:
 * memory`). Everything is synchronous and runs on the injected scheduler's clock, so a
 * TestScheduler drives every transition in virtual time.
 *
 * ```ts
 * const breaker = new LocalCircuitBreaker(policy, scheduler, eventSink(onEvent));
 * breaker.record('a:m', 'failure');            // x failure_threshold: open
 * breaker.check('a:m');                        // { allowed: false, retryAfterMs: open_for }
 * ```
 * @see spec/circuit/local-circuit-breaker.spec.ts
 */
export class LocalCircuitBreaker extends TableCircuitBreaker {
  constructor(policy: CircuitPolicy, scheduler: SchedulerLike, emit: EventSink, maxKeys?: number) {
    super(new CircuitTable(policy, maxKeys), scheduler, emit);
  }

  status(): CircuitStatus {
    return { enabled: true, store: 'memory', healthy: true, detail: 'ok', since: null, ...this.counts() };
  }

  whenSynced(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.table.clear();
  }
}
