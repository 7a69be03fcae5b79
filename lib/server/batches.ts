import type { ServerResponse } from 'node:http';
import { collectEvents, collect, type CollectedResponse } from '../canonical/index.js';
import type { ApiKeyConfig } from '../config/types.js';
import type { Runtime } from '../core/runtime.js';
import type { ExecutionMeta } from '../core/execute.js';
import type { RequestTrace } from '../observability/tracing.js';
import { LipError, reportInternalError, toLipError } from '../errors/index.js';
import { settledClock, type BatchOutcome, type BatchRoutes, type BatchView, type EmbeddingsRoute, type EncodeContext, type Frontend, type GenerateRoute, type PreparedBatch, type StoredResponses } from '../frontends/protocol.js';
import { embedBody } from './handle-embeddings.js';
import { derivedId, randomId } from '../wire/ids.js';
import { checkCall, continuedConversation, inConversation } from './continued-conversation.js';
import { BatchSlots } from './batch-slots.js';
import { BatchFileStore, type BatchFileKind } from './files.js';
import { dropped, loaded } from './stored-record.js';
import { servedModel, wholeContext } from './served-model.js';
import { refuseBodyToken } from './session-identity.js';
import { storedResponses } from './stored-responses.js';
import { candidateAllow } from '../core/candidate-allow.js';
import { WorkSlices } from '../wire/index.js';

/** What a request of a batch tells the code that records it: the A-leg it ran in. */
interface BatchExchange {
  aLeg?: { readonly aLegId: string; readonly sessionId: string };
}

/** A batch ends at the latest a day after it was made (its requests not run by then expire). */
export const BATCH_EXPIRY_MS = 24 * 3_600_000;
/** Results are kept in records of this many requests each. */
export const BATCH_CHUNK = 100;
/** A running batch's record is written at most this often while its requests end… */
const SAVE_EVERY_MS = 1_000;
/** …and at least this often (what tells other instances that its runner is alive, and it a cancel made elsewhere). */
export const BATCH_HEARTBEAT_MS = 5_000;
/** A batch whose record says it runs but was not written for this long has lost its runner (its instance stopped): it has ended. */
export const BATCH_ORPHANED_MS = 60_000;
/** Batches one caller keeps at once (their list is one record; OpenAI's cannot be deleted, only outlived). */
export const MAX_BATCHES = 10_000;

const RECORD = 'lip_batch';
const CHUNK_RECORD = 'lip_batch_chunk';
const INDEX = 'lip_batches';
const NOTHING = collectEvents([]);

type Counts = { processing: number; succeeded: number; errored: number; canceled: number; expired: number };
type Usage = { input: number; output: number; cacheRead: number; reasoning: number };

/** A batch as its record keeps it. */
interface BatchRecord {
  readonly id: string;
  /** The protocol that made it (its batches are only that protocol's). */
  readonly frontend: string;
  status: BatchView['status'];
  counts: Counts;
  usage: Usage;
  readonly createdAt: number;
  readonly expiresAt: number;
  endedAt: number | undefined;
  cancelInitiatedAt: number | undefined;
  /** When its runner last wrote it. */
  heartbeat: number;
  readonly total: number;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly failed: unknown;
  /** How long its results' files are kept (PreparedBatch.resultsExpireAfterMs). */
  readonly resultsExpireAfterMs?: number;
  outputFileId: string | undefined;
  errorFileId: string | undefined;
  /**
   * The requests from `from` on never started: they ended `type` with the batch (a cancel, its
   * day or a shutdown). Nothing of them is written: their lines are made up when read (eachLine).
   */
  notStarted?: { readonly from: number; readonly type: 'canceled' | 'expired' };
}

/**
 * A chunk's record: the custom ids of its requests, and once all of them ended their result
 * lines and outcomes (fewer than its ids when the last of them never started: BatchRecord.notStarted).
 */
interface ChunkRecord {
  readonly ids: readonly string[];
  readonly lines?: readonly unknown[];
  readonly types?: readonly BatchOutcome['type'][];
}

interface IndexEntry {
  readonly id: string;
  readonly createdAt: number;
  /** The protocol that made it (BatchRecord.frontend); absent in entries written before it was kept here. */
  readonly frontend?: string;
}

/**
 * The route a batch's requests run by (a generation's, or embeddings'), its protocol (its error
 * envelope, its field names) and its path's parameters (Gemini's model).
 */
export type BatchEndpoint = (
  | { readonly frontend: Frontend; readonly route: GenerateRoute }
  | { readonly frontend: Frontend; readonly embeddings: EmbeddingsRoute }
) & { readonly params?: Readonly<Record<string, string>> };

/** The batch create's headers as a request of it was sent with them (less the create body's length). */
function requestHeaders(headers: BatchCreate['headers']): Readonly<Record<string, unknown>> {
  const { 'content-length': _length, ...rest } = headers;
  return rest;
}

/** What a batch endpoint is asked for, by whom, through which protocol. */
export interface BatchCall {
  readonly frontend: Frontend;
  readonly routes: BatchRoutes;
  readonly principal: string;
  /** Where its results are: `{origin}{path}/{id}/results`. */
  readonly origin: string;
}

/** The caller's key (its id for lineage, its budget) and the create request's headers (the protocol's own: versions, betas). */
export interface BatchCreate extends BatchCall {
  readonly body: unknown;
  /** The create path's parameters (BatchRoutes.createMatch). */
  readonly params?: Readonly<Record<string, string>>;
  readonly key: ApiKeyConfig | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface BatchBudgets {
  check(key: ApiKeyConfig | undefined): unknown;
  charge(key: ApiKeyConfig | undefined, cost: number | undefined, tokens: number): void;
}

/** One request of a batch that ran (for the access log): what it was, how it ended, what it spent. */
export interface BatchRequestReport {
  readonly requestId: string;
  readonly batchId: string;
  /** The path of its endpoint (`/v1/messages`). */
  readonly endpoint: string;
  readonly frontend: string;
  readonly principal: string;
  readonly keyId: string | undefined;
  /** The model its body named. */
  readonly model: string | undefined;
  /** 200, its error's status, or 499 for one a cancel, the day's end or a shutdown ended. */
  readonly status: number;
  readonly errorCode: string | undefined;
  readonly durationMs: number;
  readonly meta: ExecutionMeta;
  /** Its trace's id, when it is traced. */
  readonly traceId?: string | undefined;
}

export interface BatchOptions {
  /** Told of each request of a batch that ran, once it ended. */
  readonly report?: (r: BatchRequestReport) => void;
  /** The generation route of an endpoint path (`/v1/messages`) among the protocols served; undefined when none serves it. */
  readonly endpoints?: (path: string) => BatchEndpoint | undefined;
  /**
   * A SERVER span for each request of a batch (tracing on): started from the create's headers, so
   * that a `traceparent` there makes the batch's requests part of the client's trace.
   */
  readonly trace?: (headers: Readonly<Record<string, string | string[] | undefined>>) => RequestTrace | undefined;
  /** Told when a batch stopped running here (its records written): the runtime it began on may close. */
  readonly ended?: () => void;
  /** For tests: the clock, and MAX_BATCHES. */
  readonly now?: () => number;
  readonly maxBatches?: number;
}

/** One batch while it runs on this instance. */
class BatchRun {
  /** The next request to start. */
  next = 0;
  /** Requests started and not ended. */
  active = 0;
  /** Requests executing now, each with what ends it. */
  readonly running = new Map<number, () => void>();
  /** Why it stopped starting requests: cancelled, expired, or this instance shutting down. */
  stopped: 'canceled' | 'expired' | undefined;
  /** Result lines and outcomes of the chunks not yet written, and how many of each chunk's requests have not ended. */
  private readonly lines: (unknown[] | undefined)[];
  private readonly types: (BatchOutcome['type'][] | undefined)[];
  private readonly left: number[];
  /** When each chunk's record was last written with its lines (0: not yet). */
  readonly writtenAt: number[];
  /** When its caller's list was last written with it (at the create, then by `relist`). */
  listedAt = 0;
  /** Bytes of its result lines (a line and its newline): the succeeded ones and the others (its files' sizes). */
  readonly bytes = { output: 0, error: 0 };
  dirty = false;
  savedAt = 0;
  ending: Promise<void> | undefined;
  /** Gives back its running-batch slot (BatchSlots), once it has ended. */
  release: () => void = () => undefined;
  /** Resolved once it ended and its records are written. */
  readonly done: Promise<void>;
  finished!: () => void;

