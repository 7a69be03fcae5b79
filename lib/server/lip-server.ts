import { randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { Runtime } from '../core/runtime.js';
import type { IngressRequest } from '../core/ingress-gate.js';
import { LipError, reportInternalError, toLipError, type InternalErrorReport } from '../errors/index.js';
import { FRONTENDS } from '../frontends/registry.js';
import type { ErrorResponse, Frontend } from '../frontends/protocol.js';
import { encodeFlatError } from '../frontends/error-envelope.js';
import type { AttemptReport } from '../core/attempt.js';
import type { RouteDecision } from '../core/observe-route.js';
import { AccessLog } from '../observability/access-log.js';
import { providerName } from '../backends/gen-ai/registry.js';
import type { BackendWarning } from '../backends/backend-warning.js';
import { clipText, type Logger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { createTracing, type Tracing, type TracingOptions } from '../observability/tracing.js';
import { parseListen } from '../config/index.js';
import { maskSecretQuery, requestTarget, scrubCredentials, type RequestTarget } from '../wire/index.js';
import { Authenticator, carriedKey, WWW_AUTHENTICATE, type KeySources } from './auth.js';
import { foreignBrowser, type BrowserAllowance } from './browser-guard.js';
import { corsHeaders, isPreflight, preflightHeaders } from './cors.js';
import { rateLimitHeadersOf } from '../frontends/rate-limit-headers.js';
import { answerClientError, answerOnSocket, refusalOf } from './client-error.js';
import { WebSocketTurns } from './websocket-turns.js';
import { WebSocketUpgradeMessage } from './websocket-upgrade-message.js';
import { responseIdentity } from './response-identity.js';
import { DecodeAdmission, type DecodeTicket } from './decode-admission.js';
import { KeyBudgets, type BudgetLeft } from './key-budgets.js';
import { RedisBudgetLedger } from './key-budgets-redis.js';
import { hasRateLimits, KeyLimits, TokenRate, type RateLimitSink } from './key-limits.js';
import { RedisLimitsLedger } from './key-limits-redis.js';
import { installRxjsLastResort } from './last-resort.js';
import { handleAdmin, type ClusterCache, type KeySpending } from './admin.js';
import type { ConfigControl } from './config-control.js';
import { guardOperator } from './operator-guard.js';
import { Profiling } from './profiling.js';
import { cancelRelayed, handleCancel } from './handle-cancel.js';
import { CancelRelay } from './cancel-relay.js';
import { handleGenerate } from './handle-generate.js';
import { handleCountTokens } from './handle-count-tokens.js';
import { handleEmbeddings } from './handle-embeddings.js';
import { handleGetModel, handleListModels } from './handle-list-models.js';
import { handleStoredResponse } from './handle-stored-response.js';
import { liveStoredResponse } from './stored-responses.js';
import { BackgroundRuns, followForRelay, type KeptFrames } from './background-runs.js';
import { pickRequestId, pickTraceId, type RequestState } from './request-state.js';
import { RouteTable, type OperatorMounts, type RouteMatch } from './route-table.js';
import type { Config, ServerConfig } from '../config/index.js';
import { answeredRequestId, endAfterBody, sendError, sendJson, sendJsonAndClose, withholdContinue } from './send.js';
import { bodyReadBy, declaredOver } from './expect-continue.js';
import { handleResource, readsBody } from './handle-resource.js';
import { grantedCaller, grantToken } from './url-grants.js';
import { Batches, type BatchBudgets, type BatchRequestReport } from './batches.js';
import type { ApiKeyConfig } from '../config/types.js';
import { estimateTextTokens, estimateTokens, type Call, type EmbeddingRequest } from '../canonical/index.js';
import { candidateAllow } from '../core/candidate-allow.js';
import { handleBatch, handleFile } from './handle-batch.js';

/** How long streams cut by the shutdown timeout get to flush their in-band error. */
const FLUSH_GRACE_MS = 1_000;
/** The least time the stores and the recorder get to close at shutdown, however late it is. */
const CLOSE_FLOOR_MS = 2_000;
/** The command timeout of the cancel relay's Redis connections (a cancel waits at most twice this for other instances). */
const RELAY_TIMEOUT_MS = 500;
/** How long a reload waits for the previous runtime to close before it reports back. */
const RELOAD_CLOSE_MS = 10_000;

export interface LipServerOptions {
  /** Tracing overrides (tests pass an in-memory exporter); the config decides whether tracing is on. */
  readonly tracing?: TracingOptions;
}

/** The envelope for failures that belong to no protocol (unknown path, method). */
function plainError(res: ServerResponse, err: LipError, headers: Record<string, string> = {}): void {
  const response = encodeFlatError(err);
  sendJson(res, response.status, response.body, { ...headers, ...response.headers });
}

export interface LipServerOptions {
  /** The reload function behind `/admin/config/*` (`lip serve` supplies it). */
  readonly control?: ConfigControl;
  /**
   * A worker of `lip serve --workers`: the metrics path answers with this (the sum over all
   * workers, collected by the primary) instead of this process's own registry.
   */
  readonly clusterMetrics?: () => Promise<string>;
  /** A worker of `lip serve --workers`: the response cache endpoints (memory store) answer for every worker. */
  readonly clusterCache?: ClusterCache;
  /** How long a reload waits for the previous runtime to close before it reports back (default 10 s). */
  readonly reloadCloseMs?: number;
  /** What background responses keep of their streams for resuming (default KEPT_FRAMES; tests keep less). */
  readonly keptFrames?: KeptFrames;
}

/** Who an admitted request is: its principal and API key. */
type Caller = { readonly principal: string; readonly key?: ApiKeyConfig | undefined };

/**
 * The HTTP face of lip (node:http): routes requests to frontends and system endpoints, applies
 * auth and limits, writes one access-log line per request, reloads its runtime on demand and
 * drains gracefully.
 */
export class LipServer {
  readonly http: Server;
  /** The operator listener (`diagnostics.listen`), when the operator surfaces have their own. */
  readonly operatorHttp: Server | undefined;
  private runtime: Runtime;
  private table: RouteTable;
  private operatorTable: RouteTable | undefined;
  private auth: Authenticator;
  private readonly keyLimits = new KeyLimits();
  /** Per-key budgets (`auth.api_keys[].budget`), shared through Redis while the continuity store is (see budgetsFor). */
  private readonly budgets = new KeyBudgets(Date.now, undefined, (message, meta) => this.logger.warn(message, meta));
  /** Per-key `tokens_per_minute` (this process's window). */
  private readonly tokenRate = new TokenRate();
  /**
   * What a key may spend and what it spent: its budget first (the longer refusal), then its
   * tokens per minute; a request's tokens count against both when it ends.
   */
  private readonly spending: BatchBudgets & { check(key: ApiKeyConfig | undefined, into?: RateLimitSink): unknown } = {
    check: (key, into?: RateLimitSink) => {
      const left = this.budgets.check(key);
      this.tokenRate.check(key, into);
      return left;
    },
    charge: (key, cost, tokens) => {
      this.budgets.charge(key, cost, tokens);
      this.tokenRate.charge(key, tokens);
    },
  };
  private budgetLedgerKey: string | undefined;
  /** The admin views of what keys spend and use (`/admin/budgets`, `/admin/limits`). */
  private readonly keySpending: KeySpending = { budgets: this.budgets, limits: (keys) => this.limitsView(keys) };
  /** The per-key limits' shared ledger (`auth.limits_store: redis`) and what it was made for (see limitsFor). */
  private limitsLedger: { readonly key: string; readonly ledger: RedisLimitsLedger } | undefined;
  /** The budgets' start from a persistent store; `listen` waits for it (it never rejects). */
  private seeded: Promise<void> | undefined;
  /** Connections of the protocols' WebSocket modes (Responses), each turn run as one of this server's requests. */
  private readonly websockets: WebSocketTurns;
  /** Decode admission is sized at start (its caps need a restart to change). */
  private readonly admission: DecodeAdmission;
  private readonly profiling = new Profiling();
  /** `/readyz` answers 503 and every response closes its connection; requests are still served, a reload is refused (REFUSED_WHILE_DRAINING). */
  private draining = false;
  /** The browser guard's allowance, for the config it was made from. */
  private allowance: { readonly config: Config; readonly allowance: BrowserAllowance } | undefined;
  /** Sockets whose upgrade was refused, until they close (see `refused`). */
  private readonly refusedUpgrades = new Set<Duplex>();
  /** The listener is closed: new requests are refused while in-flight ones finish. */
  private closing = false;
  private generating = 0;
  private readonly inflight = new Set<RequestState>();
  /** The ids of the requests running or not yet accounted for (`uniqueRequestId`). */
  private readonly liveIds = new Set<string>();
  /** The runtime each request in flight began on (a reload swaps `runtime`; they finish on theirs). */
  private readonly startedOn = new WeakMap<RequestState, Runtime>();
  /** Each request in flight's exchange and the route table it came in on (see `refuseUnread`). */
  private readonly exchanges = new WeakMap<RequestState, { readonly req: IncomingMessage; readonly res: ServerResponse; readonly table: RouteTable }>();
  /**
   * Requests whose handler has not returned yet, by the runtime each began on. A handler runs on
   * a moment past its response's close (a client that left: the pipeline's teardown, then its
   * recorded exchange and attempt rows; a background response: its run), and its runtime closes
   * only after that.
   */
  private readonly handling = new Map<Runtime, Set<RequestState>>();
  /** Resolves a shutdown's wait for the handlers still running (see `handlersWithin`). */
  private handlersDone: (() => void) | undefined;
  /**
   * Runtimes a reload replaced while still in use (`inUse`): closed once that ends (see retire).
   * Each keeps the runtime it was replaced by (`next`), which may hold stores it handed on.
   */
  private readonly retired = new Map<Runtime, { readonly next: Runtime; readonly close: () => Promise<void> }>();
  /** Background responses (Responses `background: true`): each running one counts as a request in flight. */
  private readonly background: BackgroundRuns;
  /** Batches of generation requests (Message Batches, the Batch API) running in this process. */
  private readonly batches: Batches;
  /** Cancels reach other instances through Redis while the continuity store is shared there (see relayFor). */
  private relay: { readonly key: string; readonly relay: CancelRelay } | undefined;
  private idle: (() => void) | undefined;
  /** One log line per internal error (a bug caught by a guard), with the request id. */
  private readonly onInternalError = (message: unknown) => {
    const report = message as InternalErrorReport;
    const error = report.error as Error | undefined;
    this.logger.error('internal error', { where: report.where, ...(report.requestId ? { request_id: report.requestId } : {}), error: scrubCredentials(error?.stack ?? String(report.error)) });
  };
  /** One `warn` line per finding a backend reports on `lip:backend-warning` (a Bedrock clock skewed from AWS's). */
  private readonly onBackendWarning = (message: unknown) => {
    const warning = message as BackendWarning;
    this.logger.warn(warning.message, { backend: warning.backend, ...warning.detail });
  };
  /** Prometheus metrics, when enabled at start (a reload keeps them; they read the current runtime). */
  private readonly metrics: Metrics | undefined;
  /** OpenTelemetry tracing, when enabled at start (a reload keeps it). */
  private readonly tracing: Tracing | undefined;
  private readonly accessLog: AccessLog;
  /** One `info` line per attempt that failed or was cancelled (a failover leaves a trace in the log). */
  private readonly onAttempt = (message: unknown) => {
    try {
      this.logAttempt(message as AttemptReport);
    } catch (err) {
      reportInternalError('log.attempt', err); // a channel subscriber's throw would be uncaught
    }
  };
  private logAttempt(r: AttemptReport): void {
    if (r.phase !== 'end' || r.outcome === 'success' || r.outcome === undefined) return;
    this.logger.info(r.outcome === 'failure' ? 'attempt failed' : 'attempt cancelled', {
      // The candidate key is client text (a selector's model), and an error's message may repeat it.
      request_id: r.requestId, candidate_key: clipText(r.candidateKey), backend: r.backendId,
      reason: r.outcome === 'failure' ? clipText(`${r.errorCode}: ${r.errorMessage}`) : r.cancelReason,
      ...(r.errorCode !== undefined ? { error: r.errorCode } : {}),
      ...(r.upstreamStatus !== undefined ? { upstream_status: r.upstreamStatus } : {}),
      ...(r.upstreamRequestId !== undefined ? { upstream_request_id: r.upstreamRequestId } : {}),
      duration_ms: round3(r.durationMs ?? 0),
      ...(r.ttftMs !== undefined ? { ttft_ms: round3(r.ttftMs) } : {}),
    });
  }
  /** Routing decisions at `debug`: the plan, skipped candidates, budget arithmetic, failures. */
  private readonly onRoute = (message: unknown) => {
    try {
      this.logRoute(message as RouteDecision);
    } catch (err) {
      reportInternalError('log.route', err);
    }
  };
  private logRoute(d: RouteDecision): void {
    switch (d.type) {
      case 'plan': return void this.logger.debug('route plan', { request_id: d.requestId, selector: d.selector, selector_source: d.source, max_attempts: d.maxAttempts, plan: d.plan });
      case 'skip': return void this.logger.debug('route skip', { request_id: d.requestId, candidate_key: clipText(d.candidateKey), reason: clipText(d.reason), ...(d.retryAfterMs !== undefined ? { retry_after_ms: d.retryAfterMs } : {}) });
      case 'start': return void this.logger.debug('route attempt', { request_id: d.requestId, candidate_key: clipText(d.candidateKey), attempts_left: d.budgetLeft, at_ms: d.atMs });
      case 'fail': return void this.logger.debug('route failure', { request_id: d.requestId, candidate_key: clipText(d.candidateKey), reason: clipText(d.reason), ...(d.status !== undefined ? { status: d.status } : {}) });
    }
  }

  constructor(runtime: Runtime, private readonly logger: Logger, private readonly options: LipServerOptions = {}) {
    this.runtime = runtime;
    this.background = new BackgroundRuns((state) => this.inflight.add(state), (state) => {
      this.inflight.delete(state);
      this.closeRetired();
      if (this.closing && this.inflight.size === 0) this.idle?.();
    }, Date.now, options.keptFrames);
    // A batch's requests spend from the budget and count in the tokens-per-minute window, which
    // does not refuse them: they are paced by server.batch_concurrency, not turned away mid-batch.
    this.batches = new Batches(() => this.runtime, { check: (key) => this.budgets.check(key), charge: (key, cost, tokens) => this.spending.charge(key, cost, tokens) }, {
      endpoints: (path) => this.table.batchEndpoint(path), report: (r) => this.logBatchRequest(r), trace: (headers) => this.tracing?.startRequest('POST', headers),
      ended: () => this.closeRetired(),
    });
    this.relayFor(runtime);
    this.budgetsFor(runtime);
    this.limitsFor(runtime);
    // A persistent store knows what the keys spent before this start.
    if (runtime.config.continuity.store === 'sqlite' && runtime.config.auth.api_keys.some((k) => k.budget !== undefined)) {
      this.seeded = this.budgets.seed(runtime.config.auth.api_keys, runtime.continuity).catch((err: unknown) => void logger.warn('budgets: what the keys spent before this start cannot be read', { error: String(err) }));
    }
    this.metrics = createMetrics(runtime.config.observability.metrics.enabled, () => ({
      circuit: () => this.runtime.breaker.status(),
      continuity: () => this.runtime.continuity.status(),
      models: () => configuredModels(this.runtime),
      background: () => ({ running: this.background.inProgress, kept: this.background.size - this.background.inProgress }),
      batches: () => ({ running: this.batches.running, requestsRunning: this.batches.requestsRunning, outcomes: this.batches.outcomes }),
      catalog: () => {
        const source = this.runtime.catalog?.source;
        const at = source?.snapshot === undefined ? undefined : source.confirmedAt ?? source.snapshot.loadedAt;
        return source === undefined ? undefined : at === undefined ? {} : { loadedAtMs: Date.parse(at) };
      },
    }));
    this.tracing = createTracing(runtime.config.observability.tracing, options.tracing, logger);
    this.accessLog = new AccessLog(logger);
    if (logger.isInfoEnabled()) subscribe('lip:attempt-failed', this.onAttempt);
    if (logger.isDebugEnabled()) subscribe('lip:route', this.onRoute);
    this.admission = new DecodeAdmission(runtime.config.server.max_concurrent_decodes, runtime.config.server.max_inflight_decode_bytes);
    this.auth = new Authenticator(runtime.config.auth.api_keys);
    installRxjsLastResort();
    subscribe('lip:internal-error', this.onInternalError);
    subscribe('lip:backend-warning', this.onBackendWarning);
    const separate = runtime.config.diagnostics.listen !== undefined;
    this.table = routeTable(runtime, this.metrics, separate ? 'protocol' : 'both');
    // Only a WebSocket upgrade leaves HTTP: any other Upgrade (h2c) is served as HTTP/1.1.
    this.http = createServer({ IncomingMessage: WebSocketUpgradeMessage, connectionsCheckingInterval: 1_000, requireHostHeader: false, ...socketTimeouts(runtime.config.server) }, (req, res) => this.onRequest(req, res, this.table));
    this.http.on('clientError', (err: NodeJS.ErrnoException, socket: Parameters<typeof answerClientError>[1]) => answerClientError(err, socket, responseIdentity(this.runtime.config), (lip, res) => this.envelopeOf(this.table, res, lip)));
    this.http.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => this.onContinue(req, res, this.table));
    this.websockets = new WebSocketTurns({ http: this.http, config: () => this.runtime.config, admission: this.admission, identity: () => responseIdentity(this.runtime.config), logger });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    if (separate) {
      this.operatorTable = routeTable(runtime, this.metrics, 'operator');
      this.operatorHttp = createServer({ connectionsCheckingInterval: 1_000, requireHostHeader: false, ...socketTimeouts(runtime.config.server) }, (req, res) => this.onRequest(req, res, this.operatorTable!));
      this.operatorHttp.on('clientError', (err: NodeJS.ErrnoException, socket: Parameters<typeof answerClientError>[1]) => answerClientError(err, socket, responseIdentity(this.runtime.config)));
    }
  }

  get config() {
    return this.runtime.config;
  }

  /** This process's metrics as prom-client JSON (for the primary of `--workers` to sum); undefined when disabled. */
  metricsJson(): Promise<unknown[]> | undefined {
    return this.metrics?.json();
  }

  /** The runtime serving new requests. */
  get runtimeNow(): Runtime {
    return this.runtime;
  }

  /** A graceful stop has begun (`drain()` or `shutdown()`): reloads are refused from then on. */
  get stopping(): boolean {
    return this.draining;
  }

  /**
   * Starts listening (and the operator listener, `diagnostics.listen`, when configured); a
   * port in use (or any listen error) rejects with a clear LipError.
   */
  async listen(host = this.runtime.config.server.host, port = this.runtime.config.server.port): Promise<AddressInfo> {
    await this.seeded;
    await this.runtime.started; // the features' start(), before any request reaches their hooks
    const address = await listenOn(this.http, host, port, '--port / server.port');
    const operator = this.runtime.config.diagnostics.listen;
    if (this.operatorHttp && operator !== undefined) {
      const at = parseListen(operator)!;
      try {
        await listenOn(this.operatorHttp, at.host, at.port, 'diagnostics.listen');
      } catch (err) {
        this.http.close();
        throw err;
      }
    }
    return address;
  }

  get url(): string {
    return urlOf(this.http);
  }

  /** The operator listener's URL (`diagnostics.listen`), when there is one. */
  get operatorUrl(): string | undefined {
    return this.operatorHttp?.listening ? urlOf(this.operatorHttp) : undefined;
  }

  /** Exports finished spans now (tracing on); resolves at once otherwise. */
  async flushTraces(): Promise<void> {
    await this.tracing?.flush();
  }

  /**
   * Swaps in a new runtime (SIGHUP); requests already running finish on the old one. Refused
   * (LIP_ERR_SERVER_SHUTTING_DOWN) once the server is stopping: `next` is closed, the running
   * runtime, which the shutdown closes, stays (a reload that was still building its runtime
   * when SIGTERM came must not put new stores under the requests the shutdown cancels).
   */
  async reload(next: Runtime): Promise<void> {
    const previous = this.runtime;
    if (this.draining) {
      // Whatever `next` took over from the running runtime (its stores, the recording writer) stays open with it.
      await next.close({ next: previous }).catch((err: unknown) => { this.logger.error('reload: closing the refused runtime failed', { error: String(err) }); });
      throw new LipError('LIP_ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down');
    }
    this.runtime = next;
    for (const server of [this.http, this.operatorHttp]) if (server) Object.assign(server, socketTimeouts(next.config.server));
    this.table = routeTable(next, this.metrics, this.operatorHttp ? 'protocol' : 'both');
    if (this.operatorHttp) this.operatorTable = routeTable(next, this.metrics, 'operator');
    this.auth = new Authenticator(next.config.auth.api_keys);
    this.relayFor(next);
    this.budgetsFor(next);
    this.limitsFor(next);
    // Requests that began on the previous runtime finish on it: their attempt rows, stored
    // responses and recordings reach its stores, which close once the last of them has ended,
    // however long that takes (a reload never cuts a request; each is bounded by its own timeouts).
    if (this.inUse(previous)) {
      this.retire(previous, next);
      return;
    }
    // The previous stores close in the background past RELOAD_CLOSE_MS (a hung one must not hold
    // up this reload and every later one).
    const closing = previous.close({ next });
    const waitMs = this.options.reloadCloseMs ?? RELOAD_CLOSE_MS;
    if (!(await settlesWithin(closing, waitMs, (err) => this.logger.error('reload: closing the previous runtime failed', { error: String(err) })))) {
      this.logger.warn('reload: the previous runtime is still closing; the new one serves meanwhile', { waited_ms: waitMs });
    }
  }

  /**
   * Closes `previous` once it is no longer in use (`inUse`): once the last request, batch and
   * background response that began on it has ended (a shutdown cancels them first, then closes it).
   */
  private retire(previous: Runtime, next: Runtime): void {
    let closing: Promise<void> | undefined;
    const close = () => {
      if (closing) return closing;
      // Kept among the retired until closed: a shutdown meanwhile waits for it.
      closing = previous.close({ next })
        .catch((err: unknown) => { this.logger.error('reload: closing the previous runtime failed', { error: String(err) }); })
        .finally(() => {
          this.retired.delete(previous);
          // The runtime it handed its stores to may have been waiting for it.
          this.closeRetired();
        });
      return closing;
    };
    this.retired.set(previous, { next, close });
  }

  /** Closes each retired runtime no longer in use. */
  private closeRetired(): void {
    if (this.retired.size === 0) return;
    for (const [runtime, { close }] of [...this.retired]) {
      if (!this.inUse(runtime)) void close();
    }
  }

  /**
   * Whether `runtime` must stay open: a request that began on it is in flight, or a runtime it
   * replaced has not finished closing. The stores a reload hands on (the continuity store, the
   * breaker, the cache, plugin state, the recording writer) close with the last runtime that
   * holds them, and a runtime replaced twice over may still have requests writing to what it
   * handed on: so each runtime closes only after the one before it (a chain, in reload order).
   */
  private inUse(runtime: Runtime): boolean {
    return this.busy(runtime) || [...this.retired.values()].some((r) => r.next === runtime);
  }

  /**
   * Whether a request that began on `runtime` is in flight, or its handler still running (a
   * background response's handler returns when its run ended), or a batch that began on it runs.
   */
  private busy(runtime: Runtime): boolean {
    return this.handling.has(runtime) || this.batches.runsOn(runtime) || [...this.inflight].some((s) => this.startedOn.get(s) === runtime);
  }

  /**
   * The first step of a graceful stop (SIGTERM, `server.drain_delay`): `/readyz` turns 503 so
   * that probes and load balancers take this instance out, while the listener stays open and
   * requests are still served, each response closing its connection so that clients reconnect
   * elsewhere. `shutdown()` follows.
   */
  drain(): void {
    this.draining = true;
  }

  /**
   * Stops accepting, lets in-flight requests (streams included) finish for up to `timeoutMs`,
   * then cancels what is left. Resolves when every connection is closed.
   */
  async shutdown(timeoutMs = this.runtime.config.server.shutdown_timeout): Promise<{ cancelled: number }> {
    this.draining = true;
    this.closing = true;
    const deadline = Date.now() + timeoutMs;
    // WebSocket connections close after the turn each runs (its request counts as in flight below).
    const sockets = this.websockets.close(timeoutMs + FLUSH_GRACE_MS);
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeIdleConnections();
    const operatorClosed = this.operatorHttp?.listening ? new Promise<void>((resolve) => this.operatorHttp!.close(() => resolve())) : Promise.resolve();
    this.operatorHttp?.closeAllConnections();
    // Batches start no more requests; those running get the same time as the requests in flight.
    await Promise.all([this.idleWithin(timeoutMs), this.batches.drain(timeoutMs)]);
    const cancelled = this.inflight.size;
    if (cancelled > 0) {
      // Streams still open end with the protocol's in-band error, given a moment to flush
      // (a client that does not read gets its connection closed after it).
      const err = new LipError('LIP_ERR_SERVER_SHUTTING_DOWN', `the server shut down before this response finished (server.shutdown_timeout of ${timeoutMs} ms)`);
      for (const state of [...this.inflight]) {
        // The attempts it stops are the shutdown's (their log line, span and counter), not a client's.
        state.stopped = 'server shutdown';
        if (state.abort) state.abort(err);
        else this.refuseUnread(state, err);
      }
      await this.idleWithin(FLUSH_GRACE_MS);
    }
    // What handlers write after their responses closed (recorded exchanges, attempt rows) reaches the stores before they close.
    await this.handlersWithin(Math.max(FLUSH_GRACE_MS, deadline - Date.now()));
    // What was not done of each batch expires, written while the stores are open.
    await this.batches.shutdown();
    // Runtimes a reload replaced close now (with the current one, below), their requests done or cancelled above; those closing already are waited for.
    const retired = [...this.retired.values()].map((r) => r.close());
    await sockets;
    this.http.closeAllConnections();
    for (const socket of this.refusedUpgrades) socket.destroy();
    await closed;
    await operatorClosed;
    // The listener's 'close' comes before its sockets' own: the requests those carried end here
    // (their access lines, metrics, key charges; their handlers' recordings), before the runtime
    // closes and this resolves (`lip serve` exits then).
    await this.idleWithin(FLUSH_GRACE_MS);
    await this.handlersWithin(FLUSH_GRACE_MS);
    // A store or the recorder that never finishes closing (a disk that hangs, a Redis that stopped
    // answering) must not keep the process from stopping: closing (flushing what they hold) has
    // what is left of the shutdown timeout, and at least CLOSE_FLOOR_MS.
    // The trace exporter flushes in the same time, alongside: a collector that accepts and never
    // answers would otherwise hold the stop for the exporter's own timeouts (30 s and more).
    const closeMs = Math.max(CLOSE_FLOOR_MS, deadline - Date.now());
    const traces = this.tracing
      ? settlesWithin(this.tracing.shutdown().catch((err: unknown) => { this.logger.warn('trace export failed at shutdown', { error: String(err) }); }), closeMs, () => undefined)
      : Promise.resolve(true);
    if (!(await settlesWithin(Promise.all([this.runtime.close(), ...retired]).then(() => undefined), closeMs, (err) => this.logger.error('shutdown: closing failed after its time', { error: String(err) })))) {
      this.logger.warn('shutdown: the stores and the recorder did not finish closing in time; stopping without them', { timeout_ms: closeMs });
    }
    this.metrics?.close();
    await this.relay?.relay.close();
    this.relay = undefined;
    await this.budgets.close();
    this.limitsFor(undefined);
    if (!(await traces)) this.logger.warn('shutdown: the trace exporter did not finish in time; stopping without it (spans not exported yet are lost)', { timeout_ms: closeMs });
    unsubscribe('lip:internal-error', this.onInternalError);
    unsubscribe('lip:backend-warning', this.onBackendWarning);
    unsubscribe('lip:attempt-failed', this.onAttempt);
    unsubscribe('lip:route', this.onRoute);
    return { cancelled };
  }

  /**
   * The cancel relay of `runtime`'s config: one while `continuity.store` is `redis` (a
   * conversation's requests may run on any instance), on that Redis; kept across reloads that
   * change neither, replaced or closed by one that does.
   */
  private relayFor(runtime: Runtime): void {
    const { continuity, redis } = runtime.config;
    const key = continuity.store === 'redis' ? `${redis.url}\n${redis.key_prefix}` : undefined;
    if (this.relay?.key === key) return;
    void this.relay?.relay.close();
    this.relay = key === undefined ? undefined : { key, relay: new CancelRelay(redis.url, redis.key_prefix, RELAY_TIMEOUT_MS, (cancel) => cancelRelayed(cancel, this.inflight, this.background), (follow, sink) => followForRelay(this.background, follow, sink, (id, principal) => liveStoredResponse(this.runtime.continuity, id, principal))) };
  }

  /**
   * The budgets' ledger of `runtime`'s config: Redis while `continuity.store` is `redis` (the
   * instances share their keys' totals there), else none (each process counts its own).
   */
  private budgetsFor(runtime: Runtime): void {
    const { continuity, redis, auth } = runtime.config;
    const key = continuity.store === 'redis' && auth.api_keys.some((k) => k.budget !== undefined) ? `${redis.url}\n${redis.key_prefix}` : undefined;
    if (this.budgetLedgerKey === key) return;
    this.budgetLedgerKey = key;
    this.budgets.useLedger(key === undefined ? undefined : new RedisBudgetLedger(redis.url, redis.key_prefix));
  }

  /**
   * The per-key limits' ledger of `runtime`'s config: Redis while `auth.limits_store` is `redis`
   * and a key has a rate limit (the instances share them there), else none (each process counts
   * its own). A slot a replaced ledger holds frees when its lease ends (RedisLimitsLedger).
   */
  private limitsFor(runtime: Runtime | undefined): void {
    const config = runtime?.config;
    const limited = config?.auth.limits_store === 'redis' && config.auth.api_keys.some(hasRateLimits);
    const key = limited ? `${config.redis.url}\n${config.redis.key_prefix}` : undefined;
    if (this.limitsLedger?.key === key) return;
    const previous = this.limitsLedger?.ledger;
    this.limitsLedger = key === undefined ? undefined : { key, ledger: new RedisLimitsLedger(config!.redis.url, config!.redis.key_prefix, (message, meta) => this.logger.warn(message, meta)) };
    this.keyLimits.useLedger(this.limitsLedger?.ledger);
    this.tokenRate.useLedger(this.limitsLedger?.ledger);
    if (previous !== undefined) void previous.close();
  }

  /**
   * `GET /admin/limits`: each key with a per-minute limit, what it uses of each now (with
   * `auth.limits_store: redis`, every instance's, read from Redis; this instance's own counts,
   * said so, while Redis cannot be read) and whether its next request would be refused.
   */
  private async limitsView(keys: readonly ApiKeyConfig[]): Promise<unknown> {
    const limited = keys.filter(hasRateLimits);
    const ledger = this.limitsLedger?.ledger;
    let shared: readonly { readonly requests: number; readonly inflight: number; readonly tokens: number }[] | undefined;
    let unread: string | undefined;
    if (ledger !== undefined && limited.length > 0) {
      try {
        shared = await ledger.view(limited.map((k) => k.id), Date.now());
      } catch (err) {
        unread = `Redis cannot be read (${err instanceof Error ? err.message : String(err)}); this instance's own counts`;
      }
    }
    return {
      store: this.runtime.config.auth.limits_store, ...(unread !== undefined ? { degraded: unread } : {}),
      limits: limited.map((k, i) => {
        const own = this.keyLimits.usage(k.id);
        const used = shared?.[i] ?? { ...own, tokens: this.tokenRate.usage(k.id) };
        const rpm = k.requests_per_minute;
        const max = k.max_concurrent_requests;
        const tpm = k.tokens_per_minute;
        return {
          key_id: k.id, principal: k.principal,
          requests_per_minute: rpm ?? null, requests_in_window: rpm === undefined ? null : used.requests,
          max_concurrent_requests: max ?? null, in_flight: max === undefined ? null : used.inflight,
          tokens_per_minute: tpm ?? null, tokens_in_window: tpm === undefined ? null : used.tokens,
          limited: (rpm !== undefined && used.requests >= rpm) || (max !== undefined && used.inflight >= max) || (tpm !== undefined && used.tokens >= tpm),
        };
      }),
    };
  }

  /**
   * A request the shutdown ends while its body is still arriving: its handler waits in the body's
   * read, which nothing ends before the connection is cut. It is answered `err` in its protocol's
   * envelope, and its connection closes after the answer. Only routes that read their body hold a
   * decode ticket (`state.decode`); the others drain it and answer on their own.
   */
  private refuseUnread(state: RequestState, err: LipError): void {
    const exchange = this.exchanges.get(state);
    if (exchange === undefined || state.decode === undefined) return;
    const { req, res, table } = exchange;
    const socket = res.socket;
    if (socket === null || req.complete || res.headersSent) return;
    res.shouldKeepAlive = false;
    // The access line (written once the answer has finished) names this, not the cut-off read below.
    state.errorCode = err.code;
    this.pathError(req, res, requestTarget(req.url), table, err, { connection: 'close' });
    // As after a read_timeout (answerClientError): Node forgets a request once its response has
    // finished, so the body's reader learns it was cut off only when the request is destroyed.
    socket.once('close', () => req.destroy());
  }

  /** Resolves when every request's handler has returned, or after `ms`, whichever comes first. */
  private async handlersWithin(ms: number): Promise<void> {
    if (this.handling.size > 0) await settlesWithin(new Promise<void>((resolve) => { this.handlersDone = resolve; }), ms, () => undefined);
  }

  /** Resolves when no request is in flight, or after `ms`, whichever comes first. */
  private async idleWithin(ms: number): Promise<void> {
    if (this.inflight.size > 0) await settlesWithin(new Promise<void>((resolve) => { this.idle = resolve; }), ms, () => undefined);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse, table: RouteTable): void {
    const ingress = this.runtime.ingress;
    const turn = this.websockets.carries(req);
    if (ingress !== undefined && table !== this.operatorTable && !turn && !isProbe(req.url) && !ingress.admits(ingressView(req))) {
      refuseIngress(req, res);
      return;
    }
    const traceId = pickTraceId(req.headers['x-trace-id']);
    const asked = pickRequestId(req.headers['x-request-id'], randomUUID, traceId);
    const state: RequestState = {
      requestId: this.uniqueRequestId(asked),
      startedAt: performance.now(),
      routeGroup: 'unmatched',
      ...(turn ? { webSocketTurn: true } : {}),
    };
    this.liveIds.add(state.requestId);
    if (this.tracing) state.trace = this.tracing.startRequest(req.method ?? 'GET', req.headers);
    // The id as the client sent it, even when lip names the request apart from another of that id;
    // `request-id` too, the header the Anthropic SDK reads it from (`_request_id`, `err.requestID`).
    res.setHeader('x-request-id', asked);
    res.setHeader('request-id', asked);
    if (traceId !== undefined) res.setHeader('x-trace-id', traceId);
    for (const [name, value] of responseIdentity(this.runtime.config)) res.setHeader(name, value);
    // Draining, or `idle_timeout: 0ms` (no idle connection is kept): the response closes its connection.
    if (this.draining || this.runtime.config.server.idle_timeout === 0) res.shouldKeepAlive = false;
    this.inflight.add(state);
    const runtime = this.runtime;
    this.startedOn.set(state, runtime);
    this.exchanges.set(state, { req, res, table });
    this.handling.set(runtime, (this.handling.get(runtime) ?? new Set()).add(state));
    // After every other 'close' listener: a handler's unsubscribes its pipeline there, and the
    // attempts that stops (a client that left mid-answer) must have ended, their usage and cost
    // added, before the access line, the key's budget and the span take them.
    res.once('close', () => queueMicrotask(() => {
      try {
        this.finish(req, res, state);
      } catch (err) {
        reportInternalError('server.finish', err, state.requestId);
      }
    }));
    this.route(req, res, state, table).catch((err: unknown) => {
      const lip = reportInternalError('server.route', err, state.requestId);
      state.errorCode = lip.code;
      try {
        if (!res.headersSent) plainError(res, lip);
        else res.destroy();
      } catch (again) {
        reportInternalError('server.route', again, state.requestId);
        res.destroy();
      }
    }).finally(() => this.handled(runtime, state));
  }

  /**
   * A request that asked `Expect: 100-continue` (Node's 'checkContinue'), whose client waits for
   * `100 Continue` before it sends the body (RFC 9110 section 10.1.1): told to go on unless lip
   * would refuse it before reading the body (refusedUnread); then it is answered as any request
   * is, without `100 Continue`, and its connection closes after the answer.
   */
  private onContinue(req: IncomingMessage, res: ServerResponse, table: RouteTable): void {
    let refused = false;
    try {
      refused = this.refusedUnread(req, table);
    } catch (err) {
      reportInternalError('server.continue', err);
    }
    if (refused) withholdContinue(res);
    else res.writeContinue();
    this.onRequest(req, res, table);
  }

  /**
   * Whether `route` refuses a request before reading its body, told by its head alone: an
   * HTTP/1.1 request without Host, a request target that is no path, a body declared over its
   * route's limit (413), a foreign page (403), a missing or wrong key (401). A route that reads no
   * body refuses nothing here (the client sends what it would send anyway).
   */
  private refusedUnread(req: IncomingMessage, table: RouteTable): boolean {
    if (req.headers.host === undefined && req.httpVersionMinor >= 1) return true;
    let url: RequestTarget;
    try {
      url = requestTarget(req.url);
    } catch {
      return true;
    }
    const matched = table.match(req.method ?? 'GET', url.pathname);
    const body = bodyReadBy(matched.kind === 'file' ? table.fileOwner(matched, req.headers) : matched, this.runtime.config.server);
    if (body === undefined) return false;
    if (declaredOver(req.headers, body.limit)) return true;
    const allowance = this.browserAllowance();
    if (allowance !== undefined && foreignBrowser(req.headers, allowance) !== undefined) return true;
    try {
      this.auth.caller(req.headers, keySourcesOf(url, body.frontend));
    } catch (err) {
      // Without a key, a request naming a URL grant (a Gemini upload's chunk) is told to go on: its grant is read when it is handled.
      return !(matched.kind === 'resource' && grantToken(matched.route, url.searchParams) !== undefined && toLipError(err).code === 'LIP_ERR_AUTH_MISSING_KEY');
    }
    return false;
  }

  /**
   * A request's handler has returned: what it writes after its response closed (its recorded
   * exchange, its attempt rows) has reached its runtime, which a reload may now close.
   */
  private handled(runtime: Runtime, state: RequestState): void {
    const left = this.handling.get(runtime);
    left?.delete(state);
    if (left?.size === 0) this.handling.delete(runtime);
    this.closeRetired();
    if (this.closing && this.handling.size === 0) this.handlersDone?.();
  }

  /**
   * A WebSocket upgrade (no other Upgrade comes here: WebSocketUpgradeMessage): a protocol's
   * WebSocket mode (`GET /v1/responses`), admitted as its HTTP requests are (the browser guard,
   * the API key; not while draining), then handed to WebSocketTurns. A refusal is an HTTP answer
   * in the protocol's envelope, and the socket closes.
   */
  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const identity = responseIdentity(this.runtime.config);
    const refuse = (err: LipError, frontend?: Frontend, headers: Readonly<Record<string, string>> = {}) => {
      const response = frontend ? frontend.encodeError(err) : encodeFlatError(err);
      answerOnSocket(socket, response.status, response.body, [...identity, ...Object.entries({ ...headers, ...response.headers })]);
      this.refused(socket);
    };
    try {
      if (this.runtime.ingress !== undefined && !this.runtime.ingress.admits(ingressView(req))) {
        socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${FORBIDDEN.length}\r\nconnection: close\r\n\r\n${FORBIDDEN}`);
        this.refused(socket);
        return;
      }
      const url = requestTarget(req.url);
      const target = this.table.websocket(url.pathname);
      if (!target) return refuse(new LipError('LIP_ERR_HTTP_NOT_FOUND', `no WebSocket endpoint at ${url.pathname}`));
      // The opening handshake is an HTTP/1.1 (or later) GET (RFC 6455 section 4.2.1).
      if (req.httpVersion === '1.0') return refuse(new LipError('LIP_ERR_REQUEST_INVALID', 'a WebSocket upgrade is an HTTP/1.1 request; this one is HTTP/1.0'), target.frontend);
      if (req.method !== 'GET') return refuse(new LipError('LIP_ERR_HTTP_METHOD_NOT_ALLOWED', `a WebSocket upgrade of ${url.pathname} is a GET`), target.frontend, { allow: 'GET' });
      if (this.draining) return refuse(new LipError('LIP_ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down'), target.frontend);
      const allowance = this.browserAllowance();
      const foreign = allowance === undefined ? undefined : foreignBrowser(req.headers, allowance);
      if (foreign !== undefined) return refuse(foreign, target.frontend);
      try {
        this.auth.caller(req.headers, keySourcesOf(url, target.frontend));
      } catch (err) {
        const lip = toLipError(err);
        return refuse(lip, target.frontend, lip.status === 401 ? WWW_AUTHENTICATE : {});
      }
      this.websockets.accept(req, socket, head, url.pathname, target.frontend, target.mode);
    } catch (err) {
      const lip = reportInternalError('server.upgrade', err);
      try {
        refuse(lip);
      } catch {
        socket.destroy();
      }
    }
  }

  /**
   * A socket whose upgrade was refused (answered, its side ended): the HTTP server no longer
   * tracks it, and nothing read it, so a peer that went on writing was never seen to close and
   * the socket held the shutdown for ever. What the peer still sends is read and dropped, and the
   * shutdown cuts those still open.
   */
  private refused(socket: Duplex): void {
    socket.resume();
    this.refusedUpgrades.add(socket);
    socket.once('close', () => this.refusedUpgrades.delete(socket));
  }

  private async route(req: IncomingMessage, res: ServerResponse, state: RequestState, table: RouteTable): Promise<void> {
    let url: RequestTarget;
    try {
      url = requestTarget(req.url);
    } catch (err) {
      req.resume();
      const lip = toLipError(err);
      state.errorCode = lip.code;
      return plainError(res, lip);
    }
    // RFC 9112 section 3.2; Node's own check (off) answers without the protocol's envelope.
    if (req.headers.host === undefined && req.httpVersionMinor >= 1) {
      state.errorCode = 'LIP_ERR_REQUEST_INVALID';
      return this.refuseAndClose(req, res, table.ownerOf(url, req.headers), new LipError('LIP_ERR_REQUEST_INVALID', 'an HTTP/1.1 request needs a Host header'));
    }
    const matched = table.match(req.method ?? 'GET', url.pathname);
    // Files of two protocols at one path (`/v1/files`): the request's headers say whose.
    const match: RouteMatch = matched.kind === 'file' ? table.fileOwner(matched, req.headers) : matched;
    state.routeGroup = match.group;
    if (match.kind === 'system') state.system = true;
    // A keyless single-user lip answers this machine's clients, not browser pages of other sites.
    const allowance = match.kind === 'system' ? undefined : this.browserAllowance();
    if (allowance !== undefined) {
      const foreign = foreignBrowser(req.headers, allowance);
      if (foreign !== undefined) {
        state.errorCode = foreign.code;
        return this.refuseAndClose(req, res, table.ownerOf(url, req.headers), foreign);
      }
    }
    // A browser page lip lets use it (a loopback page, one of server.allowed_origins) may read
    // its answers, errors included; its preflight is answered here, before any key is asked for.
    if (req.headers.origin !== undefined) {
      const cors = corsHeaders(req.headers, this.allowLists().origins);
      if (cors !== undefined) {
        for (const name in cors) res.setHeader(name, cors[name]!);
        if (isPreflight(req.method, req.headers)) {
          req.resume();
          res.writeHead(204, preflightHeaders(req.headers)).end();
          return;
        }
      }
    }
    state.trace?.setName(`${req.method ?? 'GET'} ${match.group}`);
    switch (match.kind) {
      case 'not_found':
        req.resume();
        return this.pathError(req, res, url, table, new LipError('LIP_ERR_HTTP_NOT_FOUND', `no route for ${req.method} ${url.pathname}`));
      case 'method_not_allowed':
        req.resume();
        return this.pathError(req, res, url, table, new LipError('LIP_ERR_HTTP_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname} (allowed: ${match.allow})`), { allow: match.allow });
      // Token counts and embeddings hold no stream: authenticated and counted as such, their
      // bodies read and decoded like a generation's (decode admission counts them too).
      case 'count_tokens':
      case 'embeddings': {
        const frontend = match.frontend;
        // Served while draining (server.drain_delay), as generations are; refused once closing.
        if (this.closing) return this.refuseAndClose(req, res, frontend, new LipError('LIP_ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down'));
        // Embeddings spend from a key's budget (their input tokens, priced by the input price); token counts are free.
        const caller = await this.admittedCaller(req, res, url, state, frontend, { spending: match.kind === 'embeddings' });
        if (caller === undefined) return void req.resume();
        const principal = caller.principal;
        const ticket = this.enterDecode(req, res, state, frontend);
        if (ticket === undefined) return;
        try {
          if (match.kind === 'embeddings') return await handleEmbeddings(req, res, match, this.runtime, state);
          return await handleCountTokens(req, res, frontend, match.params, principal, this.runtime, ticket, state, state.allow);
        } finally {
          ticket.release();
        }
      }
      case 'model': {
        req.resume();
        const owner = match.routes.find((r) => !r.route.accepts || r.route.accepts({ params: {}, query: url.searchParams, headers: req.headers })) ?? match.routes[0]!;
        if ((await this.admitted(req, res, url, state, owner.frontend)) === undefined) return;
        return handleGetModel(res, url, match.id, owner, this.runtime, (code) => { state.errorCode = code; }, state.allow);
      }
      case 'system': {
        req.resume();
        if (match.name === 'metrics') {
          const viewer = guardOperator(req, this.runtime.config, this.auth, false);
          if (viewer instanceof LipError) return this.refuse(res, state, viewer);
        }
        return this.system(match.name, res);
      }
      case 'admin': {
        req.resume();
        const refused = await handleAdmin(match.path, req, res, url, this.runtime, this.auth, {
          control: this.options.control, spending: this.keySpending, cache: this.options.clusterCache, draining: this.draining,
        });
        if (refused) this.refuse(res, state, refused);
        return;
      }
      case 'profiling': {
        req.resume();
        const viewer = guardOperator(req, this.runtime.config, this.auth, false);
        if (viewer instanceof LipError) return this.refuse(res, state, viewer);
        const refused = await this.profiling.handle(match.endpoint, url, res, match.base);
        if (refused) this.refuse(res, state, refused);
        return;
      }
      case 'models': {
        req.resume();
        // A refusal speaks the protocol asked (Gemini's /v1beta/models, Anthropic's by its header).
        const owner = table.ownerOf(url, req.headers);
        if ((await this.admitted(req, res, url, state, owner)) === undefined) return;
        return handleListModels(req, res, url, match.routes, this.runtime, state.allow);
      }
      case 'cancel': {
        req.resume();
        const encode = (err: LipError) => match.frontend?.encodeError(err, answeredRequestId(res)) ?? encodeFlatError(err);
        const refuse = (err: LipError, headers: Record<string, string> = {}) => {
          state.errorCode = err.code;
          const response = encode(err);
          sendJson(res, response.status, response.body, { ...headers, ...response.headers });
        };
        try {
          state.principal = this.auth.authenticate(req.headers);
        } catch (err) {
          return refuse(toLipError(err), { 'www-authenticate': 'Bearer realm="lip"' });
        }
        try {
          const principal = state.principal;
          const stored = match.frontend?.routes.find((r) => r.storedResponses !== undefined)?.storedResponses;
          // Not a background response it holds: undefined; a store that cannot be read (a Redis outage) says so (a 503, not a 401).
          const storedBackground = stored?.backgroundObject === undefined ? undefined
            : (id: string) => this.runtime.continuity.loadResponse(id, principal).then((s) => stored.backgroundObject!(s), (err: unknown) => {
              if ((err as LipError).code === 'LIP_ERR_CONTINUITY_UNAVAILABLE') throw err;
              return undefined;
            });
          const answer = await handleCancel({ target: match.target, id: match.id, principal, path: url.pathname }, req, this.runtime, this.inflight, this.relay?.relay, storedBackground);
          return sendJson(res, answer.status, answer.body, { 'cache-control': 'no-store' });
        } catch (err) {
          return refuse(toLipError(err));
        }
      }
      case 'stored_response': {
        req.resume();
        const principal = await this.admitted(req, res, url, state, match.frontend);
        if (principal === undefined) return;
        const request = { action: match.action, id: match.id, principal, query: url.searchParams, frontend: match.frontend, routes: match.routes };
        const server = this.runtime.config.server;
        const background = { runs: this.background, relay: this.relay?.relay, follow: { keepaliveMs: server.keepalive_interval } };
        return handleStoredResponse(res, request, this.runtime.continuity, (code) => { state.errorCode = code; }, background);
      }
      case 'resource': {
        // A request without a key naming a URL grant (a Gemini upload's chunk) is the caller it was given to.
        const token = grantToken(match.route, url.searchParams);
        const granted = token !== undefined && this.auth.required && carriedKey(req.headers, keySourcesOf(url, match.frontend)) === undefined
          ? await grantedCaller(this.runtime.continuity, match.route, token, this.auth) : undefined;
        const caller = await this.admittedCaller(req, res, url, state, match.frontend, { granted });
        if (caller === undefined) {
          req.resume();
          return;
        }
        const { principal, key } = caller;
        const server = this.runtime.config.server;
        const call = { frontend: match.frontend, route: match.route, params: match.params, query: url.searchParams, principal, ...(key !== undefined ? { key } : {}), maxBodyBytes: server.max_request_body_bytes, maxFileBytes: server.max_batch_body_bytes, retentionMs: this.runtime.config.continuity.ttl };
        if (!readsBody(match.route)) return handleResource(req, res, call, this.runtime.continuity, (code) => { state.errorCode = code; });
        // A body is read (an upload's, a create's or an update's): counted by the decode admission as a generation's is.
        const ticket = this.enterDecode(req, res, state, match.frontend);
        if (ticket === undefined) return;
        try {
          return await handleResource(req, res, { ...call, weigher: ticket }, this.runtime.continuity, (code) => { state.errorCode = code; });
        } finally {
          ticket.release();
        }
      }
      case 'batch':
      case 'file': {
        const frontend = match.frontend;
        if (this.closing) return this.refuseAndClose(req, res, frontend, new LipError('LIP_ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down'));
        const caller = await this.admittedCaller(req, res, url, state, frontend);
        if (caller === undefined) return void req.resume();
        const { key, principal } = caller;
        const fail = (code: string) => { state.errorCode = code; };
        const { server, continuity } = this.runtime.config;
        const reads = match.kind === 'batch' ? match.action === 'create' : match.action === 'upload';
        const run = (weigher?: DecodeTicket) => match.kind === 'batch'
          ? handleBatch(req, res, { action: match.action, id: match.id, params: match.params, frontend, routes: match.routes, principal, query: url.searchParams, key, maxBodyBytes: server.max_batch_body_bytes, ...(weigher ? { weigher } : {}) }, this.batches, fail)
          : handleFile(req, res, { action: match.action, id: match.id, frontend, routes: match.routes, files: match.files, principal, query: url.searchParams, maxBytes: server.max_batch_body_bytes, retentionMs: continuity.ttl, ...(weigher ? { weigher } : {}) }, this.runtime.continuity, this.batches, fail);
        if (!reads) return run();
        // A body is read: counted by the decode admission as a generation's is.
        const ticket = this.enterDecode(req, res, state, frontend);
        if (ticket === undefined) return;
        try {
          return await run(ticket);
        } finally {
          ticket.release();
        }
      }
      case 'generate': {
        const runtime = this.runtime;
        const reject = (err: LipError, headers: Record<string, string> = {}) => {
          req.resume();
          state.errorCode = err.code;
          sendError(res, match.frontend, err, headers);
        };
        if (this.closing) {
          state.errorCode = 'LIP_ERR_SERVER_SHUTTING_DOWN';
          return this.refuseAndClose(req, res, match.frontend, new LipError('LIP_ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down'));
        }
        let endKey: () => void;
        try {
          const caller = this.auth.caller(req.headers, keySourcesOf(url, match.frontend));
          state.principal = caller.principal;
          if (caller.key !== undefined) {
            state.keyId = caller.key.id;
            state.allow = candidateAllow(caller.key);
            if (spends(caller.key)) {
              state.budgetLeft = this.spending.check(caller.key, state) as BudgetLeft | undefined;
              state.budgetKey = caller.key;
              const key = caller.key;
              if (key.budget !== undefined) state.reserveBudget = (call) => { state.releaseBudget = this.budgets.reserve(key, this.estimatedSpend(call, key)); };
            }
          }
          const admission = this.keyLimits.admit(caller.key, { concurrent: true, tokens: true, into: state });
          endKey = typeof admission === 'function' ? admission : await admission;
        } catch (err) {
          const lip = toLipError(err);
          // A key's limit reached: its windows as they stood, in the protocol's own headers, as a provider's 429 says them.
          return reject(lip, lip.status === 401 ? WWW_AUTHENTICATE : lip.code === 'LIP_ERR_AUTH_KEY_LIMITED' ? rateLimitHeadersOf(match.frontend, state.rateLimit) : {});
        }
        try {
          const limit = runtime.config.server.max_concurrent_requests;
          if (limit > 0 && this.generating >= limit) {
            return reject(new LipError('LIP_ERR_SERVER_OVERLOADED', `the server is at its limit of ${limit} concurrent requests`, { retryAfter: 1 }));
          }
          try {
            state.decode = this.admission.enter();
          } catch (err) {
            return reject(toLipError(err));
          }
          this.generating++;
          try {
            await handleGenerate(req, res, url, match, runtime, state, this.background);
          } finally {
            this.generating--;
            state.decode.release();
          }
        } finally {
          endKey();
        }
        return;
      }
    }
  }

  /** The access-log line of a request of a batch: its endpoint as the route, the batch it belongs to. */
  private logBatchRequest(r: BatchRequestReport): void {
    const config = this.runtime.config;
    if (!config.logging.access_log) return;
    const usage = r.meta.usage;
    this.accessLog.write({
      request_id: r.requestId, method: 'POST', route: r.endpoint, batch_id: r.batchId, status: r.status, duration_ms: round3(r.durationMs),
      principal: r.principal, key_id: r.keyId, frontend: r.frontend, model: r.model === undefined ? undefined : clipText(r.model), stream: false,
      selector_source: r.meta.selectorSource || undefined, backend: clipOptional(r.meta.candidateKey), attempts: r.meta.attempts ?? 0,
      input_tokens: usage?.inputTokens, output_tokens: usage?.outputTokens, cache_read_tokens: usage?.cacheReadTokens,
      cache_write_tokens: usage?.cacheWriteTokens, reasoning_tokens: usage?.reasoningTokens, token_count: r.meta.estimated ? 'estimate' : undefined,
      cost: r.meta.cost, trace_id: r.traceId, error: r.errorCode,
    });
  }

  /** Admits a body to be read and decoded (its ticket, also `state.decode`); undefined when refused, answered in the protocol's envelope. */
  private enterDecode(req: IncomingMessage, res: ServerResponse, state: RequestState, frontend: Frontend): DecodeTicket | undefined {
    try {
      state.decode = this.admission.enter();
      return state.decode;
    } catch (err) {
      req.resume();
      const lip = toLipError(err);
      state.errorCode = lip.code;
      sendError(res, frontend, lip);
      return undefined;
    }
  }

  /**
   * `err` answered in `res` (a request cut off part-way: read_timeout, a malformed body), in the
   * envelope of the protocol its path belongs to (flat otherwise), as pathError words it.
   */
  private envelopeOf(table: RouteTable, res: ServerResponse, err: LipError): ErrorResponse {
    let owner: Frontend | undefined;
    try {
      owner = table.ownerOf(requestTarget(res.req.url), res.req.headers);
    } catch {
      owner = undefined; // a target that is no path (refused as such by route)
    }
    return owner ? owner.encodeError(err, answeredRequestId(res)) : encodeFlatError(err);
  }

  /**
   * A refusal before the body is read that closes the connection, in `frontend`'s envelope (flat
   * without one); the connection closes once the body has arrived (sendJsonAndClose).
   */
  private refuseAndClose(req: IncomingMessage, res: ServerResponse, frontend: Frontend | undefined, err: LipError): void {
    const response = frontend ? frontend.encodeError(err, answeredRequestId(res)) : encodeFlatError(err);
    sendJsonAndClose(req, res, response.status, response.body, response.headers);
  }

  /** A path or method error, in the envelope of the protocol the path belongs to (plain otherwise). */
  private pathError(req: IncomingMessage, res: ServerResponse, url: RequestTarget, table: RouteTable, err: LipError, headers: Record<string, string> = {}): void {
    const owner = table.ownerOf(url, req.headers);
    if (!owner) return plainError(res, err, headers);
    sendError(res, owner, err, headers);
  }

  /**
   * What the browser guard allows under the running config, or undefined when it is off (a
   * `multi_user` lip, or one with API keys: a page cannot present a key it does not have).
   */
  private browserAllowance(): BrowserAllowance | undefined {
    const config = this.runtime.config;
    if (config.access.mode !== 'single_user' || config.auth.api_keys.length > 0) return undefined;
    return this.allowLists();
  }

  /** `server.allowed_hosts` and `server.allowed_origins` in lower case (the browser guard's, and CORS's origins in every mode). */
  private allowLists(): BrowserAllowance {
    const config = this.runtime.config;
    if (this.allowance?.config !== config) {
      const lower = (list: readonly string[]) => list.map((s) => s.toLowerCase());
      this.allowance = { config, allowance: { hosts: lower(config.server.allowed_hosts), origins: lower(config.server.allowed_origins) } };
    }
    return this.allowance.allowance;
  }

  /** An answer in the flat envelope to a request refused before any work (401s name the realm). */
  /**
   * Authenticates a request that holds no stream (model lists, one model, token counts,
   * embeddings, stored responses; the key from the headers or the protocol's query parameter)
   * and counts it against its key's request rate: its principal, or undefined once a refusal is
   * answered, in `frontend`'s envelope (plain without one; a 401 with WWW-Authenticate).
   */
  private async admitted(req: IncomingMessage, res: ServerResponse, url: RequestTarget, state: RequestState, frontend: Frontend | undefined): Promise<string | undefined> {
    return (await this.admittedCaller(req, res, url, state, frontend))?.principal;
  }

  /**
   * As `admitted`, with the caller's API key (its budget, its id). `spending`: the request
   * spends tokens (embeddings), so the key's budget and tokens per minute are checked first.
   * `granted`: the caller a URL grant of the request names, admitted as such when it carries no
   * key (its key's limits count it). A promise only while the limits are shared (`auth.limits_store: redis`).
   */
  private admittedCaller(req: IncomingMessage, res: ServerResponse, url: RequestTarget, state: RequestState, frontend: Frontend | undefined, options: { readonly spending?: boolean; readonly granted?: Caller | undefined } = {}): Caller | undefined | Promise<Caller | undefined> {
    const { spending = false, granted } = options;
    const refused = (err: unknown): undefined => {
      const lip = toLipError(err);
      if (!frontend) {
        this.refuse(res, state, lip);
        return undefined;
      }
      state.errorCode = lip.code;
      sendError(res, frontend, lip, lip.status === 401 ? WWW_AUTHENTICATE : {});
      return undefined;
    };
    try {
      const caller = this.auth.caller(req.headers, { ...keySourcesOf(url, frontend), granted });
      state.principal = caller.principal;
      if (caller.key !== undefined) {
        state.keyId = caller.key.id;
        state.allow = candidateAllow(caller.key);
        if (spending && spends(caller.key)) {
          state.budgetLeft = this.spending.check(caller.key, state) as BudgetLeft | undefined;
          state.budgetKey = caller.key;
          const key = caller.key;
          // An embeddings request reserves its estimate once decoded, as a generation does.
          if (key.budget !== undefined) state.reserveEmbeddingsBudget = (request, routeHeader) => { state.releaseBudget = this.budgets.reserve(key, this.estimatedEmbeddingsSpend(request, routeHeader, key)); };
        }
      }
      const admission = this.keyLimits.admit(caller.key, { concurrent: false, tokens: spending, ...(spending ? { into: state } : {}) });
      return typeof admission === 'function' ? caller : admission.then(() => caller, refused);
    } catch (err) {
      return refused(err);
    }
  }

  private refuse(res: ServerResponse, state: RequestState, err: LipError): void {
    state.errorCode = err.code;
    plainError(res, err, err.status === 401 ? WWW_AUTHENTICATE : {});
  }

  /**
   * `/healthz`: the process answers. `/readyz`: it should get traffic (not draining, stores
   * working). The metrics path: Prometheus text.
   */
  private async system(name: 'healthz' | 'readyz' | 'metrics', res: ServerResponse): Promise<void> {
    if (name === 'healthz') return sendJson(res, 200, { status: 'ok' });
    if (name === 'metrics' && this.metrics) {
      const text = await (this.options.clusterMetrics ?? (() => this.metrics!.render()))();
      res.writeHead(200, { 'content-type': this.metrics.contentType, 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const continuity = this.runtime.continuity.status();
    // An unreachable Redis does not make the server unready: the breaker runs on local state.
    const checks = { config: 'ok', server: this.draining ? 'draining' : 'ok', backends: this.runtime.backends.size, continuity, circuit_breaker: this.runtime.breaker.status() };
    const ready = !this.draining && continuity.ready;
    return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : this.draining ? 'draining' : 'degraded', checks });
  }

  /**
   * The end of every request: metrics, the SERVER span, and the access-log line. System routes
   * (health, readiness, metrics) are neither counted nor logged unless
   * `observability.include_system_routes`.
   */
  private finish(req: IncomingMessage, res: ServerResponse, state: RequestState): void {
    this.inflight.delete(state);
    this.closeRetired();
    if (state.settled === undefined) this.settle(req, res, state);
    else {
      // A background response's request is accounted for once its run has ended (its tokens, its span).
      void state.settled.then(() => {
        try {
          this.settle(req, res, state);
        } catch (err) {
          reportInternalError('server.finish', err, state.requestId);
        }
      });
    }
    if (this.closing) {
      this.http.closeIdleConnections();
      if (this.inflight.size === 0) this.idle?.();
    }
  }

  /** Accounts for a request that ended, then frees its id (`uniqueRequestId`). */
  private settle(req: IncomingMessage, res: ServerResponse, state: RequestState): void {
    try {
      this.account(req, res, state);
    } finally {
      this.liveIds.delete(state.requestId);
    }
  }

  /**
   * The id lip names a request by: the one the client asked for (`X-Request-Id`, else
   * `X-Trace-ID`, else a fresh UUID), unless another request of that id is still running or
   * being recorded; then `<id>.dup<n>`, so that a client that sends one id twice at once, or
   * again before the first one's record is written, gets two exchanges in the access log, the
   * spans and the recording instead of one merged (the answer still echoes the id as sent).
   */
  private uniqueRequestId(asked: string): string {
    const recorder = this.runtime.recorder;
    const taken = (id: string) => this.liveIds.has(id) || (recorder !== undefined && recorder.holds(id));
    if (!taken(asked)) return asked;
    let n = 2;
    while (taken(`${asked}.dup${n}`)) n++;
    return `${asked}.dup${n}`;
  }

  /**
   * What a generation is expected to spend, reserved from its key's budget while it runs: its
   * estimated input tokens (estimateTokens, as min_context uses) plus the output it asks for at
   * most (`max_tokens` and the like), else as many output tokens as input; its cost at the price
   * of the first candidate of its route (none when the key has no max_cost, or no price is known).
   */
  private estimatedSpend(call: Call, key: ApiKeyConfig): { cost: number; tokens: number } {
    const input = estimateTokens(call);
    const output = call.options.maxOutputTokens ?? input;
    let cost = 0;
    if (key.budget?.max_cost !== undefined) {
      try {
        const executor = this.runtime.executor;
        const first = executor.candidates(call.model)[0];
        if (first !== undefined) cost = executor.cost(first.backend, first.model, { inputTokens: input, outputTokens: output }) ?? 0;
      } catch {
        // A route the executor refuses: it is answered so, nothing is spent.
      }
    }
    return { cost, tokens: input + output };
  }

  /**
   * What an embeddings request is expected to spend, reserved from its key's budget while it
   * runs: lip's estimate of its input tokens (estimateTextTokens, what it is charged when the
   * upstream counts none), costed at the input price of the first candidate of its route (none
   * when the key has no max_cost, or no price is known).
   */
  private estimatedEmbeddingsSpend(request: EmbeddingRequest, routeHeader: string | undefined, key: ApiKeyConfig): { cost: number; tokens: number } {
    const input = estimateTextTokens(request.inputs);
    let cost = 0;
    if (key.budget?.max_cost !== undefined) {
      try {
        const executor = this.runtime.executor;
        const first = executor.candidates(request.model, routeHeader)[0];
        if (first !== undefined) cost = executor.cost(first.backend, first.model, { inputTokens: input }) ?? 0;
      } catch {
        // A route the executor refuses: it is answered so, nothing is spent.
      }
    }
    return { cost, tokens: input };
  }

  /** The metrics, the SERVER span and the access-log line of a request that ended. */
  private account(req: IncomingMessage, res: ServerResponse, state: RequestState): void {
    const config = this.runtime.config;
    const traffic = state.system !== true || config.observability.include_system_routes;
    const status = res.headersSent ? res.statusCode : 499;
    // A client that left before its request had arrived whole, and before any answer: nothing
    // failed (the read of its body that it cut short is no error of the request).
    const left = status === 499 && !req.complete;
    // A request refused part-way (read_timeout, a malformed body) is named by the refusal it was answered with.
    const errorCode = refusalOf(res)?.code ?? (left ? undefined : state.errorCode);
    const elapsedMs = performance.now() - state.startedAt;
    const aborted = !res.writableFinished;
    const g = state.generation;
    const meta = g?.meta;
    const usage = meta?.usage;
    const served = meta?.backendId;
    const ttftMs = meta?.firstOutputAt === undefined ? undefined : meta.firstOutputAt - state.startedAt;
    const embedded = state.embedded;
    const e = state.embedding;
    if (state.budgetKey !== undefined) {
      state.releaseBudget?.();
      if (meta !== undefined) this.spending.charge(state.budgetKey, meta.cost, (usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0));
      else if (embedded !== undefined) this.spending.charge(state.budgetKey, embedded.cost, embedded.inputTokens);
    }
    if (this.metrics && traffic) {
      const backend = served === undefined ? undefined : this.runtime.backends.get(served);
      this.metrics.request({
        method: req.method ?? 'GET', route: state.routeGroup, status, seconds: elapsedMs / 1000, aborted,
        ...(errorCode ? { errorCode } : {}),
        ...(g ? {
          generation: {
            provider: backend ? providerName(backend.kind) : 'none', model: modelOf(meta?.candidateKey) ?? 'none', stream: g.stream,
            ...(ttftMs !== undefined ? { ttftSeconds: ttftMs / 1000 } : {}), ...(usage?.outputTokens !== undefined ? { outputTokens: usage.outputTokens } : {}),
          },
        } : {}),
        ...(meta?.cache ?? state.cache ? { cache: meta?.cache ?? state.cache } : {}),
        ...(state.keyId !== undefined ? { keyId: state.keyId } : {}),
      });
    }
    // A probe or a scrape is not traffic: its span is not ended, so it is never exported (a span
    // processor takes a span when it ends; nothing holds one that never does).
    if (state.trace && traffic) {
      state.trace.setAttributes({
        'lip.request_id': state.requestId, 'lip.frontend': g?.frontend ?? e?.frontend, 'gen_ai.request.model': g?.model ?? e?.model, 'lip.served': (meta ?? e?.meta)?.candidateKey,
        'lip.selector_source': (meta ?? e?.meta)?.selectorSource, 'lip.attempts': g ? meta?.attempts ?? 0 : e ? e.meta.attempts ?? 0 : undefined, 'lip.principal': state.principal, 'lip.aborted': aborted, 'lip.cache': meta?.cache ?? state.cache,
      });
      state.trace.end(status, errorCode);
    }
    if (config.logging.access_log && traffic && !skipped(config.logging.access_log_skip_paths, req.url)) {
      // One literal in the line's field order; an absent field is undefined, which the line
      // (JSON or text) leaves out, so no throw-away object per optional part.
      this.accessLog.write({
        request_id: state.requestId,
        method: req.method,
        route: state.routeGroup,
        path: config.logging.include_raw_path ? clipText(maskSecretQuery(req.url ?? '')) : undefined,
        status,
        duration_ms: round3(elapsedMs),
        principal: state.principal,
        key_id: state.keyId,
        frontend: g?.frontend ?? e?.frontend, model: g ? clipText(g.model) : e?.model !== undefined ? clipText(e.model) : undefined, stream: g?.stream,
        selector_source: (meta ?? e?.meta)?.selectorSource || undefined,
        // The candidate that served (a token count's: the backend that counted).
        backend: clipOptional(g ? meta?.candidateKey : e ? e.meta.candidateKey : state.backend),
        attempts: g ? meta?.attempts ?? 0 : e ? e.meta.attempts ?? 0 : undefined,
        cache: meta?.cache ?? state.cache,
        ttft_ms: g && ttftMs !== undefined ? round3(ttftMs) : undefined,
        input_tokens: g ? usage?.inputTokens : embedded?.inputTokens,
        output_tokens: g ? usage?.outputTokens : undefined,
        cache_read_tokens: g ? usage?.cacheReadTokens : undefined,
        cache_write_tokens: g ? usage?.cacheWriteTokens : undefined,
        reasoning_tokens: g ? usage?.reasoningTokens : undefined,
        // Some of the tokens are lip's estimate (as `x-lip-token-count: estimate` says on an answer).
        token_count: (g ? meta?.estimated : embedded?.estimated) ? 'estimate' : undefined,
        cost: g ? meta?.cost : embedded?.cost,
        trace_id: state.trace?.traceId,
        error: errorCode || undefined,
        aborted: aborted || undefined,
      });
    }
  }
}

