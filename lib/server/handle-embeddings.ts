import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { asyncScheduler } from 'rxjs/internal/scheduler/async';
import { estimateTextTokens, type EmbeddingRequest, type EmbeddingResult, type Usage } from '../canonical/index.js';
import { providerName } from '../backends/gen-ai/registry.js';
import { attemptChannel, attemptFailedChannel, type AttemptOutcome, type AttemptReport } from '../core/attempt.js';
import { candidatesForbidden, type CandidateAllow } from '../core/candidate-allow.js';
import type { CacheResult, EmbeddingLookup } from '../core/response-cache.js';
import type { Runtime } from '../core/runtime.js';
import type { AttemptStart, AttemptTicket, ContinuityStore } from '../continuity/index.js';
import { defaultFailureOutcome } from '../continuity/record-attempt.js';
import { LipError, toLipError } from '../errors/index.js';
import type { EmbeddingsRoute, Frontend, TokenCount } from '../frontends/protocol.js';
import { rateLimitHeadersOf } from '../frontends/rate-limit-headers.js';
import { outcomeOf } from '../circuit/index.js';
import { isRetryable } from '../routing/operators/retryable.js';
import { RouteJournal } from '../routing/plan/route-journal.js';
import { headerValue, readJsonBody } from '../wire/index.js';
import { budgetHeaders, type RequestState } from './request-state.js';
import { servedModel } from './served-model.js';
import { sendError, sendJson } from './send.js';

