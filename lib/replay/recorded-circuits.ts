import type { CircuitBreaker, CircuitDecision, CircuitRow, CircuitState, CircuitStatus } from '../circuit/index.js';
import type { ExchangeRecord } from './record-format.js';

const CLOSED: CircuitDecision = Object.freeze({ allowed: true, probe: false, state: 'closed' });

/**
 * The circuits as one recorded exchange found them, for its replay (with
 * `routing.circuit_breaker` enabled in the replay's config): a candidate the recording shows
 * skipped for its circuit (`circuit open`, `circuit half_open` with no probe slot free) and never
 * attempted is refused again, in the state recorded; every other circuit is closed. The
 * circuits' state came from other traffic, so it is not in the config and a replay cannot
 * rebuild it. A candidate both attempted and skipped for its circuit within the exchange (its
 * circuit opened on the way: an answer that broke after output, then its resume refused) is
 * admitted as many times as the recording attempted it, then refused. Outcomes teach it
 * nothing: each exchange replays on its own.
 */
export class RecordedCircuits implements CircuitBreaker {
  readonly enabled = true;
  private readonly refused = new Map<string, CircuitDecision>();
  /** Of the refused candidates, those attempted first: the admissions left before they are refused. */
  private readonly admissions = new Map<string, number>();

  constructor(record: ExchangeRecord) {
    const attempted = new Map<string, number>();
    for (const a of record.attempts) attempted.set(a.candidate_key, (attempted.get(a.candidate_key) ?? 0) + 1);
    for (const skip of record.skipped ?? []) {
      const state = circuitState(skip.reason);
      if (state === undefined) continue;
      this.refused.set(skip.candidate_key, { allowed: false, probe: false, state });
      const times = attempted.get(skip.candidate_key);
      if (times !== undefined) this.admissions.set(skip.candidate_key, times);
    }
  }

  /** Whether the recording left any circuit refusing (else a replay needs no breaker). */
  get refusing(): boolean {
    return this.refused.size > 0;
  }

  /** An attempt's start: a candidate attempted before its skip is admitted while admissions are left. */
  check(key: string): CircuitDecision {
    const left = this.admissions.get(key);
    if (left !== undefined && left > 0) {
      this.admissions.set(key, left - 1);
      return CLOSED;
    }
    return this.refused.get(key) ?? CLOSED;
  }

  peek(key: string): CircuitDecision {
    const left = this.admissions.get(key);
    return left !== undefined && left > 0 ? CLOSED : this.refused.get(key) ?? CLOSED;
  }

  record(): void {}

  forget(): void {}

  snapshot(): CircuitRow[] {
    return [];
  }

  status(): CircuitStatus {
    let open = 0;
    for (const d of this.refused.values()) if (d.state === 'open') open++;
    return { enabled: true, store: 'memory', healthy: true, detail: 'ok', since: null, open, half_open: this.refused.size - open };
  }

  whenSynced(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The state a recorded skip names when its circuit refused it (`circuit open`), else undefined. */
function circuitState(reason: string): CircuitState | undefined {
  const state = reason.startsWith('circuit ') ? reason.slice('circuit '.length) : undefined;
  return state === 'open' || state === 'half_open' ? state : undefined;
}
