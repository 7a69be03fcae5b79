import type { IncomingHttpHeaders } from 'node:http';
import { asyncScheduler } from 'rxjs/internal/scheduler/async';
import { estimateTextTokens, type EmbeddingRequest, type EmbeddingResult, type Usage } from '../canonical/index.js';
import type { Backend } from '../backends/backend.js';
import { providerName } from '../backends/gen-ai/registry.js';
import { outcomeOf, type CircuitBreaker } from '../circuit/index.js';
import type { Config } from '../config/index.js';
import type { AttemptStart, AttemptTicket, ContinuityStore } from '../continuity/index.js';
import { defaultFailureOutcome } from '../continuity/record-attempt.js';
import { LipError, toLipError } from '../errors/index.js';
import { isRetryable } from '../routing/operators/retryable.js';
import { RouteJournal } from '../routing/plan/route-journal.js';
import type { AttemptSpan, RequestTrace } from '../observability/tracing.js';
import { upstreamCallHeaders } from '../observability/upstream-call-headers.js';
import { attemptChannel, attemptFailedChannel, upstreamStatusOf, type AttemptOutcome, type AttemptReport } from './attempt.js';
import { ObservedJournal, routeChannel } from './observe-route.js';
import { candidatesForbidden, type CandidateAllow } from './candidate-allow.js';
import { keysCooling } from './keys-cooling.js';
import type { ExecutionMeta, Executor } from './execute.js';

/** What the failover of an embeddings request runs with: a server's runtime, or a replay's substitutes. */
export interface EmbedRouting {
  readonly config: Config;
  readonly executor: Pick<Executor, 'candidates' | 'cost'>;
  readonly backends: ReadonlyMap<string, Backend>;
  readonly breaker: Pick<CircuitBreaker, 'check' | 'peek' | 'record'>;
}

/** Where an embeddings request's attempts are written: its A-leg's rows, or tickets alone for an A-leg without a record. */
export interface AttemptRows {
  readonly store: Pick<ContinuityStore, 'beginAttempt' | 'finishAttempt'>;
  readonly aLegId: string;
  readonly keyId: string | undefined;
}

/**
 * What a recording keeps of an embeddings request (the recorder's capture of the exchange): each
 * attempt as it starts and ends, and the answer the client got (a served result or the cache's).
 */
export interface EmbeddingsTrail {
  embeddingAttempt(seq: number, bLegId: string | null, candidateKey: string, backendId: string, call: EmbeddingRequest): EmbeddingsAttemptTrail;
  answered(result: EmbeddingResult): void;
}

/** One attempt of an `EmbeddingsTrail`: how it ended. */
export interface EmbeddingsAttemptTrail {
  succeeded(result: EmbeddingResult): void;
  failed(failure: { readonly code: string; readonly retryable: boolean }): void;
  cancelled(reason: string): void;
}

/** What one embeddings failover ends with: the result, who served it, its input tokens and their cost. */
export interface EmbedServed {
  readonly result: EmbeddingResult;
  readonly key: string;
  readonly backend: string;
  readonly usage: { readonly inputTokens: number; readonly estimated: boolean };
  readonly cost: number | undefined;
}

export interface EmbedFailover {
  /** `X-LIP-Route`, when the client sent one. */
  readonly routeHeader: string | undefined;
  /** Ends the calls (the client went away, the batch was cancelled, the timeout passed). */
  readonly signal: AbortSignal;
  /**
   * Milliseconds left before the request's deadline (`routing.embeddings_timeout`) ends `signal`:
   * what each attempt's share is cut from (see `attemptShare`). Absent: no deadline, and an
   * attempt is bounded by `signal` alone (a replay).
   */
  readonly timeLeft?: () => number;
  /** `backend` names the candidate being tried. */
  readonly state: { backend?: string };
  readonly headers: IncomingHttpHeaders;
  readonly requestId: string;
  readonly rows: AttemptRows;
  /** The candidates the caller's key may use (`auth.api_keys[].allow`); absent: all. */
  readonly allow: CandidateAllow | undefined;
  /**
   * Filled in as for a generation: the selector and its source, the route journal, the attempts
   * started (each one with an attempt row, a refusal before sending included), the candidate that served.
   */
  readonly meta?: ExecutionMeta;
  /** The recording's capture, when this request is recorded. */
  readonly trail?: EmbeddingsTrail | undefined;
  /** The request's trace (tracing on): each attempt is a CLIENT span under it, each skip and failover an event on it. */
  readonly trace?: RequestTrace | undefined;
}

