import type { StageTrace } from './run-request-stages.js';
import { defer } from 'rxjs/internal/observable/defer';
import { throwError } from 'rxjs/internal/observable/throwError';
import { tap } from 'rxjs/internal/operators/tap';
import type { MonoTypeOperatorFunction, Observable, TapObserver } from 'rxjs';
import { validateCall, type Call, type LipEvent } from '../canonical/index.js';
import { LipError, toLipError } from '../errors/index.js';
import { synchronous, type HookFailures } from './hook-failures.js';
import { auxiliaryClient, type AuxiliaryClient, type BoundAuxiliaryClient, type NestedCall } from './auxiliary-client.js';
import type { ExtensionHost } from './extension-host.js';
import { gateCompletion } from './gate-completion.js';
import { mutateEvents } from './mutate-events.js';
import type { AttemptEnding, ObservationMeta, TrafficChannel } from './observation.js';
import type { Registered } from './hook-set.js';
import { observeFinalStream } from './observe-final-stream.js';
import { reactToTools } from './react-to-tools.js';
import type { AttemptTarget, HookContext, RequestInfo, StreamContext } from './sdk.js';
import { scopedState, type ScopedState, type StateScope } from './state-store.js';

/** The parts of the executor's request context the extensions read. */
export interface ExtensionCallContext {
  readonly requestId: string;
  readonly principal?: string;
  readonly aLeg?: { readonly aLegId: string; readonly sessionId: string; readonly created?: boolean };
  readonly frontendId?: string;
  /** The client's `User-Agent` header. */
  readonly userAgent?: string;
  /** Set for an auxiliary call. */
  readonly nested?: NestedCall;
  /** Told when the request stages start (true) and end (false); the server's 102 keep-alive. */
  readonly onRequestStages?: (running: boolean) => void;
  /** The request's trace (tracing on and sampled): each request-stage hook gets a span. */
  readonly trace?: StageTrace & { readonly recording: boolean };
}

/** The candidate an attempt opens (the routing Candidate, structurally). */
export interface AttemptCandidate {
  readonly backend: string;
  readonly model: string;
  readonly key: string;
}

/** What the extensions read of the backend an attempt opens (the Backend, structurally). */
export interface AttemptBackend {
  readonly kind: string;
  readonly reasoning?: AttemptTarget['reasoning'];
}

/** What the executor plugs into one attempt: the B-leg when continuity allocates it, and the stream stages. */
export interface AttemptExtension {
  readonly onBegin: (ticket: { readonly seq: number; readonly bLegId: string }) => void;
  stages(source: Observable<LipEvent>): Observable<LipEvent>;
  /**
   * Set when the attempt has no stream stage, only traffic observation (the recorder, observers):
   * the executor may then run the observation inside the attempt's continuity row instead of
   * piping `stages` (no operator of its own). Called once the B-leg is allocated (after
   * `onBegin`), at the attempt's subscription; it emits `proxy_to_backend` and answers the
   * `backend_to_proxy` watcher, or undefined when nobody wants this attempt's traffic.
   */
  readonly observeOnly?: () => AttemptObservation | undefined;
}

/** The `backend_to_proxy` leg of one attempt, run by its continuity row (see `AttemptExtension.observeOnly`). */
export interface AttemptObservation {
  next(event: LipEvent): void;
  end(outcome: AttemptEnding, err?: unknown, reason?: string): void;
}

/**
 * The extensions' state for one request: who it is, each feature's hook context (made on
 * first use), the route hint, and the per-attempt work (request parts and attempt transforms
 * before a backend opens; stream stages and observations around its events).
 */
export class ExtensionRequest {
  readonly info: RequestInfo;
  readonly disabled: ReadonlySet<string> | undefined;
  /** The first route hint, tried first when the selector contains it. */
  preferred: string | undefined;
  private readonly contexts = new Map<string, FeatureContext>();
  private attempts = 0;
  /** Set for an auxiliary call: the request that made it. */
  private readonly parentRequestId: string | undefined;

