import { isOutputEvent, type EmbeddingResult, type LipEvent } from '../canonical/index.js';
import type { JournalEntry } from '../routing/plan/route-journal.js';
import type { AttemptCapture, AttemptEnd, EventLog, ExchangeCapture } from './exchange-capture.js';
import type { RecordedOutcome } from './record-format.js';
import type { Redactor } from './redact.js';
import type { FailedBody } from '../wire/json-body.js';

/** What the server knew when the exchange ended, taken on its turn (the record is built later). */
export interface ExchangeSnapshot {
  readonly requestId: string;
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly errorCode: string | undefined;
  /** A body that could not be taken: its text (no JSON lip takes), or `unread` (not read whole). */
  readonly failedBody: FailedBody | undefined;
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
  /** The id of the client's API key (`auth.api_keys[].id`), when it presented one. */
  readonly keyId: string | undefined;
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
  /**
   * What stands in for piece `index` when its redaction fails: a value of the same JSON type with
   * the client's text masked (the request body as `REDACTION_FAILED`, an attempt's call as null,
   * events as `[]`), small enough to redact.
   */
  standIn(index: number): string;
  /** Pieces lip could not serialise (a stand-in took their place); with a failed redaction, the record says `redaction_failed`. */
  readonly unserialised: number;
  build(redacted: readonly string[], redactionFailed?: boolean): string;
}

/** What replaces the part of a record that could not be redacted (the request body). */
export const REDACTION_FAILED = '[REDACTION FAILED]';

/** A piece's stand-in by its JSON type: an array empty, a string (or any other value) the marker, an object empty. */
function maskedLike(text: string): string {
  return text.startsWith('[') ? '[]' : text.startsWith('{') ? '{}' : json(REDACTION_FAILED);
}

/**
 * The record of one exchange (`ExchangeRecord`, CONTRACT section 9, extended) as a draft:
 * captured times become offsets from the exchange's start, each attempt is matched with how it ended (its `backend_to_proxy` leg) and with its
 * route-journal entry (status, reason), and headers and the path are redacted by name here, as
 * are the headers of the MCP servers the body and the calls declare; substrings and credential
 * shapes are redacted in the pieces.
 *
 * The built line is exactly what `JSON.stringify` writes for the record, fields in the
 * format's order, then redacted (`Redactor.line`), but assembled from parts: each leg's
 * `[offset, event]` pairs are serialised in one call, and the client's events, when they are the
 * served attempt's own (the same objects at the same offsets, as when no stream stage changed
 * them), reuse that attempt's text instead of being serialised and redacted a second time; the
 * same objects at partly other times share the text of the runs of pairs whose times agree.
 * @see spec/replay/recorder.spec.ts
 */
