import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { emptyCall, estimateTextTokens, type EmbeddingRequest, type TextPart } from '../canonical/index.js';
import type { CandidateAllow } from '../core/candidate-allow.js';
import { embedWithFailover, type AttemptRows, type EmbeddingsTrail } from '../core/embed-failover.js';
import type { ExecutionMeta } from '../core/execute.js';
import type { CacheResult, EmbeddingLookup } from '../core/response-cache.js';
import type { Runtime } from '../core/runtime.js';
import type { RequestTrace } from '../observability/tracing.js';
import { LipError, toLipError } from '../errors/index.js';
import type { EmbeddingsRoute, Frontend, TokenCount } from '../frontends/protocol.js';
import { rateLimitHeadersOf } from '../frontends/rate-limit-headers.js';
import { deadline, failedBodyOf, headerValue, readJsonBody } from '../wire/index.js';
import { abortable, budgetHeaders, type RequestState } from './request-state.js';
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
 * `estimate`). The secret guards (secrets-guard) see the texts first, as a generation's: a block
 * is a 400, a redaction is what gets embedded. A key with a budget reserves the decoded request's
 * estimate while it runs (`state.reserveEmbeddingsBudget`; the 429 when it would pass a limit beside
 * the key's others in flight), released when it is charged. A client that goes away aborts the upstream call; the whole request is bounded
 * by `routing.embeddings_timeout` (60 s), and each call but the last one to try by its share of
 * what is left of it (`attemptShare`: past it the candidate has failed, the next is tried). The body holds `state.decode` (decode admission) until it is decoded.
 *
 * @see spec/e2e/embeddings.spec.ts
 */
export async function handleEmbeddings(req: IncomingMessage, res: ServerResponse, target: EmbeddingsTarget, runtime: Runtime, state: RequestState): Promise<void> {
  const { frontend, route, params } = target;
  const principal = state.principal ?? 'local';
  const gone = new AbortController();
  const abort = () => gone.abort();
  res.once('close', abort);
  // What the access line, the span and a recording tell: the selector, the route journal, the attempts, the one that served.
  const meta: ExecutionMeta = {};
  const embedding: NonNullable<RequestState['embedding']> = { frontend: frontend.id, meta };
  state.embedding = embedding;
  let aLeg: { readonly aLegId: string; readonly sessionId: string } | undefined;
  let failure: (err: unknown) => LipError = toLipError;
  try {
    const body = await readJsonBody(req, runtime.config.server.max_request_body_bytes, state.decode);
    // From here the shutdown (or a cancel of its A-leg) can stop it with an answer.
    failure = abortable(state, res, gone);
    const header = req.headers['x-lip-route'];
    const answered = await embedBody(body, {
      route, params, runtime, signal: gone.signal, state, headers: req.headers, routeHeader: typeof header === 'string' ? header : undefined,
      decoded: (request) => {
        embedding.model = request.model;
        state.decode?.release();
        // The key's budget holds this request's estimate while it runs (refused if it would pass a limit beside the others in flight).
        state.reserveEmbeddingsBudget?.(request, typeof header === 'string' ? header : undefined);
      },
      requestId: state.requestId, principal, ...(state.keyId !== undefined ? { keyId: state.keyId } : {}), allow: state.allow,
      onALeg: (opened) => { aLeg = opened; }, meta, trail: runtime.recorder?.embeddings(state.requestId, body), trace: state.trace,
    });
    // What it spent (nothing when the cache answered): charged to a key's budget and written in the access line when the request ends.
    if (answered.cache !== 'hit') state.embedded = { inputTokens: answered.usage.inputTokens, estimated: answered.usage.estimated, cost: answered.cost };
    if (answered.cache !== undefined) state.cache = answered.cache;
    sendJson(res, 200, answered.answer, {
      'x-lip-backend': headerValue(answered.key), 'x-lip-token-count': answered.usage.estimated ? 'estimate' : 'upstream',
      ...(aLeg !== undefined ? { 'x-lip-a-leg-id': aLeg.aLegId } : {}),
      ...(answered.cache !== undefined ? { 'x-lip-cache': answered.cache } : {}), ...(answered.cacheAgeMs !== undefined ? { age: String(Math.floor(answered.cacheAgeMs / 1000)) } : {}),
      ...budgetHeaders(state.budgetLeft), ...rateLimitHeadersOf(frontend, state.rateLimit),
    });
  } catch (err) {
    const lip = failure(err);
    state.errorCode = lip.code;
    const body = failedBodyOf(err);
    if (body !== undefined) state.failedBody = body;
    req.resume();
    if (!res.destroyed) sendError(res, frontend, lip);
  } finally {
    res.off('close', abort);
    state.abort = undefined;
  }
  runtime.recorder?.finish(req, res, state, { frontend: frontend.id, principal, meta, ...(aLeg !== undefined ? { aLeg } : {}) });
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
  /** Told once the body is decoded, with the request. */
  readonly decoded?: (request: EmbeddingRequest) => void;
  /** The request's id, on the attempt reports (`lip:attempt`: metrics, the `attempt failed` log lines) and in its A-leg's session id. */
  readonly requestId: string;
  /** Who asked, and the id of their API key: the A-leg's principal and its attempt rows' `key_id`. */
  readonly principal: string;
  readonly keyId?: string;
  /** Told the request's A-leg once it is opened (after the body is decoded). */
  readonly onALeg?: (aLeg: { readonly aLegId: string; readonly sessionId: string }) => void;
  /** Filled in as a generation's is (the selector, the route journal, the candidate that served): what a recording keeps. */
  readonly meta?: ExecutionMeta;
  /** The recording's capture of this request (undefined: not recorded). */
  readonly trail?: EmbeddingsTrail | undefined;
  /** The request's trace (tracing on): its attempts are CLIENT spans under it. */
  readonly trace?: RequestTrace | undefined;
  /** The candidates the caller's key may use (`auth.api_keys[].allow`); absent: all. */
  readonly allow?: CandidateAllow | undefined;
}

/**
 * One embeddings request's body: decoded by its route, embedded by the route's candidates in
 * failover order within `routing.embeddings_timeout` (each call but the last within its share of
 * what is left of it), and encoded; with the candidate that
 * served and the input tokens (the upstream's count, else lip's estimate).
 * @throws LipError as the endpoint answers it (LIP_ERR_EMBEDDINGS_TIMEOUT past the timeout)
 */
export async function embedBody(body: unknown, c: EmbedCall): Promise<EmbedAnswer> {
  const { runtime } = c;
  const timeout = runtime.config.routing.embeddings_timeout;
  const bound = deadline(timeout, c.signal);
  const startedAt = performance.now();
  try {
    const decoded = c.route.decode(body, { params: c.params });
    c.decoded?.(decoded.request);
    const request = await guardedInputs(decoded.request, c);
    // The response cache (cache.enabled): a kept answer is given without a call (nothing spent).
    const lookup = runtime.cache ? await cachedEmbedding(runtime, request, c) : undefined;
    if (lookup?.cache === 'hit') {
      const { embedding: result, candidateKey } = lookup.answer;
      const usage: TokenCount = result.inputTokens !== undefined ? { inputTokens: result.inputTokens, estimated: false } : { inputTokens: estimateTextTokens(request.inputs), estimated: true };
      const model = runtime.config.routing.echo_requested_model ? request.model : servedModel(result.model, candidateKey, request.model);
      c.state.backend = candidateKey;
      if (c.meta !== undefined) c.meta.candidateKey = candidateKey;
      c.trail?.answered(result);
      return { answer: c.route.encode(result, { request, hints: decoded.hints ?? {}, model, usage }), key: candidateKey, usage, cost: undefined, cache: 'hit', cacheAgeMs: lookup.ageMs };
    }
    // An A-leg of its own (as an extension's auxiliary call has; its session id `embed:` and the
    // request id): each call is an attempt row of it,
    // so what it spent is in /admin/usage and /admin/attempts, and a persistent store keeps it for budgets.
    const { aLeg, pending } = runtime.sessions.auxiliary(c.principal, `embed:${c.requestId}`);
    c.onALeg?.({ aLegId: aLeg.aLegId, sessionId: aLeg.sessionId });
    const rows: AttemptRows = { store: pending?.stored === false ? pending.tickets : runtime.continuity, aLegId: aLeg.aLegId, keyId: c.keyId };
    const served = await embedWithFailover(request, runtime, {
      routeHeader: c.routeHeader, signal: bound.signal, timeLeft: () => timeout - (performance.now() - startedAt), state: c.state, headers: c.headers, requestId: c.requestId, rows, allow: c.allow,
      ...(c.meta !== undefined ? { meta: c.meta } : {}), trail: c.trail, trace: c.trace,
    });
    c.trail?.answered(served.result);
    if (lookup !== undefined && lookup.cache !== 'bypass') lookup.keep(served.result, served.key, served.backend);
    const model = runtime.config.routing.echo_requested_model ? request.model : servedModel(served.result.model, served.key, request.model);
    return {
      answer: c.route.encode(served.result, { request, hints: decoded.hints ?? {}, model, usage: served.usage }), key: served.key, usage: served.usage, cost: served.cost,
      ...(lookup !== undefined ? { cache: lookup.cache } : {}),
    };
  } catch (err) {
    if (bound.expired && !c.signal.aborted) {
      throw new LipError('LIP_ERR_EMBEDDINGS_TIMEOUT', `no embeddings within ${runtime.config.routing.embeddings_timeout / 1000} s (routing.embeddings_timeout)${c.state.backend ? ` (last tried: ${c.state.backend})` : ''}`);
    }
    throw err;
  } finally {
    bound.clear();
  }
}

/**
 * The texts to embed as the secret guards (the `secret_guard` stage, e.g. secrets-guard) leave
 * them: they leave for an upstream as a generation's text does. The guards see a call of one user
 * message whose text parts are the non-empty inputs, in order; a rejection is thrown (a 400 for a
 * block), a redaction is what gets embedded (and what the response cache keys). Without a secret
 * guard, the request itself.
 */
async function guardedInputs(request: EmbeddingRequest, c: EmbedCall): Promise<EmbeddingRequest> {
  const host = c.runtime.extensions;
  if (!host?.hooks.has('secretGuards')) return request;
  const at = request.inputs.flatMap((text, i) => (text.length > 0 ? [i] : []));
  if (at.length === 0) return request;
  const call = emptyCall({ model: request.model, messages: [{ role: 'user', parts: at.map((i): TextPart => ({ type: 'text', text: request.inputs[i]! })) }] });
  const userAgent = c.headers['user-agent'];
  const guarded = await host.guardSecrets(call, { requestId: c.requestId, principal: c.principal, ...(typeof userAgent === 'string' ? { userAgent } : {}) });
  if (guarded === call) return request;
  const parts = guarded.messages.length === 1 ? guarded.messages[0]!.parts : [];
  if (guarded.system.length > 0 || parts.length !== at.length || parts.some((p) => p.type !== 'text')) {
    throw new LipError('LIP_ERR_EXTENSION_FAILED', 'a secret guard changed the shape of the embeddings input (one text part per input is expected back)');
  }
  const inputs = [...request.inputs];
  at.forEach((i, n) => { inputs[i] = (parts[n] as TextPart).text; });
  return { ...request, inputs };
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

/** The cache's lookup of an embeddings request: keyed by its route's candidates; a kept answer of one the caller's key may not use, or from a backend row since changed, is none. */
function cachedEmbedding(runtime: Runtime, request: EmbeddingRequest, c: EmbedCall): Promise<EmbeddingLookup> {
  const route = runtime.executor.candidates(request.model, c.routeHeader, c.meta).map((candidate) => candidate.key);
  const allow = c.allow;
  const usable = allow ? (answer: { readonly backendId: string; readonly candidateKey: string }) => allow.allows(answer.backendId, answer.candidateKey.slice(answer.backendId.length + 1)) : undefined;
  return runtime.cache!.embedding(request, route, c.principal, c.headers, usable, runtime.executor.backendRow);
}