  /**
   * `runtime` is the one it began on: its records are in that runtime's store (`responses`),
   * which stays open while it runs (Batches.runsOn), whatever a reload swapped in meanwhile.
   */
  constructor(readonly record: BatchRecord, readonly call: BatchCreate, readonly endpoint: BatchEndpoint, readonly path: string, readonly runtime: Runtime, readonly responses: StoredResponses, readonly customIds: readonly string[], readonly bodies: (unknown | undefined)[], readonly keys: readonly string[]) {
    this.done = new Promise<void>((resolve) => { this.finished = resolve; });
    const chunks = Math.ceil(customIds.length / BATCH_CHUNK);
    this.lines = Array.from({ length: chunks }, () => []);
    this.types = Array.from({ length: chunks }, () => []);
    this.left = Array.from({ length: chunks }, (_, k) => Math.min(BATCH_CHUNK, customIds.length - k * BATCH_CHUNK));
    this.writtenAt = new Array<number>(chunks).fill(0);
  }

  /** Keeps request `index`'s result line; writes the chunk's record once all of its lines are in (at `now`). */
  ended(index: number, line: unknown, type: BatchOutcome['type'], now: number): void {
    this.bytes[type === 'succeeded' ? 'output' : 'error'] += Buffer.byteLength(JSON.stringify(line)) + 1;
    const chunk = Math.floor(index / BATCH_CHUNK);
    const lines = this.lines[chunk];
    const types = this.types[chunk];
    if (lines === undefined || types === undefined) return;
    lines[index - chunk * BATCH_CHUNK] = line;
    types[index - chunk * BATCH_CHUNK] = type;
    if (--this.left[chunk]! > 0) return;
    this.lines[chunk] = undefined;
    this.types[chunk] = undefined;
    this.writtenAt[chunk] = now;
    saveChunk(this.responses, this.record.id, chunk, { ids: this.customIds.slice(chunk * BATCH_CHUNK, (chunk + 1) * BATCH_CHUNK), lines, types });
  }

  /**
   * The requests from `from` on will not start: a chunk whose other requests all ended is
   * written with their lines now (one none of whose requests started is not written at all).
   */
  skip(from: number, now: number): void {
    for (let chunk = Math.floor(from / BATCH_CHUNK); chunk < this.left.length; chunk++) {
      const start = chunk * BATCH_CHUNK;
      const end = Math.min(start + BATCH_CHUNK, this.customIds.length);
      this.left[chunk]! -= end - Math.max(start, from);
      if (this.left[chunk]! > 0) continue;
      const lines = this.lines[chunk];
      const types = this.types[chunk];
      this.lines[chunk] = undefined;
      this.types[chunk] = undefined;
      if (start >= from || lines === undefined || types === undefined) continue;
      this.writtenAt[chunk] = now;
      saveChunk(this.responses, this.record.id, chunk, { ids: this.customIds.slice(start, end), lines, types });
    }
  }

  /**
   * Writes again the chunks written before `before` (the store keeps a record for
   * `continuity.ttl` after its last write: a batch's results must last as long as its record).
   */
  async rewrite(before: number, now: number): Promise<void> {
    for (let k = 0; k < this.writtenAt.length; k++) {
      const at = this.writtenAt[k]!;
      if (at === 0 || at >= before) continue;
      this.writtenAt[k] = now;
      const chunk = await loadChunk(this.responses, this.record.id, k);
      if (chunk !== undefined) saveChunk(this.responses, this.record.id, k, chunk);
    }
  }
}

/**
 * A protocol's batches of generation requests (BatchRoutes: Anthropic Message Batches, OpenAI's
 * Batch API), run by the instance that made them, detached from any request: each request is
 * decoded by the generation route of the batch's endpoint, executed (routing, failover, stages,
 * every backend kind, the caller's key and budget as the running config has them: a reload that
 * removed the key errors the requests still to run) and its non-streamed answer, or its error's
 * envelope, kept as a result line. At most `server.batch_concurrency` requests of all batches
 * run at once, taken from the batches in turn. Batches and their results are kept in the
 * caller's stored responses (memory, SQLite, Redis: read by every instance that shares the
 * store): a record per batch, written as its requests end (at most once a second, at least every
 * 5 s while it runs), a record per 100 requests (their custom ids from the start, their result
 * lines once all of them ended), and a list per caller, all in the store the batch began on (a
 * reload that replaces the store leaves a running batch on the old one: `runsOn`, `ended`); a protocol with files (OpenAI) gets the
 * results as two files once the batch ended (the succeeded lines, the others). A cancel (here, or
 * written to the record by another instance and read at the runner's next write) stops starting
 * requests and ends the running ones (their upstream calls are aborted: `canceled`,
 * `interrupted`); what never ran is `canceled`, written as the index it starts from
 * (BatchRecord.notStarted), its lines made up when read. A batch whose runner stopped (its
 * instance went away) ends when its record is a minute old, counted from its stored lines: a
 * request without one (its chunk had not ended) is `expired`, as are the requests not started
 * within a day, and those a shutdown of this instance interrupts. Long work (an input file's
 * lines, the sizes of lines made up) is done in slices with the event loop turning between them.
 * @see spec/server/batches.spec.ts
 */
export class Batches {
  private readonly runs = new Map<string, BatchRun>();
  /** `server.max_running_batches` and its share per principal, taken by a create before its records are written. */
  private readonly slots = new BatchSlots();
  /** Batches with requests still to start, taken in turn. */
  private readonly queue: BatchRun[] = [];
  private active = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The next turn's pump, when one is due (pumpSoon). */
  private pumping: NodeJS.Immediate | undefined;
  private closed = false;
  /** Told when the last running request ended (drain). */
  private idle: (() => void) | undefined;
  private readonly now: () => number;
  private readonly maxBatches: number;
  private readonly endpoints: (path: string) => BatchEndpoint | undefined;
  private readonly report: ((r: BatchRequestReport) => void) | undefined;
  private readonly trace: BatchOptions['trace'];
  private readonly ended: BatchOptions['ended'];
  /** Requests of batches that ended here, by outcome (the metrics' counter). */
  readonly outcomes = new Map<BatchOutcome['type'], number>();

