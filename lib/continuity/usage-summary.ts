import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AttemptRow, UsageLeftOut, UsageQuery, UsageSummary, UsageSummaryRow } from './continuity-store.js';

type Mutable = { -readonly [K in keyof UsageSummaryRow]: UsageSummaryRow[K] };

/**
 * Rows (or groups) summed, or groups ranked, between two turns of the event loop. A store holds up
 * to a million rows, and `GET /admin/usage` may be asked by a client key: summed in one turn
 * they held every request for seconds.
 */
export const USAGE_CHUNK = 1_024;

/** The group an attempt row falls in. */
export function usageGroup(row: AttemptRow, groupBy: UsageQuery['groupBy']): string {
  return groupBy === 'model' ? row.model : groupBy === 'backend' ? row.backend_id : groupBy === 'key' ? row.key_id ?? '' : row.principal ?? '';
}

const emptyGroup = (group: string): Mutable => ({
  group, attempts: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, cost: null,
});

/** Adds `from`'s counts to `into`. */
function addGroup(into: Omit<Mutable, 'group'>, from: Omit<UsageSummaryRow, 'group'>): void {
  into.attempts += from.attempts;
  into.input_tokens += from.input_tokens;
  into.output_tokens += from.output_tokens;
  into.cache_read_tokens += from.cache_read_tokens;
  into.cache_write_tokens += from.cache_write_tokens;
  into.reasoning_tokens += from.reasoning_tokens;
  if (from.cost !== null) into.cost = (into.cost ?? 0) + from.cost;
}

/**
 * The usage sums of one query, fed row by row (`add`): finished rows only, filtered by
 * principal and start time, summed per group. `summary()` ranks them (rankUsage).
 */
export class UsageTotals {
  private readonly groups = new Map<string, Mutable>();
  private seen = 0;

  constructor(private readonly query: UsageQuery) {}

  add(row: AttemptRow): void {
    const query = this.query;
    if (row.finished_at === null) return;
    if (query.principal !== undefined && row.principal !== query.principal) return;
    if (query.since !== undefined && row.started_at < query.since) return;
    const key = usageGroup(row, query.groupBy);
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = emptyGroup(key)));
    group.attempts++;
    group.input_tokens += row.input_tokens ?? 0;
    group.output_tokens += row.output_tokens ?? 0;
    group.cache_read_tokens += row.cache_read_tokens ?? 0;
    group.cache_write_tokens += row.cache_write_tokens ?? 0;
    group.reasoning_tokens += row.reasoning_tokens ?? 0;
    if (row.cost !== null) group.cost = (group.cost ?? 0) + row.cost;
  }

  /** Adds the sums of a group (a database summed part of the rows). */
  addGroup(sums: UsageSummaryRow): void {
    let group = this.groups.get(sums.group);
    if (!group) this.groups.set(sums.group, (group = emptyGroup(sums.group)));
    addGroup(group, sums);
  }

  /** Adds every row, yielding to the event loop every USAGE_CHUNK rows (counted across calls). */
  async addAll(rows: Iterable<AttemptRow>): Promise<void> {
    for (const row of rows) {
      this.add(row);
      if (++this.seen % USAGE_CHUNK === 0) await nextTurn();
    }
  }

  summary(): Promise<UsageSummary> {
    return rankUsage(this.groups.values(), this.query.limit);
  }
}

/**
 * Folds attempt rows into the usage summary of `GET /admin/usage` (UsageTotals), yielding to
 * the event loop every USAGE_CHUNK rows. The memory and Redis stores answer with it; a store
 * that can ask its database (SQLite) sums there and ranks the groups with rankUsage.
 * @see spec/continuity/store-suite.ts
 */
export async function summarizeUsage(rows: Iterable<AttemptRow>, query: UsageQuery): Promise<UsageSummary> {
  const totals = new UsageTotals(query);
  await totals.addAll(rows);
  return totals.summary();
}

/** Largest cost first, then most input tokens, then by name: one order for every store. */
export function compareUsage(a: UsageSummaryRow, b: UsageSummaryRow): number {
  return (b.cost ?? -1) - (a.cost ?? -1) || b.input_tokens - a.input_tokens || (a.group < b.group ? -1 : a.group > b.group ? 1 : 0);
}

/**
 * The groups in compareUsage order; with `limit`, the first `limit` of them, and the rest summed
 * in `other` (null when none was left out). Ranking keeps the best `limit` so far in a sorted
 * list (no sort of every group), yielding to the event loop every USAGE_CHUNK groups.
 */
export async function rankUsage(groups: Iterable<UsageSummaryRow>, limit?: number): Promise<UsageSummary> {
  if (limit === undefined) return { groups: [...groups].sort(compareUsage), other: null };
  const top: UsageSummaryRow[] = [];
  let other: Omit<Mutable, 'group'> & { groups: number } | null = null;
  const leaveOut = (group: UsageSummaryRow) => {
    other ??= { groups: 0, ...emptyGroup('') };
    other.groups++;
    addGroup(other, group);
  };
  let n = 0;
  for (const group of groups) {
    if (top.length === limit && compareUsage(group, top[top.length - 1]!) >= 0) {
      leaveOut(group);
    } else {
      let lo = 0;
      for (let hi = top.length; lo < hi;) {
        const mid = (lo + hi) >>> 1;
        if (compareUsage(top[mid]!, group) <= 0) lo = mid + 1;
        else hi = mid;
      }
      top.splice(lo, 0, group);
      if (top.length > limit) leaveOut(top.pop()!);
    }
    if (++n % USAGE_CHUNK === 0) await nextTurn();
  }
  return { groups: top, other: other === null ? null : leftOut(other) };
}

/** `other` in the order of the answer's fields: how many groups, then their sums. */
function leftOut(other: Omit<Mutable, 'group'> & { groups: number }): UsageLeftOut {
  const { groups, attempts, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost } = other;
  return { groups, attempts, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost };
}
