import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/index.js';
import type { ExecutionMeta } from '../core/execute.js';
import type { EmbeddingRequest } from '../canonical/index.js';
import type { AttemptEnding, AttemptFailure, Observation, ObservationMeta, RedactNow, TrafficCapture, TrafficChannel, TrafficLeg } from '../extensions/index.js';
import { randomId } from '../wire/ids.js';
import type { FailedBody } from '../wire/json-body.js';
import { recordDraft, type ExchangeSnapshot, type RecordDraft } from './build-record.js';
import { ExchangeCapture, REDACTION_FAILED, UNSAMPLED } from './exchange-capture.js';
import { Redactor } from './redact.js';
import { RECORDING_COUNTS, RecordingWriter } from './recording-writer.js';

/** Exchanges being assembled beyond this push out the oldest (an auxiliary call never finishes). */
const MAX_OPEN = 10_000;
/** Events kept per exchange (all legs); beyond, the record is marked `truncated` (an endless stream stays bounded). */
const MAX_EVENTS = 50_000;

/** What the server knows when an exchange ends. */
export interface ExchangeEnd {
  readonly frontend: string;
  readonly principal: string;
  readonly meta?: ExecutionMeta;
  readonly aLeg?: { readonly aLegId: string; readonly sessionId: string };
}

/** The request an exchange answered: its id, its start (`performance.now()`), its error and the client's key. */
export interface ExchangeStart {
  readonly requestId: string;
  readonly startedAt: number;
  readonly errorCode?: string | undefined;
  readonly keyId?: string | undefined;
  /** A body that could not be taken (RequestState.failedBody). */
  readonly failedBody?: FailedBody | undefined;
}

export interface RecorderDeps {
  readonly logger?: { error(message: string, meta?: Record<string, unknown>): unknown; warn?(message: string, meta?: Record<string, unknown>): unknown };
  /** Uniform in [0, 1) for `sample_ratio`. */
  readonly rng?: () => number;
  /** Events kept per exchange (default 50,000). */
  readonly maxEvents?: number;
  /** The writer of the runtime before a reload that records to the same path: taken over, reconfigured. */
  readonly writer?: RecordingWriter;
}

/**
 * Records exchanges (CONTRACT section 9). A capture of the traffic plane: on the request's turn
 * it only keeps references (the raw body, each attempt's call, every event with its time, see
 * `ExchangeCapture`), and each attempt's `backend_to_proxy` channel says how it ended (no
 * `lip:attempt` listener: one would make the executor watch every attempt). `finish` (called by the
 * server when the response is over) takes a small snapshot; the exchanges that finished during
 * one turn are built, serialised and redacted together in one batch off the request's turn,
 * then queued on the writer, which writes off the request path. Exists only when `recording.enabled`.
 */
export class Recorder implements TrafficCapture {
  readonly feature = 'recording';
  readonly id = 'recorder';
  readonly writer: RecordingWriter;
  readonly digest: string;
  private readonly exchanges = new Map<string, ExchangeCapture>();
  /** Auxiliary calls in flight: their request id -> the exchange they are kept with. */
  private readonly auxRoots = new Map<string, ExchangeCapture>();
  private finished: ExchangeSnapshot[] = [];
  private scheduled = false;
  private readonly redactor: Redactor;
  private readonly rng: () => number;
  private readonly logger: RecorderDeps['logger'];
  private readonly maxEvents: number;
  private redactNow: RedactNow | undefined;

  constructor(private readonly config: Config, deps: RecorderDeps = {}) {
    const r = config.recording;
    const options = { path: r.path, maxFileBytes: r.max_file_bytes, maxFiles: r.max_files, queueSize: r.queue_size, ...(deps.logger ? { logger: deps.logger } : {}) };
    this.writer = (deps.writer !== undefined && deps.writer.path === r.path ? deps.writer : new RecordingWriter(options)).hold(options);
    this.redactor = new Redactor(r.redact_headers, r.redact_substrings, r.raw);
    this.rng = deps.rng ?? Math.random;
    this.logger = deps.logger;
    this.maxEvents = deps.maxEvents ?? MAX_EVENTS;
    this.digest = configDigest(config);
  }

