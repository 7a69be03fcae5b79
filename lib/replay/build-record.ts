import { isOutputEvent, type LipEvent } from '../canonical/index.js';
import type { JournalEntry } from '../routing/plan/route-journal.js';
import type { ExchangeCapture } from './exchange-capture.js';
import type { AttemptRecord, ExchangeRecord, RecordedOutcome, TimedEvent } from './record-format.js';
import type { Redactor } from './redact.js';

/** What the server knew when the exchange ended, taken on its turn (the record is built later). */
export interface ExchangeSnapshot {
  readonly requestId: string;
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly errorCode: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly status: number;
  readonly responseHeaders: Readonly<Record<string, unknown>>;
  readonly selector: string | undefined;
  readonly selectorSource: string | undefined;
  readonly served: string | undefined;
  readonly journal: readonly JournalEntry[] | undefined;
  readonly frontend: string;
  readonly principal: string;
  readonly aLeg: { readonly aLegId: string; readonly sessionId: string } | undefined;
}

/**
 * The record of one exchange (CONTRACT section 9, extended): captured times become offsets from
 * the exchange's start, each attempt is matched with how it ended (`lip:attempt`) and with its
 * route-journal entry (status, reason), and headers and the path are redacted. Substrings are
 * redacted later, in the serialised line.
 */
export function buildRecord(id: string, digest: string, capture: ExchangeCapture | undefined, s: ExchangeSnapshot, redactor: Redactor): ExchangeRecord {
  const shift = (capture?.base ?? s.startedAt) - s.startedAt;
  const off = (at: number) => Math.max(0, at + shift);
  const timed = (events: readonly LipEvent[], times: readonly number[]): TimedEvent[] => {
    const out = new Array<TimedEvent>(events.length);
    for (let i = 0; i < events.length; i++) out[i] = [off(times[i]!), events[i]!];
    return out;
  };
  const ends = [...(capture?.ends ?? [])];
  const journal = (s.journal ?? []).filter((e) => e.outcome !== 'skipped');
  const attempts: AttemptRecord[] = [...(capture?.attempts ?? [])].sort((a, b) => a.seq - b.seq).map((a) => {
    const endIndex = ends.findIndex((e) => e.key === a.candidateKey);
    const ended = endIndex >= 0 ? ends.splice(endIndex, 1)[0] : undefined;
    const entryIndex = journal.findIndex((e) => e.key === a.candidateKey);
    const entry = entryIndex >= 0 ? journal.splice(entryIndex, 1)[0] : undefined;
    const first = a.events.findIndex(isOutputEvent);
    const outcome: RecordedOutcome = ended?.outcome ?? (entry?.outcome === 'failed' ? 'failure' : entry?.outcome === 'served' ? 'success' : 'cancelled');
    return {
      seq: a.seq, b_leg_id: a.bLegId, candidate_key: a.candidateKey, backend_id: a.backendId,
      role: a.candidateKey === s.served && first >= 0 ? 'served' : 'tried',
      started_ms: off(a.started), first_output_ms: first >= 0 ? off(a.times[first]!) : null, finished_ms: ended ? Math.max(0, ended.at - s.startedAt) : null,
      outcome, reason: ended?.code ?? entry?.code ?? (outcome === 'cancelled' ? entry?.reason ?? null : null),
      message: outcome === 'failure' ? entry?.reason ?? null : null,
      http_status: entry?.status ?? null, call: a.call, events: timed(a.events, a.times),
    };
  });
  return {
    v: 1, id, request_id: s.requestId, at: new Date(s.startedAt).toISOString(),
    frontend: s.frontend, principal: s.principal, session_id: s.aLeg?.sessionId ?? null, a_leg_id: s.aLeg?.aLegId ?? null,
    config_digest: digest,
    request: { method: s.method, path: redactor.path(s.path), headers: redactor.headersOf(s.headers), body: capture?.body ?? null },
    selector: s.selector ?? null, selector_source: s.selectorSource ?? null, served: s.served ?? null, attempts,
    ...(capture?.truncated ? { truncated: true as const } : {}),
    client: {
      status: s.status, headers: redactor.headersOf(s.responseHeaders), events: timed(capture?.client.events ?? [], capture?.client.times ?? []),
      error: s.errorCode ? { code: s.errorCode } : null, finished_ms: Math.max(0, s.finishedAt - s.startedAt),
    },
  };
}
