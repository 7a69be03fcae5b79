import type { Call, EmbeddingRequest, EmbeddingResult, LipEvent } from '../canonical/index.js';
import type { EmbeddingsAttemptTrail, EmbeddingsTrail } from '../core/embed-failover.js';
import type { AttemptEnding, AttemptFailure, ObservationMeta, ObservationPayload, TrafficChannel } from '../extensions/index.js';
import type { RecordedOutcome } from './record-format.js';

/**
 * One leg's events as captured on the request's turn: the events by reference, and beside them
 * their times in milliseconds from the exchange's base (small integers in one packed array), so
 * a captured event costs two array pushes and no object of its own. The channel of the
 * `proxy_to_client` leg.
 */
export class EventLog implements TrafficChannel {
  readonly events: LipEvent[] = [];
  readonly times: number[] = [];

  constructor(protected readonly exchange: ExchangeCapture) {}

  emit(kind: ObservationPayload['kind'], value: unknown): void {
    if (kind === 'event') this.add(value as LipEvent, Date.now());
  }

  /** Keeps `event` seen at `at` (ms since the epoch), unless the exchange is full (then it is marked truncated). */
  add(event: LipEvent, at: number): void {
    const x = this.exchange;
    if (++x.eventCount > x.maxEvents) {
      x.truncated = true;
      return;
    }
    this.events.push(event);
    this.times.push(at - x.base);
  }
}

/**
 * One attempt: its call (`proxy_to_backend`) and its events (`backend_to_proxy`); the channel of
 * both legs. An embeddings request's attempt has the embeddings request as its call, no events,
 * and, when it succeeded, its result (`embedding`).
 */
export class AttemptCapture extends EventLog implements EmbeddingsAttemptTrail {
  call: Call | EmbeddingRequest | null = null;
  embedding: EmbeddingResult | undefined;

  constructor(
    exchange: ExchangeCapture,
    readonly seq: number,
    readonly bLegId: string | null,
    readonly candidateKey: string,
    readonly backendId: string,
    /** When the attempt was first seen, in ms from the exchange's base. */
    readonly started: number,
  ) {
    super(exchange);
  }

  override emit(kind: ObservationPayload['kind'], value: unknown): void {
    if (kind === 'event') this.add(value as LipEvent, Date.now());
    else if (kind === 'call') this.call = value as Call;
  }

  /** The attempt's events ended (the plane's `backend_to_proxy` leg says so, no `lip:attempt` listener). */
  end(outcome: AttemptEnding, failure?: AttemptFailure, reason?: string): void {
    this.exchange.ended(this.candidateKey, outcome, failure, reason);
  }

  succeeded(result: EmbeddingResult): void {
    this.embedding = result;
    this.end('success');
  }

  failed(failure: AttemptFailure): void {
    this.end('failure', failure);
  }

  cancelled(reason: string): void {
    this.end('cancelled', undefined, reason);
  }
}

/** How an attempt ended (ms since the epoch), from its `backend_to_proxy` leg. */
export interface AttemptEnd {
  readonly key: string;
  readonly at: number;
  readonly outcome: RecordedOutcome;
  /** What a failed attempt failed with (the error itself: its code and retryability are read when the record is built). */
  readonly failure?: AttemptFailure;
  /** Why a cancelled attempt was stopped (`race loser`, `client abort`, ...), as its row and log line say. */
  readonly reason?: string;
}

/**
 * Everything captured of one exchange until it ends; the channel of the `client_to_proxy` leg
 * (it keeps the raw body; the decoded call is not recorded, a replay decodes the body again).
 * An exchange that is not sampled is `UNSAMPLED` (one shared object): it keeps nothing and
 * opens no channel.
 */
export class ExchangeCapture implements TrafficChannel, EmbeddingsTrail {
  body: unknown = null;
  /** An embeddings request's answer: the result the client was given (a served attempt's, or the response cache's). */
  embedding: EmbeddingResult | undefined;
  readonly client: EventLog = new EventLog(this);
  readonly attempts: AttemptCapture[] = [];
  readonly ends: AttemptEnd[] = [];
  /** The auxiliary calls this exchange made (a judge, an extractor), by their request id: their attempts. */
  auxiliary: Map<string, ExchangeCapture> | undefined;
  eventCount = 0;
  truncated = false;

  constructor(
    readonly sampled: boolean,
    readonly maxEvents: number,
    /** Milliseconds since the epoch that the captured times count from. */
    readonly base: number,
  ) {}

  emit(kind: ObservationPayload['kind'], value: unknown): void {
    if (kind === 'raw_body') this.body = value;
  }

  /** Keeps how the attempt of `key` ended, now. */
  ended(key: string, outcome: AttemptEnding, failure: AttemptFailure | undefined, reason?: string): void {
    this.ends.push({ key, at: Date.now(), outcome, ...(failure !== undefined ? { failure } : {}), ...(reason !== undefined ? { reason } : {}) });
  }

  /** The capture of an auxiliary call of this exchange, made when first seen (its times on this exchange's base). */
  aux(requestId: string): ExchangeCapture {
    this.auxiliary ??= new Map();
    let aux = this.auxiliary.get(requestId);
    if (!aux) this.auxiliary.set(requestId, (aux = new ExchangeCapture(true, this.maxEvents, this.base)));
    return aux;
  }

  /** An embeddings request's calls as the traffic redactors leave them (set while any is registered; undefined: masked). */
  redactCall: ((call: EmbeddingRequest) => EmbeddingRequest | undefined) | undefined;

  /** An attempt of an embeddings request, starting now. */
  embeddingAttempt(seq: number, bLegId: string | null, candidateKey: string, backendId: string, call: EmbeddingRequest): AttemptCapture {
    const attempt = new AttemptCapture(this, seq, bLegId, candidateKey, backendId, Date.now() - this.base);
    attempt.call = this.redactCall === undefined ? call : this.redactCall(call) ?? { ...call, inputs: call.inputs.map(() => REDACTION_FAILED) };
    this.attempts.push(attempt);
    return attempt;
  }

  answered(result: EmbeddingResult): void {
    this.embedding = result;
  }

  /** The attempt of `meta.attemptSeq`, made when it is first seen (`at`: ms since the epoch, now by default). */
  attempt(meta: ObservationMeta, at?: number): AttemptCapture {
    const seq = meta.attemptSeq ?? 0;
    for (const a of this.attempts) if (a.seq === seq) return a;
    const created = new AttemptCapture(this, seq, meta.bLegId ?? null, meta.candidateKey ?? '', meta.backendId ?? '', (at ?? Date.now()) - this.base);
    this.attempts.push(created);
    return created;
  }
}

/** What stands for a text the traffic redactors could not redact. */
export const REDACTION_FAILED = '[REDACTION FAILED]';

/** Every exchange that `sample_ratio` leaves out: nothing is allocated for it, nothing is kept. */
export const UNSAMPLED: ExchangeCapture = new ExchangeCapture(false, 0, 0);
