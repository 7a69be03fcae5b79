import type { FeatureFactory } from '../../sdk.js';

/** `features: [{ id: ref-tool-prefix, config: { order?, prefix? } }]` */
export interface RefToolPrefixConfig {
  readonly order: number;
  readonly prefix: string;
}

/**
 * Reference tool reactor: rewrites non-empty tool-call arguments to `prefix + args` with any
 * prefix already there removed first, so the prefix is never doubled (a second pass, or a
 * model that already wrote it, gives the same text). lip's reactors see each tool call whole,
 * so the prefix goes once before the whole arguments; Go prefixes every delta, which garbles
 * arguments that arrive in several deltas.
 * @see docs/features.md
 */
export const refToolPrefix: FeatureFactory<RefToolPrefixConfig> = {
  id: 'ref-tool-prefix',
  description: 'Reference tool reactor: puts a prefix before non-empty tool-call arguments (never doubled).',
  configSchema: {
    type: 'object', additionalProperties: false,
    properties: { order: { type: 'integer', minimum: 0, default: 50 }, prefix: { type: 'string', maxLength: 256, default: '>>' } },
  },
  create(config) {
    const { prefix } = config;
    return {
      toolReactors: [{
        id: 'prefix-args', order: config.order, failureMode: 'fail_open',
        react: (tool) => {
          if (tool.args === '' || prefix === '') return { action: 'pass' };
          const args = prefix + (tool.args.startsWith(prefix) ? tool.args.slice(prefix.length) : tool.args);
          return args === tool.args ? { action: 'pass' } : { action: 'rewrite', args };
        },
      }],
    };
  },
};
