import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { defer } from 'rxjs/internal/observable/defer';
import { throwError } from 'rxjs/internal/observable/throwError';
import { catchError } from 'rxjs/internal/operators/catchError';
import { tap } from 'rxjs/internal/operators/tap';
import { asyncScheduler } from 'rxjs/internal/scheduler/async';
import type { MonoTypeOperatorFunction, Observable, SchedulerLike } from 'rxjs';
import type { Call, LipEvent, Usage } from '../canonical/index.js';
import { addUsage, estimateTokens, isOutputEvent } from '../canonical/index.js';
import type { Backend, ClientHeaders } from '../backends/backend.js';
import type { BackendConfig, Config } from '../config/index.js';
import { outcomeOf, type CircuitBreaker, type CircuitDecision } from '../circuit/index.js';
import { recordAttempt, type ContinuityStore, type PendingALeg, type ResolvedALeg } from '../continuity/index.js';
import type { AttemptExtension, ExtensionHost, ExtensionRequest, NestedCall } from '../extensions/index.js';
import { LipError, toLipError } from '../errors/index.js';
import type { FlowGate } from '../wire/index.js';
import { limitHeldEvents } from '../routing/operators/limit-held-events.js';
import { ttftTimeout } from '../routing/operators/ttft-timeout.js';
import { applyOverrides } from '../routing/params/apply-overrides.js';
import { compilePlan } from '../routing/plan/compile-plan.js';
import { candidateOf, ineligibility } from '../routing/plan/leaf-attempt.js';
import type { AttemptRole, Candidate, RouteContext, Skip } from '../routing/plan/route-context.js';
import { RouteJournal, type JournalEntry } from '../routing/plan/route-journal.js';
import { compileAliases, type CompiledAlias } from '../routing/selector/aliases.js';
import { leavesOf } from '../routing/selector/candidate-key.js';
import type { Selector } from '../routing/selector/ast.js';
import { defaultBackendFor } from '../routing/selector/resolve-model-only.js';
import { operationName, providerName } from '../backends/gen-ai/registry.js';
import { upstreamRequestId } from '../observability/gen-ai.js';
import type { Pricing } from '../observability/pricing.js';
import type { RequestTrace } from '../observability/tracing.js';
import { upstreamCallHeaders } from '../observability/upstream-call-headers.js';
import { planJson } from '../routing/selector/explain-selector.js';
import { attemptChannel, attemptFailedChannel, AttemptStats, EstimatingAttemptStats, NO_USAGE, observeAttempt, watchAttempt, type AttemptInfo, type AttemptReport, type AttemptWatch } from './attempt.js';
import { DispatchRelay } from './dispatch-relay.js';
import { ObservedJournal, routeChannel, type RouteDecision } from './observe-route.js';
import { CompiledSelectors, type CompiledSelector } from './compiled-selectors.js';
import { resumeAfterOutput } from './resume-answer.js';
import { CatalogGate, extensionFacts, type CatalogPolicy } from './model-catalog/index.js';
import { resolveSelector, type ResolvedSelector, type SelectorSource } from './route-input.js';
import { RouteLog } from './route-log.js';
import { UnknownModels } from './unknown-models.js';
import type { BackendRows, CachedAnswer, CacheResult, ResponseCache } from './response-cache.js';
import { candidatesForbidden, notAllowed, type CandidateAllow } from './candidate-allow.js';
import { wantsWhole } from './whole-answer.js';
import { keysCooling } from './keys-cooling.js';

/** Filled in by the executor while a request runs; the server reads it for response headers. */
export interface ExecutionMeta {
  selector?: string;
  selectorSource?: SelectorSource;
  /** The candidate that serves: `backend:model[?query]` (set when its output reaches the client). */
  candidateKey?: string;
  backendId?: string;
  /** Every candidate's fate in this request (the route journal's entries; recordings read it). */
  journal?: readonly JournalEntry[];
  /** Attempts started, and the tokens and cost of all of them (a race loser's tokens count too). */
  attempts?: number;
  usage?: Usage;
  cost?: number;
  /** Some of `usage` is lip's estimate (the access line's `token_count: estimate`): an answer cut after it began before its upstream reported all of its tokens, an embedding its upstream counted none of. */
  estimated?: boolean;
  /** `performance.now()` when the first output event left the plan (towards the client). */
  firstOutputAt?: number;
  /** How the response cache met the request (with `cache.enabled`), and a hit's age in milliseconds. */
  cache?: CacheResult;
  cacheAgeMs?: number;
}

