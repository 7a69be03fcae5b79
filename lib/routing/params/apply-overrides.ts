import type { GenerationOptions } from '../../canonical/index.js';
import type { RouteParams } from './route-params.js';

/**
 * The request's generation options with a leaf's `?query` overrides on top: each override
 * present replaces the request's value, absent ones leave it alone. Returns `options` itself
 * when the leaf has no overrides (the common case costs nothing). `reasoning_effort` sets
 * `reasoning.effort` and keeps the rest of `reasoning` (budget, include-thoughts); it is the
 * operator's request for reasoning, so an Anthropic client's own `output_config.effort` mark
 * (`outputEffort`) and its thinking turned off (`disabled`) do not carry over to it.
 *
 * ```ts
 * applyOverrides({ temperature: 1, topP: 0.5 }, { temperature: 0.2 })  // { temperature: 0.2, topP: 0.5 }
 * ```
 * @see spec/routing/params/apply-overrides.spec.ts
 */
export function applyOverrides(options: GenerationOptions, overrides: RouteParams): GenerationOptions {
  let out: { -readonly [K in keyof GenerationOptions]: GenerationOptions[K] } | undefined;
  const set = <K extends keyof GenerationOptions>(key: K, value: GenerationOptions[K]) => {
    out ??= { ...options };
    out[key] = value;
  };
  if (overrides.temperature !== undefined) set('temperature', overrides.temperature);
  if (overrides.topP !== undefined) set('topP', overrides.topP);
  if (overrides.maxOutputTokens !== undefined) set('maxOutputTokens', overrides.maxOutputTokens);
  if (overrides.verbosity !== undefined) set('verbosity', overrides.verbosity);
  if (overrides.parallelToolCalls !== undefined) set('parallelToolCalls', overrides.parallelToolCalls);
  if (overrides.reasoningEffort !== undefined) {
    const { outputEffort: _clients, disabled: _off, ...reasoning } = options.reasoning ?? {};
    set('reasoning', { ...reasoning, effort: overrides.reasoningEffort });
  }
  return out ?? options;
}

/** Whether a leaf carries any override at all. */
export function hasOverrides(overrides: RouteParams): boolean {
  for (const key in overrides) {
    if (overrides[key as keyof RouteParams] !== undefined) return true;
  }
  return false;
}
