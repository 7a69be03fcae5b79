import type { CircuitBreaker, CircuitDecision, CircuitRow, CircuitState, CircuitStatus } from '../circuit/index.js';
import type { ExchangeRecord } from './record-format.js';

const CLOSED: CircuitDecision = Object.freeze({ allowed: true, probe: false, state: 'closed' });

/**
 * The circuits as one recorded exchange found them, for its replay (with
 * `routing.circuit_breaker` enabled in the replay's config): a candidate the recording shows
 * skipped for its circuit (`circuit open`, `circuit half_open` with no probe slot free) and never
 * attempted is refused again, in the state recorded; every other circuit is closed. The
 * circuits' state came from other traffic, so it is not in the config and a replay cannot
 * rebuild it; a candidate both skipped and attempted within the exchange (its circuit changed
 * meanwhile) is left to its recorded attempts. Outcomes teach it nothing: each exchange replays
 * on its own.
 */
export class RecordedCircuits implements CircuitBreaker {
  readonly enabled = true;
  private readonly refused = new Map<string, CircuitDecision>();

  constructor(record: ExchangeRecord) {
    const attempted = new Set(record.attempts.map((a) => a.candidate_key));
    for (const skip of record.skipped ?? []) {
      const state = circuitState(skip.reason);
      if (state !== undefined && !attempted.has(skip.candidate_key)) this.refused.set(skip.candidate_key, { allowed: false, probe: false, state });
    }
  }

  /** Whether the recording left any circuit refusing (else a replay needs no breaker). */
  get refusing(): boolean {
    return this.refused.size > 0;
  }

  check(key: string): CircuitDecision {
    return this.refused.get(key) ?? CLOSED;
  }

  peek(key: string): CircuitDecision {
    return this.check(key);
  }

  record(): void {}

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