  constructor(private readonly host: ExtensionHost, ctx: ExtensionCallContext) {
    this.parentRequestId = ctx.nested?.parentRequestId;
    this.info = {
      requestId: ctx.requestId,
      principal: ctx.principal ?? 'local',
      ...(ctx.aLeg ? { aLegId: ctx.aLeg.aLegId, sessionId: ctx.aLeg.sessionId, newSession: ctx.aLeg.created === true } : {}),
      ...(ctx.frontendId !== undefined ? { frontendId: ctx.frontendId } : {}),
      ...(ctx.userAgent !== undefined ? { userAgent: ctx.userAgent } : {}),
      depth: ctx.nested?.depth ?? 0,
    };
    this.disabled = ctx.nested?.disabled;
  }

  /**
   * Correlation for observations of this request (and, given, of one attempt): one literal with
   * every field (undefined when unknown), no spread, so every meta has the same shape.
   */
  meta(attempt?: { readonly seq: number; readonly bLegId?: string | undefined }, candidate?: AttemptCandidate): ObservationMeta {
    const { requestId, principal, aLegId, sessionId, frontendId } = this.info;
    return {
      requestId, principal, aLegId, sessionId, frontendId,
      attemptSeq: attempt?.seq, bLegId: attempt?.bLegId, candidateKey: candidate?.key, backendId: candidate?.backend, parentRequestId: this.parentRequestId,
    };
  }

  /** The request was cancelled (the client went away): the auxiliary calls its hooks made end with it. */
  cancel(): void {
    for (const ctx of this.contexts.values()) ctx.cancel();
  }

  contextFor(feature: string): HookContext {
    let ctx = this.contexts.get(feature);
    if (!ctx) this.contexts.set(feature, (ctx = new FeatureContext(this.host, feature, this.info, this.disabled)));
    return ctx;
  }

  /**
   * `request_wide_shaping` (per attempt) then `candidate_attempt_transform`, synchronously
   * before the backend opens: the attempt's own call, or the error that skips the candidate.
   */
  prepareAttempt(call: Call, candidate: AttemptCandidate, backend?: AttemptBackend, catalog?: AttemptTarget['catalog']): Call | LipError {
    const { hooks, failures } = this.host;
    const target = targetOf(candidate, backend, catalog);
    let current = call;
    for (const registered of hooks.get('requestParts', this.disabled)) {
      try {
        const shaped = synchronous(registered.hook.shape(current, target, this.contextFor(registered.feature)));
        current = shaped === current ? current : checked(shaped); // a call handed back unchanged is still valid
      } catch (err) {
        const stop = failures.failed(registered, err);
        if (stop) return stop;
      }
    }
    for (const registered of hooks.get('attemptTransforms', this.disabled)) {
      try {
        const decision = synchronous(registered.hook.transform(current, target, this.contextFor(registered.feature)));
        if (decision?.action === 'exclude_candidate') {
          return new LipError('LIP_ERR_ROUTE_NO_CANDIDATE', `${candidate.key} excluded by ${registered.key}: ${String(decision.reason)}`, { retryable: true });
        }
        if (decision?.action !== 'continue') throw new TypeError(`an attempt transform answers continue or exclude_candidate (got ${JSON.stringify((decision as { action?: unknown })?.action)})`);
        if (decision.call !== undefined && decision.call !== current) current = checked(decision.call);
      } catch (err) {
        const stop = failures.failed(registered, err);
        if (stop) return stop;
      }
    }
    return current;
  }