  constructor(private readonly runtime: () => Runtime, private readonly budgets: BatchBudgets, options: BatchOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxBatches = options.maxBatches ?? MAX_BATCHES;
    this.endpoints = options.endpoints ?? (() => undefined);
    this.report = options.report;
    this.trace = options.trace;
    this.ended = options.ended;
  }

  /** Batches running on this instance. */
  get running(): number {
    return this.runs.size;
  }

  /** Whether a batch that began on `runtime` runs here (its records are in that runtime's store). */
  runsOn(runtime: Runtime): boolean {
    return [...this.runs.values()].some((run) => run.runtime === runtime);
  }

  /** Requests of batches running now. */
  get requestsRunning(): number {
    return this.active;
  }

  async create(call: BatchCreate): Promise<unknown> {
    const runtime = this.runtime();
    const server = runtime.config.server;
    if (server.batch_concurrency === 0) throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', 'batches are switched off on this server (server.batch_concurrency: 0)');
    if (this.closed) throw new LipError('LIP_ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down');
    const responses = storedResponses(runtime.continuity, call.principal);
    const files = call.routes.files !== undefined ? new BatchFileStore(call.routes.files, responses) : call.routes.inputFiles?.(responses);
    const prepared = await call.routes.prepare(call.body, server.max_batch_requests, files, call.params ?? {});
    const endpoint = this.endpoints(prepared.endpoint);
    if (endpoint === undefined) {
      throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `endpoint: ${prepared.endpoint} is not served by this server (its protocol is switched off in frontends)`, { param: 'endpoint' });
    }
    const failed = prepared.failed !== undefined;
    const release = failed ? () => undefined : this.slots.take(call.principal, { max: server.max_running_batches, perPrincipal: server.max_running_batches_per_principal });
    try {
      return await this.start(call, runtime, responses, endpoint, prepared, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  /** The rest of `create`, holding the batch's slot (`release` gives it back when the batch has ended). */
  private async start(call: BatchCreate, runtime: Runtime, responses: StoredResponses, endpoint: BatchEndpoint, prepared: PreparedBatch, release: () => void): Promise<unknown> {
    const failed = prepared.failed !== undefined;
    this.budgets.check(call.key);
    const now = this.now();
    const requests = failed ? [] : prepared.requests;
    const record: BatchRecord = {
      id: randomId(call.routes.idPrefix, 24), frontend: call.frontend.id, status: failed ? 'ended' : 'in_progress',
      counts: { processing: requests.length, succeeded: 0, errored: 0, canceled: 0, expired: 0 }, usage: { input: 0, output: 0, cacheRead: 0, reasoning: 0 },
      createdAt: now, expiresAt: now + BATCH_EXPIRY_MS, endedAt: failed ? now : undefined, cancelInitiatedAt: undefined, heartbeat: now, total: requests.length,
      fields: prepared.fields ?? {}, failed: prepared.failed, outputFileId: undefined, errorFileId: undefined,
      ...(prepared.resultsExpireAfterMs !== undefined ? { resultsExpireAfterMs: prepared.resultsExpireAfterMs } : {}),
    };
    const customIds = requests.map((r) => r.customId);
    await responses.exclusive(indexKey(responses), async () => {
      const index = await readIndex(responses);
      // A batch is gone from the store a day (its longest run) and continuity.ttl after it was made.
      const gone = now - BATCH_EXPIRY_MS - runtime.config.continuity.ttl;
      index.entries = index.entries.filter((e) => e.createdAt > gone);
      if (index.entries.length >= this.maxBatches) {
        throw new LipError('LIP_ERR_REQUEST_LIMIT_EXCEEDED', `this caller keeps ${this.maxBatches} batches already (ended ones are kept for continuity.ttl); delete ended ones first`, { param: 'requests' });
      }
      for (let k = 0; k * BATCH_CHUNK < customIds.length; k++) saveChunk(responses, record.id, k, { ids: customIds.slice(k * BATCH_CHUNK, (k + 1) * BATCH_CHUNK) });
      saveRecord(responses, record);
      saveIndex(responses, index.id, [{ id: record.id, createdAt: now, frontend: record.frontend }, ...index.entries]);
    });
    await runtime.continuity.persisted?.();
    if (!failed) {
      const run = new BatchRun(record, call, endpoint, prepared.endpoint, runtime, responses, customIds, requests.map((r) => r.body), requests.map((r) => r.key ?? r.customId));
      run.savedAt = now;
      run.listedAt = now;
      run.release = release;
      this.runs.set(record.id, run);
      this.queue.push(run);
      this.heartbeats();
      this.pump();
    }
    return call.routes.object(viewOf(record), resultsUrl(call, record.id));
  }

  async retrieve(call: BatchCall, id: string): Promise<unknown> {
    const record = await this.current(call, id);
    const view = this.view(record);
    if (view.status !== 'ended' || call.routes.inlineResults?.(view) !== true) return call.routes.object(view, resultsUrl(call, id));
    // Its results in the object (Gemini's inlined responses), once it ended.
    const lines: unknown[] = [];
    await this.eachLine(call.routes, storedResponses(this.runtime().continuity, call.principal), record, undefined, (line) => { lines.push(line); });
    return call.routes.object(view, resultsUrl(call, id), lines);
  }

  /**
   * A page of the caller's batches of this protocol, newest first: after `afterId` (older ones),
   * or the `limit` just before `beforeId` (newer ones), none for a cursor the list does not hold.
   * The caller's list holds every protocol's batches: they are told apart before paging (by the
   * entry, or for one written before entries named their protocol by its record), so that a
   * page and `has_more` count only this protocol's.
   */
  async list(call: BatchCall, query: URLSearchParams): Promise<unknown> {
    const { limit, beforeId, afterId } = call.routes.listQuery(query);
    const responses = storedResponses(this.runtime().continuity, call.principal);
    const { entries } = await readIndex(responses);
    const mine = async (entry: IndexEntry): Promise<BatchRecord | undefined> => {
      if (entry.frontend !== undefined && entry.frontend !== call.frontend.id) return undefined;
      const stored = this.runs.get(entry.id)?.record ?? await loadRecord(responses, entry.id);
      return stored?.frontend === call.frontend.id ? stored : undefined;
    };
    const cursor = afterId ?? beforeId;
    const at = cursor === undefined ? -1 : entries.findIndex((e) => e.id === cursor);
    // Older ones are walked from the cursor down, newer ones from it up (and put back in order).
    const step = afterId === undefined && beforeId !== undefined ? -1 : 1;
    const records: BatchRecord[] = [];
    let hasMore = false;
    for (let i = at + step; (cursor === undefined || at !== -1) && i >= 0 && i < entries.length; i += step) {
      const stored = await mine(entries[i]!);
      if (stored === undefined) continue;
      if (records.length === limit) {
        hasMore = true;
        break;
      }
      records.push(stored);
    }
    if (step === -1) records.reverse();
    const objects: unknown[] = [];
    const ids: string[] = [];
    for (const stored of records) {
      const record = await this.orphaned(call.routes, responses, stored);
      objects.push(call.routes.object(this.view(record), resultsUrl(call, record.id)));
      ids.push(record.id);
    }
    return call.routes.list(objects, ids[0], ids[ids.length - 1], hasMore);
  }

  async cancel(call: BatchCall, id: string): Promise<unknown> {
    const local = this.local(call, id);
    if (local !== undefined) {
      this.stop(local, 'canceled');
      return this.cancelAnswer(call, viewOf(local.record), id);
    }
    // A batch whose runner went away has ended (its files made) before the lock is taken.
    await this.current(call, id);
    const runtime = this.runtime();
    const responses = storedResponses(runtime.continuity, call.principal);
    const answer = await responses.exclusive(recordKey(id), async () => {
      const record = await this.find(call, id);
      const view = this.view(record);
      if (view.status !== 'in_progress') return view;
      // Its runner is another instance: it reads the cancel at its next write.
      const changed: BatchRecord = { ...record, status: 'canceling', cancelInitiatedAt: this.now() };
      saveRecord(responses, changed);
      return viewOf(changed);
    });
    await runtime.continuity.persisted?.();
    return this.cancelAnswer(call, answer, id);
  }

  private cancelAnswer(call: BatchCall, view: BatchView, id: string): unknown {
    return call.routes.cancelled !== undefined ? call.routes.cancelled(view) : call.routes.object(view, resultsUrl(call, id));
  }

  async delete(call: BatchCall, id: string): Promise<unknown> {
    const runtime = this.runtime();
    const responses = storedResponses(runtime.continuity, call.principal);
    const record = await this.current(call, id);
    if (this.view(record).status !== 'ended') {
      throw new LipError('LIP_ERR_REQUEST_INVALID', `batch ${id} is still processing; cancel it and delete it once it has ended`, { param: call.routes.idParam });
    }
    // Ended here a moment ago: its last records (its list's entry too) are written first, or they would bring it back.
    await this.runs.get(id)?.done;
    await responses.exclusive(indexKey(responses), async () => {
      const index = await readIndex(responses);
      for (let k = 0; k * BATCH_CHUNK < record.total; k++) await dropped(responses.delete(chunkId(id, k)));
      await dropped(responses.delete(id));
      saveIndex(responses, index.id, index.entries.filter((e) => e.id !== id));
    });
    await runtime.continuity.persisted?.();
    return call.routes.deleted?.(id);
  }

  /** Writes the results of an ended batch, one line per request in their order; a 400 before it ended. */
  async results(call: BatchCall, id: string, res: ServerResponse): Promise<void> {
    const record = await this.current(call, id);
    const view = this.view(record);
    if (view.status !== 'ended') {
      throw new LipError('LIP_ERR_REQUEST_INVALID', `batch ${id} has not ended (processing_status: ${view.status}); its results are there once it has`, { param: call.routes.idParam });
    }
    res.writeHead(200, { 'content-type': call.routes.resultsFile?.contentType ?? call.routes.resultsContentType ?? 'application/x-jsonl', 'cache-control': 'no-store' });
    await this.writeLines(call.routes, storedResponses(this.runtime().continuity, call.principal), record, undefined, res);
  }

  /**
   * Writes the lines of one of a batch's results' files (`kind`: the succeeded lines, or the
   * others) to `res`, whose headers are sent; the batch is the caller's (the file's record names it).
   */
  async writeFile(routes: BatchRoutes, responses: StoredResponses, batchId: string, kind: BatchFileKind, res: ServerResponse): Promise<void> {
    const record = await loadRecord(responses, batchId);
    if (record === undefined) return void res.end();
    await this.writeLines(routes, responses, record, kind, res);
  }

  /** The lines of `record`'s results in request order (of one kind, or all), chunk by chunk, with backpressure. */
  private async writeLines(routes: BatchRoutes, responses: StoredResponses, record: BatchRecord, kind: BatchFileKind | undefined, res: ServerResponse): Promise<void> {
    let text = '';
    const flush = async () => {
      if (res.destroyed) return false;
      if (text !== '' && !res.write(text)) {
        // Whichever comes first; the other listener goes (a stall per chunk would leave one each).
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.once('drain', done);
          res.once('close', done);
        });
      }
      text = '';
      return true;
    };
    const whole = await this.eachLine(routes, responses, record, kind, (line) => { text += `${JSON.stringify(line)}\n`; }, flush);
    if (whole) res.end();
  }

