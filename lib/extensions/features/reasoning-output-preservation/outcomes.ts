/** Every outcome of reasoning preservation; the label values of `lip_reasoning_preservation_total{outcome}`. */
export const PRESERVATION_OUTCOMES = [
  'observed', 'restored', 'missing', 'ambiguous', 'unmatched', 'unrepresentable', 'oversize', 'evicted',
] as const;

export type PreservationOutcome = (typeof PRESERVATION_OUTCOMES)[number];

/** Turns per outcome since the process started (counts only, never content). */
export const REASONING_PRESERVATION = new Map<PreservationOutcome, number>();

export function countOutcome(outcome: PreservationOutcome, n = 1): void {
  REASONING_PRESERVATION.set(outcome, (REASONING_PRESERVATION.get(outcome) ?? 0) + n);
}