  /**
   * The attempt's stream stages and observations; undefined when no stream hook and no observer
   * exists; the error that refuses the attempt when a fail_closed hook's `appliesTo` throws
   * (asked before the attempt is counted or wrapped, as `prepareAttempt` is). `cancelReason` says
   * why the attempt was stopped, when it is (its traffic leg's ending carries it).
   */
  attempt(call: Call, candidate: AttemptCandidate, backend?: AttemptBackend, catalog?: AttemptTarget['catalog'], cancelReason?: () => string | undefined): AttemptExtension | LipError | undefined {
    const host = this.host;
    if (!host.streamActive && !host.traffic.active) return undefined;
    const { hooks, failures } = host;
    const disabled = this.disabled;
    const target = targetOf(candidate, backend, catalog);
    let leg: { seq: number; bLegId?: string } | undefined;
    const onBegin = (ticket: { readonly seq: number; readonly bLegId: string }) => { leg = { seq: ticket.seq, bLegId: ticket.bLegId }; };
    let mutators, finalizers, policies, reactors, gates, observers;
    try {
      mutators = applying(hooks.get('eventMutators', disabled), call, target, failures);
      finalizers = applying(hooks.get('toolFinalizers', disabled), call, target, failures);
      policies = applying(hooks.get('toolPolicies', disabled), call, target, failures);
      reactors = applying(hooks.get('toolReactors', disabled), call, target, failures);
      gates = applying(hooks.get('completionGates', disabled), call, target, failures);
      observers = applying(hooks.get('streamObservers', disabled), call, target, failures);
    } catch (err) {
      // A fail_closed hook's appliesTo threw (`applying` throws only its LipError): the attempt is refused.
      return err as LipError;
    }
    if (!host.traffic.active && mutators.length + finalizers.length + policies.length + reactors.length + gates.length + observers.length === 0) return undefined;
    /** The attempt's two traffic legs: `proxy_to_backend` now, the `backend_to_proxy` channel returned. */
    const openTraffic = (): TrafficChannel | undefined => {
      leg ??= { seq: ++this.attempts };
      const meta = this.meta(leg, candidate);
      leg = undefined;
      host.traffic.channel(meta, 'proxy_to_backend')?.emit('call', call);
      return host.traffic.channel(meta, 'backend_to_proxy');
    };
    if (mutators.length + finalizers.length + policies.length + reactors.length + gates.length + observers.length === 0) {
      return {
        onBegin,
        stages: (source) => defer(() => {
          const fromBackend = openTraffic();
          return fromBackend ? source.pipe(tap(tapOf(fromBackend, cancelReason))) : source;
        }),
        observeOnly: () => {
          const fromBackend = openTraffic();
          if (!fromBackend) return undefined;
          return {
            next: (event) => fromBackend.emit('event', event),
            end: fromBackend.end ? (outcome, err, reason) => fromBackend.end!(outcome, outcome === 'failure' ? toLipError(err) : undefined, reason) : () => undefined,
          };
        },
      };
    }
    const contexts = new Map<string, FeatureContext>();
    const streamContext = (feature: string) => {
      let c = contexts.get(feature);
      if (!c) contexts.set(feature, (c = new FeatureContext(host, feature, this.info, this.disabled, target, call)));
      return c as StreamContext;
    };
    // The attempt cancelled (a race lost, a budget expired, the client went away): its hooks' auxiliary calls end with it.
    const cancelled = { unsubscribe: () => { for (const c of contexts.values()) c.cancel(); } };
    return {
      onBegin,
      stages: (source) => defer(() => {
        let events = source;
        if (host.traffic.active) {
          const fromBackend = openTraffic();
          if (fromBackend) events = events.pipe(tap(tapOf(fromBackend, cancelReason)));
        } else {
          leg = undefined;
        }
        if (mutators.length > 0) events = events.pipe(mutateEvents(mutators, streamContext, failures));
        if (finalizers.length > 0 || policies.length > 0 || reactors.length > 0) events = events.pipe(reactToTools({ finalizers, policies, reactors }, streamContext, failures));
        if (gates.length > 0) events = events.pipe(gateCompletion(gates, streamContext, failures));
        if (observers.length > 0) events = events.pipe(observeFinalStream(observers, streamContext, failures));
        return events.pipe(tap(cancelled));
      }),
    };
  }

  /**
   * `final_stream_observation` of an answer the response cache gives (a hit): the stream
   * observers that apply to the candidate that served it (`appliesTo` with that target) see its
   * events and how its giving ended, as they would have seen an attempt's, with `ctx.cached`
   * set. No other stream stage runs: the kept events are what left them then. Undefined when no
   * observer applies (then nothing is piped).
   */
  observeCached(call: Call, candidate: AttemptCandidate, backend?: AttemptBackend, catalog?: AttemptTarget['catalog']): MonoTypeOperatorFunction<LipEvent> | undefined {
    const host = this.host;
    const { hooks, failures } = host;
    if (!hooks.has('streamObservers')) return undefined;
    const target = targetOf(candidate, backend, catalog);
    let observers;
    try {
      observers = applying(hooks.get('streamObservers', this.disabled), call, target, failures);
    } catch (err) {
      return () => throwError(() => err); // a fail_closed observer's appliesTo threw: so does the hit
    }
    if (observers.length === 0) return undefined;
    const contexts = new Map<string, FeatureContext>();
    const streamContext = (feature: string) => {
      let c = contexts.get(feature);
      if (!c) contexts.set(feature, (c = new FeatureContext(host, feature, this.info, this.disabled, target, call, true)));
      return c as StreamContext;
    };
    // Its giving cancelled (the client went away): the observers' auxiliary calls end with it.
    const cancelled = { unsubscribe: () => { for (const c of contexts.values()) c.cancel(); } };
    return (source) => source.pipe(observeFinalStream(observers, streamContext, failures), tap(cancelled));
  }
}