  /** The traffic plane asks once per leg: the exchange's channel for it, none when not sampled. */
  open(meta: ObservationMeta, leg: TrafficLeg): TrafficChannel | undefined {
    if (meta.parentRequestId !== undefined) {
      // An auxiliary call: its attempts go with the exchange that made it (a replay runs it again from them).
      if (leg === 'client_to_proxy' || leg === 'proxy_to_client') return undefined;
      const aux = this.auxiliaryOf(meta.requestId, meta.parentRequestId, Date.now());
      return aux.sampled ? aux.attempt(meta) : undefined;
    }
    const x = this.exchanges.get(meta.requestId) ?? this.exchange(meta.requestId, Date.now());
    if (!x.sampled) return undefined;
    if (leg === 'client_to_proxy') return x;
    if (leg === 'proxy_to_client') return x.client;
    return x.attempt(meta);
  }

  /** The same capture from observations (the plane's path while a traffic redactor is registered). */
  observe(batch: readonly Observation[]): void {
    for (const o of batch) {
      if (o.parentRequestId !== undefined && (o.leg === 'client_to_proxy' || o.leg === 'proxy_to_client')) continue;
      const x = o.parentRequestId !== undefined ? this.auxiliaryOf(o.requestId, o.parentRequestId, o.at) : this.exchange(o.requestId, o.at);
      if (!x.sampled) continue;
      if (o.leg === 'client_to_proxy') {
        if (o.kind === 'raw_body') x.body = o.body;
      } else if (o.leg === 'proxy_to_client') {
        if (o.kind === 'event') x.client.add(o.event, o.at);
      } else {
        const attempt = x.attempt(o, o.at);
        if (o.kind === 'call') attempt.call = o.call;
        else if (o.kind === 'event') attempt.add(o.event, o.at);
      }
    }
  }

  /**
   * The capture of an embeddings request whose body is `body` (undefined when `sample_ratio`
   * leaves it out): the failover tells it each attempt and the answer; `finish` ends it as any exchange.
   */
  embeddings(requestId: string, body: unknown): ExchangeCapture | undefined {
    const x = this.exchange(requestId, Date.now());
    if (!x.sampled) return undefined;
    const redact = this.redactNow;
    if (redact === undefined) x.body = body;
    else {
      // Not observed, but redacted as the plane redacts what it observes: the body as the client's, each call as an attempt's.
      x.body = redact({ requestId }, 'client_to_proxy', 'raw_body', body) ?? REDACTION_FAILED;
      x.redactCall = (call) => redact({ requestId }, 'proxy_to_backend', 'call', call) as EmbeddingRequest | undefined;
    }
    return x;
  }

  /** The traffic redactors, while any is registered (the plane says so): an embeddings request's body and calls go through them too. */
  redactWith(redact: RedactNow): void {
    this.redactNow = redact;
  }

  /** Called by the server once the response is over (sent, failed or abandoned). */
  finish(req: IncomingMessage, res: ServerResponse, state: ExchangeStart, end: ExchangeEnd): void {
    this.ended(state, req.method ?? 'POST', req.url ?? '/', req.headers, res.statusCode, res.getHeaders(), end);
  }

  /**
   * A request of a batch that ran, once it ended: recorded as the request it is (its endpoint's
   * path, the batch create's headers, its own body), answered with `status` and no headers.
   */
  finishBatchRequest(state: ExchangeStart, path: string, headers: Readonly<Record<string, unknown>>, status: number, end: ExchangeEnd): void {
    this.ended(state, 'POST', path, headers, status, {}, end);
  }

  /** Whether an exchange of `requestId` is being captured, or has finished and is not yet written out (its id still names it here). */
  holds(requestId: string): boolean {
    return this.exchanges.has(requestId);
  }

  /** Exchanges being captured now (begun, not yet finished or forgotten). */
  get capturing(): number {
    return this.exchanges.size;
  }

  /** Forgets what was captured of a request that will not be recorded (a request of a batch a cancel ended before it ran). */
  discard(requestId: string): void {
    const capture = this.exchanges.get(requestId);
    if (capture === undefined) return;
    this.exchanges.delete(requestId);
    if (capture.auxiliary) for (const id of capture.auxiliary.keys()) this.auxRoots.delete(id);
  }