export function recordDraft(id: string, digest: string, capture: ExchangeCapture | undefined, s: ExchangeSnapshot, redactor: Redactor): RecordDraft {
  const shift = (capture?.base ?? s.startedAt) - s.startedAt;
  const ends = capture && capture.ends.length > 0 ? [...capture.ends] : [];
  const journal = (s.journal ?? []).filter((e) => e.outcome !== 'skipped');
  const skipped = s.journal !== undefined && journal.length < s.journal.length
    ? s.journal.filter((e) => e.outcome === 'skipped').map((e) => ({ candidate_key: e.key, reason: e.reason ?? '' })) : [];
  const pieces: string[] = [];
  /** Stand-ins of the pieces that have their own (by index); the others are `maskedLike` their text. */
  const standIns = new Map<number, () => string>();
  let unserialised = 0;
  /** Index of a piece (each attempt: its fields, then its events). */
  const add = (text: string) => pieces.push(text) - 1;
  /**
   * A piece made by a redaction step (`Redactor.serialise`, which masks MCP servers' headers) with
   * its stand-in: should the step throw, the stand-in is the piece.
   */
  const addMade = (make: () => string, standIn: () => string) => {
    let text: string;
    try {
      text = make();
    } catch {
      unserialised++;
      text = standIn();
    }
    const index = add(text);
    standIns.set(index, standIn);
    return index;
  };
  let served: { readonly log: EventLog; readonly events: number } | undefined;
  const captured = capture?.attempts ?? [];
  const client = capture?.client;
  // The client's events are usually the served attempt's own objects. When some of their times
  // differ (the opening events are held until the first output comes; under load an event may
  // reach the client a millisecond after the attempt saw it), the legs' pairs are serialised run by
  // run: a run of events both legs kept at the same times once, shared, the others once per leg.
  const servedLog = s.served === undefined ? undefined : firstOf(captured, s.served);
  const same = client !== undefined && servedLog !== undefined && sameObjects(client, servedLog);
  const split = same ? timeRuns(client!, servedLog!) : undefined;
  const shared = split !== undefined && split.length > 1 ? servedLog : undefined;
  /** Pieces of the shared case, run by run: the attempt's pairs, and the client's where they differ. */
  let legRuns: { readonly attempt: number; readonly client: number }[] = [];
  /** An embeddings request's results (the served attempt's is usually the client's answer too): each one's text, once. */
  const embeddings = new Map<EmbeddingResult, (r: readonly string[]) => string>();
  const embeddingOf = (result: EmbeddingResult) => {
    let text = embeddings.get(result);
    if (text === undefined) embeddings.set(result, (text = embeddingText(result, add)));
    return text;
  };
  /** An attempt's fields, its call masked (null) should their redaction fail. */
  const addFields = (a: AttemptCapture, attemptEnds: AttemptEnd[], attemptJournal: JournalEntry[], served: string | typeof AUXILIARY | undefined) => {
    const fields = attemptFields(a, attemptEnds, attemptJournal, served, shift, s.startedAt);
    return addMade(() => redactor.serialise(fields), () => json({ ...fields, call: null }));
  };
  const attempts = bySeq(captured).map((a: AttemptCapture) => {
    const fields = addFields(a, ends, journal, s.served);
    if (a === shared) {
      legRuns = split!.map(({ from, to, agree }) => {
        const attempt = add(timed(a, shift, from, to));
        return { attempt, client: agree ? attempt : add(timed(client!, shift, from, to)) };
      });
      return [fields, -1, undefined] as const;
    }
    const events = add(timed(a, shift));
    if (a.candidateKey === s.served) served ??= { log: a, events };
    return [fields, events, a.embedding === undefined ? undefined : embeddingOf(a.embedding)] as const;
  });
  const clientEmbedding = capture?.embedding === undefined ? undefined : embeddingOf(capture.embedding);
  // Auxiliary calls (a judge, an extractor): their attempts, each with its events (no route journal: no status, no message).
  const auxiliary = [...capture?.auxiliary ?? []].map(([requestId, aux]) => {
    const auxEnds = [...aux.ends];
    return {
      // A piece like the rest: the exchange's own id in it is redacted where the head's is.
      requestId: add(json(requestId)),
      // Its times count from the exchange's base, as the exchange's own attempts' do.
      attempts: bySeq(aux.attempts).map((a) => [addFields(a, auxEnds, [], AUXILIARY), add(timed(a, shift))] as const),
      truncated: aux.truncated,
    };
  });
  const clientEvents = client === undefined || shared !== undefined ? -1
    : served !== undefined && same && split !== undefined && split.length === 1 && split[0]!.agree ? served.events : add(timed(client, shift));
  const path = redactor.path(s.path);
  const headers = redactor.headersOf(s.headers);
  const headOf = (body: () => Record<string, unknown>) => ({
    v: 1, id, request_id: s.requestId, at: new Date(s.startedAt).toISOString(),
    frontend: s.frontend, principal: s.principal, key_id: s.keyId ?? null, session_id: s.aLeg?.sessionId ?? null, a_leg_id: s.aLeg?.aLegId ?? null,
    config_digest: digest,
    request: { method: s.method, path, headers, ...body() },
    selector: s.selector ?? null, selector_source: s.selectorSource ?? null, served: s.served ?? null, skipped,
  });
  // Should the body's redaction fail, the record keeps its request's line, headers and route, the body masked whole.
  const head = addMade(() => redactor.serialise(headOf(() => ({
    body: capture?.body ?? null,
    ...(s.failedBody === 'unread' ? { body_unread: true } : s.failedBody === undefined ? {} : 'text' in s.failedBody ? { body_text: redactor.unparsed(s.failedBody.text) } : { body_bytes: redactor.unparsed(s.failedBody.bytes, true) }),
  }))), () => json(headOf(() => ({ body: REDACTION_FAILED }))));
  const responseHeaders = add(json(redactor.headersOf(s.responseHeaders)));
  // lip's own error code: its stand-in is itself.
  const error = s.errorCode ? addMade(() => json({ code: s.errorCode }), () => json({ code: s.errorCode })) : -1;
  const truncated = capture?.truncated || auxiliary.some((a) => a.truncated) ? ',"truncated":true' : '';
  const tail = `,"finished_ms":${json(Math.max(0, s.finishedAt - s.startedAt))}}}`;
  return {
    pieces,
    standIn: (index) => standIns.get(index)?.() ?? maskedLike(pieces[index]!),
    unserialised,
    build(r, redactionFailed = false) {
      // A piece's closing brace is cut after redaction: the members that follow are appended.
      let out = `${r[head]!.slice(0, -1)}${redactionFailed || unserialised > 0 ? ',"redaction_failed":true' : ''},"attempts":[`;
      for (let i = 0; i < attempts.length; i++) {
        const [fields, events, embedding] = attempts[i]!;
        out += `${i > 0 ? ',' : ''}${r[fields]!.slice(0, -1)},"events":${events < 0 ? joinPairs(legRuns.map((run) => r[run.attempt]!)) : r[events]!}${embedding === undefined ? '' : `,"embedding":${embedding(r)}`}}`;
      }
      out += '],"auxiliary":[';
      for (let i = 0; i < auxiliary.length; i++) {
        const aux = auxiliary[i]!;
        out += `${i > 0 ? ',' : ''}{"request_id":${r[aux.requestId]!},"attempts":[${aux.attempts.map(([fields, events]) => `${r[fields]!.slice(0, -1)},"events":${r[events]!}}`).join(',')}]}`;
      }
      const clientText = shared !== undefined ? joinPairs(legRuns.map((run) => r[run.client]!)) : clientEvents < 0 ? '[]' : r[clientEvents]!;
      return `${out}]${truncated},"client":{"status":${json(s.status)},"headers":${r[responseHeaders]!},"events":${clientText}${clientEmbedding === undefined ? '' : `,"embedding":${clientEmbedding(r)}`},"error":${error < 0 ? 'null' : r[error]!}${tail}`;
    },
  };
}

