import { createHash } from 'node:crypto';
import { VirtualTimeScheduler, VirtualAction } from 'rxjs/internal/scheduler/VirtualTimeScheduler';
import type { Observable, Subscription } from 'rxjs';
import { validateCall, type EmbeddingResult, type LipEvent } from '../canonical/index.js';
import type { Backend } from '../backends/backend.js';
import type { Config } from '../config/index.js';
import { candidateAllow } from '../core/candidate-allow.js';
import { embedWithFailover, type AttemptRows } from '../core/embed-failover.js';
import { Executor, type ExecutionMeta } from '../core/execute.js';
import { ResponseCache, type AnswerStore, type CachedAnswer } from '../core/response-cache.js';
import { LipError, toLipError } from '../errors/index.js';
import type { ExtensionHost } from '../extensions/index.js';
import type { EmbeddingsRoute } from '../frontends/protocol.js';
import { FRONTENDS } from '../frontends/registry.js';
import { deadline, failedBodyBytes, parseJson, requestTarget } from '../wire/index.js';
import { compareOutput, normaliseEvents, type OutputDifference } from './compare-output.js';
import type { ExchangeRecord } from './record-format.js';
import { RecordedAttempts, UnrecordedAttempt, type WaitedPast } from './recorded-backend.js';
import { RecordedCircuits } from './recorded-circuits.js';
import { configDigest } from './recorder.js';

/** How one exchange fared in a replay (docs/replay.md lists each). */
export type ReplayState = 'same' | 'route-changed' | 'output-changed' | 'error' | 'unrecorded';

export interface ExchangeResult {
  readonly id: string;
  readonly request_id: string;
  readonly frontend: string;
  readonly state: ReplayState;
  /** The candidate that served then and now (null: none). */
  readonly served: { readonly recorded: string | null; readonly replayed: string | null };
  /** The first client-visible difference (route-changed and output-changed). */
  readonly difference?: OutputDifference;
  /**
   * Candidates the replay opened that the recording never attempted (or attempted fewer times),
   * and those it waited on past their recorded end (these last, and also in `waited_past`).
   */
  readonly unrecorded?: readonly string[];
  /** Of `unrecorded`, the candidates the recording has, but that the replay waited on past their recorded end, each with how it ended there. */
  readonly waited_past?: readonly WaitedPast[];
  /** Why the replay itself failed (`error`). */
  readonly error?: string;
  /** Milliseconds the replayed exchange took: virtual in substitute mode, wall-clock live. */
  readonly virtual_ms: number;
}

export interface ReplayOptions {
  /** The extension host of the replay config (request and stream stages run as when serving). */
  readonly extensions?: ExtensionHost;
  /**
   * Live mode: the configured real backends answer instead of the recording, on the wall
   * clock; an exchange that has not ended after `timeoutMs` is an `error`.
   */
  readonly live?: { readonly backends: ReadonlyMap<string, Backend>; readonly timeoutMs: number };
}

/** Rounds of (flush virtual time, let promises settle) before an exchange counts as stuck. */
const MAX_ROUNDS = 100;

/**
 * Substitute replay of one recorded exchange: the recorded body is decoded again by the
 * current frontend, then run through a real executor whose backends emit the recorded events
 * of the matching attempt at their recorded offsets on virtual time, so budgets, handicaps and
 * races decide again exactly as the recorded timings dictate. The client-visible events (and
 * the terminal error) are compared with the recording after normalising ids and times.
 */
export async function replayExchange(record: ExchangeRecord, config: Config, options: ReplayOptions = {}): Promise<ExchangeResult> {
  try {
    return await replay(record, config, options);
  } catch (err) {
    // A record that passed `parseRecord` still holds data; nothing in it may end the replay.
    return { id: record.id, request_id: record.request_id, frontend: record.frontend, state: 'error', served: { recorded: record.served, replayed: null }, error: String((err as Error)?.message ?? err), virtual_ms: 0 };
  }
}