  /**
   * Tells `line` each line of `record`'s results in request order (of one kind, or all) and its
   * outcome, and `chunkDone` after each chunk (false: stop); false when stopped.
   */
  private async eachLine(routes: BatchRoutes, responses: StoredResponses, record: BatchRecord, kind: BatchFileKind | undefined, line: (l: unknown, type: BatchOutcome['type']) => void, chunkDone?: () => Promise<boolean>): Promise<boolean> {
    // A request without a result line never started (BatchRecord.notStarted), or ran on an instance that stopped (it expired).
    const notStarted = record.notStarted;
    const never: BatchOutcome | undefined = notStarted === undefined ? undefined : { type: notStarted.type };
    const missing: BatchOutcome = { type: 'expired' };
    const slices = new WorkSlices();
    for (let k = 0; k * BATCH_CHUNK < record.total; k++) {
      const chunk = await loadChunk(responses, record.id, k);
      if (chunk === undefined) continue;
      for (let i = 0; i < chunk.ids.length; i++) {
        if (slices.due()) await slices.pause();
        const outcome = never !== undefined && k * BATCH_CHUNK + i >= notStarted!.from ? never : missing;
        const type = chunk.types?.[i] ?? outcome.type;
        if (kind !== undefined && (type === 'succeeded') !== (kind === 'output')) continue;
        line(chunk.lines?.[i] ?? routes.result(chunk.ids[i]!, outcome, record.fields), type);
      }
      if (chunkDone !== undefined && !(await chunkDone())) return false;
    }
    return true;
  }

  /** No request of a batch starts any more (nor does a batch); resolves when none runs, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    this.closed = true;
    if (this.active === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.idle = resolve;
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    clearTimeout(timer);
    this.idle = undefined;
  }

  /**
   * This instance stops: no request of a batch starts any more, the running ones are ended, and
   * each batch ends with what had not ended `expired`, written before this resolves.
   */
  async shutdown(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const runs = [...this.runs.values()];
    for (const run of runs) this.stop(run, 'expired');
    await Promise.all(runs.map((run) => run.done));
  }

