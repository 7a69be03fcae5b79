import type { FeatureFactory } from '../../sdk.js';

/** `features: [{ id: ref-workspace-guard, config: { ... } }]` */
export interface RefWorkspaceGuardConfig {
  readonly order: number;
  readonly project_root: string;
  readonly dirty_tree: boolean;
  readonly markers: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** The static workspace view the plugin works with. */
export interface WorkspaceView {
  readonly projectRoot: string;
  readonly dirtyTree: boolean;
  readonly markers: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** The tool that stays hidden until a previous request of the session unlocked it. */
export const GATED_TOOL = 'ref_ws_gated_tool';
/** Tools with this prefix are swallowed while the label `ref_deny_heat` is "1". */
export const HEAT_PREFIX = 'ref_heat_';
const UNLOCK_TTL_MS = 60 * 60 * 1000;

/** The view a config describes: with an empty `project_root`, the reference defaults. */
export function workspaceView(config: RefWorkspaceGuardConfig): WorkspaceView {
  const defaults = config.project_root === '';
  return {
    projectRoot: defaults ? '/ref/workspace' : config.project_root,
    dirtyTree: defaults ? true : config.dirty_tree,
    markers: defaults ? ['.refws'] : config.markers,
    labels: { ref_deny_heat: '1', ...config.labels },
  };
}

/**
 * Reference plugin for session-scoped state across stages: a catalog filter (`-catalog`)
 * hides `ref_ws_gated_tool` unless the session's state says `unlocked`; a request transform
 * (`-unlock`) sets `unlocked` on every request (1 h). The catalog stage runs before the
 * transform stage, so a conversation's first request never sees the tool and later ones do.
 * A reactor (`-heat`) swallows `ref_heat_*` tool calls while the view's label
 * `ref_deny_heat` is "1" (the default). All fail-open.
 * @see docs/features.md
 */
export const refWorkspaceGuard: FeatureFactory<RefWorkspaceGuardConfig> = {
  id: 'ref-workspace-guard',
  description: 'Reference session-state plugin: a gated tool unlocked by an earlier request of the session, heat tools swallowed by label.',
  configSchema: {
    type: 'object', additionalProperties: false,
    properties: {
      order: { type: 'integer', minimum: 0, default: 45 },
      project_root: { type: 'string', maxLength: 4096, default: '' },
      dirty_tree: { type: 'boolean', default: false },
      markers: { type: 'array', items: { type: 'string', maxLength: 256 }, maxItems: 64, default: [] },
      labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 256 }, default: {} },
    },
  },
  create(config) {
    const view = workspaceView(config);
    const order = config.order;
    return {
      toolCatalogFilters: [{
        id: 'ref-workspace-guard-catalog', order, failureMode: 'fail_open',
        async run(call, ctx) {
          if (!call.tools.some((t) => t.name === GATED_TOOL)) return call;
          if ((await ctx.state('session').get<boolean>('unlocked')) === true) return call;
          return { ...call, tools: call.tools.filter((t) => t.name !== GATED_TOOL) };
        },
      }],
      requestTransforms: [{
        id: 'ref-workspace-guard-unlock', order, failureMode: 'fail_open',
        async run(call, ctx) {
          await ctx.state('session').put('unlocked', true, { ttlMs: UNLOCK_TTL_MS });
          return call;
        },
      }],
      // The view itself (lip has no workspace-resolver stage to hand it to other plugins): GET /admin/workspace.
      diagnostics: () => ({ project_root: view.projectRoot, dirty_tree: view.dirtyTree, markers: view.markers, labels: view.labels }),
      toolReactors: [{
        id: 'ref-workspace-guard-heat', order, failureMode: 'fail_open',
        react: (tool) => (view.labels.ref_deny_heat === '1' && tool.name.startsWith(HEAT_PREFIX) ? { action: 'swallow' } : { action: 'pass' }),
      }],
    };
  },
};
