import type { FeatureFactory } from '../../sdk.js';

/** `features: [{ id: submit-noop, config: { order?, lifecycle_probe? } }]` */
export interface SubmitNoopConfig {
  readonly order: number;
  /** Count the bundle's start()/stop() in `SUBMIT_NOOP_LIFECYCLE` (for tests of reloads). */
  readonly lifecycle_probe: boolean;
}

/** Lifecycle calls of probing submit-noop bundles since the process started. */
export const SUBMIT_NOOP_LIFECYCLE = { starts: 0, stops: 0 };

/**
 * A pass-through `submit_request` hook (fail-open): keeps the submit bus exercised, so its
 * idle cost can be measured and every stage keeps a resident. Answers the very call it got.
 * @see docs/features.md
 */
export const submitNoop: FeatureFactory<SubmitNoopConfig> = {
  id: 'submit-noop',
  description: 'Pass-through submit hook that keeps the submit bus exercised (optionally probes lifecycles).',
  configSchema: {
    type: 'object', additionalProperties: false,
    properties: { order: { type: 'integer', minimum: 0, default: 100 }, lifecycle_probe: { type: 'boolean', default: false } },
  },
  create(config) {
    return {
      submitHooks: [{ id: 'noop', order: config.order, failureMode: 'fail_open', run: (call) => call }],
      ...(config.lifecycle_probe ? { start: () => { SUBMIT_NOOP_LIFECYCLE.starts++; }, stop: () => { SUBMIT_NOOP_LIFECYCLE.stops++; } } : {}),
    };
  },
};