  /** The caller's batch `id` of this protocol when it runs here. */
  private local(call: BatchCall, id: string): BatchRun | undefined {
    const run = this.runs.get(id);
    return run !== undefined && run.call.principal === call.principal && run.record.frontend === call.frontend.id ? run : undefined;
  }

  /** The caller's batch `id` of this protocol: the one running here, else its record; the 404 otherwise. */
  private async find(call: BatchCall, id: string): Promise<BatchRecord> {
    const local = this.local(call, id);
    if (local !== undefined) return local.record;
    const record = id.startsWith(call.routes.idPrefix) ? await loadRecord(storedResponses(this.runtime().continuity, call.principal), id) : undefined;
    if (record === undefined || record.frontend !== call.frontend.id) {
      throw new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', `no batch with id ${id}`, { param: call.routes.idParam });
    }
    return record;
  }

  /** The caller's batch `id` of this protocol as it is now (`orphaned`); the 404 otherwise. */
  private async current(call: BatchCall, id: string): Promise<BatchRecord> {
    return this.orphaned(call.routes, storedResponses(this.runtime().continuity, call.principal), await this.find(call, id));
  }

  /**
   * `record`, or when its runner went away (it runs elsewhere and was not written for
   * BATCH_ORPHANED_MS) the record of its end, made once under its lock by the first instance
   * that sees it: its counts those of its stored lines (a request without one expired), its
   * results' files made (a protocol with files) from them, and saved.
   */
  private async orphaned(routes: BatchRoutes, responses: StoredResponses, record: BatchRecord): Promise<BatchRecord> {
    if (!this.isOrphan(record)) return record;
    const ended = await responses.exclusive(recordKey(record.id), async () => {
      const stored = await loadRecord(responses, record.id);
      // Ended meanwhile by another instance (or its runner wrote again): as it is.
      if (stored === undefined || !this.isOrphan(stored)) return stored ?? record;
      // Counted from its stored lines, not taken from the record (written at most once a second,
      // while a chunk's lines are written once all its requests ended): what has no line expired.
      const counts: Counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
      const bytes = { output: 0, error: 0 };
      const files = routes.files?.resultsPurpose !== undefined ? routes.files : undefined;
      await this.eachLine(routes, responses, stored, undefined, (line, type) => {
        counts[type]++;
        if (files !== undefined) bytes[type === 'succeeded' ? 'output' : 'error'] += Buffer.byteLength(JSON.stringify(line)) + 1;
      });
      counts.expired += stored.total - counts.succeeded - counts.errored - counts.canceled - counts.expired;
      const end: BatchRecord = { ...stored, status: 'ended', endedAt: stored.heartbeat, counts };
      if (files !== undefined) {
        const ttl = this.runtime().config.continuity.ttl;
        const made = await new BatchFileStore(files, responses).saveResults(end.id, bytes, this.now(), Math.min(end.resultsExpireAfterMs ?? ttl, ttl));
        end.outputFileId = made.output;
        end.errorFileId = made.error;
      }
      saveRecord(responses, end);
      return end;
    });
    await this.runtime().continuity.persisted?.();
    return ended;
  }

  /** Whether `record` runs elsewhere and its runner stopped writing it: it has ended. */
  private isOrphan(record: BatchRecord): boolean {
    return record.status !== 'ended' && !this.runs.has(record.id) && this.now() - record.heartbeat >= BATCH_ORPHANED_MS;
  }

  /**
   * A batch as it is now: one running elsewhere whose runner stopped writing has ended (with the
   * counts its record had: callers view a record `orphaned` has ended already, recounted).
   */
  private view(record: BatchRecord): BatchView {
    if (!this.isOrphan(record)) return viewOf(record);
    const c = record.counts;
    return viewOf({ ...record, status: 'ended', endedAt: record.heartbeat, counts: { ...c, processing: 0, expired: c.expired + c.processing } });
  }

  /** Starts requests while fewer than `server.batch_concurrency` run, from each batch in turn. */
  private pump(): void {
    const limit = this.runtime().config.server.batch_concurrency;
    while (this.active < limit && this.queue.length > 0) {
      const run = this.queue.shift()!;
      if (run.stopped !== undefined || run.next >= run.record.total) continue;
      if (this.now() >= run.record.expiresAt) {
        this.stop(run, 'expired');
        continue;
      }
      const index = run.next++;
      if (run.next < run.record.total) this.queue.push(run);
      this.active++;
      run.active++;
      void this.runRequest(run, index).finally(() => {
        this.active--;
        run.active--;
        this.settle(run);
        if (!this.closed) this.pumpSoon();
        else if (this.active === 0) this.idle?.();
      });
    }
  }

  /**
   * Starts requests at the event loop's next turn, once for all that ended meanwhile. A request
   * that ends without waiting (a cached answer, a local backend) would otherwise start the next
   * in the same turn, and a large batch would run to its end with no timer or I/O in between:
   * no other request served, and no record written while the store's queue overflows.
   */
  private pumpSoon(): void {
    if (this.pumping !== undefined) return;
    this.pumping = setImmediate(() => {
      this.pumping = undefined;
      if (!this.closed) this.pump();
    });
  }

  /** Runs request `index` of `run` and keeps its result line. Never rejects. */
  private async runRequest(run: BatchRun, index: number): Promise<void> {
    const body = run.bodies[index];
    run.bodies[index] = undefined;
    const requestId = `${run.record.id}/${run.keys[index]!}`;
    const meta: ExecutionMeta = {};
    const started = performance.now();
    const trace = this.trace?.(run.call.headers);
    trace?.setName(`POST ${run.path}`);
    const exchange: BatchExchange = {};
    const outcome = await this.execute(run, requestId, index, body, meta, trace, exchange).catch((raw: unknown) => errored(run.endpoint.frontend, reportInternalError('batch.request', raw, requestId), requestId));
    this.count(run, outcome.type);
    const status = outcome.type === 'succeeded' ? 200 : outcome.type === 'errored' ? outcome.status : 499;
    const errorCode = outcome.type === 'errored' ? outcome.code : undefined;
    // A request that ran (not one a cancel ended before it started) is reported.
    const ran = outcome.type === 'succeeded' || outcome.type === 'errored' || meta.attempts !== undefined;
    if (trace !== undefined) {
      trace.setAttributes({
        'lip.request_id': requestId, 'lip.batch_id': run.record.id, 'lip.frontend': run.endpoint.frontend.id, 'gen_ai.request.model': modelOf(body),
        'lip.served': meta.candidateKey, 'lip.selector_source': meta.selectorSource, 'lip.attempts': meta.attempts ?? 0, 'lip.principal': run.call.principal, 'lip.batch_outcome': outcome.type,
      });
      trace.end(status, errorCode);
    }
    if (this.report !== undefined && ran) {
      try {
        this.report({
          requestId, batchId: run.record.id, endpoint: run.path, frontend: run.endpoint.frontend.id, principal: run.call.principal, keyId: run.call.key?.id, model: modelOf(body),
          status, errorCode, durationMs: performance.now() - started, meta, traceId: trace?.traceId,
        });
      } catch (raw) {
        reportInternalError('batch.report', raw, requestId);
      }
    }
    // Recorded like the request it is (a generation's, or an embeddings request's).
    const recorder = this.runtime().recorder;
    if (recorder !== undefined) {
      try {
        if (ran) {
          recorder.finishBatchRequest({ requestId, startedAt: started, errorCode, keyId: run.call.key?.id }, run.path, requestHeaders(run.call.headers), status, {
            frontend: run.endpoint.frontend.id, principal: run.call.principal, meta, ...(exchange.aLeg ? { aLeg: exchange.aLeg } : {}),
          });
        } else {
          recorder.discard(requestId);
        }
      } catch (raw) {
        reportInternalError('batch.record', raw, requestId);
      }
    }
    let line: unknown;
    try {
      line = run.call.routes.result(run.customIds[index]!, outcome, run.record.fields);
    } catch (raw) {
      line = run.call.routes.result(run.customIds[index]!, errored(run.endpoint.frontend, reportInternalError('batch.result', raw, requestId), requestId), run.record.fields);
    }
    run.ended(index, line, outcome.type, this.now());
  }

