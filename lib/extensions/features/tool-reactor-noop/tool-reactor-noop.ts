import type { FeatureFactory } from '../../sdk.js';

/** `features: [{ id: tool-reactor-noop, config: { order? } }]` */
export interface ToolReactorNoopConfig {
  readonly order: number;
}

/**
 * A tool reactor that always answers `pass` (fail-open): keeps the tool bus exercised on every
 * request, so its cost can be measured. Because it declares no `appliesTo`, the tool stage is
 * piped on every attempt and each tool call is held until it finishes (a tool call no reactor
 * changed still leaves with its original events).
 * @see docs/features.md
 */
export const toolReactorNoop: FeatureFactory<ToolReactorNoopConfig> = {
  id: 'tool-reactor-noop',
  description: 'Pass-through tool reactor that keeps the tool bus exercised.',
  configSchema: { type: 'object', additionalProperties: false, properties: { order: { type: 'integer', minimum: 0, default: 100 } } },
  create(config) {
    return { toolReactors: [{ id: 'noop', order: config.order, failureMode: 'fail_open', react: () => ({ action: 'pass' }) }] };
  },
};
