import type { Call, LipEvent } from '../canonical/index.js';
import { synchronous, type HookFailures } from './hook-failures.js';
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
  /** An auxiliary call's (a judge's, an extractor's): the request that made it. */
  readonly parentRequestId?: string;
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

/** How an attempt's events ended, as its `backend_to_proxy` leg saw them. */
export type AttemptEnding = 'success' | 'failure' | 'cancelled';

/** What an attempt failed with: the LipError's code, and whether routing may try the next candidate (a LipError is one). */
export interface AttemptFailure {
  readonly code: string;
  readonly retryable: boolean;
}

/** A stream that ended (TrafficRedactor.end): an attempt's events, or the response to the client. */
export interface StreamEnd extends ObservationMeta {
  readonly leg: 'backend_to_proxy' | 'proxy_to_client';
}

/** Where one leg of one request's traffic goes: `emit` is called on the request's own turn. */
export interface TrafficChannel {
  emit(kind: ObservationPayload['kind'], value: unknown): void;
  /**
   * `backend_to_proxy`: the attempt's events ended (`failure`: what it failed with;
   * `reason`: why a cancelled one was stopped, `race loser`, `client abort`, ...).
   * A capture learns how each attempt ended here, with no `lip:attempt` listener (a listener
   * makes the executor watch every attempt of every request). `proxy_to_client` (only while a
   * redactor has `end`): the response's events ended.
   */
  end?(outcome: AttemptEnding, failure?: AttemptFailure, reason?: string): void;
}

/**
 * A built-in, trusted consumer of the plane (the recorder) that captures traffic by reference
 * on the request's turn instead of receiving observation objects a tick later: `open` is asked
 * once per leg of a request (per attempt on the backend legs) and answers the channel that
 * takes that leg's values, or undefined (an exchange that is not sampled costs nothing more).
 * Its channels must only keep references and a time; the work happens when the exchange ends.
 * While any traffic redactor is registered, a capture is fed redacted observations through
 * `observe` instead, like every other observer (redactors come before anything is kept).
 */
export interface TrafficCapture {
  /** Names for the inventory (`recording/recorder`). */
  readonly feature: string;
  readonly id: string;
  open(meta: ObservationMeta, leg: TrafficLeg): TrafficChannel | undefined;
  observe(batch: readonly Observation[]): void;
  /** How an attempt ended, while the capture is fed through `observe` (an end carries no traffic to redact). */
  attemptEnded(meta: ObservationMeta, outcome: AttemptEnding, failure: AttemptFailure | undefined, reason?: string): void;
  /**
   * While any traffic redactor is registered: how to redact, at once, what the capture keeps
   * outside the plane (an embeddings request's body and calls, which are not observed).
   */
  redactWith?(redact: RedactNow): void;
}

/**
 * Runs the traffic redactors on one value as they run on an observation of it (`kind` on `leg`,
 * with `meta`): the redacted value, or undefined when a redactor failed or held it back.
 */
export type RedactNow = (meta: ObservationMeta, leg: TrafficLeg, kind: 'raw_body' | 'call', value: unknown) => unknown;

const LEGS: ReadonlySet<unknown> = new Set<TrafficLeg>(['client_to_proxy', 'proxy_to_backend', 'backend_to_proxy', 'proxy_to_client']);
const KINDS: ReadonlySet<unknown> = new Set<ObservationPayload['kind']>(['raw_body', 'call', 'event']);

/** A redactor's answer, if it is an observation (an object with a leg and a kind); otherwise a throw that is the redactor's failure. */
function redacted(answer: Observation): Observation {
  if (answer === null || typeof answer !== 'object' || !LEGS.has(answer.leg) || !KINDS.has(answer.kind)) {
    throw new TypeError(`a redactor must answer an observation with its leg and kind (got ${answer === null || typeof answer !== 'object' ? String(answer) : 'an object without them'})`);
  }
  return answer;
}