/** `attemptFields` of an auxiliary call's attempt. */
const AUXILIARY = Symbol('auxiliary');

/** Attempts in their order (`seq`). */
function bySeq(attempts: readonly AttemptCapture[]): readonly AttemptCapture[] {
  return attempts.length > 1 ? [...attempts].sort((a, b) => a.seq - b.seq) : attempts;
}

/**
 * An attempt's fields (all but its events): how it ended, from its `backend_to_proxy` leg's
 * ending (taken from `ends`) and its route-journal entry (taken from `journal`). Serialised with
 * its call's MCP servers' headers masked (`Redactor.serialise`).
 */
function attemptFields(a: AttemptCapture, ends: AttemptEnd[], journal: JournalEntry[], served: string | typeof AUXILIARY | undefined, shift: number, startedAt: number): Record<string, unknown> {
  const endIndex = ends.findIndex((e) => e.key === a.candidateKey);
  const ended = endIndex >= 0 ? ends.splice(endIndex, 1)[0] : undefined;
  const entryIndex = journal.findIndex((e) => e.key === a.candidateKey);
  const entry = entryIndex >= 0 ? journal.splice(entryIndex, 1)[0] : undefined;
  const first = a.events.findIndex(isOutputEvent);
  const outcome: RecordedOutcome = ended?.outcome ?? (entry?.outcome === 'failed' ? 'failure' : entry?.outcome === 'served' ? 'success' : 'cancelled');
  const finished = ended ? Math.max(0, ended.at - startedAt) : null;
  // An embeddings attempt's output is its whole result, when it came.
  const output = a.embedding !== undefined ? finished : first >= 0 ? Math.max(0, a.times[first]! + shift) : null;
  // An auxiliary call has no `served`: its attempt that answered is.
  const role = output !== null && (served === AUXILIARY ? outcome === 'success' : a.candidateKey === served) ? 'served' : 'tried';
  return {
    seq: a.seq, b_leg_id: a.bLegId, candidate_key: a.candidateKey, backend_id: a.backendId, role,
    started_ms: Math.max(0, a.started + shift), first_output_ms: output, finished_ms: finished,
    outcome, reason: ended?.failure?.code ?? entry?.code ?? (outcome === 'cancelled' ? ended?.reason ?? entry?.reason ?? null : null),
    message: outcome === 'failure' ? entry?.reason ?? null : null,
    http_status: entry?.status ?? null,
    retryable: outcome === 'failure' && ended?.failure !== undefined ? ended.failure.retryable : null, call: a.call,
  };
}

