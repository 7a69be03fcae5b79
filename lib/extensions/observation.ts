import type { Call, LipEvent } from '../canonical/index.js';
import type { HookFailures } from './hook-failures.js';
import type { Registered } from './hook-set.js';
import type { TrafficObserver, TrafficRedactor } from './sdk.js';

/**
 * The four legs of the traffic observation plane:
 * `client_to_proxy` (the raw body, then the canonical call), `proxy_to_backend` (each attempt's
 * call), `backend_to_proxy` (each event of each attempt), `proxy_to_client` (each event after
 * mutation and gates; keep-alives are not events and never appear).
 */
export type TrafficLeg = 'client_to_proxy' | 'proxy_to_backend' | 'backend_to_proxy' | 'proxy_to_client';

/** Correlation of one observation; attempt fields are absent on the client legs. */
export interface ObservationMeta {
  readonly requestId: string;
  readonly aLegId?: string;
  readonly bLegId?: string;
  readonly attemptSeq?: number;
  readonly candidateKey?: string;
  readonly backendId?: string;
  readonly frontendId?: string;
  readonly principal?: string;
  readonly sessionId?: string;
}

export type ObservationPayload =
  | { readonly kind: 'raw_body'; readonly body: unknown }
  | { readonly kind: 'call'; readonly call: Call }
  | { readonly kind: 'event'; readonly event: LipEvent };

export type Observation = ObservationMeta & ObservationPayload & {
  readonly leg: TrafficLeg;
  /** Milliseconds since the Unix epoch. */
  readonly at: number;
};

/** Observations waiting for the next batch beyond this are dropped (and counted). */
const MAX_QUEUED = 10_000;

/** What `emit` queues: one fixed-shape record; the observation object is built in the batch. */
class Pending {
  constructor(
    readonly meta: ObservationMeta,
    readonly leg: TrafficLeg,
    readonly at: number,
    readonly kind: ObservationPayload['kind'],
    readonly value: unknown,
  ) {}

  /** The observation, with every correlation field present (undefined when unknown). */
  build(): Observation {
    const m = this.meta;
    // One literal per kind (no spread): every observation of a kind has the same shape.
    if (this.kind === 'event') {
      return {
        leg: this.leg, at: this.at, kind: 'event', event: this.value as LipEvent, requestId: m.requestId, aLegId: m.aLegId, bLegId: m.bLegId,
        attemptSeq: m.attemptSeq, candidateKey: m.candidateKey, backendId: m.backendId, frontendId: m.frontendId, principal: m.principal, sessionId: m.sessionId,
      };
    }
    if (this.kind === 'call') {
      return {
        leg: this.leg, at: this.at, kind: 'call', call: this.value as Call, requestId: m.requestId, aLegId: m.aLegId, bLegId: m.bLegId,
        attemptSeq: m.attemptSeq, candidateKey: m.candidateKey, backendId: m.backendId, frontendId: m.frontendId, principal: m.principal, sessionId: m.sessionId,
      };
    }
    return {
      leg: this.leg, at: this.at, kind: 'raw_body', body: this.value, requestId: m.requestId, aLegId: m.aLegId, bLegId: m.bLegId,
      attemptSeq: m.attemptSeq, candidateKey: m.candidateKey, backendId: m.backendId, frontendId: m.frontendId, principal: m.principal, sessionId: m.sessionId,
    };
  }
}

/**
 * Carries observations off the hot path: `emit` only queues a small fixed-shape record (the
 * observation objects are built later); one `setImmediate` per batch builds and clones the batch (so redactors can never touch live traffic), runs the redactors in order,
 * then hands the batch to every observer. A redactor that fails drops the observation rather
 * than let it through unredacted. Callers test `active` before building an observation, so
 * without observers the plane costs one boolean check.
 */
export class TrafficPlane {
  readonly active: boolean;
  /** Observations dropped because the queue was full. */
  dropped = 0;
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly redactors: readonly Registered<TrafficRedactor>[],
    private readonly observers: readonly Registered<TrafficObserver>[],
    private readonly failures: HookFailures,
  ) {
    this.active = observers.length > 0;
  }

  /** Queues one observation of `value` (a raw body, a call or an event) with its correlation. */
  emit(meta: ObservationMeta, leg: TrafficLeg, kind: ObservationPayload['kind'], value: unknown): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.dropped++;
      return;
    }
    this.queue.push(new Pending(meta, leg, Date.now(), kind, value));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = () => {
    this.scheduled = false;
    const raw = this.queue.map((p) => p.build());
    this.queue = [];
    let batch: Observation[] = this.redactors.length === 0 ? raw : structuredClone(raw);
    for (const redactor of this.redactors) {
      const next: Observation[] = [];
      for (const observation of batch) {
        try {
          next.push(redactor.hook.redact(observation));
        } catch (err) {
          this.failures.failed(redactor, err);
        }
      }
      batch = next;
    }
    if (batch.length === 0) return;
    const frozen = Object.freeze(batch);
    for (const observer of this.observers) {
      try {
        observer.hook.observe(frozen);
      } catch (err) {
        this.failures.failed(observer, err);
      }
    }
  };
}
