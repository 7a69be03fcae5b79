export { applyAliases, compileAliases, type AliasRule, type CompiledAlias } from './aliases.js';
export type { Affinity, Arm, ArmType, GlobalOptions, Leaf, RaceArm, RaceLeg, Selector, SingleArm, WeightedArm, WeightedBranch } from './ast.js';
export { candidateKey, leavesOf } from './candidate-key.js';
export { explainSelector, planJson, type ArmJson, type BranchJson, type ExplainErrorJson, type ExplainOptions, type Explanation, type LegJson, type PlanJson } from './explain-selector.js';
export { firstLeafBackend } from './first-backend.js';
export { MAX_ARMS, MAX_BRANCHES, MAX_RACE_LEGS, MAX_SELECTOR_CHARS, parseSelector } from './parse-selector.js';
export { renderExplanation } from './render-explain.js';
export { defaultBackendFor, defaultBackendOf, resolveModelOnly } from './resolve-model-only.js';
export { SelectorError, columnOf, isSelectorError } from './selector-error.js';
