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
 * A record line before redaction: the texts that need redacting (`pieces`, each a whole JSON
 * value from `JSON.stringify`, so none holds a raw newline and no secret spans two), and how the
 * line is put together from their redacted forms (`build`). The recorder redacts the pieces of
 * every exchange of a batch in one pass (`Redactor.pieces`).
 */
export interface RecordDraft {
  readonly pieces: readonly string[];
  build(redacted: readonly string[]): string;
}

/**
 * The record of one exchange (`ExchangeRecord`, CONTRACT section 9, extended) as a draft:
 * captured times become offsets from the exchange's start, each attempt is matched with how it ended (its `backend_to_proxy` leg) and with its
 * route-journal entry (status, reason), and headers and the path are redacted by name here;
 * substrings and credential shapes are redacted in the pieces.
 *
 * The built line is exactly what `JSON.stringify` writes for the record, fields in the
 * format's order, then redacted (`Redactor.line`), but assembled from parts: each leg's
 * `[offset, event]` pairs are serialised in one call, and the client's events, when they are the
 * served attempt's own (the same objects at the same offsets, as when no stream stage changed
 * them), reuse that attempt's text instead of being serialised and redacted a second time; the
 * same objects at other times share per-event texts.
 * @see spec/replay/recorder.spec.ts
 */
export function recordDraft(id: string, digest: string, capture: ExchangeCapture | undefined, s: ExchangeSnapshot, redactor: Redactor): RecordDraft {
  const shift = (capture?.base ?? s.startedAt) - s.startedAt;
  const ends = capture && capture.ends.length > 0 ? [...capture.ends] : [];
  const journal = (s.journal ?? []).filter((e) => e.outcome !== 'skipped');
  const pieces: string[] = [];
  /** Index of a piece (each attempt: its fields, then its events). */
  const add = (text: string) => pieces.push(text) - 1;
  let served: { readonly log: EventLog; readonly events: number } | undefined;
  const captured = capture?.attempts ?? [];
  const client = capture?.client;
  // The client's events are usually the served attempt's own objects; when their times differ
  // (held events are sent when the first output comes), each event is serialised and redacted
  // once, as a piece of its own, and both legs' pairs are put together from those pieces.
  const servedLog = s.served === undefined ? undefined : firstOf(captured, s.served);
  const perEvent = client !== undefined && servedLog !== undefined && sameObjects(client, servedLog) && !sameTimes(client, servedLog) ? servedLog : undefined;
  let eventPieces = -1;
  const attempts = (captured.length > 1 ? [...captured].sort((a, b) => a.seq - b.seq) : captured).map((a: AttemptCapture) => {
    const endIndex = ends.findIndex((e) => e.key === a.candidateKey);
    const ended = endIndex >= 0 ? ends.splice(endIndex, 1)[0] : undefined;
    const entryIndex = journal.findIndex((e) => e.key === a.candidateKey);
    const entry = entryIndex >= 0 ? journal.splice(entryIndex, 1)[0] : undefined;
    const first = a.events.findIndex(isOutputEvent);
    const outcome: RecordedOutcome = ended?.outcome ?? (entry?.outcome === 'failed' ? 'failure' : entry?.outcome === 'served' ? 'success' : 'cancelled');
    const fields = add(json({
      seq: a.seq, b_leg_id: a.bLegId, candidate_key: a.candidateKey, backend_id: a.backendId,
      role: a.candidateKey === s.served && first >= 0 ? 'served' : 'tried',
      started_ms: Math.max(0, a.started + shift), first_output_ms: first >= 0 ? Math.max(0, a.times[first]! + shift) : null, finished_ms: ended ? Math.max(0, ended.at - s.startedAt) : null,
      outcome, reason: ended?.code ?? entry?.code ?? (outcome === 'cancelled' ? entry?.reason ?? null : null),
      message: outcome === 'failure' ? entry?.reason ?? null : null,
      http_status: entry?.status ?? null, call: a.call,
    }));
    if (a === perEvent) {
      eventPieces = pieces.length;
      for (const event of a.events) pieces.push(json(event));
      return [fields, -1] as const;
    }
    const events = add(timed(a, shift));
    if (a.candidateKey === s.served) served ??= { log: a, events };
    return [fields, events] as const;
  });
  const clientEvents = client === undefined || perEvent !== undefined ? -1
    : served !== undefined && sameObjects(client, served.log) && sameTimes(client, served.log) ? served.events : add(timed(client, shift));
  const head = add(json({
    v: 1, id, request_id: s.requestId, at: new Date(s.startedAt).toISOString(),
    frontend: s.frontend, principal: s.principal, session_id: s.aLeg?.sessionId ?? null, a_leg_id: s.aLeg?.aLegId ?? null,
    config_digest: digest,
    request: { method: s.method, path: redactor.path(s.path), headers: redactor.headersOf(s.headers), body: capture?.body ?? null },
    selector: s.selector ?? null, selector_source: s.selectorSource ?? null, served: s.served ?? null,
  }));
  const responseHeaders = add(json(redactor.headersOf(s.responseHeaders)));
  const error = s.errorCode ? add(json({ code: s.errorCode })) : -1;
  const truncated = capture?.truncated ? ',"truncated":true' : '';
  const tail = `,"finished_ms":${json(Math.max(0, s.finishedAt - s.startedAt))}}}`;
  return {
    pieces,
    build(r) {
      // A piece's closing brace is cut after redaction: the members that follow are appended.
      let out = `${r[head]!.slice(0, -1)},"attempts":[`;
      for (let i = 0; i < attempts.length; i++) {
        const [fields, events] = attempts[i]!;
        out += `${i > 0 ? ',' : ''}${r[fields]!.slice(0, -1)},"events":${events < 0 ? pairs(perEvent!.times, shift, r, eventPieces) : r[events]!}}`;
      }
      const clientText = perEvent !== undefined ? pairs(client!.times, shift, r, eventPieces) : clientEvents < 0 ? '[]' : r[clientEvents]!;
      return `${out}]${truncated},"client":{"status":${json(s.status)},"headers":${r[responseHeaders]!},"events":${clientText},"error":${error < 0 ? 'null' : r[error]!}${tail}`;
    },
  };
}

