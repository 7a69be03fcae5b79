import { isOutputEvent, type LipEvent } from '../canonical/index.js';
import type { JournalEntry } from '../routing/plan/route-journal.js';
import type { AttemptCapture, EventLog, ExchangeCapture } from './exchange-capture.js';
import type { RecordedOutcome } from './record-format.js';
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

const json = JSON.stringify;

/**
 * The JSON line of one exchange's record (`ExchangeRecord`, CONTRACT section 9, extended):
 * captured times become offsets from the exchange's start, each attempt is matched with how it
 * ended (its `backend_to_proxy` leg) and with its route-journal entry (status, reason), and headers and the
 * path are redacted. Substrings are redacted later, in the line.
 *
 * The line is exactly what `JSON.stringify` writes for the record, fields in the format's order,
 * but assembled from parts: each leg's `[offset, event]` pairs are serialised in one call, and
 * the client's events, when they are the served attempt's own (the same objects at the same
 * offsets, as when no stream stage changed them), reuse that attempt's text instead of being
 * serialised a second time.
 * @see spec/replay/recorder.spec.ts
 */
export function recordLine(id: string, digest: string, capture: ExchangeCapture | undefined, s: ExchangeSnapshot, redactor: Redactor): string {
  const shift = (capture?.base ?? s.startedAt) - s.startedAt;
  const ends = [...(capture?.ends ?? [])];
  const journal = (s.journal ?? []).filter((e) => e.outcome !== 'skipped');
  let served: { readonly log: EventLog; readonly events: string } | undefined;
  const attempts = [...(capture?.attempts ?? [])].sort((a, b) => a.seq - b.seq).map((a: AttemptCapture) => {
    const endIndex = ends.findIndex((e) => e.key === a.candidateKey);
    const ended = endIndex >= 0 ? ends.splice(endIndex, 1)[0] : undefined;
    const entryIndex = journal.findIndex((e) => e.key === a.candidateKey);
    const entry = entryIndex >= 0 ? journal.splice(entryIndex, 1)[0] : undefined;
    const first = a.events.findIndex(isOutputEvent);
    const outcome: RecordedOutcome = ended?.outcome ?? (entry?.outcome === 'failed' ? 'failure' : entry?.outcome === 'served' ? 'success' : 'cancelled');
    const events = timed(a, shift);
    if (a.candidateKey === s.served) served ??= { log: a, events };
    // `events` is the attempt's last field: the rest is serialised at once, the events appended.
    return `${json({
      seq: a.seq, b_leg_id: a.bLegId, candidate_key: a.candidateKey, backend_id: a.backendId,
      role: a.candidateKey === s.served && first >= 0 ? 'served' : 'tried',
      started_ms: Math.max(0, a.started + shift), first_output_ms: first >= 0 ? Math.max(0, a.times[first]! + shift) : null, finished_ms: ended ? Math.max(0, ended.at - s.startedAt) : null,
      outcome, reason: ended?.code ?? entry?.code ?? (outcome === 'cancelled' ? entry?.reason ?? null : null),
      message: outcome === 'failure' ? entry?.reason ?? null : null,
      http_status: entry?.status ?? null, call: a.call,
    }).slice(0, -1)},"events":${events}}`;
  });
  const client = capture?.client;
  const clientEvents = client === undefined ? '[]' : served !== undefined && sameEvents(client, served.log) ? served.events : timed(client, shift);
  const head = json({
    v: 1, id, request_id: s.requestId, at: new Date(s.startedAt).toISOString(),
    frontend: s.frontend, principal: s.principal, session_id: s.aLeg?.sessionId ?? null, a_leg_id: s.aLeg?.aLegId ?? null,
    config_digest: digest,
    request: { method: s.method, path: redactor.path(s.path), headers: redactor.headersOf(s.headers), body: capture?.body ?? null },
    selector: s.selector ?? null, selector_source: s.selectorSource ?? null, served: s.served ?? null,
  });
  return `${head.slice(0, -1)},"attempts":[${attempts.join(',')}]${capture?.truncated ? ',"truncated":true' : ''},"client":{"status":${json(s.status)},"headers":${json(redactor.headersOf(s.responseHeaders))},"events":${clientEvents},"error":${s.errorCode ? json({ code: s.errorCode }) : 'null'},"finished_ms":${json(Math.max(0, s.finishedAt - s.startedAt))}}}`;
}

/** A leg's `[offset, event]` pairs as JSON (`shift` puts the captured times on the exchange's start). */
function timed(log: EventLog, shift: number): string {
  const pairs = new Array<readonly [number, LipEvent]>(log.events.length);
  for (let i = 0; i < pairs.length; i++) pairs[i] = [Math.max(0, log.times[i]! + shift), log.events[i]!];
  return JSON.stringify(pairs);
}

/** Whether two legs kept the same event objects at the same times (then their text is the same too). */
function sameEvents(a: EventLog, b: EventLog): boolean {
  if (a.events.length !== b.events.length) return false;
  for (let i = 0; i < a.events.length; i++) if (a.events[i] !== b.events[i] || a.times[i] !== b.times[i]) return false;
  return true;
}