export interface ExecuteContext {
  readonly requestId: string;
  /** `X-LIP-Route`, when the client sent one. */
  readonly routeHeader?: string;
  readonly meta: ExecutionMeta;
  /** The authenticated principal (`local` in single-user mode). */
  readonly principal?: string;
  /** The id of the client's API key (`auth.api_keys[].id`), for attempt rows. */
  readonly keyId?: string;
  /** The candidates that key may be served by (`auth.api_keys[].allow`); absent: all. */
  readonly allow?: CandidateAllow;
  /**
   * The conversation this request belongs to: its attempts are recorded as B-legs, its
   * `[first]` and `{affinity=session}` state steer routing. Absent: every request stands alone.
   */
  readonly aLeg?: ResolvedALeg;
  /**
   * Set when `aLeg` is a new conversation with no record yet (`continuity.lineage:
   * conversations`): stored before routing when the selector keeps session state (`[first]`,
   * `{affinity=session}`); otherwise its attempts are numbered but leave no rows.
   */
  readonly pendingALeg?: PendingALeg;
  /** The client's backpressure (streamed responses): sources pause their upstream while it is closed. */
  readonly flow?: FlowGate;
  /**
   * Told when an attempt's upstream request waits for a connection (`connections_per_origin`
   * are busy): a streaming response commits its headers then instead of waiting silently.
   */
  readonly onQueued?: () => void;
  /** Told when an attempt starts: the route resolved to a candidate (a background response's create is answered then). */
  readonly onAttempt?: () => void;
  /** Told when the extensions' request stages start and end (the server's 102 keep-alive). */
  readonly onRequestStages?: (running: boolean) => void;
  /** The frontend (protocol) id the request came through, for extensions and observations. */
  readonly frontendId?: string;
  /** The client's `User-Agent`, for extensions that adapt to the client harness. */
  readonly userAgent?: string;
  /** The client's request headers, for the identity values a backend passes through (absent: a call lip makes itself). */
  readonly clientHeaders?: ClientHeaders;
  /** Set when an extension's auxiliary call runs this request (its depth, disabled features). */
  readonly nested?: NestedCall;
  /** The request's trace (tracing on): attempts become CLIENT spans under it. */
  readonly trace?: RequestTrace;
  /** Why the request is being cancelled, when it is (a cancel endpoint): recorded on its attempts. */
  readonly cancelReason?: () => string | undefined;
}

export interface ExecutorOptions {
  /** Time for routing operators and budgets (tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
  /** Uniform in [0, 1) for weighted choices (tests pass a seeded one). */
  readonly rng?: () => number;
  /** Where attempts and conversation routing state are recorded. */
  readonly continuity?: ContinuityStore;
  /** Skips candidates whose circuit is open and learns from every attempt's outcome. */
  readonly breaker?: CircuitBreaker;
  /** The enabled feature plugins (absent: no stage runs and nothing is added to the path). */
  readonly extensions?: ExtensionHost;
  /** Warnings of the executor itself (an unknown model, once per name). */
  readonly logger?: { warn(message: string, meta?: Record<string, unknown>): unknown };
  /** The `pricing:` table: each attempt's cost from its usage. */
  readonly pricing?: Pricing;
  /** `model_catalog`: candidates left out by their models' facts, calls adapted to them. */
  readonly catalog?: CatalogPolicy;
  /** `cache`: answers kept and given again to the same request (absent: nothing is looked up). */
  readonly cache?: ResponseCache;
  /** The routing decisions of the runtime a reload replaces, kept on (resized to `diagnostics.recent_routes`). */
  readonly routes?: RouteLog;
}

/** A request's route, resolved and checked (`Executor.checkRoute`). */
interface CheckedRoute {
  readonly resolved: ResolvedSelector;
  readonly compiled: CompiledSelector;
}

/** What the attempts of one request share: the last failure, and whether routing moved on from it. */
interface RequestTally {
  lastFailed: { readonly key: string; readonly code: string } | undefined;
  /** Routing moved on after a failure (RouteContext.failingOver): the next attempt opened is a failover from `lastFailed`. */
  failingOver: boolean;
}

/** `{affinity=client}` bindings (principal -> candidate key), bounded, oldest dropped first. */
class ClientAffinity {
  private readonly map = new Map<string, string>();
  constructor(private readonly capacity = 100_000) {}
  get(principal: string): string | undefined {
    return this.map.get(principal);
  }
  set(principal: string, key: string): void {
    this.map.delete(principal);
    if (this.map.size >= this.capacity) this.map.delete(this.map.keys().next().value!);
    this.map.set(principal, key);
  }
  clear(principal: string, key: string): void {
    if (this.map.get(principal) === key) this.map.delete(principal);
  }
}

/**
 * The core seam: `Call -> Observable<LipEvent>`. Cold: nothing happens until the frontend
 * subscribes, and unsubscribing cancels every upstream attempt. Resolves the selector (header,
 * model, alias, default route), compiles it into the operator tree (failover, weighted choice,
 * races, TTFT budgets), and opens backends through attempt reporting and the commit gate.
 */
export class Executor {
  readonly routes: RouteLog;
  private readonly aliases: CompiledAlias[];
  private readonly selectors: CompiledSelectors;
  private readonly backendIds: ReadonlySet<string>;
  private readonly scheduler: SchedulerLike;
  private readonly rng: () => number;
  private readonly continuity: ContinuityStore | undefined;
  private readonly breaker: CircuitBreaker | undefined;
  private readonly extensions: ExtensionHost | undefined;
  private readonly pricing: Pricing | undefined;
  private readonly catalog: CatalogPolicy | undefined;
  private readonly cache: ResponseCache | undefined;
  /** What decides a cached answer besides the call (`ResponseCache.key`'s variant). */
  private readonly cacheVariant: (call: Call, ctx: ExecuteContext) => string;
  private readonly logger: ExecutorOptions['logger'];
  /** The request's usage is read at its end (the access-log line, the request metrics). */
  private readonly accounting: boolean;
  /** The API keys whose `budget` or `tokens_per_minute` is charged what their requests spend (their attempts count their output: EstimatingAttemptStats). */
  private readonly charged: ReadonlySet<string>;
  private readonly clientAffinity = new ClientAffinity();
  private readonly unknownModels: UnknownModels;