/** A leg's `[offset, event]` pairs from `from` to `to` as JSON (`shift` puts the captured times on the exchange's start). */
function timed(log: EventLog, shift: number, from = 0, to = log.events.length): string {
  const pairs = new Array<readonly [number, LipEvent]>(to - from);
  for (let i = from; i < to; i++) pairs[i - from] = [Math.max(0, log.times[i]! + shift), log.events[i]!];
  return JSON.stringify(pairs);
}

/**
 * An embedding result's JSON, in two parts: its vectors, which only hold numbers (the backends
 * check every value is a finite number), so nothing in them can be redacted and they are not
 * scanned (they are most of the line: a 1,536-dimension vector is about 30 KB); the rest (the
 * model the upstream named, its token count) is a piece, redacted like the others. Vectors that
 * hold anything but numbers are a piece too.
 */
function embeddingText(result: EmbeddingResult, add: (text: string) => number): (r: readonly string[]) => string {
  const { vectors, ...rest } = result;
  const vectorsText = numbersOnly(vectors) ? JSON.stringify(vectors) : undefined;
  const vectorsPiece = vectorsText === undefined ? add(json(vectors)) : -1;
  const restPiece = add(json(rest));
  return (r) => {
    const members = r[restPiece]!.slice(1, -1);
    return `{"vectors":${vectorsText ?? r[vectorsPiece]!}${members === '' ? '' : `,${members}`}}`;
  };
}

/** Whether `vectors` is an array of arrays of numbers only. */
function numbersOnly(vectors: unknown): boolean {
  if (!Array.isArray(vectors)) return false;
  for (const vector of vectors) {
    if (!Array.isArray(vector)) return false;
    for (const value of vector) if (typeof value !== 'number') return false;
  }
  return true;
}

/** JSON arrays as one (their items in order), as `JSON.stringify` writes the whole. */
function joinPairs(arrays: readonly string[]): string {
  let out = '';
  for (const array of arrays) if (array !== '[]') out += `${out.length > 0 ? ',' : ''}${array.slice(1, -1)}`;
  return `[${out}]`;
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

/** Runs of two legs' events beyond which sharing saves too little to pay for the extra serialisations. */
const MAX_TIME_RUNS = 8;

/**
 * For two legs of the same length: their events in runs, each of events both kept at the same
 * times (`agree`: then, with the same objects, their text is the same too) or of events they kept
 * at other times; one run when all agree or all differ. Undefined past MAX_TIME_RUNS runs (times
 * that differ here and there all along): the legs are then serialised each on its own.
 */
function timeRuns(a: EventLog, b: EventLog): { readonly from: number; readonly to: number; readonly agree: boolean }[] | undefined {
  const runs: { from: number; to: number; agree: boolean }[] = [];
  for (let i = 0; i < a.times.length; i++) {
    const agree = a.times[i] === b.times[i];
    const last = runs[runs.length - 1];
    if (last !== undefined && last.agree === agree) last.to = i + 1;
    else if (runs.push({ from: i, to: i + 1, agree }) > MAX_TIME_RUNS) return undefined;
  }
  return runs.length > 0 ? runs : [{ from: 0, to: 0, agree: true }];
}
