import { paramsToJson } from '../params/route-params.js';
import { applyAliases, type AliasRule, type CompiledAlias } from './aliases.js';
import type { Arm, ArmType, Leaf, Selector } from './ast.js';
import { candidateKey } from './candidate-key.js';
import { parseSelector } from './parse-selector.js';
import { resolveModelOnly } from './resolve-model-only.js';
import { isSelectorError, type SelectorError } from './selector-error.js';

/** One leaf as `lip routes --explain --json` prints it (CONTRACT section 2). */
export interface LegJson {
  readonly backend: string | null;
  readonly model: string;
  readonly candidate_key: string;
  /** Start delay in a race; null outside races. */
  readonly handicap_ms: number | null;
  readonly ttft_timeout_ms: number | null;
  readonly max_context: number | null;
  readonly min_context: number | null;
  /** The validated overrides under their query keys. */
  readonly params: Record<string, number | string | boolean>;
}

export interface BranchJson extends LegJson {
  readonly weight: number;
  readonly first: boolean;
}

export type ArmJson =
  | { readonly type: 'single'; readonly branches: readonly LegJson[] }
  | { readonly type: 'weighted'; readonly branches: readonly BranchJson[] }
  | { readonly type: 'race'; readonly legs: readonly LegJson[] };

export interface PlanJson {
  readonly selector: string;
  readonly resolved: string;
  readonly global: { readonly ttft_timeout_ms: number | null; readonly affinity: string | null };
  readonly arms: readonly ArmJson[];
}

export interface ExplainErrorJson {
  readonly error: { readonly message: string; readonly column: number };
}

export interface ExplainOptions {
  readonly aliases: readonly CompiledAlias[];
  /** The default route's first backend, for model-only leaves. */
  readonly defaultBackend: string | undefined;
}

interface Common {
  /** As given. */
  readonly input: string;
  /** After aliases: the text that was parsed and that error columns refer to. */
  readonly resolved: string;
  readonly alias?: AliasRule;
}

/** What `explainSelector` found: the plan (as parsed and after model-only resolution) or the error. */
export type Explanation =
  | Common & { readonly ok: true; readonly parsed: Selector; readonly plan: Selector; readonly json: PlanJson }
  | Common & { readonly ok: false; readonly error: SelectorError; readonly json: ExplainErrorJson };

/**
 * `lip routes --explain`: applies the aliases, parses, resolves model-only leaves with the
 * default backend, and describes the plan in the JSON shape of CONTRACT section 2 (durations in
 * milliseconds, absent values null), or the parse error with its column.
 *
 * ```
 * explainSelector('fast', { aliases: compileAliases([{ pattern: '^fast$', replacement: 'a:m1!b:m2' }]), defaultBackend: 'a' }).json
 *   -> { selector: 'fast', resolved: 'a:m1!b:m2', global: { ttft_timeout_ms: null, affinity: null },
 *        arms: [{ type: 'race', legs: [{ backend: 'a', model: 'm1', candidate_key: 'a:m1', handicap_ms: 0, ... }, ...] }] }
 * ```
 * @see spec/routing/selector/explain-selector.spec.ts
 */
export function explainSelector(input: string, options: ExplainOptions): Explanation {
  const aliased = applyAliases(input, options.aliases);
  const common: Common = { input, resolved: aliased.selector, ...(aliased.alias ? { alias: aliased.alias } : {}) };
  try {
    const parsed = parseSelector(aliased.selector);
    const plan = resolveModelOnly(parsed, options.defaultBackend);
    return { ...common, ok: true, parsed, plan, json: planJson(input, plan) };
  } catch (err) {
    if (!isSelectorError(err)) throw err;
    return { ...common, ok: false, error: err, json: { error: { message: err.message, column: err.column } } };
  }
}

/** The JSON description of a parsed selector. */
export function planJson(input: string, plan: Selector): PlanJson {
  return {
    selector: input,
    resolved: plan.text,
    global: { ttft_timeout_ms: plan.global.ttftTimeoutMs ?? null, affinity: plan.global.affinity ?? null },
    arms: plan.arms.map((arm) => (ARM_JSON[arm.type] as (a: Arm) => ArmJson)(arm)),
  };
}

const ARM_JSON: { readonly [T in ArmType]: (arm: Extract<Arm, { type: T }>) => ArmJson } = {
  single: (arm) => ({ type: 'single', branches: [legJson(arm.leg, null)] }),
  weighted: (arm) => ({ type: 'weighted', branches: arm.branches.map((b) => ({ ...legJson(b.leaf, null), weight: b.weight, first: b.first })) }),
  race: (arm) => ({ type: 'race', legs: arm.legs.map((l) => legJson(l.leaf, l.handicapMs)) }),
};

function legJson(leaf: Leaf, handicapMs: number | null): LegJson {
  return {
    backend: leaf.backend ?? null,
    model: leaf.model,
    candidate_key: candidateKey(leaf),
    handicap_ms: handicapMs,
    ttft_timeout_ms: leaf.ttftTimeoutMs ?? null,
    max_context: leaf.maxContext ?? null,
    min_context: leaf.minContext ?? null,
    params: paramsToJson(leaf.params),
  };
}
