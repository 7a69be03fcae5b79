import type { Usage, UsageIterations } from './events.js';

const FIELDS = ['inputTokens', 'outputTokens', 'totalTokens', 'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens', 'cacheWrite1hTokens'] as const;
/** The fields that say how the answer was served rather than count tokens: the latest one reported stands. */
const LABELS = ['serviceTier', 'inferenceGeo', 'speed'] as const;

/** Merges a usage snapshot into the running one: each present field replaces the old value. */
export function mergeUsage(into: Usage, next: Usage): Usage {
  let out: { -readonly [K in keyof Usage]: Usage[K] } | undefined;
  for (const field of FIELDS) {
    const value = next[field];
    if (value !== undefined && value !== into[field]) {
      out ??= { ...into };
      out[field] = value;
    }
  }
  for (const field of LABELS) {
    const value = next[field];
    if (value !== undefined && value !== into[field]) {
      out ??= { ...into };
      out[field] = value;
    }
  }
  if (next.compaction !== undefined && next.compaction !== into.compaction) {
    out ??= { ...into };
    out.compaction = next.compaction;
  }
  if (next.iterations !== undefined && next.iterations !== into.iterations) {
    out ??= { ...into };
    out.iterations = next.iterations;
  }
  return out ?? into;
}

/**
 * Two usage records of separate calls as one (their tokens added field by field, a call without
 * a total counting its input + output; a field absent from both stays absent; the later call's
 * tier, region and speed, else the earlier's): a request's attempts, a turn continued in a
 * second call.
 */
export function addUsage(total: Usage | undefined, add: Usage): Usage {
  if (total === undefined) return add;
  const out: { -readonly [K in keyof Usage]: Usage[K] } = {};
  for (const field of FIELDS) {
    const a = total[field];
    const b = add[field];
    if (a === undefined && b === undefined) continue;
    // A call that reported no total counts as its input + output, not as 0.
    out[field] = field === 'totalTokens' ? totalTokens(total) + totalTokens(add) : (a ?? 0) + (b ?? 0);
  }
  for (const field of LABELS) {
    const label = add[field] ?? total[field];
    if (label !== undefined) out[field] = label;
  }
  const c = total.compaction;
  const d = add.compaction;
  if (c !== undefined || d !== undefined) {
    out.compaction = {
      inputTokens: (c?.inputTokens ?? 0) + (d?.inputTokens ?? 0), outputTokens: (c?.outputTokens ?? 0) + (d?.outputTokens ?? 0),
      cacheReadTokens: (c?.cacheReadTokens ?? 0) + (d?.cacheReadTokens ?? 0), cacheWriteTokens: (c?.cacheWriteTokens ?? 0) + (d?.cacheWriteTokens ?? 0),
    };
  }
  const iterations = addIterations(total.iterations, add.iterations);
  if (iterations !== undefined) out.iterations = iterations;
  return out;
}

/**
 * Two calls' iterations as one list, in order, when they are of one dialect; those of one call
 * alone when the other has none; none when their dialects differ (no protocol has both).
 */
function addIterations(a: UsageIterations | undefined, b: UsageIterations | undefined): UsageIterations | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return a.dialect === b.dialect ? { dialect: a.dialect, value: [...a.value, ...b.value] } : undefined;
}

/** Total tokens as reported, else input + output. */
export function totalTokens(usage: Usage): number {
  return usage.totalTokens ?? (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
}

export function hasUsage(usage: Usage): boolean {
  return FIELDS.some((field) => usage[field] !== undefined);
}