async function replay(record: ExchangeRecord, config: Config, options: ReplayOptions): Promise<ExchangeResult> {
  const base = { id: record.id, request_id: record.request_id, frontend: record.frontend };
  if (FRONTENDS[record.frontend] !== undefined && !config.frontends.some((f) => f.id === record.frontend && f.enabled)) return frontendOff(record);
  if (record.truncated) return { ...base, state: 'unrecorded', served: { recorded: record.served, replayed: null }, unrecorded: ['(the record was truncated)'], virtual_ms: 0 };
  if (record.redaction_failed) return { ...base, state: 'unrecorded', served: { recorded: record.served, replayed: null }, unrecorded: ['(a part of the record could not be redacted and was masked)'], virtual_ms: 0 };
  if (record.request.body_unread) return unreadBody(record, config);
  const embeddings = embeddingsRouteOf(record);
  if (embeddings !== undefined) return replayEmbeddings(record, config, options, embeddings);
  const recordedOutput = recordedOutputOf(record);
  const live = options.live;
  const scheduler = live ? undefined : new VirtualTimeScheduler(VirtualAction, Infinity);
  const startedAt = Date.now();
  // Recorded events play a fraction of a millisecond ahead of lip's timers (recorded-backend.ts): whole milliseconds are reported.
  const elapsed = () => (scheduler ? Math.ceil(scheduler.now()) : Date.now() - startedAt);
  let settle: (() => void) | undefined;
  const meta: ExecutionMeta = {};
  const events: LipEvent[] = [];
  let failure: string | undefined;
  let done = false;
  let stream = true;
  // Attempts waited on past their recorded end, taken when the replay stops waiting.
  let waitedPast: WaitedPast[] = [];
  let subscription: Subscription | undefined;
  // The client leaves where the recording shows it left (an attempt cut by `client abort` reached
  // its recorded end): what it got by then is its answer, as when it was served.
  const clientLeft = () => {
    done = true;
    subscription?.unsubscribe();
  };
  const recordedConfig = digestOf(config) === record.config_digest;
  const replaying = { onClientLeft: clientLeft, recordedConfig };
  const attempts = new RecordedAttempts(record.attempts, replaying);
  // Auxiliary calls (a judge, an extractor) answer from their own recorded attempts, by request id.
  const auxiliary = new Map((record.auxiliary ?? []).map((a) => [a.request_id, new RecordedAttempts(a.attempts, replaying)]));
  const auxiliaryOf = (requestId: string) => {
    let recorded = auxiliary.get(requestId);
    if (recorded === undefined) auxiliary.set(requestId, (recorded = new RecordedAttempts([], replaying)));
    return recorded;
  };
  try {
    const { call, routeHeader } = decode(record);
    stream = call.stream;
    const backends = live ? live.backends : attempts.backends(config, scheduler!, record.skipped);
    // An answer the response cache gave (`x-lip-cache: hit`) is given again from the recording: no backend served it.
    const cache = record.client.headers['x-lip-cache'] === 'hit' ? recordedCache(record, config) : undefined;
    // Circuits the recording found refusing are refused again (their state is not in the config).
    const circuits = config.routing.circuit_breaker.enabled ? new RecordedCircuits(record) : undefined;
    const executor = new Executor(config, backends, {
      ...(scheduler ? { scheduler, rng: seeded(record.id) } : {}), ...(options.extensions ? { extensions: options.extensions } : {}), ...(cache ? { cache } : {}),
      ...(circuits?.refusing ? { breaker: circuits } : {}),
    });
    // The client's key's allow list, as the replay's config has it.
    const allow = typeof record.key_id === 'string' ? candidateAllow(config.auth.api_keys.find((k) => k.id === record.key_id)) : undefined;
    options.extensions?.bind({
      run: (c, nested) => {
        // Live: the real backends answer auxiliary calls too. Substitute: each from its recording.
        const runner = scheduler === undefined ? executor : new Executor(config, auxiliaryOf(nested.requestId).backends(config, scheduler), {
          scheduler, rng: seeded(nested.requestId), ...(options.extensions ? { extensions: options.extensions } : {}), ...(circuits?.refusing ? { breaker: circuits } : {}),
        });
        return runner.execute(c, { requestId: nested.requestId, meta: {}, principal: nested.principal, nested });
      },
    });
    const source: Observable<LipEvent> = executor.execute(call, {
      requestId: record.request_id, meta, principal: record.principal, frontendId: record.frontend, ...(routeHeader ? { routeHeader } : {}),
      ...(allow ? { allow, keyId: record.key_id! } : {}),
    });
    subscription = source.subscribe({
      next: (e) => events.push(e),
      error: (err: unknown) => { failure = toLipError(err).code; done = true; settle?.(); },
      complete: () => { done = true; settle?.(); },
    });
    if (scheduler) {
      for (let round = 0; !done && round < MAX_ROUNDS; round++) {
        scheduler.flush();
        if (!done) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } else if (!done) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, live!.timeoutMs);
        settle = () => { clearTimeout(timer); resolve(); };
      });
    }
    // Before the replay's own unsubscribe, which stops whatever is still open at no recorded time.
    waitedPast = [attempts, ...auxiliary.values()].flatMap((r) => r.waitedPast());
    subscription.unsubscribe();
    if (live && !done) return { ...base, state: 'error', served: { recorded: record.served, replayed: meta.candidateKey ?? null }, error: `no answer within ${live.timeoutMs} ms`, virtual_ms: elapsed() };
  } catch (err) {
    if (!(err instanceof LipError)) return { ...base, state: 'error', served: { recorded: record.served, replayed: null }, error: String((err as Error)?.message ?? err), virtual_ms: elapsed() };
    failure = err.code;
    done = true;
  }
  // A whole (non-streamed) answer that carried an in-band error is a failed response, as the server answers it.
  if (failure === undefined && !stream && events.some((e) => e.type === 'error')) failure = 'LIP_ERR_UPSTREAM_STREAM_ERROR';
  const served = { recorded: record.served, replayed: meta.candidateKey ?? null };
  const virtualMs = elapsed();
  const replayedOutput = [...normaliseEvents(events), ...(failure ? [{ type: 'failed', code: failure }] : [])];
  const difference = compareOutput(recordedOutput, replayedOutput);
  // A leg opened late and stopped unneeded changed nothing, when the config is the one recorded
  // and the answer is the same: its real timer fired late (RecordedAttempts.openedLate).
  const recorded = [attempts, ...auxiliary.values()];
  const opened = recorded.flatMap((r) => r.unrecorded);
  const lateOnly = done && difference === undefined && served.recorded === served.replayed && waitedPast.length === 0
    && recorded.every((r) => r.unrecorded.every((key) => r.openedLate.has(key))) && recordedConfig;
  if ((opened.length > 0 && !lateOnly) || waitedPast.length > 0 || !done) {
    const unrecorded = [...opened, ...waitedPast.map((w) => w.candidate_key)];
    return {
      ...base, state: 'unrecorded', served, unrecorded: unrecorded.length > 0 ? unrecorded : ['(the replay did not finish)'],
      ...(waitedPast.length > 0 ? { waited_past: waitedPast } : {}), virtual_ms: virtualMs,
    };
  }
  const state: ReplayState = served.recorded !== served.replayed ? 'route-changed' : difference ? 'output-changed' : 'same';
  return { ...base, state, served, ...(difference ? { difference } : {}), virtual_ms: virtualMs };
}

