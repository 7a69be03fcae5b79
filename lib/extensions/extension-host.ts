import { defer } from 'rxjs/internal/observable/defer';
import { from } from 'rxjs/internal/observable/from';
import { switchMap } from 'rxjs/internal/operators/switchMap';
import { tap } from 'rxjs/internal/operators/tap';
import type { Observable } from 'rxjs';
import type { Call, LipEvent } from '../canonical/index.js';
import { deadline } from '../wire/deadline.js';
import type { AuxiliaryTarget } from './auxiliary-client.js';
import { ExtensionRequest, type ExtensionCallContext } from './extension-request.js';
import { HookFailures } from './hook-failures.js';
import { HookSet, type BuiltFeature, type OccupancyEntry } from './hook-set.js';
import { TrafficPlane, type ObservationMeta, type TrafficCapture } from './observation.js';
import { runRequestStages, runSecretGuards } from './run-request-stages.js';
import type { ExtensionLogger } from './sdk.js';
import type { StageId } from './stages.js';
import type { StateStore } from './state-store.js';

export interface ExtensionHostOptions {
  readonly features: readonly BuiltFeature[];
  readonly state: StateStore;
  readonly logger?: ExtensionLogger;
  readonly now?: () => number;
  /** Built-in captures of the traffic plane (the recorder). */
  readonly captures?: readonly TrafficCapture[];
  /** How long `start` waits for each feature's `start()` (FEATURE_START_TIMEOUT_MS). */
  readonly startTimeoutMs?: number;
}

/** How long a runtime waits for a feature's `start()` before its hooks run anyway. */
export const FEATURE_START_TIMEOUT_MS = 10_000;

/**
 * The running extensions of one runtime: the enabled features' hooks sorted per stage, the
 * failure policy, the traffic plane, the state store and the lifecycles. The executor asks it
 * to wrap a request (`execute`) and, through the `ExtensionRequest`, each attempt. A runtime
 * without enabled features has no host at all, so the default path is untouched.
 */
export class ExtensionHost {
  readonly hooks: HookSet;
  readonly failures: HookFailures;
  readonly traffic: TrafficPlane;
  readonly state: StateStore;
  /** Any request-stage hook or route hint. */
  readonly requestActive: boolean;
  /** Any stream-stage hook. */
  readonly streamActive: boolean;
  private target: AuxiliaryTarget | undefined;

  constructor(private readonly options: ExtensionHostOptions) {
    this.hooks = new HookSet(options.features);
    this.failures = new HookFailures(options.logger, options.now);
    this.traffic = new TrafficPlane(this.hooks.get('trafficRedactors'), this.hooks.get('trafficObservers'), this.failures, options.captures);
    this.state = options.state;
    const h = this.hooks;
    this.requestActive = (['sessionOpeners', 'secretGuards', 'submitHooks', 'toolCatalogFilters', 'requestTransforms', 'preRequest', 'routeHints'] as const).some((l) => h.has(l));
    this.streamActive = (['eventMutators', 'toolFinalizers', 'toolPolicies', 'toolReactors', 'completionGates', 'streamObservers'] as const).some((l) => h.has(l));
  }

  /** Where auxiliary calls run (the runtime binds its executor once it exists). */
  bind(target: AuxiliaryTarget): void {
    this.target = target;
  }

  auxiliaryTarget(): AuxiliaryTarget {
    if (!this.target) throw new Error('the extension host is not bound to an executor');
    return this.target;
  }

