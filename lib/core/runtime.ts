import { defer } from 'rxjs/internal/observable/defer';
import { asyncScheduler } from 'rxjs/internal/scheduler/async';
import type { SchedulerLike } from 'rxjs';
import type { Backend } from '../backends/backend.js';
import { KeyStates, type SharedRenewals } from '../backends/credentials/index.js';
import { BACKEND_KINDS } from '../backends/registry.js';
import type { Config } from '../config/index.js';
import { readEnvPool } from '../config/secrets.js';
import { createCircuitBreaker, RedisKeyCooldowns, type CircuitBreaker, type CircuitEvent } from '../circuit/index.js';
import { createContinuityStore, SecureSessions, type ContinuityLogger, type ContinuityStore } from '../continuity/index.js';
import { createExtensionHost, type ExtensionHost, type FeatureFactory, type StateStore } from '../extensions/index.js';
import { Pricing } from '../observability/pricing.js';
import { Recorder } from '../replay/recorder.js';
import type { RecordingWriter } from '../replay/recording-writer.js';
import { createDispatcher } from '../backends/http/index.js';
import { Executor } from './execute.js';
import type { RouteLog } from './route-log.js';
import { CatalogPolicy, CatalogSource } from './model-catalog/index.js';
import { ingressGate, readCountryDatabase, type IngressGate } from './ingress-gate.js';
import { GeoipSource, managedSettings } from './geoip-source.js';
import { createResponseCache, type ResponseCache } from './response-cache.js';

/** Everything a running config needs: built backends and the executor over them. */
export interface Runtime {
  readonly config: Config;
  readonly backends: ReadonlyMap<string, Backend>;
  readonly executor: Executor;
  /** A-legs, attempt lineage, stored responses. */
  readonly continuity: ContinuityStore;
  /** Proxy-issued sessions and their resume tokens, over `continuity`. */
  readonly sessions: SecureSessions;
  /** Circuit state per candidate (memory or shared through Redis). */
  readonly breaker: CircuitBreaker;
  /** The enabled feature plugins; undefined when `features` enables none (the default path). */
  readonly extensions?: ExtensionHost;
  /** Writes exchanges to the recording (only when `recording.enabled`). */
  readonly recorder?: Recorder;
  /** Model facts for routing (only when `model_catalog.enabled`). */
  readonly catalog?: CatalogPolicy;
  /** Answers kept for the same request again (only when `cache.enabled`). */
  readonly cache?: ResponseCache;
  /** The data plane's gate by client address and country (only when `access.geoip.enabled`). */
  readonly ingress?: IngressGate;
  /** Its downloaded country database (`access.geoip.database.source: managed`). */
  readonly geoipSource?: GeoipSource;
  /** Its backends' API key states (built by createRuntime; a reload carries them on). */
  readonly keyStates?: KeyStates;
  /** Where its backends renew credentials with the other workers (RuntimeDeps.renewals; a reload carries it on). */
  readonly renewals?: SharedRenewals;
  /**
   * Settles once every enabled feature's `start()` has finished, failed or run past
   * FEATURE_START_TIMEOUT_MS (each logged); never rejects. The server listens, and a reload
   * swaps the runtime in (and stops the previous one), only then.
   */
  readonly started: Promise<void>;
  /** Releases the backends and the stores, except the stores `next` took over (a reload). */
  close(options?: { next?: Runtime }): Promise<void>;
}

export interface RuntimeDeps {
  /** Time for backends (localstub delays) and routing (budgets, handicaps). */
  readonly scheduler?: SchedulerLike;
  /** Uniform in [0, 1) for weighted choices. */
  readonly rng?: () => number;
  readonly env?: NodeJS.ProcessEnv;
  /** Where stores report their failures. */
  readonly logger?: ContinuityLogger;
  /**
   * A continuity store to take over instead of opening one (a reload with unchanged
   * `continuity` settings keeps the running store: one writer per SQLite file).
   */
  readonly continuity?: ContinuityStore;
  /** A circuit breaker to take over (a reload with unchanged breaker and redis settings). */
  readonly breaker?: CircuitBreaker;
  /** Feature factories instead of the extension registry's. */
  readonly features?: Readonly<Record<string, FeatureFactory<never>>>;
  /** Plugin state to take over (a reload with unchanged `redis` settings keeps plugin state). */
  readonly featureState?: StateStore;
  /** The catalog's snapshot source to take over (a reload with the same path, source and timings). */
  readonly catalogSource?: CatalogSource;
  /** The managed country database to take over (a reload with the same database settings). */
  readonly geoipSource?: GeoipSource;
  /** The response cache to take over (a reload with unchanged `cache` settings, and `redis` for a Redis one). */
  readonly cache?: ResponseCache;
  /** The recording writer to take over (a reload that keeps recording to the same `recording.path`). */
  readonly recordingWriter?: RecordingWriter;
  /** The routing decisions to keep on (a reload: `GET /admin/routes` keeps its history). */
  readonly routes?: RouteLog;
  /**
   * The running runtime's API key states (a reload): a key still configured for the same
   * backend id, kind and `base_url` keeps its retirement (401) and its cool-down (429).
   */
  readonly keyStates?: KeyStates;
  /** Where renewable credentials (a Codex login) are renewed with the other workers of `lip serve --workers`. */
  readonly renewals?: SharedRenewals;
}