  constructor(private readonly config: Config, private readonly backends: ReadonlyMap<string, Backend>, options: ExecutorOptions = {}) {
    this.continuity = options.continuity;
    this.breaker = options.breaker?.enabled ? options.breaker : undefined;
    this.extensions = options.extensions;
    this.pricing = options.pricing?.empty === false ? options.pricing : undefined;
    this.catalog = options.catalog;
    this.cache = options.cache;
    this.cacheVariant = cacheVariant(config, options.extensions);
    this.logger = options.logger;
    // Per-key budgets and tokens-per-minute limits count each request's tokens and cost too.
    this.charged = new Set(config.auth.api_keys.filter((k) => k.budget !== undefined || k.tokens_per_minute !== undefined).map((k) => k.id));
    this.accounting = config.logging.access_log || config.observability.metrics.enabled || this.charged.size > 0;
    this.aliases = compileAliases(config.model_aliases);
    this.backendIds = new Set(config.backends.map((b) => b.id));
    this.selectors = new CompiledSelectors(defaultBackendFor(config.routing.default_route, this.aliases), new Set(backends.keys()), this.backendIds);
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.rng = options.rng ?? Math.random;
    this.routes = options.routes ?? new RouteLog(config.diagnostics.recent_routes);
    if (options.routes) options.routes.resize(config.diagnostics.recent_routes);
    this.unknownModels = new UnknownModels(config, options.logger);
  }

  execute(call: Call, ctx: ExecuteContext): Observable<LipEvent> {
    // With features enabled, the request stages run first and each attempt gets its stages.
    if (this.extensions !== undefined) return this.extensions.execute(call, ctx, (staged, ext) => this.plan(staged, ctx, ext));
    return this.plan(call, ctx);
  }

  /** The cost of `usage` on `backend`'s `model` by the `pricing:` table (an embeddings call's input tokens); undefined when nothing prices it. */
  cost(backend: string, model: string, usage: Usage): number | undefined {
    return this.pricing?.cost(backend, model, usage);
  }

  /**
   * The candidates a request for `model` (or its `X-LIP-Route` header) may go to, resolved and
   * checked as for a generation (aliases, default route; an unknown backend, or model under
   * `routing.unknown_model: reject`, is refused), for calls that try one upstream at a time
   * without the routing operators (embeddings): every leaf in failover order, a weighted or race
   * arm's in the order written, each `backend:model` once. Leaf queries (generation overrides)
   * do not apply to them. `meta` is told the selector and where it came from.
   * @throws LipError as a generation would be refused.
   * @see spec/e2e/embeddings.spec.ts
   */
  candidates(model: string, header?: string, meta?: ExecutionMeta): { backend: string; model: string; key: string }[] {
    const resolved = resolveSelector({ model, ...(header ? { header } : {}) }, this.backendIds, this.aliases, this.config.routing.default_route);
    const unknown = this.unknownModels.check(model, resolved.source);
    if (unknown) throw unknown;
    if (meta !== undefined) {
      meta.selector = resolved.selector;
      meta.selectorSource = resolved.source;
    }
    const byKey = new Map<string, { backend: string; model: string; key: string }>();
    for (const leaf of this.selectors.get(resolved.selector, resolved.source).selector.arms.flatMap(leavesOf)) {
      // Every leaf names an enabled backend once compiled (model-only leaves get the default one).
      const key = `${leaf.backend!}:${leaf.model}`;
      if (!byKey.has(key)) byKey.set(key, { backend: leaf.backend!, model: leaf.model, key });
    }
    return [...byKey.values()];
  }

  /**
   * The request after its stages: answered from the response cache when it holds this request's
   * answer (an extension's auxiliary call never is), else routed (and its answer kept).
   */
  private plan(call: Call, ctx: ExecuteContext, ext?: ExtensionRequest): Observable<LipEvent> {
    const cache = this.cache;
    if (cache === undefined || ctx.nested !== undefined) return this.route(call, ctx, ext);
    return defer(() => {
      // The route is checked as routing checks it before anything is looked up: a backend
      // removed or disabled by a reload, or a model `unknown_model: reject` refuses, is refused.
      const checked = this.checkRoute(call, ctx);
      if (checked instanceof LipError) return throwError(() => checked);
      const allow = ctx.allow;
      // A kept answer of a candidate this request's key may not use is not given to it.
      const usable = allow ? (hit: { readonly candidateKey: string; readonly backendId: string }) => allow.allows(hit.backendId, modelOf(hit.candidateKey, hit.backendId)) : undefined;
      return cache.serve(call, checked.resolved.selector, ctx.principal, ctx.clientHeaders, ctx.meta, () => this.route(call, ctx, ext, checked), {
        usable, flow: ctx.flow, variant: this.cacheVariant(call, ctx), rows: this.backendRow,
        ...(ext !== undefined ? { observeHit: (hit: CachedAnswer) => this.observeHit(call, hit, ext) } : {}),
      });
    });
  }

