import { defer, tap, type Observable } from 'rxjs';
import { validateCall, type Call, type LipEvent } from '../canonical/index.js';
import { LipError } from '../errors/index.js';
import { auxiliaryClient, type AuxiliaryClient, type NestedCall } from './auxiliary-client.js';
import type { ExtensionHost } from './extension-host.js';
import { gateCompletion } from './gate-completion.js';
import { mutateEvents } from './mutate-events.js';
import type { ObservationMeta } from './observation.js';
import { observeFinalStream } from './observe-final-stream.js';
import { reactToTools } from './react-to-tools.js';
import type { AttemptTarget, HookContext, RequestInfo, StreamContext } from './sdk.js';
import { scopedState, type StateScope } from './state-store.js';

/** The parts of the executor's request context the extensions read. */
export interface ExtensionCallContext {
  readonly requestId: string;
  readonly principal?: string;
  readonly aLeg?: { readonly aLegId: string; readonly sessionId: string };
  readonly frontendId?: string;
  /** Set for an auxiliary call. */
  readonly nested?: NestedCall;
}

/** The candidate an attempt opens (the routing Candidate, structurally). */
export interface AttemptCandidate {
  readonly backend: string;
  readonly model: string;
  readonly key: string;
}

/** What the executor plugs into one attempt: the B-leg when continuity allocates it, and the stream stages. */
export interface AttemptExtension {
  readonly onBegin: (ticket: { readonly seq: number; readonly bLegId: string }) => void;
  stages(source: Observable<LipEvent>): Observable<LipEvent>;
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
  private readonly contexts = new Map<string, HookContext>();
  private attempts = 0;

  constructor(private readonly host: ExtensionHost, ctx: ExtensionCallContext) {
    this.info = {
      requestId: ctx.requestId,
      principal: ctx.principal ?? 'local',
      ...(ctx.aLeg ? { aLegId: ctx.aLeg.aLegId, sessionId: ctx.aLeg.sessionId } : {}),
      ...(ctx.frontendId !== undefined ? { frontendId: ctx.frontendId } : {}),
      depth: ctx.nested?.depth ?? 0,
    };
    this.disabled = ctx.nested?.disabled;
  }

  /** Correlation for observations of this request. */
  meta(): ObservationMeta {
    const { requestId, principal, aLegId, sessionId, frontendId } = this.info;
    return { requestId, principal, ...(aLegId !== undefined ? { aLegId, sessionId } : {}), ...(frontendId !== undefined ? { frontendId } : {}) };
  }

  contextFor(feature: string): HookContext {
    let ctx = this.contexts.get(feature);
    if (ctx) return ctx;
    const info = this.info;
    const host = this.host;
    let auxiliary: AuxiliaryClient | undefined;
    ctx = {
      ...info,
      state: (scope: StateScope) => scopedState(host.state, feature, scope,
        scope === 'request' ? info.requestId : scope === 'session' ? (info.aLegId ?? info.requestId) : scope === 'principal' ? info.principal : ''),
      get auxiliary() {
        return (auxiliary ??= auxiliaryClient(host.auxiliaryTarget(), feature, { ...info, ...(info.aLegId ? { aLegId: info.aLegId } : {}) }));
      },
    };
    this.contexts.set(feature, ctx);
    return ctx;
  }

  /**
   * `request_wide_shaping` (per attempt) then `candidate_attempt_transform`, synchronously
   * before the backend opens: the attempt's own call, or the error that skips the candidate.
   */
  prepareAttempt(call: Call, candidate: AttemptCandidate): Call | LipError {
    const { hooks, failures } = this.host;
    const target = targetOf(candidate);
    let current = call;
    for (const registered of hooks.get('requestParts', this.disabled)) {
      try {
        current = checked(registered.hook.shape(current, target, this.contextFor(registered.feature)));
      } catch (err) {
        const stop = failures.failed(registered, err);
        if (stop) return stop;
      }
    }
    for (const registered of hooks.get('attemptTransforms', this.disabled)) {
      try {
        const decision = registered.hook.transform(current, target, this.contextFor(registered.feature));
        if (decision?.action === 'exclude_candidate') {
          return new LipError('LIP_ERR_ROUTE_NO_CANDIDATE', `${candidate.key} excluded by ${registered.key}: ${String(decision.reason)}`, { retryable: true });
        }
        if (decision?.action !== 'continue') throw new TypeError(`an attempt transform answers continue or exclude_candidate (got ${JSON.stringify((decision as { action?: unknown })?.action)})`);
        if (decision.call !== undefined) current = checked(decision.call);
      } catch (err) {
        const stop = failures.failed(registered, err);
        if (stop) return stop;
      }
    }
    return current;
  }

  /** The attempt's stream stages and observations; undefined when no stream hook and no observer exists. */
  attempt(call: Call, candidate: AttemptCandidate): AttemptExtension | undefined {
    const host = this.host;
    if (!host.streamActive && !host.traffic.active) return undefined;
    let leg: { seq: number; bLegId?: string } | undefined;
    const target = targetOf(candidate);
    const contexts = new Map<string, StreamContext>();
    const streamContext = (feature: string) => {
      let c = contexts.get(feature);
      if (!c) contexts.set(feature, (c = Object.assign(Object.create(this.contextFor(feature)) as HookContext, { target }) as StreamContext));
      return c;
    };
    return {
      onBegin: (ticket) => { leg = { seq: ticket.seq, bLegId: ticket.bLegId }; },
      stages: (source) => defer(() => {
        leg ??= { seq: ++this.attempts };
        const traffic = host.traffic;
        const meta: ObservationMeta = {
          ...this.meta(), attemptSeq: leg.seq, candidateKey: candidate.key, backendId: candidate.backend,
          ...(leg.bLegId !== undefined ? { bLegId: leg.bLegId } : {}),
        };
        leg = undefined;
        let events = source;
        if (traffic.active) {
          traffic.emit({ ...meta, leg: 'proxy_to_backend', at: Date.now(), kind: 'call', call });
          events = events.pipe(tap((event) => traffic.emit({ ...meta, leg: 'backend_to_proxy', at: Date.now(), kind: 'event', event })));
        }
        const { hooks, failures } = host;
        const disabled = this.disabled;
        const mutators = hooks.get('eventMutators', disabled);
        if (mutators.length > 0) events = events.pipe(mutateEvents(mutators, streamContext, failures));
        const policies = hooks.get('toolPolicies', disabled);
        const reactors = hooks.get('toolReactors', disabled);
        if (policies.length > 0 || reactors.length > 0) events = events.pipe(reactToTools({ policies, reactors }, streamContext, failures));
        const gates = hooks.get('completionGates', disabled);
        if (gates.length > 0) events = events.pipe(gateCompletion(gates, streamContext, failures));
        const observers = hooks.get('streamObservers', disabled);
        if (observers.length > 0) events = events.pipe(observeFinalStream(observers, streamContext, failures));
        return events;
      }),
    };
  }
}

function targetOf(candidate: AttemptCandidate): AttemptTarget {
  return { backendId: candidate.backend, candidateKey: candidate.key, model: candidate.model };
}

/** The call, if canonically valid; otherwise a throw that becomes the hook's failure. */
function checked(call: Call): Call {
  const issues = validateCall(call);
  if (issues.length > 0) throw new TypeError(`left the call invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return call;
}