/** What the client got, as a replay compares it: the events, or the embeddings answer, then the failure as `{type: "failed", code}`. */
function recordedOutputOf(record: ExchangeRecord): unknown[] {
  const { events, embedding, error } = record.client;
  return [
    ...(embedding !== undefined ? [embeddingOutput(embedding)] : normaliseEvents(events.map(([, e]) => e))),
    ...(error ? [{ type: 'failed', code: error.code }] : []),
  ];
}

/**
 * An exchange of a frontend the replay's config does not serve (switched off, or not listed):
 * refused as the server refuses a path no served protocol has, `LIP_ERR_HTTP_NOT_FOUND`, before
 * its body is read or any candidate tried.
 */
function frontendOff(record: ExchangeRecord): ExchangeResult {
  const base = { id: record.id, request_id: record.request_id, frontend: record.frontend, served: { recorded: record.served, replayed: null } };
  const difference = compareOutput(recordedOutputOf(record), [{ type: 'failed', code: 'LIP_ERR_HTTP_NOT_FOUND' }]);
  return { ...base, state: record.served !== null ? 'route-changed' : difference ? 'output-changed' : 'same', ...(difference ? { difference } : {}), virtual_ms: 0 };
}

/**
 * An exchange whose body was not read whole: nothing to replay, except the size check. A body
 * whose declared length (`content-length`, not compressed) is over the replay config's
 * `server.max_request_body_bytes` is refused again (`same` when the recording was refused so);
 * any other (a body now within the limit, one aborted or not decompressable) is `unrecorded`.
 */