  /**
   * One request: `client_to_proxy` (the call), the request stages, then `plan` with the
   * (possibly changed) call, and `proxy_to_client` for every event that leaves.
   */
  execute(call: Call, ctx: ExtensionCallContext, plan: (call: Call, request: ExtensionRequest) => Observable<LipEvent>): Observable<LipEvent> {
    return defer(() => {
      const request = new ExtensionRequest(this, ctx);
      const traffic = this.traffic;
      const meta = traffic.active ? request.meta() : undefined;
      if (meta) traffic.channel(meta, 'client_to_proxy')?.emit('call', call);
      const toClient = meta ? traffic.channel(meta, 'proxy_to_client') : undefined;
      const staged = () => {
        const signal = ctx.onRequestStages;
        const trace = ctx.trace?.recording ? ctx.trace : undefined;
        if (!signal) return runRequestStages(call, this.hooks, (f) => request.contextFor(f), this.failures, request.disabled, trace);
        signal(true);
        return runRequestStages(call, this.hooks, (f) => request.contextFor(f), this.failures, request.disabled, trace).finally(() => signal(false));
      };
      const events = this.requestActive
        ? from(staged()).pipe(switchMap((result) => {
          request.preferred = result.hints[0];
          return plan(result.call, request);
        }))
        : plan(call, request);
      // Unsubscribed before its end (the client went away): the auxiliary calls its hooks made end with it.
      const cancel = () => request.cancel();
      if (!toClient) return events.pipe(tap({ unsubscribe: cancel }));
      // The response's end, however it comes, for a redactor that holds text back (TrafficRedactor.end).
      const end = toClient.end;
      if (!end) return events.pipe(tap({ next: (event) => toClient.emit('event', event), unsubscribe: cancel }));
      return events.pipe(tap({
        next: (event) => toClient.emit('event', event), complete: () => end('success'), error: () => end('failure'),
        unsubscribe: () => { end('cancelled'); cancel(); },
      }));
    });
  }

  /**
   * The `secret_guard` stage alone, for a token count or an embedding (their text leaves for an
   * upstream as a generation's does; no other stage applies): the call the guards left, or
   * their rejection (`LIP_ERR_EXTENSION_REJECTED`, thrown). Without a secret guard, the call itself.
   */
  async guardSecrets(call: Call, ctx: ExtensionCallContext): Promise<Call> {
    if (!this.hooks.has('secretGuards')) return call;
    const request = new ExtensionRequest(this, ctx);
    return runSecretGuards(call, this.hooks, (f) => request.contextFor(f), this.failures, request.disabled);
  }

  /** `client_to_proxy`, first part: the body as the client sent it (parsed JSON). */
  observeRawBody(body: unknown, meta: ObservationMeta): void {
    if (this.traffic.active) this.traffic.channel(meta, 'client_to_proxy')?.emit('raw_body', body);
  }

  /** A feature's own diagnostics (undefined when the feature is not running or has none). */
  diagnostics(feature: string, query: URLSearchParams): unknown {
    const built = this.options.features.find((f) => f.id === feature);
    return built?.bundle.diagnostics?.(query);
  }

  occupancy(): Record<StageId, OccupancyEntry[]> {
    const out = this.hooks.occupancy();
    // Built-in captures observe traffic too (after every feature's observer).
    for (const c of this.options.captures ?? []) {
      out.traffic_observation.push({ feature: c.feature, hook: c.id, list: 'trafficObservers', order: Number.MAX_SAFE_INTEGER, failure_mode: 'fail_open' });
    }
    return out;
  }

  /**
   * Starts every feature's lifecycle and settles once each `start()` has finished, failed, or run
   * past `startTimeoutMs`; never rejects. A failing start is logged, never fatal; one still
   * running then is logged and goes on (its hooks run meanwhile), and its failure, if it comes,
   * is logged then.
   */
  async start(): Promise<void> {
    const logger = this.options.logger;
    const timeoutMs = this.options.startTimeoutMs ?? FEATURE_START_TIMEOUT_MS;
    await Promise.all(this.options.features.map(async (f) => {
      if (!f.bundle.start) return;
      const started = (async () => f.bundle.start!())().catch((err: unknown) => {
        logger?.error('extension feature failed to start', { feature: f.id, error: String((err as Error)?.message ?? err) });
      });
      const time = deadline(timeoutMs);
      await Promise.race([started, new Promise((resolve) => time.signal.addEventListener('abort', resolve, { once: true }))]);
      time.clear();
      if (time.expired) logger?.warn('extension feature did not start in time; its hooks run without waiting for it', { feature: f.id, timeout_ms: timeoutMs });
    }));
  }

  /** Stops every feature's lifecycle, then closes the state store (unless the next runtime took it over). */
  async stop(options: { readonly keepState?: boolean } = {}): Promise<void> {
    await Promise.all(this.options.features.map(async (f) => {
      try {
        await f.bundle.stop?.();
      } catch (err) {
        this.options.logger?.error('extension feature failed to stop', { feature: f.id, error: String((err as Error)?.message ?? err) });
      }
    }));
    if (!options.keepState) await this.state.close().catch(() => undefined);
  }
}
