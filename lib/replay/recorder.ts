import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { isOutputEvent, type Call, type LipEvent } from '../canonical/index.js';
import type { Config } from '../config/index.js';
import type { AttemptReport } from '../core/attempt.js';
import type { ExecutionMeta } from '../core/execute.js';
import type { BuiltFeature, Observation } from '../extensions/index.js';
import type { JournalEntry } from '../routing/plan/route-journal.js';
import type { AttemptRecord, ExchangeRecord, RecordedOutcome, TimedEvent } from './record-format.js';
import { Redactor } from './redact.js';
import { RecordingWriter } from './recording-writer.js';

/** Exchanges being assembled beyond this push out the oldest (an auxiliary call never finishes). */
const MAX_OPEN = 10_000;
/** Events kept per exchange (all legs); beyond, the record is marked `truncated` (an endless stream stays bounded). */
const MAX_EVENTS = 50_000;

interface OpenAttempt {
  seq: number;
  bLegId: string | null;
  candidateKey: string;
  backendId: string;
  call: Call | null;
  at: number;
  events: [number, LipEvent][];
}

interface OpenExchange {
  readonly sampled: boolean;
  body: unknown;
  readonly attempts: Map<number, OpenAttempt>;
  readonly ends: { key: string; at: number; outcome: RecordedOutcome; code?: string }[];
  readonly client: [number, LipEvent][];
  events: number;
  truncated: boolean;
}

/** What the server knows when an exchange ends. */
export interface ExchangeEnd {
  readonly frontend: string;
  readonly principal: string;
  readonly meta?: ExecutionMeta;
  readonly aLeg?: { readonly aLegId: string; readonly sessionId: string };
}

export interface RecorderDeps {
  readonly logger?: { error(message: string, meta?: Record<string, unknown>): unknown };
  /** Uniform in [0, 1) for `sample_ratio`. */
  readonly rng?: () => number;
  /** Events kept per exchange (default 50,000). */
  readonly maxEvents?: number;
}

/**
 * Records exchanges (CONTRACT section 9): a traffic observer collects each request's body,
 * attempts and client events off the hot path, `lip:attempt` says how each attempt ended, and
 * `finish` (called by the server when the response is over) assembles the record one tick
 * later, redacts it and queues it on the writer. Exists only when `recording.enabled`.
 */
export class Recorder {
  readonly writer: RecordingWriter;
  readonly digest: string;
  private readonly open = new Map<string, OpenExchange>();
  private readonly redactor: Redactor;
  private readonly rng: () => number;
  private readonly logger: RecorderDeps['logger'];
  private readonly maxEvents: number;
  private readonly onAttempt = (message: unknown) => this.attemptEnded(message as AttemptReport);

  constructor(private readonly config: Config, deps: RecorderDeps = {}) {
    const r = config.recording;
    this.writer = new RecordingWriter({ path: r.path, maxFileBytes: r.max_file_bytes, maxFiles: r.max_files, queueSize: r.queue_size, ...(deps.logger ? { logger: deps.logger } : {}) });
    this.redactor = new Redactor(r.redact_headers, r.redact_substrings, r.raw);
    this.rng = deps.rng ?? Math.random;
    this.logger = deps.logger;
    this.maxEvents = deps.maxEvents ?? MAX_EVENTS;
    this.digest = configDigest(config);
    subscribe('lip:attempt', this.onAttempt);
  }

  /** The recorder as a built-in feature of the extension host (one traffic observer). */
  feature(): BuiltFeature {
    return { id: 'recording', bundle: { trafficObservers: [{ id: 'recorder', observe: (batch) => this.observe(batch) }] } };
  }

  /** Called by the server once the response is over (sent, failed or abandoned). */
  finish(req: IncomingMessage, res: ServerResponse, state: { readonly requestId: string; readonly startedAt: number; readonly errorCode?: string }, end: ExchangeEnd): void {
    const finishedAt = Date.now();
    // Observations are stamped with Date.now(); the request's start (performance.now()) is put on
    // the same clock by its age, never through performance.timeOrigin, which drifts from the
    // wall clock by seconds in a long-running process.
    const snapshot = {
      startedAt: Math.round(finishedAt - (performance.now() - state.startedAt)), finishedAt, errorCode: state.errorCode,
      method: req.method ?? 'POST', path: req.url ?? '/', headers: { ...req.headers }, status: res.statusCode, responseHeaders: { ...res.getHeaders() },
      selector: end.meta?.selector, selectorSource: end.meta?.selectorSource, served: end.meta?.candidateKey, journal: end.meta?.journal,
    };
    // One tick later: the last observations (queued before this call) have been delivered.
    setImmediate(() => {
      const open = this.open.get(state.requestId);
      this.open.delete(state.requestId);
      if (open && !open.sampled) return;
      if (!open && this.rng() >= this.config.recording.sample_ratio) return;
      try {
        this.writer.push(this.redactor.line(JSON.stringify(this.build(state.requestId, open, snapshot, end))));
      } catch (err) {
        this.writer.writeErrors++;
        this.logger?.error('recording could not serialise an exchange', { request_id: state.requestId, error: String((err as Error)?.message ?? err) });
      }
    });
  }

  /** Writes what is queued and stops listening. */
  async close(): Promise<void> {
    unsubscribe('lip:attempt', this.onAttempt);
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.writer.close();
  }

