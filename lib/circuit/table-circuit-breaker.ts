import type { SchedulerLike } from 'rxjs';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { EventSink } from './circuit-events.js';
import { CircuitTable } from './circuit-table.js';
import { ALLOW, admit, toRow } from './transitions.js';
import type { CircuitDecision, CircuitOutcome, CircuitPolicy, CircuitRecord, CircuitRow, CircuitStatus } from './types.js';

/**
 * What every enabled breaker shares: the state machine over a local `CircuitTable`, read on
 * scheduler time. The memory breaker is exactly this. The Redis breaker adds store
 * synchronisation through the two hooks, which run after the local change.
 *
 * The hot path is `check`/`record` on a key with no record (closed, never failed). That is one
 * `Map.has`, with no clock read and no allocation.
 * @see spec/circuit/local-circuit-breaker.spec.ts
 */
export abstract class TableCircuitBreaker implements CircuitBreaker {
  readonly enabled = true;

  constructor(
    protected readonly table: CircuitTable,
    protected readonly scheduler: SchedulerLike,
    protected readonly emit: EventSink,
  ) {}

  get policy(): CircuitPolicy {
    return this.table.policy;
  }

  check(key: string): CircuitDecision {
    if (!this.table.has(key)) return ALLOW;
    const now = this.scheduler.now();
    const before = this.table.get(key, now);
    const { decision, record } = this.table.admit(key, now);
    if (record !== before) {
      this.changed(key, before, record, 'local', now);
      this.afterAdmit(key, before, decision, now);
    }
    return decision;
  }

  peek(key: string): CircuitDecision {
    if (!this.table.has(key)) return ALLOW;
    const now = this.scheduler.now();
    return admit(this.table.get(key, now), now, this.policy, false).decision;
  }

  record(key: string, outcome: CircuitOutcome, decision?: CircuitDecision): void {
    if (outcome !== 'failure' && !this.table.has(key)) return;
    const now = this.scheduler.now();
    const { before, after } = this.table.record(key, outcome, decision?.probe === true, now);
    if (after === before) return;
    this.changed(key, before, after, 'local', now);
    this.afterRecord(key, before, outcome, decision, now);
  }

  forget(backends: ReadonlySet<string>): void {
    const now = this.scheduler.now();
    const keys: string[] = [];
    for (const [key, record] of this.table.entries(now)) {
      if (![...backends].some((id) => key.startsWith(`${id}:`))) continue;
      this.table.delete(key);
      keys.push(key);
      this.changed(key, record, undefined, 'local', now);
    }
    this.afterForget(keys, now);
  }

  snapshot(): CircuitRow[] {
    const now = this.scheduler.now();
    return this.table.entries(now)
      .map(([key, record]) => toRow(key, record, now, this.policy))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  abstract status(): CircuitStatus;
  abstract whenSynced(): Promise<void>;
  abstract close(): Promise<void>;

  /** A probe slot was taken locally (`before` is the record before). */
  protected afterAdmit(_key: string, _before: CircuitRecord | undefined, _decision: CircuitDecision, _now: number): void {}
  /** An outcome changed the local record. */
  protected afterRecord(_key: string, _before: CircuitRecord | undefined, _outcome: CircuitOutcome, _decision: CircuitDecision | undefined, _now: number): void {}
  /** `forget` closed these circuits locally. */
  protected afterForget(_keys: readonly string[], _now: number): void {}

  /** Emits a transition when the state changed. */
  protected changed(key: string, before: CircuitRecord | undefined, after: CircuitRecord | undefined, origin: 'local' | 'remote', now: number): void {
    const from = before?.state ?? 'closed';
    const to = after?.state ?? 'closed';
    if (from !== to) this.emit({ type: 'transition', key, from, to, failures: after?.failures ?? 0, origin, at: now });
  }

  /** Open and half-open circuits right now (an elapsed open circuit counts as half-open). */
  protected counts(): { open: number; half_open: number } {
    const now = this.scheduler.now();
    let open = 0;
    let half = 0;
    for (const [, record] of this.table.entries(now)) {
      if (record.state === 'half_open' || (record.state === 'open' && now >= record.openedAt + this.policy.openForMs)) half++;
      else if (record.state === 'open') open++;
    }
    return { open, half_open: half };
  }
}