/**
 * Builds the enabled backends of a validated config and the executor that routes to them.
 * Throws (a `LipError` for a store that cannot open) after releasing whatever it had built, so
 * a failed reload leaves nothing behind and the running runtime keeps serving.
 */
export function createRuntime(config: Config, deps: RuntimeDeps = {}): Runtime {
  const backends = new Map<string, Backend>();
  const env = deps.env ?? process.env;
  // With the circuits in Redis, the API key pools share their keys' cool-downs there too.
  const cooldowns = config.routing.circuit_breaker.store === 'redis'
    ? new RedisKeyCooldowns(config.redis.url, config.redis.key_prefix, (message, meta) => deps.logger?.warn(message, meta))
    : undefined;
  const keyStates = new KeyStates(deps.keyStates);
  const backendDeps = {
    ...deps, env, http: config.http_client, identity: config.identity.upstream, readEnvPool: (name: string) => readEnvPool(name, env), ...(cooldowns ? { cooldowns } : {}), keyStates,
  };
  try {
    for (const row of config.backends) {
      if (!row.enabled) continue;
      const kind = BACKEND_KINDS[row.kind];
      if (!kind) throw new Error(`unknown backend kind ${row.kind}`); // the config loader rejects these first
      backends.set(row.id, kind.create(row, backendDeps));
    }
    const runtime = { ...runtimeWith(config, backends, deps), keyStates, ...(deps.renewals ? { renewals: deps.renewals } : {}) };
    if (cooldowns === undefined) return runtime;
    return { ...runtime, close: async (options) => { await runtime.close(options); await cooldowns.close(); } };
  } catch (err) {
    for (const backend of backends.values()) void backend.close?.()?.catch(() => undefined);
    void cooldowns?.close();
    throw err;
  }
}

/**
 * A runtime over backends that are already built (createRuntime builds them from the config;
 * tests pass scripted ones): the continuity store and the executor.
 */
