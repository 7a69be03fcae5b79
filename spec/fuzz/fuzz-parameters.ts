import type { Parameters } from 'fast-check';

/**
 * How many runs each fuzz property makes: `LIP_FUZZ_RUNS` (the long run, `npm run fuzz`, sets
 * 20000), else a small default so that `npm test` stays fast. `scale` shrinks the count for
 * costly properties (megabyte lines); every property makes at least one run.
 */
export const FUZZ_RUNS = positive(process.env.LIP_FUZZ_RUNS) ?? 100;

/** The longest "huge" string a mutation makes: 50,000 characters in the short run, 1,000,000 in long ones. */
export const HUGE_CHARS = FUZZ_RUNS > 1000 ? 1_000_000 : 50_000;

/**
 * fast-check parameters for one property. The seed is random on every run and fast-check prints
 * it with the shrunk counterexample and its `path` when a property fails; `LIP_FUZZ_SEED` and
 * `LIP_FUZZ_PATH` replay exactly that case (see docs/fuzzing.md).
 *
 * ```ts
 * fc.assert(fc.property(arb, check), fuzzParameters());        // FUZZ_RUNS runs
 * fc.assert(fc.property(bigLines, check), fuzzParameters(0.05)); // 5 % of them
 * ```
 */
export function fuzzParameters<T>(scale = 1): Parameters<T> {
  const seed = process.env.LIP_FUZZ_SEED;
  const path = process.env.LIP_FUZZ_PATH;
  return {
    numRuns: Math.max(1, Math.round(FUZZ_RUNS * scale)),
    ...(seed ? { seed: Number(seed) } : {}),
    ...(path ? { path } : {}),
  };
}

/** The mocha timeout for a property: generous, and unbounded for the long run. */
export function fuzzTimeout(perRunMs = 20): number {
  return FUZZ_RUNS > 1000 ? 0 : Math.max(20_000, FUZZ_RUNS * perRunMs);
}

function positive(text: string | undefined): number | undefined {
  const n = Number(text);
  return text && Number.isFinite(n) && n > 0 ? Math.floor(n) : undefined;
}