function unreadBody(record: ExchangeRecord, config: Config): ExchangeResult {
  const base = { id: record.id, request_id: record.request_id, frontend: record.frontend, served: { recorded: record.served, replayed: null } };
  const declared = Number(record.request.headers['content-length']);
  const tooLarge = record.request.headers['content-encoding'] === undefined && Number.isFinite(declared) && declared > config.server.max_request_body_bytes;
  if (!tooLarge) return { ...base, state: 'unrecorded', unrecorded: ['(the request\'s body was not read whole)'], virtual_ms: 0 };
  const difference = compareOutput(record.client.error ? [{ type: 'failed', code: record.client.error.code }] : [], [{ type: 'failed', code: 'LIP_ERR_REQUEST_TOO_LARGE' }]);
  return { ...base, state: record.served !== null ? 'route-changed' : difference ? 'output-changed' : 'same', ...(difference ? { difference } : {}), virtual_ms: 0 };
}

/** The embeddings endpoint of the record's frontend that its path names (undefined: a generation's). */
function embeddingsRouteOf(record: ExchangeRecord): { readonly route: EmbeddingsRoute; readonly params: Record<string, string> } | undefined {
  const pathname = requestTarget(record.request.path).pathname;
  for (const route of FRONTENDS[record.frontend]?.embeddingsRoutes ?? []) {
    const params = paramsOf(route, pathname);
    if (params !== undefined) return { route, params };
  }
  return undefined;
}

/** A route's path parameters for `pathname` (`{}` for a plain path), undefined when it does not serve it. */
function paramsOf(route: { readonly path: string; match?(pathname: string): Record<string, string> | undefined }, pathname: string): Record<string, string> | undefined {
  return route.match ? route.match(pathname) : route.path === pathname ? {} : undefined;
}

/** Where a replay writes an embeddings request's attempt rows: nowhere (tickets only). */
const NO_ROWS: AttemptRows = {
  store: { beginAttempt: (aLegId) => ({ aLegId, seq: 0, bLegId: '' }), finishAttempt: () => undefined },
  aLegId: 'replay', keyId: undefined,
};

/**
 * Replay of a recorded embeddings request: its body decoded again by the current frontend's
 * embeddings endpoint, then the route's candidates tried in failover order as the server tries
 * them (`embedWithFailover`, with the circuits as recorded), each attempt answered by the
 * recorded attempt of its candidate (its result or its failure) or, live, by the configured
 * backend. Nothing here waits on time: the substitute answers at once, and `virtual_ms` is 0.
 * What the client got (its result, or the failure's code) is compared with the recording; the
 * vectors by their digest and dimensions (a changed vector is one field, not thousands).
 */
async function replayEmbeddings(record: ExchangeRecord, config: Config, options: ReplayOptions, target: { readonly route: EmbeddingsRoute; readonly params: Record<string, string> }): Promise<ExchangeResult> {
  const base = { id: record.id, request_id: record.request_id, frontend: record.frontend };
  const recordedOutput = recordedOutputOf(record);
  const live = options.live;
  const startedAt = Date.now();
  const attempts = new RecordedAttempts(record.attempts);
  const meta: ExecutionMeta = {};
  let result: EmbeddingResult | undefined;
  let failure: string | undefined;
  let replayed: string | null = null;
  const bound = live ? deadline(live.timeoutMs) : undefined;
  try {
    const { request } = target.route.decode(bodyOf(record), { params: target.params });
    const backends = live ? live.backends : attempts.backends(config, new VirtualTimeScheduler(VirtualAction, Infinity), record.skipped);
    const executor = new Executor(config, backends);
    const routeHeader = record.request.headers['x-lip-route'];
    const allow = typeof record.key_id === 'string' ? candidateAllow(config.auth.api_keys.find((k) => k.id === record.key_id)) : undefined;
    if (record.client.headers['x-lip-cache'] === 'hit' && record.client.embedding !== undefined) {
      // The response cache answered then: it answers again (the route still resolves, or it fails as it would now).
      executor.candidates(request.model, routeHeader);
      result = record.client.embedding;
      replayed = record.served;
    } else {
      // Circuits the recording found refusing are refused again (with the breaker on in the replay's config).
      const breaker = new RecordedCircuits(config.routing.circuit_breaker.enabled ? record : { ...record, skipped: [] });
      const served = await embedWithFailover(request, { config, executor, backends, breaker }, {
        routeHeader, signal: bound?.signal ?? new AbortController().signal, state: {}, headers: record.request.headers,
        requestId: record.request_id, rows: NO_ROWS, allow, meta,
      });
      result = served.result;
      replayed = served.key;
    }
  } catch (err) {
    // Live, as for a generation: an exchange that has not ended within the timeout is an error, not a difference.
    if (live && bound?.expired === true) return { ...base, state: 'error', served: { recorded: record.served, replayed: meta.candidateKey ?? null }, error: `no answer within ${live.timeoutMs} ms`, virtual_ms: Date.now() - startedAt };
    if (!(err instanceof LipError) && !(err instanceof UnrecordedAttempt)) {
      return { ...base, state: 'error', served: { recorded: record.served, replayed: null }, error: String((err as Error)?.message ?? err), virtual_ms: live ? Date.now() - startedAt : 0 };
    }
    failure = toLipError(err).code;
    replayed = meta.candidateKey ?? null;
  } finally {
    bound?.clear();
  }
  const served = { recorded: record.served, replayed };
  const virtualMs = live ? Date.now() - startedAt : 0;
  const waitedPast = [...attempts.exhausted].map(([key, reason]) => ({ candidate_key: key, reason }));
  const unrecorded = [...attempts.unrecorded, ...waitedPast.map((w) => w.candidate_key)];
  if (unrecorded.length > 0) return { ...base, state: 'unrecorded', served, unrecorded, ...(waitedPast.length > 0 ? { waited_past: waitedPast } : {}), virtual_ms: virtualMs };
  const replayedOutput = [...(result !== undefined ? [embeddingOutput(result)] : []), ...(failure ? [{ type: 'failed', code: failure }] : [])];
  const difference = compareOutput(recordedOutput, replayedOutput);
  const state: ReplayState = served.recorded !== served.replayed ? 'route-changed' : difference ? 'output-changed' : 'same';
  return { ...base, state, served, ...(difference ? { difference } : {}), virtual_ms: virtualMs };
}

