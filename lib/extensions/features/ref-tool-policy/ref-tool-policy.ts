import type { FeatureFactory } from '../../sdk.js';

/** `features: [{ id: ref-tool-policy, config: { order?, block_names?, block_prefixes? } }]` */
export interface RefToolPolicyConfig {
  readonly order: number;
  readonly block_names: readonly string[];
  readonly block_prefixes: readonly string[];
}

/** Whether a tool name is blocked: an exact name, or a prefix (empty entries never match). */
export function blockedBy(config: Pick<RefToolPolicyConfig, 'block_names' | 'block_prefixes'>): (name: string) => boolean {
  const names = new Set(config.block_names.filter((n) => n !== ''));
  const prefixes = config.block_prefixes.filter((p) => p !== '');
  return (name) => name !== '' && (names.has(name) || prefixes.some((p) => name.startsWith(p)));
}

/**
 * Reference plugin: one rule in three layers. A catalog filter (fail-open) drops matching tool
 * definitions before any backend sees them (the platform then reconciles the tool choice); a
 * tool policy (fail-closed) denies a matching tool call (403, not retried); a reactor swallows
 * any matching tool call that still gets through (a model calling a tool it was never offered,
 * when a policy failure was skipped).
 * @see docs/features.md
 */
export const refToolPolicy: FeatureFactory<RefToolPolicyConfig> = {
  id: 'ref-tool-policy',
  description: 'Reference tool policy: filters blocked tools from the catalog, denies blocked tool calls, swallows stragglers.',
  configSchema: {
    type: 'object', additionalProperties: false,
    properties: {
      order: { type: 'integer', minimum: 0, default: 45 },
      block_names: { type: 'array', items: { type: 'string', maxLength: 256 }, maxItems: 256, default: ['ref_blocked_by_name'] },
      block_prefixes: { type: 'array', items: { type: 'string', maxLength: 256 }, maxItems: 256, default: ['ref_blocked_'] },
    },
  },
  create(config) {
    const blocked = blockedBy(config);
    const order = config.order;
    return {
      toolCatalogFilters: [{
        id: 'ref-tool-policy-filter', order, failureMode: 'fail_open',
        run: (call) => (call.tools.some((t) => blocked(t.name)) ? { ...call, tools: call.tools.filter((t) => !blocked(t.name)) } : call),
      }],
      toolPolicies: [{ id: 'ref-tool-policy-tool-policy', order, failureMode: 'fail_closed', decide: (tool) => (blocked(tool.name) ? 'deny' : 'allow') }],
      toolReactors: [{ id: 'ref-tool-policy-reactor', order, failureMode: 'fail_open', react: (tool) => (blocked(tool.name) ? { action: 'swallow' } : { action: 'pass' }) }],
    };
  },
};
