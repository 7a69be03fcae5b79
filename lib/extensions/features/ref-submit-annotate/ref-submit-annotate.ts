import type { FeatureFactory } from '../../sdk.js';

/** `features: [{ id: ref-submit-annotate, config: { order?, marker? } }]` */
export interface RefSubmitAnnotateConfig {
  readonly order: number;
  readonly marker: string;
}

/** The metadata key the marker is written under. */
export const REF_SUBMIT_KEY = 'x_lip_ref_submit';

/**
 * Reference plugin for the submit seam: a submit hook (fail-open) that writes
 * `JSON.stringify(marker)` into the call's metadata under `x_lip_ref_submit`. Routing is
 * untouched. lip's canonical call has no free-form extension map, so the marker travels in
 * `metadata` (forwarded to providers that accept metadata; see docs/features.md).
 * @see docs/features.md
 */
export const refSubmitAnnotate: FeatureFactory<RefSubmitAnnotateConfig> = {
  id: 'ref-submit-annotate',
  description: 'Reference submit hook: writes a JSON marker into call metadata x_lip_ref_submit.',
  configSchema: {
    type: 'object', additionalProperties: false,
    properties: { order: { type: 'integer', minimum: 0, default: 50 }, marker: { type: 'string', maxLength: 256, default: 'ref_submit' } },
  },
  create(config) {
    const value = JSON.stringify(config.marker);
    return {
      submitHooks: [{ id: 'annotate', order: config.order, failureMode: 'fail_open', run: (call) => ({ ...call, metadata: { ...call.metadata, [REF_SUBMIT_KEY]: value } }) }],
    };
  },
};
