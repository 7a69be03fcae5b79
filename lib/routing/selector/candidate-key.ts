import type { Arm, Leaf } from './ast.js';

/**
 * The identity of a candidate: `backend:model`, plus `?` and the canonical query when the leaf
 * has one (keys sorted, percent-encoded). It keys circuits, exclusions and attempt lineage, so
 * annotations (weight, handicap, budgets, context bounds) are not part of it, and the same
 * query written in another order or escaping gives the same key. A model-only leaf that was not
 * resolved yet has no backend: its key is the model (and query) alone.
 *
 * ```
 * [weight=2]a:m?top_p=0.9&temperature=0.2   ->  a:m?temperature=0.2&top_p=0.9
 * gpt-4o?note=a%20b                         ->  gpt-4o?note=a+b          (model-only, unresolved)
 * ```
 * @see spec/routing/selector/candidate-key.spec.ts
 */
export function candidateKey(leaf: Leaf): string {
  const path = leaf.backend === undefined ? leaf.model : `${leaf.backend}:${leaf.model}`;
  return leaf.canonicalQuery ? `${path}?${leaf.canonicalQuery}` : path;
}

/** The leaves of an arm in selector order. */
export function leavesOf(arm: Arm): Leaf[] {
  if (arm.type === 'single') return [arm.leg];
  if (arm.type === 'weighted') return arm.branches.map((b) => b.leaf);
  return arm.legs.map((l) => l.leaf);
}
