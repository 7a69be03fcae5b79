import type { Config } from '../config/index.js';
import { ExtensionHost } from './extension-host.js';
import { nearest } from '../config/suggest.js';
import { BUNDLE_FUNCTIONS, LIST_METHODS, LIST_STAGES, type BuiltFeature, type HookListName } from './hook-set.js';
import { RedisStateStore } from './redis-state-store.js';
import { FEATURE_FACTORIES, featureRows } from './registry.js';
import { LipError } from '../errors/index.js';
import type { TrafficCapture } from './observation.js';
import type { ExtensionLogger, FeatureBundle, FeatureFactory } from './sdk.js';
import { FAILURE_MODES } from './stages.js';
import { MemoryStateStore, scopedState, type StateStore } from './state-store.js';

export interface ExtensionDeps {
  readonly logger?: ExtensionLogger;
  /** Feature factories (default: the registry). */
  readonly factories?: Readonly<Record<string, FeatureFactory<never>>>;
  /** A state store to take over instead of opening one (a reload with unchanged `redis` settings). */
  readonly state?: StateStore;
  /** Built-in features lip adds itself (the recorder): a host is made for them even without rows. */
  readonly builtIn?: readonly BuiltFeature[];
  /** Built-in captures of the traffic plane (the recorder): a host is made for them even without rows. */
  readonly captures?: readonly TrafficCapture[];
  /** The host runs recorded exchanges again (`lip replay`): features are told (`FeatureServices.replaying`). */
  readonly replaying?: boolean;
}

/**
 * The extension host of a config, or undefined when no feature row is enabled: then the
 * executor and the server take exactly the path they take without extensions. The state store
 * is Redis when the file sets `redis.url` (several instances agree), memory otherwise.
 */
export function createExtensionHost(config: Config, deps: ExtensionDeps = {}): ExtensionHost | undefined {
  const rows = featureRows(config.features, deps.factories ?? FEATURE_FACTORIES).filter((row) => row.enabled);
  const builtIn = deps.builtIn ?? [];
  const captures = deps.captures ?? [];
  if (rows.length === 0 && builtIn.length === 0 && captures.length === 0) return undefined;
  const state = deps.state ?? (config.redis.url_set
    ? new RedisStateStore({ url: config.redis.url, keyPrefix: config.redis.key_prefix })
    : new MemoryStateStore());
  let features: BuiltFeature[];
  try {
    features = [...buildFeatures(rows, state, deps), ...builtIn];
  } catch (err) {
    if (state !== deps.state) void state.close().catch(() => undefined);
    throw err;
  }
  return new ExtensionHost({ features, state, ...(deps.logger ? { logger: deps.logger } : {}), ...(captures.length > 0 ? { captures } : {}) });
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
      bundle = factory.create(row.config as never, { featureId: row.id, state: scopedState(state, row.id, 'global', ''), stateShared: state.kind === 'redis', logger, ...(deps.replaying ? { replaying: true } : {}) });
      checkBundle(bundle);
    } catch (err) {
      throw new LipError('LIP_ERR_CONFIG_INVALID', `feature "${row.id}" could not be built from its config: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    return { id: row.id, ...(row.order !== undefined ? { order: row.order } : {}), bundle };
  });
}

const LISTS = Object.keys(LIST_STAGES) as HookListName[];
const BUNDLE_KEYS: readonly string[] = [...LISTS, ...BUNDLE_FUNCTIONS];

/**
 * A bundle as the SDK defines it, or a TypeError saying what is not: only the SDK's keys (a
 * misspelt list would never run), lifecycles that are functions, and in each list hooks with a
 * non-empty id unique within the feature (the key of its logs and of the inventory), the list's
 * method, a failure mode lip knows (anything else would run as fail_open), and when given a
 * finite order (or sorting them means nothing) and an `appliesTo` function.
 */
function checkBundle(bundle: FeatureBundle): void {
  if (bundle === null || typeof bundle !== 'object') throw new TypeError('the factory must return a bundle object');
  for (const key of Object.keys(bundle)) {
    if (BUNDLE_KEYS.includes(key)) continue;
    const hint = nearest(key, BUNDLE_KEYS);
    throw new TypeError(`unknown bundle key "${key}"${hint ? ` (did you mean "${hint}"?)` : `; known keys: ${BUNDLE_KEYS.join(', ')}`}`);
  }
  for (const name of BUNDLE_FUNCTIONS) {
    if (bundle[name] !== undefined && typeof bundle[name] !== 'function') throw new TypeError(`${name} must be a function`);
  }
  const ids = new Map<string, HookListName>();
  for (const list of LISTS) {
    const hooks = bundle[list] as readonly Record<string, unknown>[] | undefined;
    if (hooks === undefined) continue;
    if (!Array.isArray(hooks)) throw new TypeError(`${list} must be a list of hooks`);
    for (const hook of hooks) {
      if (typeof hook?.id !== 'string' || hook.id === '') throw new TypeError(`every hook of ${list} needs a non-empty string id`);
      const where = `hook ${hook.id} of ${list}`;
      const first = ids.get(hook.id);
      if (first !== undefined) throw new TypeError(`${where} has the id of another hook of the feature (in ${first}); hook ids are unique within a feature`);
      ids.set(hook.id, list);
      const methods = LIST_METHODS[list];
      if (!methods.some((m) => typeof hook[m] === 'function')) throw new TypeError(`${where} has no ${methods.join(' or ')} method`);
      if (hook.failureMode !== undefined && !FAILURE_MODES.includes(hook.failureMode as never)) {
        throw new TypeError(`${where} has failureMode ${JSON.stringify(hook.failureMode)}; it must be ${FAILURE_MODES.join(' or ')}`);
      }
      if (hook.order !== undefined && !Number.isFinite(hook.order)) throw new TypeError(`${where} has an order that is not a finite number`);
      if (hook.appliesTo !== undefined && typeof hook.appliesTo !== 'function') throw new TypeError(`${where} has an appliesTo that is not a function`);
    }
  }
}
