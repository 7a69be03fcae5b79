import { asyncScheduler, defer, finalize, tap, type Observable, type SchedulerLike } from 'rxjs';
import type { Call, LipEvent } from '../canonical/index.js';
import { estimateTokens, isOutputEvent } from '../canonical/index.js';
import type { Backend } from '../backends/backend.js';
import type { Config } from '../config/index.js';
import { LipError, toLipError } from '../errors/index.js';
import { ttftTimeout } from '../routing/operators/ttft-timeout.js';
import { applyOverrides } from '../routing/params/apply-overrides.js';
import { compilePlan } from '../routing/plan/compile-plan.js';
import type { Candidate, RouteContext } from '../routing/plan/route-context.js';
import { RouteJournal } from '../routing/plan/route-journal.js';
import { compileAliases, type CompiledAlias } from '../routing/selector/aliases.js';
import { defaultBackendFor } from '../routing/selector/resolve-model-only.js';
import { observeAttempt } from './attempt.js';
import { CompiledSelectors } from './compiled-selectors.js';
import { resolveSelector, type SelectorSource } from './route-input.js';
import { RouteLog } from './route-log.js';

/** Filled in by the executor while a request runs; the server reads it for response headers. */
export interface ExecutionMeta {
  selector?: string;
  selectorSource?: SelectorSource;
  /** The candidate that serves: `backend:model[?query]` (set when its output reaches the client). */
  candidateKey?: string;
  backendId?: string;
}

export interface ExecuteContext {
  readonly requestId: string;
  /** `X-LIP-Route`, when the client sent one. */
  readonly routeHeader?: string;
  readonly meta: ExecutionMeta;
  /** An A-leg's first request (`[first]` branches apply); true when there is no conversation. */
  readonly firstRequest?: boolean;
}

export interface ExecutorOptions {
  /** Time for routing operators and budgets (tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
  /** Uniform in [0, 1) for weighted choices (tests pass a seeded one). */
  readonly rng?: () => number;
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

  constructor(private readonly config: Config, private readonly backends: ReadonlyMap<string, Backend>, options: ExecutorOptions = {}) {
    this.aliases = compileAliases(config.model_aliases);
    this.backendIds = new Set(config.backends.map((b) => b.id));
    this.selectors = new CompiledSelectors(defaultBackendFor(config.routing.default_route, this.aliases), new Set(backends.keys()), this.backendIds);
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.rng = options.rng ?? Math.random;
    this.routes = new RouteLog(config.diagnostics.recent_routes);
  }

  execute(call: Call, ctx: ExecuteContext): Observable<LipEvent> {
    return defer(() => {
      const resolved = resolveSelector({ model: call.model, ...(ctx.routeHeader ? { header: ctx.routeHeader } : {}) },
        this.backendIds, this.aliases, this.config.routing.default_route);
      ctx.meta.selector = resolved.selector;
      ctx.meta.selectorSource = resolved.source;
      const compiled = this.selectors.get(resolved.selector);
      const journal = new RouteJournal(this.scheduler);
      const route: RouteContext = {
        scheduler: this.scheduler,
        rng: this.rng,
        estimatedTokens: compiled.needsSizeEstimate ? estimateTokens(call) : undefined,
        firstRequest: ctx.firstRequest ?? true,
        budget: { remaining: this.config.routing.max_attempts },
        maxAttempts: this.config.routing.max_attempts,
        journal,
        open: (candidate) => this.open(call, candidate, ctx),
        commit: (candidate) => {
          ctx.meta.candidateKey ??= candidate.key;
          ctx.meta.backendId ??= candidate.backend;
        },
      };
      let outcome: 'success' | 'failure' | 'cancelled' = 'cancelled';
      let error: string | undefined;
      let ttft: number | null = null;
      return compilePlan(compiled.selector, route).pipe(
        tap({
          next: (event) => { if (ttft === null && isOutputEvent(event)) ttft = journal.elapsed(); },
          error: (err: unknown) => { outcome = 'failure'; error = toLipError(err).code; },
          complete: () => { outcome = 'success'; },
        }),
        finalize(() => this.routes.push({
          request_id: ctx.requestId, at: new Date().toISOString(), selector: resolved.selector, selector_source: resolved.source,
          candidates: journal.entries, served: ctx.meta.candidateKey ?? null, ttft_ms: ttft, outcome, ...(error ? { error } : {}),
        })),
      );
    });
  }

  /** One backend attempt: per-leaf overrides merged, leaf TTFT budget, reported. */
  private open(call: Call, candidate: Candidate, ctx: ExecuteContext): Observable<LipEvent> {
    const backend = this.backends.get(candidate.backend)!;
    const options = applyOverrides(call.options, candidate.leaf.params);
    const attemptCall = options === call.options ? call : { ...call, options };
    let source = backend.stream(attemptCall, { model: candidate.model, candidateKey: candidate.key });
    const budget = candidate.leaf.ttftTimeoutMs;
    if (budget !== undefined) {
      source = source.pipe(ttftTimeout(budget, () => new LipError('LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT', `${candidate.key}: no output within its ttft_timeout of ${budget} ms`), this.scheduler));
    }
    return observeAttempt(source, { requestId: ctx.requestId, candidateKey: candidate.key, backendId: candidate.backend });
  }
}