/** A stream's end as queued (after its last observation): the redactors with `end` are told in the batch. */
class Ended {
  constructor(readonly stream: StreamEnd) {}
}

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
        attemptSeq: m.attemptSeq, candidateKey: m.candidateKey, backendId: m.backendId, frontendId: m.frontendId, principal: m.principal, sessionId: m.sessionId, parentRequestId: m.parentRequestId,
      };
    }
    if (this.kind === 'call') {
      return {
        leg: this.leg, at: this.at, kind: 'call', call: this.value as Call, requestId: m.requestId, aLegId: m.aLegId, bLegId: m.bLegId,
        attemptSeq: m.attemptSeq, candidateKey: m.candidateKey, backendId: m.backendId, frontendId: m.frontendId, principal: m.principal, sessionId: m.sessionId, parentRequestId: m.parentRequestId,
      };
    }
    return {
      leg: this.leg, at: this.at, kind: 'raw_body', body: this.value, requestId: m.requestId, aLegId: m.aLegId, bLegId: m.bLegId,
      attemptSeq: m.attemptSeq, candidateKey: m.candidateKey, backendId: m.backendId, frontendId: m.frontendId, principal: m.principal, sessionId: m.sessionId, parentRequestId: m.parentRequestId,
    };
  }
}

/**
 * Carries observations off the hot path: `emit` only queues a small fixed-shape record (the
 * observation objects are built later); one `setImmediate` per batch builds and clones the
 * batch (so redactors can never touch live traffic), runs the redactors in order, then hands
 * the batch to every observer. A redactor may answer a list of observations (none: it holds the
 * observation back; several: what it held, then this one); one with `end` is told, in the batch,
 * where each stream (an attempt's events, the response to the client) ended, and answers what it
 * still held of it. A redactor that fails (throws, or answers anything but an
 * observation or a list of them: undefined, a promise, an object without its leg and kind) drops the observation
 * rather than let it through unredacted; an observer that fails (throws, or answers a promise that rejects) is
 * skipped, counted and logged as a fail_open hook is (there is nothing to stop). Captures (see `TrafficCapture`) bypass the queue when no redactor is
 * registered. Callers test `active` before building anything and ask `channel` once per leg,
 * so without observers the plane costs one boolean check, and a leg nobody wants costs none.
 */
export class TrafficPlane {
  readonly active: boolean;
  /** Observations dropped because the queue was full. */
  dropped = 0;
  private queue: (Pending | Ended)[] = [];
  private scheduled = false;
  /** Whether a redactor wants to know when a stream ends (then the streams' ends are queued). */
  private readonly ending: boolean;

  private readonly observers: readonly Registered<TrafficObserver>[];
  /** Captures fed directly (none while a redactor is registered). */
  private readonly captures: readonly TrafficCapture[];
  /** Captures fed through `observe` (while a redactor is registered): attempt ends still go straight to them. */
  private readonly observing: readonly TrafficCapture[];

  constructor(
    private readonly redactors: readonly Registered<TrafficRedactor>[],
    observers: readonly Registered<TrafficObserver>[],
    private readonly failures: HookFailures,
    captures: readonly TrafficCapture[] = [],
  ) {
    if (redactors.length > 0 && captures.length > 0) {
      // Redaction first: a capture then sees the same redacted batches as any observer.
      const asObservers = captures.map((c): Registered<TrafficObserver> => ({
        feature: c.feature, key: `${c.feature}/${c.id}`, stage: 'traffic_observation', order: Number.MAX_SAFE_INTEGER, mode: 'fail_open',
        hook: { id: c.id, observe: (batch) => c.observe(batch) },
      }));
      this.observers = [...observers, ...asObservers];
      this.captures = [];
      this.observing = captures;
      for (const capture of captures) capture.redactWith?.(this.redactNow);
    } else {
      this.observers = observers;
      this.captures = captures;
      this.observing = [];
    }
    this.active = this.observers.length > 0 || this.captures.length > 0;
    this.ending = redactors.some((r) => typeof r.hook.end === 'function');
  }