  private exchange(requestId: string): OpenExchange {
    let open = this.open.get(requestId);
    if (!open) {
      if (this.open.size >= MAX_OPEN) this.open.delete(this.open.keys().next().value!);
      open = { sampled: this.rng() < this.config.recording.sample_ratio, body: null, attempts: new Map(), ends: [], client: [], events: 0, truncated: false };
      this.open.set(requestId, open);
    }
    return open;
  }

  private observe(batch: readonly Observation[]): void {
    for (const o of batch) {
      const open = this.exchange(o.requestId);
      if (!open.sampled) continue;
      if (o.kind === 'event' && ++open.events > this.maxEvents) {
        open.truncated = true;
        continue;
      }
      if (o.leg === 'client_to_proxy') {
        if (o.kind === 'raw_body') open.body = o.body;
      } else if (o.leg === 'proxy_to_client') {
        if (o.kind === 'event') open.client.push([o.at, o.event]);
      } else {
        const seq = o.attemptSeq ?? 0;
        let attempt = open.attempts.get(seq);
        if (!attempt) {
          attempt = { seq, bLegId: o.bLegId ?? null, candidateKey: o.candidateKey ?? '', backendId: o.backendId ?? '', call: null, at: o.at, events: [] };
          open.attempts.set(seq, attempt);
        }
        if (o.kind === 'call') attempt.call = o.call;
        else if (o.kind === 'event') attempt.events.push([o.at, o.event]);
      }
    }
  }

  private attemptEnded(report: AttemptReport): void {
    if (report.phase !== 'end' || report.outcome === undefined) return;
    const open = this.exchange(report.requestId);
    if (open.sampled) open.ends.push({ key: report.candidateKey, at: Date.now(), outcome: report.outcome, ...(report.errorCode ? { code: report.errorCode } : {}) });
  }

  private build(requestId: string, open: OpenExchange | undefined, s: Snapshot, end: ExchangeEnd): ExchangeRecord {
    const off = (at: number) => Math.max(0, at - s.startedAt);
    const timed = (events: readonly [number, LipEvent][]): TimedEvent[] => events.map(([at, e]) => [off(at), e] as const);
    const ends = [...(open?.ends ?? [])];
    const journal = (s.journal ?? []).filter((e) => e.outcome !== 'skipped');
    const attempts: AttemptRecord[] = [...(open?.attempts.values() ?? [])].sort((a, b) => a.seq - b.seq).map((a) => {
      const endIndex = ends.findIndex((e) => e.key === a.candidateKey);
      const ended = endIndex >= 0 ? ends.splice(endIndex, 1)[0] : undefined;
      const entryIndex = journal.findIndex((e) => e.key === a.candidateKey);
      const entry = entryIndex >= 0 ? journal.splice(entryIndex, 1)[0] : undefined;
      const first = a.events.find(([, e]) => isOutputEvent(e));
      const outcome: RecordedOutcome = ended?.outcome ?? (entry?.outcome === 'failed' ? 'failure' : entry?.outcome === 'served' ? 'success' : 'cancelled');
      return {
        seq: a.seq, b_leg_id: a.bLegId, candidate_key: a.candidateKey, backend_id: a.backendId,
        role: a.candidateKey === s.served && first !== undefined ? 'served' : 'tried',
        started_ms: off(a.at), first_output_ms: first ? off(first[0]) : null, finished_ms: ended ? off(ended.at) : null,
        outcome, reason: ended?.code ?? entry?.code ?? (outcome === 'cancelled' ? entry?.reason ?? null : null),
        message: outcome === 'failure' ? entry?.reason ?? null : null,
        http_status: entry?.status ?? null, call: a.call, events: timed(a.events),
      };
    });
    return {
      v: 1, id: `rec_${randomBytes(12).toString('hex')}`, request_id: requestId, at: new Date(s.startedAt).toISOString(),
      frontend: end.frontend, principal: end.principal, session_id: end.aLeg?.sessionId ?? null, a_leg_id: end.aLeg?.aLegId ?? null,
      config_digest: this.digest,
      request: { method: s.method, path: this.redactor.path(s.path), headers: this.redactor.headersOf(s.headers), body: open?.body ?? null },
      selector: s.selector ?? null, selector_source: s.selectorSource ?? null, served: s.served ?? null, attempts,
      ...(open?.truncated ? { truncated: true as const } : {}),
      client: {
        status: s.status, headers: this.redactor.headersOf(s.responseHeaders), events: timed(open?.client ?? []),
        error: s.errorCode ? { code: s.errorCode } : null, finished_ms: off(s.finishedAt),
      },
    };
  }
}

type Snapshot = {
  startedAt: number; finishedAt: number; errorCode: string | undefined; method: string; path: string;
  headers: Record<string, unknown>; status: number; responseHeaders: Record<string, unknown>;
  selector: string | undefined; selectorSource: string | undefined; served: string | undefined; journal: readonly JournalEntry[] | undefined;
};

/** A short digest of the config with secret-looking values left out (records name the config they ran under). */
export function configDigest(config: Config): string {
  const json = JSON.stringify(config, (key, value: unknown) => (/key|secret|token|password/i.test(key) && typeof value === 'string' ? undefined : value));
  return createHash('sha256').update(json).digest('hex').slice(0, 16);
}
