import type { AttemptRow, UsageQuery, UsageSummaryRow } from './continuity-store.js';

type Mutable = { -readonly [K in keyof UsageSummaryRow]: UsageSummaryRow[K] };

/** The group an attempt row falls in. */
export function usageGroup(row: AttemptRow, groupBy: UsageQuery['groupBy']): string {
  return groupBy === 'model' ? row.model : groupBy === 'backend' ? row.backend_id : groupBy === 'key' ? row.key_id ?? '' : row.principal ?? '';
}

/**
 * Folds attempt rows into the usage summary of `GET /admin/usage`: finished rows only, filtered
 * by principal and start time, summed per group, largest cost first (then most input tokens,
 * then the group name). The memory store answers with it; a store that can ask its database
 * (SQLite) sums there and sorts the same way.
 * @see spec/continuity/usage-summary.spec.ts
 */
export function summarizeUsage(rows: Iterable<AttemptRow>, query: UsageQuery): UsageSummaryRow[] {
  const groups = new Map<string, Mutable>();
  for (const row of rows) {
    if (row.finished_at === null) continue;
    if (query.principal !== undefined && row.principal !== query.principal) continue;
    if (query.since !== undefined && row.started_at < query.since) continue;
    const key = usageGroup(row, query.groupBy);
    let group = groups.get(key);
    if (!group) {
      group = { group: key, attempts: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, cost: null };
      groups.set(key, group);
    }
    group.attempts++;
    group.input_tokens += row.input_tokens ?? 0;
    group.output_tokens += row.output_tokens ?? 0;
    group.cache_read_tokens += row.cache_read_tokens ?? 0;
    group.cache_write_tokens += row.cache_write_tokens ?? 0;
    group.reasoning_tokens += row.reasoning_tokens ?? 0;
    if (row.cost !== null) group.cost = (group.cost ?? 0) + row.cost;
  }
  return sortUsage([...groups.values()]);
}

/** Largest cost first, then most input tokens, then by name: one order for every store. */
export function sortUsage<T extends UsageSummaryRow>(rows: T[]): T[] {
  return rows.sort((a, b) => (b.cost ?? -1) - (a.cost ?? -1) || b.input_tokens - a.input_tokens || (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
}
