/** Every event of compaction-continuity; the label values of `lip_compaction_continuity_total{event}`. */
export const CONTINUITY_EVENTS = [
  'boundary', 'extracted', 'extraction_failed', 'extraction_invalid', 'queue_full', 'structured_plan',
  'barrier_timeout', 'injected', 'no_branch', 'evicted', 'adopted', 'store_failed',
] as const;

export type ContinuityEvent = (typeof CONTINUITY_EVENTS)[number];

/** Events since the process started (counts only, never content). */
export const COMPACTION_CONTINUITY = new Map<ContinuityEvent, number>();

/** Boundaries by the rule that found them (bounded: the rules of registry.ts and the heuristic). */
export const COMPACTION_BOUNDARIES = new Map<string, number>();

export function countEvent(event: ContinuityEvent, n = 1): void {
  COMPACTION_CONTINUITY.set(event, (COMPACTION_CONTINUITY.get(event) ?? 0) + n);
}

export function countBoundary(rule: string): void {
  countEvent('boundary');
  COMPACTION_BOUNDARIES.set(rule, (COMPACTION_BOUNDARIES.get(rule) ?? 0) + 1);
}