export function runtimeWith(config: Config, backends: ReadonlyMap<string, Backend>, deps: RuntimeDeps = {}): Runtime {
  // First: a country database that cannot be read fails the runtime before any store opens.
  let geoipSource: GeoipSource | undefined;
  const ingress = ingressGate(config.access.geoip, (database) => {
    if (database.source !== 'managed') return readCountryDatabase(database.local_path!);
    return (geoipSource = deps.geoipSource ?? new GeoipSource(managedSettings(database), {
      dispatcher: createDispatcher(config.http_client, deps.env ?? process.env), ...(deps.logger ? { logger: deps.logger } : {}),
    }));
  });
  let continuity: ContinuityStore;
  try {
    continuity = deps.continuity ?? createContinuityStore(config.continuity, {
      ...(deps.scheduler ? { scheduler: deps.scheduler } : {}), ...(deps.logger ? { logger: deps.logger } : {}), redis: config.redis,
    });
  } catch (err) {
    if (geoipSource !== deps.geoipSource) geoipSource?.close();
    throw err;
  }
  const logger = deps.logger;
  let breaker: CircuitBreaker;
  let extensions: ExtensionHost | undefined;
  let recorder: Recorder | undefined;
  try {
    breaker = deps.breaker ?? createCircuitBreaker(config.routing.circuit_breaker, {
      redis: config.redis,
      ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
      ...(logger ? { onEvent: (event: CircuitEvent) => logCircuitEvent(logger, event) } : {}),
    });
    try {
      // Recording is a built-in capture of the traffic plane: with it on, the host exists even without features.
      recorder = config.recording.enabled ? new Recorder(config, { ...(logger ? { logger } : {}), ...(deps.recordingWriter ? { writer: deps.recordingWriter } : {}) }) : undefined;
      extensions = createExtensionHost(config, {
        ...(logger ? { logger } : {}), ...(deps.features ? { factories: deps.features } : {}), ...(deps.featureState ? { state: deps.featureState } : {}),
        ...(recorder ? { captures: [recorder] } : {}),
      });
    } catch (err) {
      void recorder?.close().catch(() => undefined);
      if (breaker !== deps.breaker) void breaker.close().catch(() => undefined);
      throw err;
    }
  } catch (err) {
    if (continuity !== deps.continuity) void continuity.close().catch(() => undefined); // one writer per SQLite file
    if (geoipSource !== deps.geoipSource) geoipSource?.close();
    throw err;
  }
  const catalog = config.model_catalog.enabled ? catalogPolicy(config, deps) : undefined;
  const cache = deps.cache ?? createResponseCache(config.cache, config.redis, (message, meta) => logger?.warn(message, meta));
  const executor = new Executor(config, backends, {
    ...deps, continuity, breaker, ...(extensions ? { extensions } : {}), ...(catalog ? { catalog } : {}), ...(cache ? { cache } : {}),
    ...(config.pricing.length > 0 || catalog?.config.prices ? { pricing: new Pricing(config.pricing, catalog?.config.prices ? (b, m, tokens) => catalog.priceRow(b, m, tokens) : undefined) } : {}),
  });
  const scheduler = deps.scheduler ?? asyncScheduler;
  const sessions = new SecureSessions(continuity, {
    resumeWindowMs: config.continuity.resume_window, clientSessionIds: config.continuity.client_session_ids,
    ...(config.continuity.resume_token_key !== undefined ? { key: config.continuity.resume_token_key } : {}),
    now: () => scheduler.now(),
    lazy: config.continuity.lineage === 'conversations',
  });
  if (extensions) {
    // Auxiliary calls: the same executor, each with an A-leg of its own (its attempts are its B-legs).
    extensions.bind({
      run: (call, nested) => defer(() => {
        const { aLeg, pending } = sessions.auxiliary(nested.principal, `aux:${nested.requestId}`);
        nested.onALeg(aLeg.aLegId);
        return executor.execute(call, { requestId: nested.requestId, meta: {}, principal: nested.principal, aLeg, nested, ...(pending ? { pendingALeg: pending } : {}) });
      }),
    });
  }
  const started = extensions ? extensions.start() : Promise.resolve();
  return {
    config,
    started,
    backends,
    continuity,
    sessions,
    breaker,
    executor,
    ...(extensions ? { extensions } : {}),
    ...(recorder ? { recorder } : {}),
    ...(catalog ? { catalog } : {}),
    ...(ingress ? { ingress } : {}),
    ...(geoipSource ? { geoipSource } : {}),
    ...(cache ? { cache } : {}),
    async close(options = {}) {
      if (geoipSource && options.next?.geoipSource !== geoipSource) geoipSource.close();
      if (catalog && options.next?.catalog?.source !== catalog.source) catalog.source.close();
      await Promise.all([
        recorder?.close(),
        extensions?.stop({ keepState: options.next?.extensions?.state === extensions.state }),
        ...[...backends.values()].map((b) => b.close?.()),
        options.next?.continuity === continuity ? undefined : continuity.close(),
        options.next?.breaker === breaker ? undefined : breaker.close(),
        options.next?.cache === cache ? undefined : cache?.close(),
      ]);
    },
  };
}

/** The catalog over its snapshot source: the running one taken over, or a new one (which reads its file now). */
function catalogPolicy(config: Config, deps: RuntimeDeps): CatalogPolicy {
  const settings = config.model_catalog;
  const source = deps.catalogSource ?? new CatalogSource({ ...settings, path: settings.path! }, {
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(settings.source_url !== undefined ? { dispatcher: createDispatcher(config.http_client, deps.env ?? process.env) } : {}),
  });
  return new CatalogPolicy(settings, config.backends, source, deps.logger);
}

/**
 * The config for a runtime that serves no HTTP (`lip inventory --live`, `lip replay --live`): no
 * ingress gate, so that no country database is read or downloaded for nothing.
 */
export function withoutIngress(config: Config): Config {
  return config.access.geoip?.enabled === true ? { ...config, access: { ...config.access, geoip: { ...config.access.geoip, enabled: false } } } : config;
}

/** Whether a reload to `next` keeps the running managed country database (the same database settings and HTTP client). */
export function keepsGeoipSource(running: Config, next: Config): boolean {
  return JSON.stringify(running.access.geoip?.database) === JSON.stringify(next.access.geoip?.database)
    && JSON.stringify(running.http_client) === JSON.stringify(next.http_client);
}

/** Whether a reload to `next` keeps the running catalog source (its file, source and timings are the same). */
export function keepsCatalogSource(running: Config, next: Config): boolean {
  const keys = (c: Config['model_catalog']) => [c.enabled, c.path, c.source_url, c.refresh_interval, c.fetch_timeout, c.max_bytes];
  return JSON.stringify(keys(running.model_catalog)) === JSON.stringify(keys(next.model_catalog))
    && JSON.stringify(running.http_client) === JSON.stringify(next.http_client);
}

function logCircuitEvent(logger: ContinuityLogger, event: CircuitEvent): void {
  if (event.type === 'transition') logger.info('circuit', { key: event.key, from: event.from, to: event.to, failures: event.failures, origin: event.origin });
  else if (event.type === 'store_unavailable') logger.warn('circuit store unavailable; working on local state', { store: event.store, reason: event.reason });
  else logger.info('circuit store recovered', { store: event.store, down_ms: event.downMs });
}