  /**
   * A hit seen by the extensions' final stream observers, with the candidate that served it as
   * their target (reasoning-output-preservation keeps its turn as if that attempt had just
   * served it); undefined when no observer applies to it.
   */
  private observeHit(call: Call, hit: CachedAnswer, ext: ExtensionRequest): MonoTypeOperatorFunction<LipEvent> | undefined {
    const backend = this.backends.get(hit.backendId);
    if (backend === undefined) return undefined;
    const candidate = { backend: hit.backendId, model: modelOf(hit.candidateKey, hit.backendId), key: hit.candidateKey };
    return ext.observeCached(call, candidate, backend, this.catalog ? extensionFacts(this.catalog, candidate.backend, candidate.model) : undefined);
  }

  /**
   * The digest of a running backend's config row (undefined for one not running), which the
   * response cache keeps with each answer: a reload that changes the row (its kind, base URL,
   * models, settings; not its credentials) or removes it makes its kept answers misses.
   */
  readonly backendRow: BackendRows = (backendId) => {
    let row = this.rowDigests.get(backendId);
    if (row === undefined && this.backends.has(backendId)) {
      const config = this.config.backends.find((b) => b.id === backendId);
      if (config !== undefined) this.rowDigests.set(backendId, (row = backendRowDigest(config)));
    }
    return row;
  };

  private readonly rowDigests = new Map<string, string>();

  /** The request's selector resolved (told to `ctx.meta`), refused as routing refuses it, and compiled; or the refusal. */
  private checkRoute(call: Call, ctx: ExecuteContext): CheckedRoute | LipError {
    const resolved = resolveSelector({ model: call.model, ...(ctx.routeHeader ? { header: ctx.routeHeader } : {}) },
      this.backendIds, this.aliases, this.config.routing.default_route);
    ctx.meta.selector = resolved.selector;
    ctx.meta.selectorSource = resolved.source;
    const unknown = this.unknownModels.check(call.model, resolved.source);
    if (unknown) return unknown;
    let compiled: CompiledSelector;
    try {
      compiled = this.selectors.get(resolved.selector, resolved.source);
    } catch (err) {
      if (err instanceof LipError) return err;
      throw err;
    }
    const allow = ctx.allow;
    if (allow !== undefined) {
      const leaves = compiled.selector.arms.flatMap(leavesOf);
      if (!leaves.some((l) => allow.allows(l.backend!, l.model))) return candidatesForbidden(allow, [...new Set(leaves.map((l) => `${l.backend!}:${l.model}`))]);
    }
    return { resolved, compiled };
  }

  /** The request routed: `checked` when `plan` checked its route already. */
  private route(call: Call, ctx: ExecuteContext, ext?: ExtensionRequest, checked?: CheckedRoute): Observable<LipEvent> {
    return defer(() => {
      const path = checked ?? this.checkRoute(call, ctx);
      if (path instanceof LipError) return throwError(() => path);
      const { resolved, compiled } = path;
      const allow = ctx.allow;
      if (compiled.needsSessionState && ctx.pendingALeg?.stored === false) ctx.pendingALeg.store();
      // A watched request (debug log, sampled trace) gets a journal that reports each decision.
      const watched = routeChannel.hasSubscribers || ctx.trace?.recording === true;
      const journal = watched ? new ObservedJournal(this.scheduler, ctx.requestId, ctx.trace) : new RouteJournal(this.scheduler);
      ctx.meta.journal = journal.entries;
      if (routeChannel.hasSubscribers) {
        routeChannel.publish({ type: 'plan', requestId: ctx.requestId, selector: resolved.selector, source: resolved.source, maxAttempts: this.config.routing.max_attempts, plan: planJson(resolved.selector, compiled.selector) } satisfies RouteDecision);
      }
      const tally: RequestTally = { lastFailed: undefined, failingOver: false };
      const affinity = this.affinity(compiled.selector.global.affinity, ctx);
      const sticky = affinity.bound ?? ext?.preferred;
      const estimatedTokens = compiled.needsSizeEstimate ? estimateTokens(call) : undefined;
      const gate = this.catalog ? new CatalogGate(this.catalog, call, estimatedTokens) : undefined;
      const route: RouteContext = {
        scheduler: this.scheduler,
        rng: this.rng,
        estimatedTokens,
        firstRequest: !(ctx.aLeg?.firstConsumed ?? false),
        budget: { remaining: this.config.routing.max_attempts },
        maxAttempts: this.config.routing.max_attempts,
        journal,
        ...(sticky !== undefined ? { sticky } : {}),
        ...withAllow(this.breaker ? this.circuitGate(this.breaker, gate) : { eligibility: gate ? (candidate) => gate.skip(candidate) ?? this.keysCooling(candidate) : this.keysCooling }, allow),
        open: (candidate, role) => this.open(call, candidate, role, ctx, route, compiled.selector.global.ttftTimeoutMs, tally, ext, gate),
        failingOver: () => { tally.failingOver = true; },
        commit: (candidate, role) => {
          if (ctx.meta.candidateKey !== undefined) return;
          if (role.inRace) {
            ctx.trace?.event('lip.race.win', { 'lip.candidate_key': candidate.key });
            if (attemptChannel.hasSubscribers) attemptChannel.publish({ phase: 'win', requestId: ctx.requestId, candidateKey: candidate.key, backendId: candidate.backend } satisfies AttemptReport);
          }
          ctx.meta.candidateKey = candidate.key;
          ctx.meta.backendId = candidate.backend;
          if (role.first && ctx.aLeg) this.continuity?.markFirstConsumed(ctx.aLeg.aLegId);
          if (candidate.key !== affinity.bound) affinity.bind(candidate.key);
        },
      };
      if (journal instanceof ObservedJournal) journal.budget = route.budget;
      let outcome: 'success' | 'failure' | 'cancelled' = 'cancelled';
      let error: string | undefined;
      let ttft: number | null = null;
      const planned = compilePlan(compiled.selector, route);
      const resume = this.config.routing.resume_after_output;
      const answer = resume.enabled ? this.resumable(planned, call, compiled.selector, route, ctx, tally, resume.max_resumes, ext, gate) : planned;
      return answer.pipe(
        // One operator for the request's own bookkeeping (every event passes it).
        tap({
          next: (event) => {
            if (ttft === null && isOutputEvent(event)) {
              ttft = journal.elapsed();
              ctx.meta.firstOutputAt = performance.now();
            }
          },
          error: (err: unknown) => {
            outcome = 'failure';
            error = toLipError(err).code;
            if (error === 'LIP_ERR_ROUTE_TTFT_TIMEOUT') ctx.trace?.event('lip.ttft_timeout', { 'lip.ttft_scope': 'global' });
          },
          complete: () => { outcome = 'success'; },
          finalize: () => {
            // A bound candidate that could not serve (skipped, failed) loses the binding.
            if (affinity.bound !== undefined) {
              const bound = journal.entries.find((e) => e.key === affinity.bound);
              if (bound && (bound.outcome === 'skipped' || bound.outcome === 'failed')) affinity.clear(bound.key);
            }
            this.routes.push({
              request_id: ctx.requestId, at: new Date().toISOString(), selector: resolved.selector, selector_source: resolved.source,
              candidates: journal.entries, served: ctx.meta.candidateKey ?? null, ttft_ms: ttft, outcome, ...(error ? { error } : {}),
            });
          },
        }),
      );
    });
  }

