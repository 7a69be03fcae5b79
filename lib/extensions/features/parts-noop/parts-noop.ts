import type { FeatureFactory } from '../../sdk.js';

/** `features: [{ id: parts-noop, config: { order? } }]` */
export interface PartsNoopConfig {
  readonly order: number;
}

/**
 * A pass-through request-part hook (per attempt) and a pass-through response-part hook (an
 * event mutator on every event), both fail-open: keeps both part buses exercised, so their
 * idle cost can be measured. Every call and event leaves as the very object that came in.
 * @see docs/features.md
 */
export const partsNoop: FeatureFactory<PartsNoopConfig> = {
  id: 'parts-noop',
  description: 'Pass-through request-part and response-part hooks that keep both part buses exercised.',
  configSchema: { type: 'object', additionalProperties: false, properties: { order: { type: 'integer', minimum: 0, default: 100 } } },
  create(config) {
    return {
      requestParts: [{ id: 'request-noop', order: config.order, failureMode: 'fail_open', shape: (call) => call }],
      eventMutators: [{ id: 'response-noop', order: config.order, failureMode: 'fail_open', mutate: (event) => event }],
    };
  },
};