/** A leg's `[offset, event]` pairs as JSON (`shift` puts the captured times on the exchange's start). */
function timed(log: EventLog, shift: number): string {
  const pairs = new Array<readonly [number, LipEvent]>(log.events.length);
  for (let i = 0; i < pairs.length; i++) pairs[i] = [Math.max(0, log.times[i]! + shift), log.events[i]!];
  return JSON.stringify(pairs);
}

/** `[offset, event]` pairs as `JSON.stringify` writes them, from each event's (redacted) text. */
function pairs(times: readonly number[], shift: number, texts: readonly string[], first: number): string {
  let out = '[';
  for (let i = 0; i < times.length; i++) out += `${i > 0 ? ',' : ''}[${Math.max(0, times[i]! + shift)},${texts[first + i]!}]`;
  return `${out}]`;
}

/** The first attempt (by seq) of a candidate. */
function firstOf(attempts: readonly AttemptCapture[], key: string): AttemptCapture | undefined {
  let found: AttemptCapture | undefined;
  for (const a of attempts) if (a.candidateKey === key && (found === undefined || a.seq < found.seq)) found = a;
  return found;
}

/** Whether two legs kept the same event objects, in the same order. */
function sameObjects(a: EventLog, b: EventLog): boolean {
  if (a.events.length !== b.events.length) return false;
  for (let i = 0; i < a.events.length; i++) if (a.events[i] !== b.events[i]) return false;
  return true;
}

/** Whether two legs of the same length kept their events at the same times (then, with the same objects, their text is the same too). */
function sameTimes(a: EventLog, b: EventLog): boolean {
  for (let i = 0; i < a.times.length; i++) if (a.times[i] !== b.times[i]) return false;
  return true;
}