  /**
   * `routing.resume_after_output`: the plan's answer, resumed when it breaks after output
   * (resume-answer.ts) on the route's candidates whose backend takes a prefill: the others
   * first, in route order (a different upstream), then the one that served; each resumption is
   * an attempt of the request (`max_attempts`, the circuit, the journal, a B-leg).
   */
  private resumable(planned: Observable<LipEvent>, call: Call, selector: Selector, route: RouteContext, ctx: ExecuteContext, tally: RequestTally, maxResumes: number, ext?: ExtensionRequest, gate?: CatalogGate): Observable<LipEvent> {
    const role: AttemptRole = { inRace: false };
    return resumeAfterOutput<Candidate>(planned, {
      call,
      maxResumes,
      targets: () => {
        const served = ctx.meta.candidateKey;
        const seen = new Set<string>();
        const all = selector.arms.flatMap(leavesOf).map(candidateOf).filter((c) => {
          if (seen.has(c.key) || this.backends.get(c.backend)?.prefill !== true) return false;
          seen.add(c.key);
          return true;
        });
        // Another candidate left out is a skip like routing's own (the record, /admin/routes and the span say why).
        const others = all.filter((c) => {
          if (c.key === served) return false;
          const why = ineligibility(c, route);
          if (why !== undefined) route.journal.skip(c.key, why.reason, why.retryAfterMs, why.overflow);
          return why === undefined;
        });
        return [...others, ...all.filter((c) => c.key === served)];
      },
      open: (continued, candidate) => defer(() => {
        if (route.budget.remaining <= 0) {
          return throwError(() => new LipError('LIP_ERR_ROUTE_MAX_ATTEMPTS', `routing.max_attempts (${route.maxAttempts}) spent before resuming on ${candidate.key}`));
        }
        const refused = route.admit?.(candidate, role);
        if (refused) {
          // A skip like routing's own: the journal (the record, /admin/routes) and the span say so.
          route.journal.skip(candidate.key, refused.reason, refused.retryAfterMs);
          return throwError(() => new LipError('LIP_ERR_ROUTE_NO_CANDIDATE', `${candidate.key} skipped: ${refused.reason}`, { retryable: true }));
        }
        route.budget.remaining--;
        const entry = route.journal.start(candidate.key);
        // Each resumption moves on from the attempt that broke (or the resumption that failed before it).
        tally.failingOver = true;
        return this.open(continued, candidate, role, ctx, route, undefined, tally, ext, gate).pipe(tap({
          error: (err: unknown) => route.journal.fail(entry, err),
          complete: () => { if (entry.outcome === 'running') entry.outcome = 'served'; },
          unsubscribe: () => { if (entry.outcome === 'running') entry.outcome = 'cancelled'; },
        }));
      }),
      onResume: (candidate, cause) => {
        ctx.trace?.event('lip.resume', { 'lip.candidate_key': candidate.key, 'error.type': cause.code });
        this.logger?.warn('answer broke after output; resuming it', { request_id: ctx.requestId, on: candidate.key, cause: cause.code, reason: cause.message });
      },
    });
  }