/**
 * Listens on `host:port`; a port in use (or any listen error) rejects with a clear LipError
 * naming `setting`, where another port is chosen.
 */
function listenOn(server: Server, host: string, port: number, setting: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      const message = err.code === 'EADDRINUSE' ? `cannot listen on ${where}: the port is already in use (stop the other process or choose another with ${setting})`
        : err.code === 'EACCES' ? `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`
        : err.code === 'EADDRNOTAVAIL' ? `cannot listen on ${where}: the address is not available on this machine`
        : `cannot listen on ${where}: ${err.message}`;
      reject(new LipError('LIP_ERR_SERVER_LISTEN', message, { cause: err }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** The client key in the URL, for a protocol that takes one there (Frontend.queryKey), and how its clients send one (Frontend.keyHint). */
function keySourcesOf(url: RequestTarget, frontend: Frontend | undefined): KeySources {
  const queryKey = frontend?.queryKey !== undefined ? url.searchParams.get(frontend.queryKey) ?? undefined : undefined;
  return { ...(queryKey !== undefined ? { queryKey } : {}), ...(frontend?.keyHint !== undefined ? { hint: frontend.keyHint } : {}) };
}

function urlOf(server: Server): string {
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `http://${host}:${a.port}`;
}

/**
 * Socket timeouts, so that slow or idle clients cannot pin sockets:
 * * `read_header_timeout`: the request line and headers (a slowloris trickle is cut off);
 * * `read_timeout`: the whole request, headers and body (0 turns it off); it never limits
 *   the response, however long a stream runs;
 * * `idle_timeout`: a keep-alive connection between requests; 0 keeps none (each response
 *   closes its connection, see onRequest): Node's own 0 would keep idle connections forever.
 * Node refuses a headers timeout longer than the request timeout, so the shorter one wins.
 */
function socketTimeouts(server: ServerConfig): { requestTimeout: number; headersTimeout: number; keepAliveTimeout: number } {
  const read = server.read_timeout;
  const header = server.read_header_timeout > 0 ? server.read_header_timeout : read > 0 ? read : 60_000;
  return { requestTimeout: read > 0 ? read : 0, headersTimeout: read > 0 ? Math.min(header, read) : header, keepAliveTimeout: server.idle_timeout > 0 ? server.idle_timeout : 1 };
}

/** The route table of a listener: the protocols, the operator surfaces, or both. */
function routeTable(runtime: Runtime, metrics: Metrics | undefined, serves: 'both' | 'protocol' | 'operator'): RouteTable {
  const { config } = runtime;
  const enabled = serves === 'operator' ? [] : config.frontends.filter((f) => f.enabled).map((f) => FRONTENDS[f.id]).filter((f): f is Frontend => f !== undefined);
  const operator: OperatorMounts | undefined = serves === 'protocol' ? undefined : {
    adminPath: config.diagnostics.admin_path,
    ...(metrics ? { metricsPath: config.observability.metrics.path } : {}),
    ...(config.diagnostics.pprof_path !== undefined ? { pprofPath: config.diagnostics.pprof_path } : {}),
  };
  return new RouteTable(enabled, operator);
}

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Client text for a log line, cut like a model name; empty or absent: left out. */
function clipOptional(text: string | undefined): string | undefined {
  return text ? clipText(text) : undefined;
}

/** The model part of a candidate key (`backend:model[?query]`). */
function modelOf(candidateKey: string | undefined): string | undefined {
  if (candidateKey === undefined) return undefined;
  const colon = candidateKey.indexOf(':');
  const query = candidateKey.indexOf('?', colon);
  return candidateKey.slice(colon + 1, query < 0 ? undefined : query);
}

/** The models of the running backends (static inventories): the bound of the metrics' model labels. */
const modelSets = new WeakMap<Runtime, ReadonlySet<string>>();
function configuredModels(runtime: Runtime): ReadonlySet<string> {
  let set = modelSets.get(runtime);
  if (!set) {
    set = new Set([...runtime.backends.values()].flatMap((b) => b.models));
    modelSets.set(runtime, set);
  }
  return set;
}

/**
 * Whether `work` settled within `ms` (its rejection is thrown); false when the time ran out
 * first. A late rejection then goes to `late` (never an unhandled rejection).
 */
async function settlesWithin(work: Promise<unknown>, ms: number, late: (err: unknown) => void): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  const done = work.then(() => true as const);
  try {
    const settled = await Promise.race([done, expired]);
    if (!settled) done.catch(late);
    return settled;
  } finally {
    clearTimeout(timer);
  }
}

/** What `access.geoip` refuses with: the same few bytes whatever the reason (no address, country or rule is revealed). */
const FORBIDDEN = 'Forbidden\n';

function refuseIngress(req: IncomingMessage, res: ServerResponse): void {
  res.shouldKeepAlive = false;
  res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'content-length': FORBIDDEN.length, connection: 'close' });
  endAfterBody(req, res, FORBIDDEN);
}

/** Liveness and readiness probes pass the ingress gate (orchestrators probe from their own addresses). */
function isProbe(url: string | undefined): boolean {
  return url === '/healthz' || url === '/readyz' || url?.startsWith('/healthz?') === true || url?.startsWith('/readyz?') === true;
}

function ingressView(req: IncomingMessage): IngressRequest {
  return {
    peer: req.socket.remoteAddress,
    header: (name) => req.headersDistinct[name],
  };
}

/** Whether the request's path starts with one of `logging.access_log_skip_paths` (none: never). */
function skipped(prefixes: readonly string[], url: string | undefined): boolean {
  if (prefixes.length === 0 || url === undefined) return false;
  const end = url.search(/[?#]/);
  const path = end < 0 ? url : url.slice(0, end);
  return prefixes.some((prefix) => path.startsWith(prefix));
}

/** A key whose requests' spending is counted: it has a budget or a tokens-per-minute limit. */
function spends(key: ApiKeyConfig | undefined): key is ApiKeyConfig {
  return key !== undefined && (key.budget !== undefined || key.tokens_per_minute !== undefined);
}