/** An embeddings answer as the replay compares it: the model and tokens, each vector's length, and a digest of the values. */
function embeddingOutput(result: EmbeddingResult): Record<string, unknown> {
  return {
    type: 'embedding', model: result.model ?? null, inputTokens: result.inputTokens ?? null,
    dimensions: result.vectors.map((v) => v.length),
    digest: createHash('sha256').update(JSON.stringify(result.vectors)).digest('hex').slice(0, 16),
  };
}

/**
 * A response cache that holds the recorded exchange's answer for any request: its client events,
 * served by the candidate the recording names (request stages still run before it, as serving).
 */
function recordedCache(record: ExchangeRecord, config: Config): ResponseCache {
  const served = record.served ?? '';
  const answer: CachedAnswer = { events: record.client.events.map(([, e]) => e), candidateKey: served, backendId: served.split(':')[0]!, storedAt: Date.parse(record.at) };
  const store: AnswerStore = { kind: 'memory', get: () => answer, set: () => undefined, clear: () => Promise.resolve(0), close: () => Promise.resolve() };
  return new ResponseCache({ ...config.cache, enabled: true }, store, () => answer.storedAt);
}

const digests = new WeakMap<Config, string>();

/** The config's digest as records name it (once per config: a replay asks for every exchange). */
function digestOf(config: Config): string {
  let digest = digests.get(config);
  if (digest === undefined) digests.set(config, (digest = configDigest(config)));
  return digest;
}

/** The recorded request decoded by the current frontend (and validated, as the server does). */
function decode(record: ExchangeRecord) {
  const frontend = FRONTENDS[record.frontend];
  if (!frontend) throw new Error(`frontend "${record.frontend}" is not in this build`);
  const url = requestTarget(record.request.path);
  let params: Record<string, string> | undefined;
  const route = frontend.routes.find((r) => (params = paramsOf(r, url.pathname)) !== undefined);
  if (!route || !params) throw new Error(`no ${record.frontend} route serves ${url.pathname}`);
  const decoded = route.decode(bodyOf(record), { params, query: url.searchParams, headers: record.request.headers });
  const issues = validateCall(decoded.call);
  if (issues.length > 0) throw new LipError('LIP_ERR_REQUEST_INVALID', issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  return { call: decoded.call, routeHeader: record.request.headers['x-lip-route'] };
}

/** The recorded request's body: a body that was no JSON lip takes is parsed again (and fails again, or not, as today's parser says). */
function bodyOf(record: ExchangeRecord): unknown {
  const { body_text: text, body_bytes: bytes, body } = record.request;
  return text !== undefined ? parseJson(text) : bytes !== undefined ? parseJson(failedBodyBytes(bytes)) : body;
}

/** A deterministic uniform [0, 1) per exchange (weighted choices draw the same way every replay). */
function seeded(text: string): () => number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return () => {
    h = (h + 0x6d2b79f5) | 0;
    let t = Math.imul(h ^ (h >>> 15), 1 | h);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
