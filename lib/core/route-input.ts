import { applyAliases, type CompiledAlias } from '../routing/selector/aliases.js';
import { firstLeafBackend } from '../routing/selector/first-backend.js';

export type SelectorSource = 'header' | 'model' | 'alias' | 'default';

export interface RouteInput {
  /** The `X-LIP-Route` header, if any. */
  readonly header?: string;
  /** The model from the request body or path. */
  readonly model: string;
}

export interface ResolvedSelector {
  readonly selector: string;
  readonly source: SelectorSource;
}

/**
 * Which selector a request runs (CONTRACT section 4), in order: the `X-LIP-Route` header; the
 * model when its first leaf names a configured backend id; a model alias matching the model;
 * otherwise the default route. Aliases apply to every one of them.
 */
export function resolveSelector(input: RouteInput, backendIds: ReadonlySet<string>, aliases: readonly CompiledAlias[], defaultRoute: string): ResolvedSelector {
  const header = input.header?.trim();
  if (header) return { selector: applyAliases(header, aliases).selector, source: 'header' };
  const model = input.model.trim();
  if (model) {
    const backend = firstLeafBackend(model);
    if (backend !== undefined && backendIds.has(backend)) return { selector: applyAliases(model, aliases).selector, source: 'model' };
    const aliased = applyAliases(model, aliases);
    if (aliased.alias) return { selector: aliased.selector, source: 'alias' };
  }
  return { selector: applyAliases(defaultRoute, aliases).selector, source: 'default' };
}