  private ended(state: ExchangeStart, method: string, path: string, headers: Readonly<Record<string, unknown>>, status: number, responseHeaders: Readonly<Record<string, unknown>>, end: ExchangeEnd): void {
    const finishedAt = Date.now();
    this.finished.push({
      requestId: state.requestId,
      // Captured times come from Date.now(); the request's start (performance.now()) is put on
      // the same clock by its age, never through performance.timeOrigin, which drifts from the
      // wall clock by seconds in a long-running process.
      startedAt: Math.round(finishedAt - (performance.now() - state.startedAt)), finishedAt, errorCode: state.errorCode, failedBody: state.failedBody,
      method, path, headers, status, responseHeaders,
      selector: end.meta?.selector, selectorSource: end.meta?.selectorSource, served: end.meta?.candidateKey, journal: end.meta?.journal,
      frontend: end.frontend, principal: end.principal, keyId: state.keyId, aLeg: end.aLeg,
    });
    if (!this.scheduled) {
      this.scheduled = true;
      // Off the request's turn. Two turns later, not one: while a traffic redactor is registered
      // the last observations arrive on the plane's own setImmediate, which may have been queued
      // after this one within the same turn.
      setImmediate(() => setImmediate(this.flush));
    }
  }

  /** Writes what is queued, then lets go of the writer (closed when no later runtime's recorder took it over). */
  async close(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    await this.writer.release();
  }

  /** Builds, serialises and redacts the exchanges that finished since the last batch (their pieces in one pass). */
  private readonly flush = (): void => {
    this.scheduled = false;
    const finished = this.finished;
    this.finished = [];
    const drafts: { readonly draft: RecordDraft; readonly requestId: string }[] = [];
    const pieces: string[] = [];
    for (const snapshot of finished) {
      const capture = this.exchanges.get(snapshot.requestId);
      if (capture) {
        this.exchanges.delete(snapshot.requestId);
        if (capture.auxiliary) for (const id of capture.auxiliary.keys()) this.auxRoots.delete(id);
        if (!capture.sampled) continue;
      } else if (this.rng() >= this.config.recording.sample_ratio) {
        continue; // refused before anything was captured: sampled now
      }
      // An exchange that ended after its recorder closed (a request outliving its runtime) is lost: said so, once each.
      if (this.writer.isClosed()) {
        this.writer.drop();
        this.logger?.warn?.('recording is closed; this exchange is not recorded', { request_id: snapshot.requestId, path: this.writer.path });
        continue;
      }
      // A full queue drops the exchange before it costs a serialisation.
      if (drafts.length >= this.writer.room()) {
        this.writer.drop();
        continue;
      }
      try {
        const draft = recordDraft(randomId('rec_'), this.digest, capture, snapshot, this.redactor);
        drafts.push({ draft, requestId: snapshot.requestId });
        for (const piece of draft.pieces) pieces.push(piece);
      } catch (err) {
        this.unwritable(snapshot.requestId, err);
      }
    }
    if (drafts.length === 0) return;
    // A redaction that throws on the batch is done again exchange by exchange, piece by piece (`redactEach`).
    let redacted: readonly string[] | undefined;
    try {
      redacted = this.redactor.pieces(pieces);
    } catch {
      redacted = undefined;
    }
    let at = 0;
    for (const { draft, requestId } of drafts) {
      try {
        const { own, failed } = redacted !== undefined ? { own: redacted.slice(at, at + draft.pieces.length), failed: undefined } : this.redactEach(draft);
        if (failed !== undefined || draft.unserialised > 0) this.redactionFailed(requestId, failed ?? 'a redaction step of its serialisation threw');
        this.writer.push(draft.build(own, failed !== undefined));
      } catch (err) {
        this.unwritable(requestId, err);
      }
      at += draft.pieces.length;
    }
  };

  /**
   * A draft's pieces redacted one at a time; a piece whose redaction throws is replaced by its
   * stand-in (the client's text in it masked whole), redacted in turn, and the error is kept to be
   * reported: a redaction failure never leaves an exchange unrecorded, nor writes what it missed.
   */
  private redactEach(draft: RecordDraft): { readonly own: readonly string[]; readonly failed: string | undefined } {
    let failed: string | undefined;
    const own = draft.pieces.map((piece, i) => {
      try {
        return this.redactor.line(piece);
      } catch (err) {
        failed ??= String((err as Error)?.message ?? err);
        return this.redactor.line(draft.standIn(i));
      }
    });
    return { own, failed };
  }

