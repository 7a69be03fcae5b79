import { applyAliases, compileAliases, type AliasRule, type CompiledAlias } from '../routing/selector/aliases.js';
import { leavesOf } from '../routing/selector/candidate-key.js';
import { parseSelector } from '../routing/selector/parse-selector.js';
import { isSelectorError } from '../routing/selector/selector-error.js';
import { MAX_SELECTOR_INPUT_CHARS } from './route-input.js';

/** What the config loader says about the selector it asks to check. */
export interface SelectorCheckContext {
  /** The selector is `routing.default_route`: its first leaf must name a backend. */
  readonly defaultRoute?: boolean;
  /** `model_aliases`, applied before parsing (the default route is aliased at runtime too). */
  readonly aliases?: readonly AliasRule[];
  /**
   * The selector is a `model_aliases` replacement: what a request's selector becomes, so it is
   * held to the request limit (MAX_SELECTOR_INPUT_CHARS, after aliases); a longer one would have
   * every request it rewrites refused.
   */
  readonly alias?: boolean;
  /**
   * The selector is one a feature's config names (a judge's route): sent as a request's model, it
   * is held to the request limit, and its first leaf must name a backend (after aliases), since a
   * model that names none runs the default route (routing.unknown_model).
   */
  readonly feature?: boolean;
}

/**
 * Config-time check of a selector (`routing.default_route`, each `model_aliases` replacement, each
 * selector a feature's config names): it must parse, and every backend it names must be
 * configured and enabled. The default route must also start with `backend:model`, because its
 * first backend is the one model-only leaves use, and so must a feature's, which would otherwise
 * run the default route; an alias replacement and a feature's selector must fit the request limit
 * (4,096 characters). Returns a message for the config error, or undefined when the selector is
 * acceptable.
 *
 * ```
 * checkSelector('a:m|b:m', new Set(['a']))  // 'names the backend "b", which is not configured or not enabled (known: a) at column 5'
 * ```
 * @see spec/core/check-selector.spec.ts
 */
export function checkSelector(selector: string, backendIds: ReadonlySet<string>, context: SelectorCheckContext = {}): string | undefined {
  if (context.alias && selector.length > MAX_SELECTOR_INPUT_CHARS) {
    return `is ${selector.length} characters long; a request's selector after aliases may have at most ${MAX_SELECTOR_INPUT_CHARS}, so every request it rewrites would be refused (a long route belongs in routing.default_route)`;
  }
  if (context.feature && selector.length > MAX_SELECTOR_INPUT_CHARS) {
    return `is ${selector.length} characters long; a request's model may have at most ${MAX_SELECTOR_INPUT_CHARS}, so every call the feature makes with it would be refused`;
  }
  const text = context.aliases ? applyAliases(selector, compileValid(context.aliases)).selector : selector;
  const via = text === selector.trim() ? '' : ` (in "${text}", after model_aliases)`;
  let parsed;
  try {
    parsed = parseSelector(text);
  } catch (err) {
    if (isSelectorError(err)) return `${err.message}${via}`;
    throw err;
  }
  for (const leaf of parsed.arms.flatMap(leavesOf)) {
    if (leaf.backend !== undefined && !backendIds.has(leaf.backend)) {
      const known = [...backendIds].join(', ') || 'none';
      return `names the backend "${leaf.backend}", which is not configured or not enabled (known: ${known})${leaf.column > 1 ? ` at column ${leaf.column}` : ''}${via}`;
    }
  }
  const first = leavesOf(parsed.arms[0]!)[0]!;
  if (context.defaultRoute && first.backend === undefined) {
    return `the first leaf "${first.model}" names no backend${via}; the default route must start with backend:model (model-only leaves use that backend)`;
  }
  if (context.feature && first.backend === undefined) {
    return `the first leaf "${first.model}" names no backend${via}; a feature's selector must start with backend:model (a model alone names no route, so its call would go to the default route)`;
  }
  return undefined;
}

/** Aliases whose patterns compile (a broken pattern is reported on its own row). */
function compileValid(rules: readonly AliasRule[]): CompiledAlias[] {
  return rules.flatMap((rule) => {
    try {
      return compileAliases([rule]);
    } catch {
      return [];
    }
  });
}