  /** A candidate whose backend's API keys all cool down after a 429 is skipped (keysCooling); made once, not per request. */
  private readonly keysCooling = (candidate: Candidate): Skip | undefined => keysCooling(this.backends.get(candidate.backend));

  /** Routing's view of the breaker: open circuits are skipped, an attempt start takes a decision. */
  private circuitGate(breaker: CircuitBreaker, catalog?: CatalogGate): Pick<RouteContext, 'eligibility' | 'admit'> {
    const skip = (d: CircuitDecision) => ({ reason: `circuit ${d.state}`, ...(d.retryAfterMs !== undefined ? { retryAfterMs: d.retryAfterMs } : {}) });
    return {
      eligibility: (candidate) => {
        // A model that cannot take the request is left out whatever its circuit says.
        const unfit = catalog?.skip(candidate);
        if (unfit) return unfit;
        const decision = breaker.peek(candidate.key);
        return decision.allowed ? this.keysCooling(candidate) : skip(decision);
      },
      admit: (candidate, role) => {
        const decision = breaker.check(candidate.key);
        if (!decision.allowed) return skip(decision);
        role.admission = decision;
        return undefined;
      },
    };
  }

  /** The binding `{affinity=session|client}` reads, and how to move it. */
  private affinity(mode: 'session' | 'client' | undefined, ctx: ExecuteContext) {
    const store = this.continuity;
    const leg = ctx.aLeg;
    const principal = ctx.principal ?? 'local';
    if (mode === 'session' && leg && store) {
      return {
        bound: leg.affinity?.candidateKey,
        bind: (key: string) => store.bindAffinity(leg.aLegId, key),
        clear: (key: string) => store.clearAffinity(leg.aLegId, key),
      };
    }
    if (mode === 'client') {
      return {
        bound: this.clientAffinity.get(principal),
        bind: (key: string) => this.clientAffinity.set(principal, key),
        clear: (key: string) => this.clientAffinity.clear(principal, key),
      };
    }
    return { bound: undefined, bind: () => undefined, clear: () => undefined };
  }

  /** An attempt the extensions refused before it opened: its circuit admission is given back (a half-open probe slot freed), nothing else was taken. */
  private refused(candidate: Candidate, role: AttemptRole, err: LipError): Observable<never> {
    this.breaker?.record(candidate.key, 'ignored', role.admission as CircuitDecision | undefined);
    return throwError(() => err);
  }

