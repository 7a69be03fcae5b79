/** Every outcome of tool-call repair; the label values of `lip_tool_call_repair_total{reason}`. */
export const REPAIR_REASONS = [
  'valid_pass_through', 'syntax_repaired', 'tool_name_normalized', 'property_renamed', 'default_inserted',
  'const_inserted', 'enum_inserted', 'additional_property_removed', 'ambiguous_tool_name', 'ambiguous_property',
  'unrepairable', 'schema_invalid', 'schema_unsupported', 'args_too_large', 'scalar_coercion_disabled', 'canceled',
] as const;

export type RepairReason = (typeof REPAIR_REASONS)[number];

/**
 * Tool calls per reason since the process started; the metrics module reads it as
 * `lip_tool_call_repair_total{reason}`. A repaired call counts once for each repair it needed.
 */
export const TOOL_CALL_REPAIRS = new Map<RepairReason, number>();

/** Adds one to each reason. */
export function countRepair(reasons: readonly RepairReason[]): void {
  for (const reason of reasons) TOOL_CALL_REPAIRS.set(reason, (TOOL_CALL_REPAIRS.get(reason) ?? 0) + 1);
}

/** ASCII-normalised name: lower case, without whitespace, `_` and `-` (the only matching rename uses). */
export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}