  private count(run: BatchRun, type: BatchOutcome['type'], n = 1): void {
    run.record.counts.processing -= n;
    run.record.counts[type] += n;
    run.dirty = true;
    this.outcomes.set(type, (this.outcomes.get(type) ?? 0) + n);
  }

  /** An embeddings request: embedded by its route's candidates, answered as its protocol answers it. */
  private async embed(run: BatchRun, requestId: string, index: number, body: unknown, route: EmbeddingsRoute, meta: ExecutionMeta, exchange: BatchExchange, trace: RequestTrace | undefined): Promise<BatchOutcome> {
    if (run.stopped !== undefined) return { type: run.stopped };
    let key: ApiKeyConfig | undefined;
    try {
      key = currentKey(run.call.key, this.runtime().config.auth.api_keys);
      this.budgets.check(key);
    } catch (err) {
      return errored(run.endpoint.frontend, toLipError(err), requestId);
    }
    const gone = new AbortController();
    // A cancel of the batch ends it: the abort ends its upstream request.
    run.running.set(index, () => gone.abort());
    try {
      const runtime = this.runtime();
      const state: { backend?: string } = {};
      const answered = await embedBody(body, {
        route, params: run.endpoint.params ?? {}, runtime, signal: gone.signal, state, headers: run.call.headers, routeHeader: undefined, requestId, principal: run.call.principal,
        ...(key !== undefined ? { keyId: key.id } : {}), allow: candidateAllow(key),
        meta, trail: runtime.recorder?.embeddings(requestId, body), onALeg: (aLeg) => { exchange.aLeg = aLeg; }, trace,
      });
      run.record.usage.input += answered.usage.inputTokens;
      // An answer from the response cache spent nothing.
      if (answered.cache !== 'hit') {
        meta.usage = { inputTokens: answered.usage.inputTokens };
        if (answered.usage.estimated) meta.estimated = true;
        if (answered.cost !== undefined) meta.cost = answered.cost;
        this.budgets.charge(key, answered.cost, answered.usage.inputTokens);
      }
      return { type: 'succeeded', body: answered.answer, requestId };
    } catch (err) {
      if (gone.signal.aborted) return { type: run.stopped ?? 'canceled', interrupted: true };
      return errored(run.endpoint.frontend, toLipError(err), requestId);
    } finally {
      run.running.delete(index);
    }
  }

