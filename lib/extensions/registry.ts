import { requestTag } from './features/request-tag/index.js';
import type { FeatureFactory } from './sdk.js';

/**
 * Feature id -> factory: what `features[].id` may name. The config loader validates each row's
 * `config` against its factory's schema; the runtime builds the enabled rows. Bundled plugins
 * are added here; tests add their own with `registerFeature`.
 */
export const FEATURE_FACTORIES: Record<string, FeatureFactory<never>> = {
  [requestTag.id]: requestTag as FeatureFactory<never>,
};

/**
 * Adds a factory (tests register in-test plugins this way); returns the function that removes
 * it again. Registering an id twice is a programming error.
 */
export function registerFeature<C>(factory: FeatureFactory<C>): () => void {
  if (Object.prototype.hasOwnProperty.call(FEATURE_FACTORIES, factory.id)) throw new Error(`feature "${factory.id}" is already registered`);
  FEATURE_FACTORIES[factory.id] = factory as unknown as FeatureFactory<never>;
  return () => {
    if (FEATURE_FACTORIES[factory.id] === (factory as unknown)) delete FEATURE_FACTORIES[factory.id];
  };
}