/**
 * The first answer of the route's candidates that can embed, tried one at a time in failover
 * order within `routing.max_attempts`; `state.backend` names the one being tried. The circuit
 * breaker gates and counts them as it does generations: a candidate whose circuit is open is
 * skipped (a route of open circuits only is a 503 with Retry-After), a half-open one is probed,
 * and each call's outcome is recorded (a refusal before sending counts for nothing, a client
 * that left as cancelled). With a deadline (`timeLeft`), a call that is not the last one to
 * try gets its own share of what is left of it (`attemptShare`): past its share the call is
 * aborted and counts as the candidate's failure (LIP_ERR_EMBEDDINGS_ATTEMPT_TIMEOUT, retryable:
 * the next candidate is tried); the last one runs until the deadline, whose expiry ends the
 * request (cancelled, no verdict for its circuit, as a selector's global budget). A candidate
 * whose backend cannot embed its model (a bedrock model of no embedding family) is passed over
 * like one whose kind cannot embed.
 * @throws LipError the first non-retryable failure, or routing's final error when every
 *   candidate failed; LIP_ERR_EMBEDDINGS_UNSUPPORTED when none can embed.
 * @see spec/e2e/embeddings.spec.ts
 */
export async function embedWithFailover(request: EmbeddingRequest, routing: EmbedRouting, f: EmbedFailover): Promise<EmbedServed> {
  const { signal, state, rows, allow, trail } = f;
  const route = routing.executor.candidates(request.model, f.routeHeader, f.meta);
  // Only the candidates the caller's key may use (auth.api_keys[].allow); none of them is a 403.
  const candidates = allow === undefined ? route : route.filter((c) => allow.allows(c.backend, c.model));
  if (candidates.length === 0) throw candidatesForbidden(allow!, route.map((c) => c.key));
  const kindOf = (backend: string) => routing.backends.get(backend)?.kind ?? 'unknown';
  if (!candidates.some((c) => routing.backends.get(c.backend)?.embed !== undefined)) {
    const route = candidates.map((c) => `${c.key} (${kindOf(c.backend)})`).join(', ');
    throw new LipError('LIP_ERR_EMBEDDINGS_UNSUPPORTED', `no candidate of the route can embed: ${route}`, { param: 'model' });
  }
  // A watched request (debug log, sampled trace) gets a journal that reports each decision (its skips on the span).
  const journal = routeChannel.hasSubscribers || f.trace?.recording === true ? new ObservedJournal(asyncScheduler, f.requestId, f.trace) : new RouteJournal(asyncScheduler);
  let failedBefore: { readonly key: string; readonly code: string } | undefined;
  if (f.meta !== undefined) f.meta.journal = journal.entries;
  const breaker = routing.breaker;
  const maxAttempts = routing.config.routing.max_attempts;
  let attempts = 0;
  let refusal: LipError | undefined;
  for (const [at, candidate] of candidates.entries()) {
    const backend = routing.backends.get(candidate.backend)!;
    if (backend.embed === undefined) {
      journal.skip(candidate.key, `a ${backend.kind} backend cannot embed`);
      continue;
    }
    // Every key cooling down after a 429: nothing would be sent, so it is skipped, not tried.
    const cooling = keysCooling(backend);
    if (cooling !== undefined) {
      journal.skip(candidate.key, cooling.reason, cooling.retryAfterMs);
      continue;
    }
    if (attempts >= maxAttempts) throw journal.rateLimited() ?? new LipError('LIP_ERR_ROUTE_MAX_ATTEMPTS', `routing.max_attempts (${maxAttempts}) spent before ${candidate.key} (${journal.summary()})`);
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
    // Its own bound when candidates are left to try after it: a share of what is left of the deadline.
    const share = f.timeLeft === undefined ? undefined : attemptShare(f.timeLeft(), Math.min(maxAttempts - attempts, triable(candidates.slice(at + 1), routing) + 1));
    attempts++;
    if (f.meta !== undefined) f.meta.attempts = (f.meta.attempts ?? 0) + 1;
    state.backend = candidate.key;
    const entry = journal.start(candidate.key);
    const provider = providerName(backend.kind);
    const report = reportedAttempt(f.requestId, candidate, provider);
    const recorded = trail?.embeddingAttempt(ticket.seq, ticket.bLegId, candidate.key, candidate.backend, request);
    if (failedBefore !== undefined) f.trace?.event('lip.failover', { 'lip.failover.from': failedBefore.key, 'lip.failover.to': candidate.key, 'error.type': failedBefore.code });
    failedBefore = undefined;
    const span: AttemptSpan | undefined = f.trace?.recording ? f.trace.attempt({
      candidateKey: candidate.key, backendId: candidate.backend, model: candidate.model, provider, operation: 'embeddings', // gen_ai.operation.name's value for an embeddings call
      stream: false, inRace: false, aLegId: rows.aLegId,
    }) : undefined;
    span?.setBLegSeq(ticket.seq);
    const expiry = share === undefined ? undefined : new AbortController();
    const expiring = expiry === undefined ? undefined : asyncScheduler.schedule(() => expiry.abort(new LipError('LIP_ERR_EMBEDDINGS_ATTEMPT_TIMEOUT')), share);
    try {
      // X-Request-Id (and the trace context) go upstream, as a generation's do.
      const called = expiry === undefined ? signal : AbortSignal.any([signal, expiry.signal]);
      const result = await backend.embed(request, candidate.model, called, f.headers, upstreamCallHeaders(f.requestId, f.trace, span));
      breaker.record(candidate.key, 'success', decision);
      entry.outcome = 'served';
      recorded?.succeeded(result);
      if (f.meta !== undefined) {
        f.meta.candidateKey = candidate.key;
        f.meta.backendId = candidate.backend;
      }
      const inputTokens = result.inputTokens;
      // The upstream's count, else lip's estimate; priced at the input price of the candidate that served (a budget's max_cost counts it).
      const usage = inputTokens !== undefined ? { inputTokens, estimated: false } : { inputTokens: estimateTextTokens(request.inputs), estimated: true };
      const cost = routing.executor.cost(candidate.backend, candidate.model, { inputTokens: usage.inputTokens });
      report?.('success', undefined, inputTokens === undefined ? undefined : { inputTokens }, inputTokens === undefined ? undefined : cost);
      span?.end('success', { usage: inputTokens === undefined ? {} : { inputTokens }, responseModel: result.model, finishReason: undefined, upstreamStatus: 200, upstreamRequestId: undefined, cost: inputTokens === undefined ? undefined : cost }, undefined, undefined);
      // The row holds what a budget is charged (the estimate when the upstream counted nothing), so a restart's budgets agree.
      rows.store.finishAttempt(ticket, { outcome: 'success', httpStatus: 200, usage: { inputTokens: usage.inputTokens }, ...(cost !== undefined ? { cost } : {}) });
      return { result, key: candidate.key, backend: candidate.backend, usage, cost };
    } catch (thrown) {
      // Its share spent (and the request still on): the candidate's own timeout, whatever the backend made of the abort.
      const err = expiry?.signal.aborted === true && !signal.aborted
        ? new LipError('LIP_ERR_EMBEDDINGS_ATTEMPT_TIMEOUT', `backend "${candidate.backend}": no embeddings within ${share} ms, this call's share of routing.embeddings_timeout`, { cause: thrown, detail: { backend: candidate.backend } })
        : thrown;
      const lip = toLipError(err);
      // Cancelled: the client went away (or a batch was cancelled), or routing.embeddings_timeout passed.
      const timedOut = signal.aborted && (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError';
      const cancelReason = timedOut ? 'embeddings_timeout' : 'client abort';
      report?.(signal.aborted ? 'cancelled' : 'failure', lip, undefined, undefined, cancelReason);
      const upstreamStatus = upstreamStatusOf(lip);
      span?.end(signal.aborted ? 'cancelled' : 'failure', upstreamStatus === undefined ? undefined : { usage: {}, responseModel: undefined, finishReason: undefined, upstreamStatus, upstreamRequestId: undefined, cost: undefined },
        signal.aborted ? undefined : lip, signal.aborted ? cancelReason : undefined);
      if (signal.aborted) recorded?.cancelled(cancelReason);
      else recorded?.failed({ code: lip.code, retryable: isRetryable(lip) });
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
      if (signal.aborted) {
        entry.outcome = 'cancelled';
        throw err;
      }
      journal.fail(entry, err);
      if (!isRetryable(err)) throw err;
      failedBefore = { key: candidate.key, code: lip.code };
    } finally {
      expiring?.unsubscribe();
    }
  }
  // Every candidate that could embed refused its model: that refusal says why.
  if (refusal !== undefined && attempts === 0) throw refusal;
  throw journal.finalError();
}

/**
 * An embeddings call's own bound: an equal share of what is left of the request's deadline among
 * the `left` candidates still to try, this one included; undefined for the last one (`left` 1:
 * the deadline bounds it) or a deadline already passed. Each candidate so gets at least the
 * deadline over the number tried (a candidate that fails early leaves more to the next), and one
 * that hangs never takes the time of those after it. `http_client.headers_timeout` still bounds
 * every upstream request of a call within it.
 *
 * ```ts
 * attemptShare(60_000, 2)   // 30_000
 * attemptShare(30_000, 1)   // undefined: the last one runs until the deadline
 * ```
 */
export function attemptShare(timeLeft: number, left: number): number | undefined {
  if (left <= 1 || timeLeft <= 0) return undefined;
  return Math.max(1, Math.floor(timeLeft / left));
}

/** How many of `candidates` may still be tried: their backend can embed, a key is usable, their circuit admits (a peek: nothing taken). */
function triable(candidates: readonly { backend: string; key: string }[], routing: EmbedRouting): number {
  let n = 0;
  for (const c of candidates) {
    const backend = routing.backends.get(c.backend);
    if (backend?.embed !== undefined && keysCooling(backend) === undefined && routing.breaker.peek(c.key).allowed) n++;
  }
  return n;
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
      // The upstream's own status: none for a failure no upstream answered (a reset, no usable key).
      ...(error ? { errorCode: error.code, errorMessage: error.message, upstreamStatus: upstreamStatusOf(error) } : {}),
      ...(outcome === 'cancelled' && cancelReason !== undefined ? { cancelReason } : {}),
      ...(usage !== undefined ? { usage } : {}), ...(cost !== undefined ? { cost } : {}),
    };
    if (attemptChannel.hasSubscribers) attemptChannel.publish(report);
    if (outcome !== 'success' && attemptFailedChannel.hasSubscribers) attemptFailedChannel.publish(report);
  };
}