  /** One request: decoded, checked, executed and answered as its protocol answers a non-streamed request. */
  /** `exchange` is told the A-leg the request ran in. */
  private async execute(run: BatchRun, requestId: string, index: number, raw: unknown, meta: ExecutionMeta, trace: RequestTrace | undefined, exchange: BatchExchange): Promise<BatchOutcome> {
    const endpoint = run.endpoint;
    try {
      // Before anything reads the body: a resume token in it is taken out and refused.
      refuseBodyToken(raw);
    } catch (err) {
      return errored(endpoint.frontend, toLipError(err), requestId);
    }
    if ('embeddings' in endpoint) return this.embed(run, requestId, index, raw, endpoint.embeddings, meta, exchange, trace);
    const { call } = run;
    const { frontend, route } = endpoint;
    const runtime = this.runtime();
    let context: EncodeContext;
    let key: ApiKeyConfig | undefined;
    try {
      if (run.stopped !== undefined) return { type: run.stopped };
      key = currentKey(call.key, runtime.config.auth.api_keys);
      this.budgets.check(key);
      // What the body names instead of carrying (a Responses item_reference), from the caller's stored responses.
      const params = endpoint.params ?? {};
      const resolving = route.resolveReferences?.(raw, run.responses, params);
      const body = resolving === undefined ? raw : await resolving;
      runtime.extensions?.observeRawBody(body, { requestId, principal: call.principal, frontendId: frontend.id });
      const decoded = route.decode(body, { params, query: new URLSearchParams(), headers: call.headers });
      if (decoded.call.stream) throw new LipError('LIP_ERR_REQUEST_INVALID', 'stream: a request of a batch cannot stream', { param: 'stream' });
      if (decoded.continuation?.background === true) throw new LipError('LIP_ERR_REQUEST_INVALID', 'background: a request of a batch already runs in the background', { param: 'background' });
      if (decoded.continuation?.conversation !== undefined) throw new LipError('LIP_ERR_REQUEST_INVALID', 'conversation: a request of a batch cannot add a turn to a conversation', { param: 'conversation' });
      // A request continuing a stored response (`previous_response_id`, an Anthropic thread) has its turns first.
      const conversation = await continuedConversation(runtime, decoded, call.principal, frontend);
      const { call: canonical, continuation } = inConversation(decoded.call, decoded.continuation, conversation);
      checkCall(canonical, decoded, frontend, body);
      const session = { principal: call.principal, ...(conversation?.aLegId !== undefined ? { continuedALegId: conversation.aLegId } : {}) };
      const prepared = runtime.sessions.prepare(session);
      if (prepared) await prepared;
      if (run.stopped !== undefined) return { type: run.stopped };
      const grant = runtime.sessions.open(session);
      exchange.aLeg = grant.aLeg;
      // A new conversation without a record (continuity.lineage: conversations) gets one when its response is stored.
      let pendingALeg = grant.pending;
      if (pendingALeg !== undefined && decoded.continuation?.store === true) {
        pendingALeg.store();
        pendingALeg = undefined;
      }
      const startedAt = this.now();
      context = {
        // The slot served-model.ts fills per answer (a copy that only sets it is cheap; see there).
        call: canonical, model: undefined, hints: decoded.hints ?? {}, requestId, created: Math.floor(startedAt / 1000),
        ...(continuation ? { continuation, responseId: randomId(continuation.idPrefix ?? 'resp_', 48), now: settledClock(this.now) } : {}),
      };
      const response = await new Promise<CollectedResponse | undefined>((resolve, reject) => {
        const subscription = runtime.executor.execute(canonical, {
          requestId, meta, principal: call.principal, keyId: key?.id, allow: candidateAllow(key), aLeg: grant.aLeg, ...(pendingALeg ? { pendingALeg } : {}),
          frontendId: frontend.id, trace, cancelReason: () => run.stopped === undefined ? undefined : `the batch was ${run.stopped === 'canceled' ? 'cancelled' : 'stopped'}`,
        }).pipe(collect()).subscribe({ next: resolve, error: reject, complete: () => resolve(undefined) });
        // A cancel of the batch ends it: unsubscribing aborts its upstream request.
        run.running.set(index, () => {
          subscription.unsubscribe();
          resolve(undefined);
        });
      }).finally(() => run.running.delete(index));
      // Ended by the batch's end while it ran: its upstream call was made (or under way) and aborted.
      if (response === undefined) return { type: run.stopped ?? 'canceled', interrupted: true };
      if (response.error !== undefined) throw new LipError('LIP_ERR_UPSTREAM_STREAM_ERROR', response.error.message, { status: response.error.status ?? 502 });
      // A stored response (Responses `store`, the default; an Anthropic thread) is kept as its endpoint keeps it.
      const c = continuation;
      if (c?.store === true && context.responseId !== undefined) {
        const named = runtime.config.routing.echo_requested_model ? canonical.model : servedModel(response.model, meta.candidateKey, canonical.model);
        runtime.continuity.saveResponse({
          id: context.responseId, principal: call.principal, aLegId: grant.aLeg.aLegId, sessionId: grant.aLeg.sessionId, model: named, createdAt: startedAt,
          input: c.input ?? decoded.call.messages, output: response,
          ...(c.previousResponseId !== undefined ? { previousResponseId: c.previousResponseId } : {}),
          // The second it completed, the one its output line shows (settledClock).
          ...(c.echo !== undefined ? { echo: { ...c.echo, completed_at: context.now!() } } : {}),
        });
        // Listed as its endpoint lists it (a stored chat completion), before the request counts as done.
        if (route.listStored) {
          await route.listStored({ id: context.responseId, model: named, createdAt: startedAt, echo: c.echo }, run.responses, runtime.config.continuity.ttl)
            .catch((err: unknown) => { reportInternalError('stored.list', err, requestId); });
        }
      }
      const u = response.usage;
      if (u !== undefined) {
        const usage = run.record.usage;
        usage.input += u.inputTokens ?? 0;
        usage.output += u.outputTokens ?? 0;
        usage.cacheRead += u.cacheReadTokens ?? 0;
        usage.reasoning += u.reasoningTokens ?? 0;
      }
      return { type: 'succeeded', body: route.encodeResponse(response, wholeContext(context, response, meta.candidateKey, runtime.config.routing.echo_requested_model)), requestId };
    } catch (err) {
      return errored(frontend, toLipError(err), requestId);
    } finally {
      const usage = meta.usage;
      this.budgets.charge(key, meta.cost, (usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0));
    }
  }

  /** Stops starting `run`'s requests and ends those running. */
  private stop(run: BatchRun, why: 'canceled' | 'expired'): void {
    // Stopped already, or ending (its last records being written): nothing to stop.
    if (run.stopped !== undefined || run.ending !== undefined) return;
    run.stopped = why;
    if (why === 'canceled') {
      run.record.status = 'canceling';
      run.record.cancelInitiatedAt ??= this.now();
      run.dirty = true;
    }
    for (const end of [...run.running.values()]) end();
    this.settle(run);
  }

  /** Ends `run` once it starts no more requests and none runs: its last records, and its results' files. */
  private settle(run: BatchRun): void {
    if (run.ending !== undefined || (run.stopped === undefined && run.next < run.record.total)) return;
    if (run.stopped !== undefined && run.next < run.record.total) {
      // The requests never started are cancelled or expired with the batch: counted, and said so
      // in its record, their lines made up when read (a line each here took seconds for 100,000).
      this.count(run, run.stopped, run.record.total - run.next);
      run.record.notStarted = { from: run.next, type: run.stopped };
      run.skip(run.next, this.now());
      run.next = run.record.total;
    }
    if (run.active > 0) return;
    const endedAt = this.now();
    run.ending = this.files(run).then(() => {
      // Ended once its results' files are made: an object that says it ended names them.
      run.record.status = 'ended';
      run.record.endedAt = endedAt;
    }).then(() => this.refresh(run, endedAt - SAVE_EVERY_MS)).then(() => this.write(run)).then(async () => {
      await run.runtime.continuity.persisted?.();
    }).catch((raw: unknown) => { reportInternalError('batch.end', raw, run.record.id); }).finally(() => {
      run.finished();
      run.release();
      this.runs.delete(run.record.id);
      if (this.runs.size === 0 && this.timer !== undefined) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
      try {
        this.ended?.();
      } catch (raw) {
        reportInternalError('batch.ended', raw, run.record.id);
      }
    });
  }

  /**
   * Writes again what of `run` was written before `before` and must last as long as its record:
   * its result chunks, and (once it ended) its caller's list of batches, with it back in it if
   * the list went meanwhile (a batch runs up to a day, the list lasts continuity.ttl).
   */
  private async refresh(run: BatchRun, before: number): Promise<void> {
    await run.rewrite(before, this.now());
    if (run.record.status !== 'ended') return;
    await this.relist(run);
  }

  /** Writes `run`'s caller's list again (it lasts continuity.ttl from its last write), putting `run` back in it, by creation time, when it is not there. */
  private async relist(run: BatchRun): Promise<void> {
    const responses = run.responses;
    run.listedAt = this.now();
    await responses.exclusive(indexKey(responses), async () => {
      const index = await readIndex(responses);
      const { id, createdAt, frontend } = run.record;
      if (!index.entries.some((e) => e.id === id)) {
        const at = index.entries.findIndex((e) => e.createdAt < createdAt);
        index.entries.splice(at === -1 ? index.entries.length : at, 0, { id, createdAt, frontend });
      }
      saveIndex(responses, index.id, index.entries);
    });
  }

  /** A protocol with files gets the ended batch's results as files: the succeeded lines, and the others. */
  private async files(run: BatchRun): Promise<void> {
    const routes = run.call.routes.files;
    if (routes?.resultsPurpose === undefined) return;
    const store = new BatchFileStore(routes, run.responses);
    const skipped = run.record.notStarted;
    if (skipped !== undefined) {
      // The error file's size counts the lines of what never started, as they will be made up.
      const never: BatchOutcome = { type: skipped.type };
      const slices = new WorkSlices();
      for (let i = skipped.from; i < run.record.total; i++) {
        if (slices.due()) await slices.pause();
        run.bytes.error += Buffer.byteLength(JSON.stringify(run.call.routes.result(run.customIds[i]!, never, run.record.fields))) + 1;
      }
    }
    const ttl = this.runtime().config.continuity.ttl;
    const made = await store.saveResults(run.record.id, run.bytes, this.now(), Math.min(run.record.resultsExpireAfterMs ?? ttl, ttl));
    run.record.outputFileId = made.output;
    run.record.errorFileId = made.error;
  }

