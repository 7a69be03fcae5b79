import { PARAM_KEYS, PARAM_SPECS } from '../params/route-params.js';
import type { Arm, ArmType, Leaf } from './ast.js';
import { attemptReach } from './attempt-reach.js';
import { candidateKey, leavesOf } from './candidate-key.js';
import type { Explanation } from './explain-selector.js';
import { didYouMean } from './suggest-key.js';

/**
 * The readable form of `lip routes --explain` (without `--json`): the selector, what the aliases
 * made of it, the global options, then one block per failover arm with its branches or legs,
 * their candidate keys, annotations and overrides; given `routing.max_attempts`, the arms it
 * never lets be tried and the race legs it never lets start are marked. A parse error prints
 * the resolved selector with a caret under the offending column.
 *
 * ```
 * selector  fast
 * resolved  [handicap=300ms]a:m1!b:m2   (alias ^fast$)
 * global    ttft_timeout none, affinity none
 * arm 1: race of 2 legs, every leg starts after its handicap, the first to output wins
 *   leg 1  a:m1  starts at 300ms
 *   leg 2  b:m2  starts at 0ms
 * ```
 * @see spec/routing/selector/explain-selector.spec.ts
 */
export function renderExplanation(x: Explanation, maxAttempts?: number): string {
  const lines = [`selector  ${x.input}`];
  if (x.resolved !== x.input) lines.push(`resolved  ${x.resolved}${x.alias ? `   (alias ${x.alias.pattern})` : ''}`);
  if (!x.ok) {
    const caret = `${' '.repeat(Math.max(0, x.error.column - 1))}^`;
    lines.push('', x.error.message, `  ${x.resolved}`, `  ${caret}`);
    return lines.join('\n');
  }
  const { global } = x.plan;
  lines.push(`global    ttft_timeout ${global.ttftTimeoutMs === undefined ? 'none' : ms(global.ttftTimeoutMs)}, affinity ${global.affinity ?? 'none'}`);
  const count = x.plan.arms.length;
  const reach = maxAttempts === undefined ? undefined : attemptReach(x.plan, maxAttempts);
  x.plan.arms.forEach((arm, i) => {
    const modelOnly = new Set(leavesOf(x.parsed.arms[i]!).flatMap((leaf, j) => (leaf.backend === undefined ? [j] : [])));
    const when = i === 0 ? '' : ` (if arm ${i} fails before output)`;
    const never = reach?.[i]?.reachable === false ? `; never tried: the arms before it spend routing.max_attempts (${maxAttempts})` : '';
    lines.push(`arm ${i + 1}${count > 1 ? ` of ${count}` : ''}${when}: ${(HEADINGS[arm.type] as (a: Arm) => string)(arm)}${never}`);
    const unstarted = new Set(reach?.[i]?.neverStarted);
    const note = (j: number) => (unstarted.has(j) ? `never starts: the legs that start before it spend routing.max_attempts (${maxAttempts})` : undefined);
    lines.push(...(ROWS[arm.type] as (a: Arm, m: Set<number>, n: (j: number) => string | undefined) => string[])(arm, modelOnly, note));
  });
  return lines.join('\n');
}

const HEADINGS: { readonly [T in ArmType]: (arm: Extract<Arm, { type: T }>) => string } = {
  single: () => 'single leaf',
  weighted: (arm) => `weighted choice among ${arm.branches.length} branch${arm.branches.length === 1 ? '' : 'es'}, one per attempt, a failed branch is excluded and the rest re-rolled`,
  race: (arm) => `race of ${arm.legs.length} legs, every leg starts after its handicap, the first to output wins and the others are cancelled`,
};

/** `unstarted(j)`: why race leg j never starts (routing.max_attempts), else undefined. */
const ROWS: { readonly [T in ArmType]: (arm: Extract<Arm, { type: T }>, modelOnly: Set<number>, unstarted: (j: number) => string | undefined) => string[] } = {
  single: (arm, m) => [row('leaf', arm.leg, [], m.has(0))],
  weighted: (arm, m) => {
    const total = arm.branches.reduce((sum, b) => sum + b.weight, 0);
    return arm.branches.map((b, j) => row(`branch ${j + 1}`, b.leaf, [
      `weight ${b.weight} (${percent(b.weight / total)})`, ...(b.first ? ['first'] : []),
    ], m.has(j)));
  },
  race: (arm, m, unstarted) => arm.legs.map((l, j) => row(`leg ${j + 1}`, l.leaf, [
    unstarted(j) ?? `starts at ${l.handicapMs === 0 ? '0ms' : ms(l.handicapMs)}`,
  ], m.has(j))),
};

function row(label: string, leaf: Leaf, notes: string[], modelOnly: boolean): string {
  const parts = [...notes];
  if (modelOnly) parts.push('model-only: default backend');
  if (leaf.ttftTimeoutMs !== undefined) parts.push(`ttft_timeout ${ms(leaf.ttftTimeoutMs)}`);
  if (leaf.minContext !== undefined) parts.push(`only above ${leaf.minContext} tokens`);
  if (leaf.maxContext !== undefined) parts.push(`only up to ${leaf.maxContext} tokens`);
  const overrides = Object.entries(leaf.query).filter(([key]) => PARAM_SPECS.has(key)).map(([key, value]) => `${key}=${value}`);
  if (overrides.length > 0) parts.push(`overrides ${overrides.join(' ')}`);
  for (const key of Object.keys(leaf.query)) {
    if (!PARAM_SPECS.has(key)) parts.push(`"${key}" changes nothing${didYouMean(key, PARAM_KEYS)}`);
  }
  return `  ${label.padEnd(9)} ${candidateKey(leaf)}${parts.length > 0 ? `   ${parts.join(', ')}` : ''}`;
}

function ms(value: number): string {
  if (value % 60_000 === 0) return `${value / 60_000}m`;
  if (value % 1_000 === 0) return `${value / 1_000}s`;
  return `${value}ms`;
}

function percent(share: number): string {
  const p = share * 100;
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}
