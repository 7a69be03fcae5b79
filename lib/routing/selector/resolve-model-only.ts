import { applyAliases, type CompiledAlias } from './aliases.js';
import type { Arm, Leaf, Selector } from './ast.js';
import { leavesOf } from './candidate-key.js';
import { parseSelector } from './parse-selector.js';
import { SelectorError } from './selector-error.js';

/**
 * The backend that model-only leaves use: the first leaf of the (alias-resolved) default
 * route, i.e. the single leaf of its first arm, the first branch of a weighted arm, or the
 * first leg of a race. Undefined when that leaf is itself model-only.
 * @see spec/routing/selector/resolve-model-only.spec.ts
 */
export function defaultBackendOf(defaultRoute: Selector): string | undefined {
  return leavesOf(defaultRoute.arms[0]!)[0]!.backend;
}

/**
 * `defaultBackendOf` for the configured `routing.default_route` text after the aliases (the
 * config loader has validated it); undefined when it does not parse or names no backend.
 */
export function defaultBackendFor(defaultRoute: string, aliases: readonly CompiledAlias[]): string | undefined {
  try {
    return defaultBackendOf(parseSelector(applyAliases(defaultRoute, aliases).selector));
  } catch {
    return undefined;
  }
}

/**
 * The selector with every model-only leaf (`gpt-4o-mini`, `:qwen3:8b`) given `defaultBackend`.
 * Returns the same object when there is none, so a resolved selector costs nothing the second
 * time. Throws a SelectorError at the first model-only leaf when there is no default backend.
 *
 * ```
 * resolveModelOnly(parseSelector('m1|b:m2'), 'a')  // a:m1 | b:m2
 * ```
 * @see spec/routing/selector/resolve-model-only.spec.ts
 */
export function resolveModelOnly(selector: Selector, defaultBackend: string | undefined): Selector {
  const pending = selector.arms.flatMap(leavesOf).find((leaf) => leaf.backend === undefined);
  if (pending === undefined) return selector;
  if (defaultBackend === undefined) {
    throw new SelectorError(selector.text, pending.column, `the model-only leaf "${pending.model}" needs a default backend, but the default route names none`);
  }
  const fill = (leaf: Leaf): Leaf => (leaf.backend === undefined ? { ...leaf, backend: defaultBackend } : leaf);
  return { ...selector, arms: selector.arms.map((arm) => resolveArm(arm, fill)) };
}

function resolveArm(arm: Arm, fill: (leaf: Leaf) => Leaf): Arm {
  if (arm.type === 'single') return { type: 'single', leg: fill(arm.leg) };
  if (arm.type === 'weighted') return { type: 'weighted', branches: arm.branches.map((b) => ({ ...b, leaf: fill(b.leaf) })) };
  return { type: 'race', legs: arm.legs.map((l) => ({ ...l, leaf: fill(l.leaf) })) };
}
