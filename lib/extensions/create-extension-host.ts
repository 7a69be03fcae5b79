import type { Config } from '../config/index.js';
import { ExtensionHost } from './extension-host.js';
import type { BuiltFeature } from './hook-set.js';
import { RedisStateStore } from './redis-state-store.js';
import { FEATURE_FACTORIES } from './registry.js';
import { LipError } from '../errors/index.js';
import type { ExtensionLogger, FeatureBundle, FeatureFactory } from './sdk.js';
import { MemoryStateStore, scopedState, type StateStore } from './state-store.js';

export interface ExtensionDeps {
  readonly logger?: ExtensionLogger;
  /** Feature factories (default: the registry). */
  readonly factories?: Readonly<Record<string, FeatureFactory<never>>>;
  /** A state store to take over instead of opening one (a reload with unchanged `redis` settings). */
  readonly state?: StateStore;
}

/**
 * The extension host of a config, or undefined when no feature row is enabled: then the
 * executor and the server take exactly the path they take without extensions. The state store
 * is Redis when the file sets `redis.url` (several instances agree), memory otherwise.
 */
export function createExtensionHost(config: Config, deps: ExtensionDeps = {}): ExtensionHost | undefined {
  const rows = config.features.filter((row) => row.enabled);
  if (rows.length === 0) return undefined;
  const state = deps.state ?? (config.redis.url_set
    ? new RedisStateStore({ url: config.redis.url, keyPrefix: config.redis.key_prefix })
    : new MemoryStateStore());
  let features: BuiltFeature[];
  try {
    features = buildFeatures(rows, state, deps);
  } catch (err) {
    if (state !== deps.state) void state.close().catch(() => undefined);
    throw err;
  }
  return new ExtensionHost({ features, state, ...(deps.logger ? { logger: deps.logger } : {}) });
}

/** Runs each enabled row's factory (its config was validated and defaulted by the loader). */
export function buildFeatures(rows: Config['features'], state: StateStore, deps: ExtensionDeps = {}): BuiltFeature[] {
  const factories = deps.factories ?? FEATURE_FACTORIES;
  const logger = deps.logger ?? { warn: () => undefined, info: () => undefined, error: () => undefined };
  return rows.filter((row) => row.enabled).map((row) => {
    const factory = factories[row.id];
    if (!factory) throw new LipError('LIP_ERR_CONFIG_INVALID', `unknown feature ${row.id}`); // the config loader rejects these first
    let bundle: FeatureBundle;
    try {
      bundle = factory.create(row.config as never, { featureId: row.id, state: scopedState(state, row.id, 'global', ''), logger });
    } catch (err) {
      throw new LipError('LIP_ERR_CONFIG_INVALID', `feature "${row.id}" could not be built from its config: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    return { id: row.id, ...(row.order !== undefined ? { order: row.order } : {}), bundle };
  });
}