  /**
   * One backend attempt: per-leaf overrides merged, leaf TTFT budget, reported on `lip:attempt`,
   * recorded as a B-leg of the conversation (outside the leaf budget, so an expiry is a
   * swallowed failure, and with the reason when an operator cancels it). A non-streaming client
   * call gets `whole` targets where the plan needs no first token (see whole-answer.ts).
   */
  private open(call: Call, candidate: Candidate, role: AttemptRole, ctx: ExecuteContext, route: RouteContext, globalTtftMs: number | undefined, tally: RequestTally, ext?: ExtensionRequest, gate?: CatalogGate): Observable<LipEvent> {
    const backend = this.backends.get(candidate.backend)!;
    const overridden = applyOverrides(call.options, candidate.leaf.params);
    const options = gate ? gate.adapt(overridden, candidate) : overridden;
    let attemptCall = options === call.options ? call : { ...call, options };
    // What the model catalog knows of the model, for the extensions (reasoning-output-preservation).
    const catalog = gate && ext ? gate.extensionFacts(candidate) : undefined;
    const cancelReason = () => role.cancelReason ?? route.cancelReason ?? ctx.cancelReason?.() ?? 'client abort';
    // The extensions shape the attempt's call and choose its stream stages (inside the leaf, before
    // its commit gate: a buffering stage moves the commit) before anything counts or watches it, so
    // that one they refuse is no attempt; only the breaker's admission is given back.
    let attempt: AttemptExtension | undefined;
    if (ext !== undefined) {
      const prepared = ext.prepareAttempt(attemptCall, candidate, backend, catalog);
      if (prepared instanceof LipError) return this.refused(candidate, role, prepared);
      attemptCall = prepared;
      const stages = ext.attempt(attemptCall, candidate, backend, catalog, cancelReason);
      if (stages instanceof LipError) return this.refused(candidate, role, stages);
      attempt = stages;
    }
    const whole = wantsWhole(call, role, candidate.leaf, globalTtftMs);
    const provider = providerName(backend.kind);
    // Rows go to the store unless the conversation has no record (then tickets alone number the attempts).
    const rows = ctx.pendingALeg?.stored === false ? ctx.pendingALeg.tickets : this.continuity;
    const recording = rows === this.continuity && rows !== undefined && ctx.aLeg !== undefined;
    // One failover per move, from the last attempt that failed; a race leg that starts after
    // another leg failed (a handicap) moved nowhere.
    const failedBefore = tally.failingOver ? tally.lastFailed : undefined;
    tally.failingOver = false;
    if (failedBefore !== undefined) tally.lastFailed = undefined;
    if (failedBefore !== undefined) ctx.trace?.event('lip.failover', { 'lip.failover.from': failedBefore.key, 'lip.failover.to': candidate.key, 'error.type': failedBefore.code });
    const span = ctx.trace?.recording ? ctx.trace.attempt({
      candidateKey: candidate.key, backendId: candidate.backend, model: candidate.model, provider, operation: operationName(backend.kind),
      stream: call.stream, inRace: role.inRace, ...(ctx.aLeg ? { aLegId: ctx.aLeg.aLegId } : {}),
    }) : undefined;
    // An attempt is watched (its end, time to first output, the request's usage) only when
    // something reads that: a `lip:attempt` listener (metrics; the recorder has none), a `lip:attempt-failed`
    // one (the attempt log lines), its
    // span, or the request's usage for the access log. A continuity row alone gathers the usage
    // in its own operator. Otherwise the attempt is not wrapped at all.
    const watched = span !== undefined || this.accounting || attemptChannel.hasSubscribers || attemptFailedChannel.hasSubscribers;
    const pricing = this.pricing;
    const price = pricing ? (usage: Usage, webSearches: number) => pricing.cost(candidate.backend, candidate.model, usage, webSearches) : undefined;
    // A key charged what it spends counts the output too, for an answer cut after it began.
    const estimating = ctx.keyId !== undefined && this.charged.has(ctx.keyId) ? new EstimatingAttemptStats(price, () => estimateTokens(attemptCall)) : undefined;
    const stats = estimating ?? (watched || recording ? new AttemptStats(price) : undefined);
    const budget = candidate.leaf.ttftTimeoutMs;
    // The leaf budget starts when the request is dispatched, not while it waits for a connection.
    const dispatch = budget !== undefined || ctx.onQueued ? new DispatchRelay(ctx.onQueued) : undefined;
    const outputCeiling = gate?.outputCeiling(candidate);
    let source = backend.stream(attemptCall, {
      model: candidate.model, candidateKey: candidate.key, flow: ctx.flow, whole: whole || undefined, dispatch, clientHeaders: ctx.clientHeaders,
      ...(outputCeiling !== undefined ? { outputCeiling } : {}),
      // X-Request-Id (and the trace context) go upstream; the upstream's status and own request id come back.
      requestHeaders: upstreamCallHeaders(ctx.requestId, ctx.trace, span),
      onUpstreamResponse: stats ? (status: number, headers: Readonly<Record<string, string | string[] | undefined>>) => {
        stats.upstreamStatus = status;
        stats.upstreamRequestId = upstreamRequestId(headers);
      } : undefined,
    });
    // `routing.context_overflow: next`: a window too small for the request is this candidate's, not the route's.
    if (this.config.routing.context_overflow === 'next') source = source.pipe(catchError(nextOnContextOverflow));
    if (budget !== undefined) {
      source = source.pipe(ttftTimeout(budget, () => new LipError('LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT', `${candidate.key}: no output within its ttft_timeout of ${budget} ms`), this.scheduler, dispatch));
    }
    // Events waiting for the first output are bounded here, inside what watches the attempt (its
    // circuit, its row, its report), so that an upstream flooding them fails the attempt for all of them.
    // A race leg waits for substantive output, so its whitespace is held (and bounded) as well.
    const { max_pending_wire_events: maxPending, max_buffered_bytes: maxBuffered } = this.config.server;
    if (maxPending > 0 || role.inRace) source = source.pipe(limitHeldEvents(maxPending, role.inRace ? maxBuffered : undefined));
    const meta = ctx.meta;
    meta.attempts = (meta.attempts ?? 0) + 1;
    ctx.onAttempt?.();
    const info: AttemptInfo | undefined = stats && watched ? {
      requestId: ctx.requestId, candidateKey: candidate.key, backendId: candidate.backend, model: candidate.model, provider, stats, cancelReason,
      failoverFrom: failedBefore?.key, failoverReason: failedBefore?.code, span,
      onEnd: (outcome, _stats, errorCode) => {
        if (outcome === 'failure') tally.lastFailed = { key: candidate.key, code: errorCode ?? 'unknown' };
        // An answer cut after it began (the client left, a shutdown, a cancel; not a race's loser,
        // whose output no client saw): what its upstream had not reported is lip's estimate, on its
        // row and charged (its report and span, already written, keep the upstream's counts).
        if (outcome === 'cancelled' && estimating !== undefined && meta.candidateKey !== undefined && cancelReason() !== 'race loser' && estimating.estimateMissing()) meta.estimated = true;
        if (stats.usage !== NO_USAGE) meta.usage = addUsage(meta.usage, stats.usage);
        const cost = stats.cost;
        if (cost !== undefined) meta.cost = (meta.cost ?? 0) + cost;
      },
    } : undefined;
    const breaker = this.breaker;
    const recorded = rows !== undefined && ctx.aLeg !== undefined;
    // Traffic observation alone (the recorder; no stream stage) runs inside the attempt's row.
    const observeInRow = recorded && attempt?.observeOnly !== undefined ? attempt.observeOnly : undefined;
    // A recorded attempt with nothing between the watch and its row (no breaker, no stages) runs
    // the watch inside the row's operator: one operator per attempt instead of two.
    const watchInRow = info !== undefined && recorded && !breaker && (attempt === undefined || observeInRow !== undefined);
    if (info !== undefined && !watchInRow) source = observeAttempt(source, info);
    if (breaker) {
      const decision = role.admission as CircuitDecision | undefined;
      source = source.pipe(tap({
        complete: () => breaker.record(candidate.key, 'success', decision),
        error: (err: unknown) => breaker.record(candidate.key, outcomeOf(err), decision),
        unsubscribe: () => breaker.record(candidate.key, 'cancelled', decision),
      }));
    }
    if (attempt !== undefined && observeInRow === undefined) source = attempt.stages(source);
    if (!rows || !ctx.aLeg) return source;
    const onBegin = attempt?.onBegin;
    return source.pipe(recordAttempt({
      store: rows,
      onBegin: span ? (ticket) => { span.setBLegSeq(ticket.seq); onBegin?.(ticket); } : onBegin,
      result: stats ? () => stats : undefined,
      observe: stats && !watched ? (event: LipEvent) => stats.observe(event) : undefined,
      watch: observeInRow ? () => bothWatches(watchInRow ? watchAttempt(info) : undefined, observeInRow()) : watchInRow ? () => watchAttempt(info) : undefined,
      aLegId: ctx.aLeg.aLegId,
      start: { candidateKey: candidate.key, backendId: candidate.backend, model: candidate.model, keyId: ctx.keyId },
      cancelReason,
    }));
  }
}