/** One feature's view of a request (and, in stream stages, of one attempt's target). */
class FeatureContext implements HookContext {
  readonly requestId: string;
  readonly principal: string;
  readonly aLegId: string | undefined;
  readonly sessionId: string | undefined;
  readonly newSession: boolean | undefined;
  readonly frontendId: string | undefined;
  readonly userAgent: string | undefined;
  readonly depth: number;
  private aux: BoundAuxiliaryClient | undefined;
  private cancelled = false;

  constructor(
    private readonly host: ExtensionHost,
    private readonly feature: string,
    info: RequestInfo,
    private readonly disabled: ReadonlySet<string> | undefined,
    readonly target?: AttemptTarget,
    readonly call?: Call,
    readonly cached?: boolean,
  ) {
    this.requestId = info.requestId;
    this.principal = info.principal;
    this.aLegId = info.aLegId;
    this.sessionId = info.sessionId;
    this.newSession = info.newSession;
    this.frontendId = info.frontendId;
    this.userAgent = info.userAgent;
    this.depth = info.depth;
  }

  state(scope: StateScope): ScopedState {
    const key = scope === 'request' ? this.requestId : scope === 'session' ? (this.aLegId ?? this.requestId) : scope === 'principal' ? this.principal : '';
    return scopedState(this.host.state, this.feature, scope, key);
  }

  get auxiliary(): AuxiliaryClient {
    if (this.aux) return this.aux;
    this.aux = auxiliaryClient(this.host.auxiliaryTarget(), this.feature, {
      requestId: this.requestId, principal: this.principal, depth: this.depth,
      ...(this.aLegId !== undefined ? { aLegId: this.aLegId } : {}), ...(this.disabled ? { disabled: this.disabled } : {}),
    });
    if (this.cancelled) this.aux.cancel();
    return this.aux;
  }

  /** Its request or attempt was cancelled: the auxiliary calls it made end, and later ones are refused. */
  cancel(): void {
    this.cancelled = true;
    this.aux?.cancel();
  }
}

/**
 * The one operator of an attempt's `backend_to_proxy` leg: each event, then how the events
 * ended when the channel wants that (the same ending `lip:attempt` reports: the stages sit
 * downstream of the attempt's own wrapping).
 */
function tapOf(channel: TrafficChannel, cancelReason: (() => string | undefined) | undefined): Partial<TapObserver<LipEvent>> {
  const next = (event: LipEvent) => channel.emit('event', event);
  if (!channel.end) return { next };
  return {
    next,
    complete: () => channel.end!('success'),
    error: (err: unknown) => channel.end!('failure', toLipError(err)),
    unsubscribe: () => channel.end!('cancelled', undefined, cancelReason?.()),
  };
}

/**
 * The hooks whose `appliesTo` does not rule this call out (the same list when none has one). An
 * `appliesTo` that throws is its hook's failure: a fail_open hook is left out (counted and
 * logged), a fail_closed one's LipError is thrown.
 */
function applying<H extends Registered>(list: readonly H[], call: Call, target: AttemptTarget, failures: HookFailures): readonly H[] {
  if (!list.some((r) => r.hook.appliesTo)) return list;
  return list.filter((r) => {
    try {
      return r.hook.appliesTo?.(call, target) ?? true;
    } catch (err) {
      const stop = failures.failed(r, err);
      if (stop) throw stop;
      return false;
    }
  });
}

function targetOf(candidate: AttemptCandidate, backend?: AttemptBackend, catalog?: AttemptTarget['catalog']): AttemptTarget {
  return {
    backendId: candidate.backend, candidateKey: candidate.key, model: candidate.model,
    ...(backend !== undefined ? { backendKind: backend.kind } : {}),
    ...(backend?.reasoning !== undefined ? { reasoning: backend.reasoning } : {}),
    ...(catalog !== undefined ? { catalog } : {}),
  };
}

/** The call, if canonically valid; otherwise a throw that becomes the hook's failure. */
function checked(call: Call): Call {
  const issues = validateCall(call);
  if (issues.length > 0) throw new TypeError(`left the call invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return call;
}