  /**
   * The channel of one leg of a request (`meta` names the request and, on the backend legs, the
   * attempt), or undefined when no observer and no capture wants it. Ask once per leg.
   */
  channel(meta: ObservationMeta, leg: TrafficLeg): TrafficChannel | undefined {
    if (!this.active) return undefined;
    const observed = this.observers.length > 0;
    if (this.captures.length === 1 && !observed) return this.captures[0]!.open(meta, leg);
    const sinks: TrafficChannel[] = [];
    for (const capture of this.captures) {
      const sink = capture.open(meta, leg);
      if (sink) sinks.push(sink);
    }
    if (!observed && sinks.length === 0) return undefined;
    const observing = leg === 'backend_to_proxy' ? this.observing : [];
    // A redactor that holds text back is told when the stream ends (after its last observation).
    const ends = observed && this.ending && (leg === 'backend_to_proxy' || leg === 'proxy_to_client');
    return {
      emit: (kind, value) => {
        if (observed) this.emit(meta, leg, kind, value);
        for (const sink of sinks) sink.emit(kind, value);
      },
      ...(ends || (leg === 'backend_to_proxy' && (observing.length > 0 || sinks.some((s) => s.end))) ? {
        end: (outcome: AttemptEnding, failure?: AttemptFailure, reason?: string) => {
          if (ends) this.queueEnd({ ...meta, leg: leg as StreamEnd['leg'] });
          for (const sink of sinks) sink.end?.(outcome, failure, reason);
          for (const capture of observing) capture.attemptEnded(meta, outcome, failure, reason);
        },
      } : {}),
    };
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

  /** RedactNow: the redactors, in order, on a clone of one observation of `value`; what a failure or a hold leaves is undefined. */
  private readonly redactNow: RedactNow = (meta, leg, kind, value) => {
    let observation: Observation = structuredClone(new Pending(meta, leg, Date.now(), kind, value).build());
    for (const redactor of this.redactors) {
      try {
        const answer = synchronous(redactor.hook.redact(observation));
        const list = Array.isArray(answer) ? (answer as readonly Observation[]).map(redacted) : [redacted(answer as Observation)];
        const same = list.find((o) => o.kind === kind);
        if (same === undefined) return undefined;
        observation = same;
      } catch (err) {
        this.failures.failed(redactor, err);
        return undefined;
      }
    }
    return observation.kind === 'raw_body' ? observation.body : observation.kind === 'call' ? observation.call : undefined;
  };

  /** Queues a stream's end, for the redactors that hold text back (never dropped: it lets go of what they hold). */
  private queueEnd(stream: StreamEnd): void {
    this.queue.push(new Ended(stream));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = () => {
    this.scheduled = false;
    const queued = this.queue;
    this.queue = [];
    if (this.redactors.length === 0) {
      this.observe(queued.map((p) => (p as Pending).build()));
      return;
    }
    // Stream ends stay in place (not cloned): each redactor with `end` answers what it held there.
    const raw = queued.map((p) => (p instanceof Ended ? p : p.build()));
    const cloned = structuredClone(raw);
    let batch: (Observation | Ended)[] = cloned.map((o, i) => (raw[i] instanceof Ended ? raw[i] : o));
    for (const redactor of this.redactors) {
      const next: (Observation | Ended)[] = [];
      for (const item of batch) {
        try {
          if (item instanceof Ended) {
            if (redactor.hook.end) next.push(...synchronous(redactor.hook.end(item.stream)).map(redacted));
            next.push(item);
            continue;
          }
          const answer = synchronous(redactor.hook.redact(item));
          if (Array.isArray(answer)) {
            const all = (answer as readonly Observation[]).map(redacted);
            next.push(...all);
          } else next.push(redacted(answer as Observation));
        } catch (err) {
          this.failures.failed(redactor, err);
          if (item instanceof Ended) next.push(item);
        }
      }
      batch = next;
    }
    this.observe(batch.filter((o): o is Observation => !(o instanceof Ended)));
  };

  /** Hands a batch to every observer. */
  private observe(batch: Observation[]): void {
    if (batch.length === 0) return;
    const frozen = Object.freeze(batch);
    for (const observer of this.observers) {
      // Off the hot path there is nothing to stop: a failing observer is skipped whatever its mode.
      try {
        this.failures.settle(observer, observer.hook.observe(frozen));
      } catch (err) {
        this.failures.failed({ ...observer, mode: 'fail_open' }, err);
      }
    }
  }
}