/** Two watchers of one attempt as one, in order (the attempt's own, then its traffic observation). */
function bothWatches(first: AttemptWatch | undefined, second: AttemptWatch | undefined): AttemptWatch | undefined {
  if (first === undefined || second === undefined) return first ?? second;
  return {
    next(event) {
      first.next(event);
      second.next(event);
    },
    end(outcome, err, reason) {
      first.end(outcome, err, reason);
      second.end(outcome, err, reason);
    },
  };
}

/** A context-window refusal made retryable, so that routing tries the next candidate (`routing.context_overflow: next`). */
function nextOnContextOverflow(err: unknown): Observable<never> {
  const e = toLipError(err);
  if (e.code !== 'LIP_ERR_UPSTREAM_CONTEXT_EXCEEDED' || e.retryable) return throwError(() => err);
  return throwError(() => new LipError(e.code, e.message, { status: e.status, retryable: true, ...(e.detail ? { detail: e.detail } : {}) }));
}

/** The route's gates with a key's allow list in front: a candidate it may not use is skipped before any other check. */
function withAllow(gates: Pick<RouteContext, 'eligibility' | 'admit'>, allow: CandidateAllow | undefined): Pick<RouteContext, 'eligibility' | 'admit'> {
  if (allow === undefined) return gates;
  const other = gates.eligibility;
  const skip = { reason: notAllowed(allow) };
  return { ...gates, eligibility: (candidate) => (allow.allows(candidate.backend, candidate.model) ? other?.(candidate) : skip) };
}

/** The keys of a backend row (and of its `headers`) that hold credentials, not settings. */
const CREDENTIALS: ReadonlySet<string> = new Set([
  'api_key', 'api_keys', 'access_key_id', 'secret_access_key', 'session_token', 'access_token', 'refresh_token',
  'authorization', 'x-api-key', 'api-key', 'x-goog-api-key',
]);

/**
 * A backend's config row as the response cache compares it (`Executor.backendRow`): a digest of
 * every setting but its credentials (an API key rotated does not change what it answers).
 */
function backendRowDigest(row: BackendConfig): string {
  const json = JSON.stringify(row, (key, value: unknown) => (CREDENTIALS.has(key.toLowerCase()) ? undefined : value));
  return createHash('sha256').update(json).digest('base64url').slice(0, 22);
}

/** The model of a candidate key (`backend:model[?query]`) without its leaf query. */
function modelOf(candidateKey: string, backend: string): string {
  const model = candidateKey.startsWith(`${backend}:`) ? candidateKey.slice(backend.length + 1) : candidateKey;
  const query = model.indexOf('?');
  return query === -1 ? model : model.slice(0, query);
}

/**
 * What decides a cached answer besides the call: the features' settings (a reload that changes a
 * prefix or a steer text must not keep serving the answers made before), and what per-attempt
 * hooks (request parts, attempt transforms) read to shape each attempt's call after the key is
 * taken: the client's user agent, keys of the call's metadata (codex-client-compat's agent names).
 */
function cacheVariant(config: Config, extensions: ExtensionHost | undefined): (call: Call, ctx: ExecuteContext) => string {
  const features = JSON.stringify(config.features);
  let userAgent = false;
  const metadata = new Set<string>();
  for (const list of ['requestParts', 'attemptTransforms'] as const) {
    for (const { hook } of extensions?.hooks.get(list) ?? []) {
      if (hook.reads?.userAgent === true) userAgent = true;
      for (const key of hook.reads?.metadata ?? []) metadata.add(key);
    }
  }
  if (!userAgent && metadata.size === 0) return () => features;
  const keys = [...metadata];
  return (call, ctx) => JSON.stringify([features, userAgent ? ctx.userAgent ?? '' : '', keys.map((k) => call.metadata[k] ?? null)]);
}
