import type { Backend } from '../../lib/backends/backend.js';
import type { Config } from '../../lib/config/index.js';
import { runtimeWith, type Runtime, type RuntimeDeps } from '../../lib/core/runtime.js';
import { registerFeature } from '../../lib/extensions/registry.js';
import type { FeatureBundle, FeatureFactory, FeatureServices } from '../../lib/extensions/sdk.js';
import { testConfig } from '../helpers/config.js';
import { ScriptedBackend, type ScriptStep } from '../helpers/scripted-backend.js';

/**
 * In-test plugins: `test-hooks` and `test-other` return whatever bundle the test put in
 * `bundles` under their id when the runtime is built (so each test states its own hooks).
 */
export const bundles: Record<string, (services: FeatureServices, config: Record<string, unknown>) => FeatureBundle> = {};

const factory = (id: string): FeatureFactory => ({
  id,
  description: `in-test plugin ${id}`,
  configSchema: { type: 'object', additionalProperties: true },
  create: (config, services) => (bundles[id] ?? (() => ({})))(services, config),
});

/** Registers the in-test plugins for a mocha suite (call at the top of `describe`). */
export function useTestFeatures(): void {
  const off: (() => void)[] = [];
  before(() => { off.push(registerFeature(factory('test-hooks')), registerFeature(factory('test-other'))); });
  after(() => { for (const f of off) f(); });
  afterEach(() => { for (const k of Object.keys(bundles)) delete bundles[k]; });
}

/** A runtime over one scripted backend `s` with the given feature rows (YAML list items). */
export function featureRuntime(scripts: Record<string, readonly ScriptStep[]>, featuresYaml: string, extra = '', deps: RuntimeDeps = {}): { runtime: Runtime; backend: ScriptedBackend; config: Config } {
  const backend = new ScriptedBackend('s', new Map(Object.entries(scripts)));
  const config = testConfig('  - { id: s, kind: localstub }', [`routing: { default_route: "s:${Object.keys(scripts)[0]}" }`, featuresYaml ? `features:\n${featuresYaml}` : '', extra].join('\n'));
  return { runtime: runtimeWith(config, new Map<string, Backend>([['s', backend]]), deps), backend, config };
}

export const ok = (text: string): ScriptStep[] => [
  { type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text }, { type: 'response_finished', reason: 'stop' },
];