export interface EmbeddingsTarget {
  readonly frontend: Frontend;
  readonly route: EmbeddingsRoute;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * An embeddings request (OpenAI `POST /v1/embeddings`, Gemini `:embedContent` and
 * `:batchEmbedContents`). The body is decoded by the frontend (a 400 in its envelope names the
 * field); the route is resolved as for a generation (X-LIP-Route, model, alias, default route)
 * and its candidates are tried in failover order, skipping those whose backend cannot embed: a
 * retryable failure moves on to the next, any other is the answer, and when every one failed the
 * answer is routing's (502 naming each failure, 429 when all were rate-limited). No candidate
 * that can embed is a 400 naming the route. The served candidate is `x-lip-backend`; the input
 * tokens are the upstream's count, else lip's estimate (`x-lip-token-count: upstream` /
 * `estimate`). A client that goes away aborts the upstream call; the whole request is bounded
 * by `routing.embeddings_timeout` (60 s). The body holds `state.decode` (decode admission) until it is decoded.
 *
 * @see spec/e2e/embeddings.spec.ts
 */
export async function handleEmbeddings(req: IncomingMessage, res: ServerResponse, target: EmbeddingsTarget, runtime: Runtime, state: RequestState): Promise<void> {
  const { frontend, route, params } = target;
  const gone = new AbortController();
  const abort = () => gone.abort();
  res.once('close', abort);
  try {
    const body = await readJsonBody(req, runtime.config.server.max_request_body_bytes, state.decode);
    const header = req.headers['x-lip-route'];
    let aLegId: string | undefined;
    const answered = await embedBody(body, {
      route, params, runtime, signal: gone.signal, state, headers: req.headers, routeHeader: typeof header === 'string' ? header : undefined,
      decoded: () => state.decode?.release(), requestId: state.requestId, principal: state.principal ?? 'local', ...(state.keyId !== undefined ? { keyId: state.keyId } : {}), allow: state.allow,
      onALeg: (id) => { aLegId = id; },
    });
    // What it spent (nothing when the cache answered): charged to a key's budget and written in the access line when the request ends.
    if (answered.cache !== 'hit') state.embedded = { inputTokens: answered.usage.inputTokens, cost: answered.cost };
    if (answered.cache !== undefined) state.cache = answered.cache;
    sendJson(res, 200, answered.answer, {
      'x-lip-backend': headerValue(answered.key), 'x-lip-token-count': answered.usage.estimated ? 'estimate' : 'upstream',
      ...(aLegId !== undefined ? { 'x-lip-a-leg-id': aLegId } : {}),
      ...(answered.cache !== undefined ? { 'x-lip-cache': answered.cache } : {}), ...(answered.cacheAgeMs !== undefined ? { age: String(Math.floor(answered.cacheAgeMs / 1000)) } : {}),
      ...budgetHeaders(state.budgetLeft), ...rateLimitHeadersOf(frontend, state.rateLimit),
    });
  } catch (err) {
    const lip = toLipError(err);
    state.errorCode = lip.code;
    req.resume();
    if (res.destroyed) return;
    sendError(res, frontend, lip);
  } finally {
    res.off('close', abort);
  }
}

export interface EmbedCall {
  readonly route: EmbeddingsRoute;
  readonly params: Readonly<Record<string, string>>;
  readonly runtime: Runtime;
  /** Ends the upstream call (the client went away, the batch was cancelled). */
  readonly signal: AbortSignal;
  /** `backend` names the candidate being tried. */
  readonly state: { backend?: string };
  readonly headers: IncomingHttpHeaders;
  readonly routeHeader: string | undefined;
  /** Told once the body is decoded. */
  readonly decoded?: () => void;
  /** The request's id, on the attempt reports (`lip:attempt`: metrics, the `attempt failed` log lines) and in its A-leg's session id. */
  readonly requestId: string;
  /** Who asked, and the id of their API key: the A-leg's principal and its attempt rows' `key_id`. */
  readonly principal: string;
  readonly keyId?: string;
  /** Told the id of the request's A-leg once it is opened (after the body is decoded). */
  readonly onALeg?: (aLegId: string) => void;
  /** The candidates the caller's key may use (`auth.api_keys[].allow`); absent: all. */
  readonly allow?: CandidateAllow | undefined;
}

/** Where an embeddings request's attempts are written: its A-leg's rows, or tickets alone for an A-leg without a record. */
interface AttemptRows {
  readonly store: Pick<ContinuityStore, 'beginAttempt' | 'finishAttempt'>;
  readonly aLegId: string;
  readonly keyId: string | undefined;
}

/**
 * One embeddings request's body: decoded by its route, embedded by the route's candidates in
 * failover order within `routing.embeddings_timeout`, and encoded; with the candidate that
 * served and the input tokens (the upstream's count, else lip's estimate).
 * @throws LipError as the endpoint answers it (LIP_ERR_EMBEDDINGS_TIMEOUT past the timeout)
 */
export async function embedBody(body: unknown, c: EmbedCall): Promise<EmbedAnswer> {
  const { runtime } = c;
  const deadline = AbortSignal.timeout(runtime.config.routing.embeddings_timeout);
  try {
    const decoded = c.route.decode(body, { params: c.params });
    c.decoded?.();
    const { request } = decoded;
    // The response cache (cache.enabled): a kept answer is given without a call (nothing spent).
    const lookup = runtime.cache ? await cachedEmbedding(runtime, request, c) : undefined;
    if (lookup?.cache === 'hit') {
      const { embedding: result, candidateKey } = lookup.answer;
      const usage: TokenCount = result.inputTokens !== undefined ? { inputTokens: result.inputTokens, estimated: false } : { inputTokens: estimateTextTokens(request.inputs), estimated: true };
      const model = runtime.config.routing.echo_requested_model ? request.model : servedModel(result.model, candidateKey, request.model);
      c.state.backend = candidateKey;
      return { answer: c.route.encode(result, { request, hints: decoded.hints ?? {}, model, usage }), key: candidateKey, usage, cost: undefined, cache: 'hit', cacheAgeMs: lookup.ageMs };
    }
    // An A-leg of its own (as an extension's auxiliary call has; its session id `embed:` and the
    // request id): each call is an attempt row of it,
    // so what it spent is in /admin/usage and /admin/attempts, and a persistent store keeps it for budgets.
    const { aLeg, pending } = runtime.sessions.auxiliary(c.principal, `embed:${c.requestId}`);
    c.onALeg?.(aLeg.aLegId);
    const rows: AttemptRows = { store: pending?.stored === false ? pending.tickets : runtime.continuity, aLegId: aLeg.aLegId, keyId: c.keyId };
    const served = await embedWithFailover(request, runtime, c.routeHeader, AbortSignal.any([c.signal, deadline]), c.state, c.headers, c.requestId, rows, c.allow);
    if (lookup !== undefined && lookup.cache !== 'bypass') lookup.keep(served.result, served.key, served.backend);
    const model = runtime.config.routing.echo_requested_model ? request.model : servedModel(served.result.model, served.key, request.model);
    return {
      answer: c.route.encode(served.result, { request, hints: decoded.hints ?? {}, model, usage: served.usage }), key: served.key, usage: served.usage, cost: served.cost,
      ...(lookup !== undefined ? { cache: lookup.cache } : {}),
    };
  } catch (err) {
    if (deadline.aborted && !c.signal.aborted) {
      throw new LipError('LIP_ERR_EMBEDDINGS_TIMEOUT', `no embeddings within ${runtime.config.routing.embeddings_timeout / 1000} s (routing.embeddings_timeout)${c.state.backend ? ` (last tried: ${c.state.backend})` : ''}`);
    }
    throw err;
  }
}

/** What an embeddings request was answered: the encoded body, who served it, its input tokens and their cost (none on a cache hit: nothing was spent). */
export interface EmbedAnswer {
  readonly answer: unknown;
  readonly key: string;
  readonly usage: TokenCount;
  readonly cost: number | undefined;
  /** How the response cache met it (with `cache.enabled`), and a hit's age in milliseconds. */
  readonly cache?: CacheResult;
  readonly cacheAgeMs?: number;
}

/** The cache's lookup of an embeddings request: keyed by its route's candidates; a kept answer of one the caller's key may not use is none. */
function cachedEmbedding(runtime: Runtime, request: EmbeddingRequest, c: EmbedCall): Promise<EmbeddingLookup> {
  const route = runtime.executor.candidates(request.model, c.routeHeader).map((candidate) => candidate.key);
  const allow = c.allow;
  const usable = allow ? (answer: { readonly backendId: string; readonly candidateKey: string }) => allow.allows(answer.backendId, answer.candidateKey.slice(answer.backendId.length + 1)) : undefined;
  return runtime.cache!.embedding(request, route, c.principal, c.headers, usable);
}

/**
 * The first answer of the route's candidates that can embed, tried one at a time in failover
 * order within `routing.max_attempts`; `state.backend` names the one being tried. The circuit
 * breaker gates and counts them as it does generations: a candidate whose circuit is open is
 * skipped (a route of open circuits only is a 503 with Retry-After), a half-open one is probed,
 * and each call's outcome is recorded (a refusal before sending counts for nothing, a client
 * that left as cancelled). A candidate
 * whose backend cannot embed its model (a bedrock model of no embedding family) is passed over
 * like one whose kind cannot embed.
 * @throws LipError the first non-retryable failure, or routing's final error when every
 *   candidate failed; LIP_ERR_EMBEDDINGS_UNSUPPORTED when none can embed.
 */
async function embedWithFailover(request: EmbeddingRequest, runtime: Runtime, header: string | undefined, signal: AbortSignal, state: { backend?: string }, client: IncomingHttpHeaders, requestId: string, rows: AttemptRows, allow: CandidateAllow | undefined): Promise<{ result: EmbeddingResult; key: string; backend: string; usage: TokenCount; cost: number | undefined }> {
  const route = runtime.executor.candidates(request.model, header);
  // Only the candidates the caller's key may use (auth.api_keys[].allow); none of them is a 403.
  const candidates = allow === undefined ? route : route.filter((c) => allow.allows(c.backend, c.model));
  if (candidates.length === 0) throw candidatesForbidden(allow!, route.map((c) => c.key));
  const kindOf = (backend: string) => runtime.backends.get(backend)?.kind ?? 'unknown';
  if (!candidates.some((c) => runtime.backends.get(c.backend)?.embed !== undefined)) {
    const route = candidates.map((c) => `${c.key} (${kindOf(c.backend)})`).join(', ');
    throw new LipError('LIP_ERR_EMBEDDINGS_UNSUPPORTED', `no candidate of the route can embed: ${route}`, { param: 'model' });
  }
  const journal = new RouteJournal(asyncScheduler);
  const breaker = runtime.breaker;
  const maxAttempts = runtime.config.routing.max_attempts;
  let attempts = 0;
  let refusal: LipError | undefined;
  for (const candidate of candidates) {
    const backend = runtime.backends.get(candidate.backend)!;
    if (backend.embed === undefined) {
      journal.skip(candidate.key, `a ${backend.kind} backend cannot embed`);
      continue;
    }
    if (attempts >= maxAttempts) throw new LipError('LIP_ERR_ROUTE_MAX_ATTEMPTS', `routing.max_attempts (${maxAttempts}) spent before ${candidate.key} (${journal.summary()})`);
    const decision = breaker.check(candidate.key);
    if (!decision.allowed) {
      journal.skip(candidate.key, `circuit ${decision.state}`, decision.retryAfterMs);
      continue;
    }
    let ticket: AttemptTicket;
    try {
      ticket = rows.store.beginAttempt(rows.aLegId, attemptStart(candidate, rows.keyId));
    } catch (err) {
      // The store refuses new work (shutting down): nothing was sent.
      breaker.record(candidate.key, 'ignored', decision);
      throw err;
    }
    attempts++;
    state.backend = candidate.key;
    const entry = journal.start(candidate.key);
    const report = reportedAttempt(requestId, candidate, providerName(backend.kind));
    try {
      const result = await backend.embed(request, candidate.model, signal, client);
      breaker.record(candidate.key, 'success', decision);
      entry.outcome = 'served';
      const inputTokens = result.inputTokens;
      // The upstream's count, else lip's estimate; priced at the input price of the candidate that served (a budget's max_cost counts it).
      const usage: TokenCount = inputTokens !== undefined ? { inputTokens, estimated: false } : { inputTokens: estimateTextTokens(request.inputs), estimated: true };
      const cost = runtime.executor.cost(candidate.backend, candidate.model, { inputTokens: usage.inputTokens });
      report?.('success', undefined, inputTokens === undefined ? undefined : { inputTokens }, inputTokens === undefined ? undefined : cost);
      // The row holds what a budget is charged (the estimate when the upstream counted nothing), so a restart's budgets agree.
      rows.store.finishAttempt(ticket, { outcome: 'success', httpStatus: 200, usage: { inputTokens: usage.inputTokens }, ...(cost !== undefined ? { cost } : {}) });
      return { result, key: candidate.key, backend: candidate.backend, usage, cost };
    } catch (err) {
      const lip = toLipError(err);
      // Cancelled: the client went away (or a batch was cancelled), or routing.embeddings_timeout passed.
      const timedOut = signal.aborted && (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError';
      const cancelReason = timedOut ? 'embeddings_timeout' : 'client abort';
      report?.(signal.aborted ? 'cancelled' : 'failure', lip, undefined, undefined, cancelReason);
      rows.store.finishAttempt(ticket, signal.aborted
        ? { outcome: 'cancelled', reason: cancelReason }
        : { outcome: defaultFailureOutcome(lip, false), reason: `${lip.code}: ${lip.message}`, httpStatus: lip.status });
      if (!signal.aborted && lip.code === 'LIP_ERR_EMBEDDINGS_UNSUPPORTED') {
        // Refused before anything was sent: not an attempt, and nothing the circuit should count.
        breaker.record(candidate.key, 'ignored', decision);
        refusal ??= lip;
        attempts--;
        journal.fail(entry, lip);
        continue;
      }
      breaker.record(candidate.key, signal.aborted ? 'cancelled' : outcomeOf(err), decision);
      if (signal.aborted || !isRetryable(err)) throw err;
      journal.fail(entry, err);
    }
  }
  // Every candidate that could embed refused its model: that refusal says why.
  if (refusal !== undefined && attempts === 0) throw refusal;
  throw journal.finalError();
}

function attemptStart(candidate: { backend: string; model: string; key: string }, keyId: string | undefined): AttemptStart {
  return { candidateKey: candidate.key, backendId: candidate.backend, model: candidate.model, ...(keyId !== undefined ? { keyId } : {}) };
}

/**
 * One embeddings call as an attempt report (`lip:attempt`, and `lip:attempt-failed` for one that
 * failed): what metrics count (`lip_attempts_total`, the GenAI operation duration and token
 * usage, `lip_cost_total`) and the `attempt failed` log lines read. Undefined when nothing listens.
 */
function reportedAttempt(requestId: string, candidate: { backend: string; model: string; key: string }, provider: string): ((outcome: AttemptOutcome, error?: LipError, usage?: Usage, cost?: number, cancelReason?: string) => void) | undefined {
  if (!attemptChannel.hasSubscribers && !attemptFailedChannel.hasSubscribers) return undefined;
  const startedAt = performance.now();
  const base = { requestId, candidateKey: candidate.key, backendId: candidate.backend, model: candidate.model, provider };
  if (attemptChannel.hasSubscribers) attemptChannel.publish({ phase: 'start', ...base } satisfies AttemptReport);
  return (outcome, error, usage, cost, cancelReason) => {
    const report: AttemptReport = {
      phase: 'end', ...base, outcome, durationMs: performance.now() - startedAt,
      ...(error ? { errorCode: error.code, errorMessage: error.message, upstreamStatus: error.status } : {}),
      ...(outcome === 'cancelled' && cancelReason !== undefined ? { cancelReason } : {}),
      ...(usage !== undefined ? { usage } : {}), ...(cost !== undefined ? { cost } : {}),
    };
    if (attemptChannel.hasSubscribers) attemptChannel.publish(report);
    if (outcome !== 'success' && attemptFailedChannel.hasSubscribers) attemptFailedChannel.publish(report);
  };
}