  /** While batches run here, their records are written every BATCH_HEARTBEAT_MS (and a second after their requests end). */
  private heartbeats(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.tick(), SAVE_EVERY_MS);
    this.timer.unref();
  }

  /**
   * The timer's turn: writes the records of the batches running here that are due (and, in a
   * batch running longer than half of `continuity.ttl`, its older result chunks and its caller's
   * list again), ends those past their day, and starts requests if a reload raised `server.batch_concurrency`.
   */
  tick(): Promise<void> {
    const now = this.now();
    const writes: Promise<void>[] = [];
    const half = this.runtime().config.continuity.ttl / 2;
    for (const run of [...this.runs.values()]) {
      if (run.stopped === undefined && now >= run.record.expiresAt) this.stop(run, 'expired');
      if (run.ending === undefined && run.writtenAt.some((at) => at !== 0 && at < now - half)) {
        writes.push(run.rewrite(now - half, now).catch((raw: unknown) => { reportInternalError('batch.rewrite', raw, run.record.id); }));
      }
      if (run.ending === undefined && run.listedAt < now - half) {
        writes.push(this.relist(run).catch((raw: unknown) => { reportInternalError('batch.relist', raw, run.record.id); }));
      }
      if (run.ending === undefined && (now - run.savedAt >= BATCH_HEARTBEAT_MS || (run.dirty && now - run.savedAt >= SAVE_EVERY_MS))) {
        writes.push(this.write(run).catch((raw: unknown) => { reportInternalError('batch.write', raw, run.record.id); }));
      }
    }
    if (!this.closed) this.pump();
    return Promise.all(writes).then(() => undefined);
  }

  /** Writes `run`'s record, and takes in a cancel another instance wrote to it meanwhile. */
  private async write(run: BatchRun): Promise<void> {
    const responses = run.responses;
    run.dirty = false;
    run.savedAt = this.now();
    await responses.exclusive(recordKey(run.record.id), async () => {
      if (run.record.status !== 'ended' && run.stopped === undefined) {
        const stored = await loadRecord(responses, run.record.id);
        if (stored?.cancelInitiatedAt !== undefined) {
          run.record.cancelInitiatedAt = stored.cancelInitiatedAt;
          this.stop(run, 'canceled');
          // Ended by the stop (nothing was running): its ending writes the record.
          if ((run.record.status as BatchView['status']) === 'ended') return;
        }
      }
      run.record.heartbeat = this.now();
      saveRecord(responses, run.record);
    });
  }
}

function viewOf(r: BatchRecord): BatchView {
  return {
    id: r.id, status: r.status, counts: { ...r.counts }, createdAt: r.createdAt, expiresAt: r.expiresAt, endedAt: r.endedAt, cancelInitiatedAt: r.cancelInitiatedAt,
    total: r.total, fields: r.fields, failed: r.failed, usage: { ...r.usage }, outputFileId: r.outputFileId, errorFileId: r.errorFileId,
  };
}

function resultsUrl(call: BatchCall, id: string): string {
  return `${call.origin}${call.routes.path}/${id}/results`;
}

/**
 * The caller's key as the running config has it, read again before each request of a batch: a
 * reload may have narrowed its `allow` or its budget since the batch was made, and those apply to
 * the requests still to run. A key a reload removed (or gave another secret) is no longer valid:
 * each request still to run ends errored with the 401 of an invalid key, its upstream never called.
 */
function currentKey(key: ApiKeyConfig | undefined, keys: readonly ApiKeyConfig[]): ApiKeyConfig | undefined {
  if (key === undefined) return undefined;
  const current = keys.find((k) => k.id === key.id && k.key === key.key);
  if (current === undefined) throw new LipError('LIP_ERR_AUTH_INVALID_KEY', `API key "${key.id}" was revoked after this batch was made (it is no longer one of auth.api_keys)`);
  return current;
}

function errored(frontend: Frontend, err: LipError, requestId: string): BatchOutcome {
  return { type: 'errored', body: frontend.encodeError(err).body, status: err.status, requestId, code: err.code };
}

function modelOf(body: unknown): string | undefined {
  const model = (body as { model?: unknown } | null | undefined)?.model;
  return typeof model === 'string' ? model.slice(0, 256) : undefined;
}

function recordKey(id: string): string {
  return `batch:${id}`;
}

function chunkId(id: string, k: number): string {
  return `${id}/results-${k}`;
}

function saveRecord(responses: StoredResponses, r: BatchRecord): void {
  responses.save({ id: r.id, input: [], output: NOTHING, echo: { [RECORD]: { ...r, counts: { ...r.counts }, usage: { ...r.usage } } }, durable: true });
}

async function loadRecord(responses: StoredResponses, id: string): Promise<BatchRecord | undefined> {
  const r = (await loaded(responses, id))?.echo?.[RECORD] as BatchRecord | undefined;
  if (typeof r !== 'object' || r === null || typeof r.total !== 'number') return undefined;
  return { ...r, counts: { ...r.counts }, usage: { ...{ input: 0, output: 0, cacheRead: 0, reasoning: 0 }, ...r.usage }, fields: r.fields ?? {} };
}

function saveChunk(responses: StoredResponses, id: string, k: number, chunk: ChunkRecord): void {
  responses.save({ id: chunkId(id, k), input: [], output: NOTHING, echo: { [CHUNK_RECORD]: chunk }, durable: true });
}

async function loadChunk(responses: StoredResponses, id: string, k: number): Promise<ChunkRecord | undefined> {
  const c = (await loaded(responses, chunkId(id, k)))?.echo?.[CHUNK_RECORD] as ChunkRecord | undefined;
  return typeof c === 'object' && c !== null && Array.isArray(c.ids) ? c : undefined;
}

/** The caller's list of batches, newest first: a record whose id only that caller's stored responses can hold. */
async function readIndex(responses: StoredResponses): Promise<{ id: string; entries: IndexEntry[] }> {
  const id = derivedId('batches/list-', responses.principal, 32);
  const entries = (await loaded(responses, id))?.echo?.[INDEX];
  return { id, entries: Array.isArray(entries) ? entries as IndexEntry[] : [] };
}

function saveIndex(responses: StoredResponses, id: string, entries: readonly IndexEntry[]): void {
  responses.save({ id, input: [], output: NOTHING, echo: { [INDEX]: entries }, durable: true });
}

function indexKey(responses: StoredResponses): string {
  return `batches:${derivedId('batches/list-', responses.principal, 32)}`;
}