  /** An exchange written with a part masked whole because its redaction failed: counted and logged. */
  private redactionFailed(requestId: string, error: string): void {
    RECORDING_COUNTS.redactionFailures++;
    this.logger?.error('recording could not redact part of an exchange; it is written with that part masked ([REDACTION FAILED], "redaction_failed": true)', { request_id: requestId, error });
  }

  /** An exchange that could not be serialised: counted as a write error and logged. */
  private unwritable(requestId: string, err: unknown): void {
    this.writer.writeErrors++;
    RECORDING_COUNTS.writeErrors++;
    this.logger?.error('recording could not serialise an exchange', { request_id: requestId, error: String((err as Error)?.message ?? err) });
  }

  /** The exchange of `requestId`; sampled when first seen (one not sampled is the shared `UNSAMPLED`). */
  private exchange(requestId: string, at: number): ExchangeCapture {
    let x = this.exchanges.get(requestId);
    if (!x) {
      if (this.exchanges.size >= MAX_OPEN) this.exchanges.delete(this.exchanges.keys().next().value!);
      x = this.rng() < this.config.recording.sample_ratio ? new ExchangeCapture(true, this.maxEvents, at) : UNSAMPLED;
      this.exchanges.set(requestId, x);
    }
    return x;
  }

  /** How an attempt ended, while the recorder is fed through `observe` (a traffic redactor is registered). */
  attemptEnded(meta: ObservationMeta, outcome: AttemptEnding, failure: AttemptFailure | undefined, reason?: string): void {
    const x = meta.parentRequestId !== undefined ? this.auxiliaryOf(meta.requestId, meta.parentRequestId, Date.now()) : this.exchange(meta.requestId, Date.now());
    if (x.sampled) x.ended(meta.candidateKey ?? '', outcome, failure, reason);
  }

  /**
   * The capture of an auxiliary call (`requestId`, made by `parent`: an exchange or another
   * auxiliary call), kept with the exchange at the root; `UNSAMPLED` when that exchange is not
   * being recorded.
   */
  private auxiliaryOf(requestId: string, parent: string, at: number): ExchangeCapture {
    // Fed observations, an attempt's ending can come before the exchange's first batch: the exchange is made then.
    const root = this.auxRoots.get(parent) ?? this.exchange(parent, at);
    if (!root.sampled) return UNSAMPLED;
    if (!this.auxRoots.has(requestId)) {
      if (this.auxRoots.size >= MAX_OPEN) this.auxRoots.delete(this.auxRoots.keys().next().value!);
      this.auxRoots.set(requestId, root);
    }
    return root.aux(requestId);
  }
}

/**
 * What the config digest leaves out, as `section` or `section.key`: where the config was read
 * from (a copy, `lip replay -c` of the file `lip serve` ran, is the same config), and what only
 * listens, logs, traces or records, never changing what an exchange does (`lip serve --host`,
 * `--port` and `--workers`, which gives each worker its own `recording.path`, change these).
 * docs/replay.md lists them.
 */
const DIGEST_LEAVES_OUT = ['source', 'server.host', 'server.port', 'logging', 'diagnostics', 'observability', 'recording'] as const;

/**
 * A short digest of the config with secret-looking values and `DIGEST_LEAVES_OUT` left out
 * (records name the config they ran under; a replay under the same config excuses lip's own
 * late timers).
 */
export function configDigest(config: Config): string {
  const kept: Record<string, unknown> = { ...config };
  for (const path of DIGEST_LEAVES_OUT) {
    const [section, key] = path.split('.') as [string, string | undefined];
    kept[section] = key === undefined ? undefined : { ...(kept[section] as object), [key]: undefined };
  }
  const json = JSON.stringify(kept, (key, value: unknown) => (/key|secret|token|password/i.test(key) && typeof value === 'string' ? undefined : value));
  return createHash('sha256').update(json).digest('hex').slice(0, 16);
}
