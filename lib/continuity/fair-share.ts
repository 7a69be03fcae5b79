/**
 * How many A-legs each principal gives up when a store holding `holdings` must shed `over` of
 * them under the fair-share rule: always from the principal holding the most (so the largest
 * holdings are levelled down first, and a principal holding fewer than another is only touched
 * once everybody above it is down to its level). Among principals holding equally many, the one
 * whose least recently seen A-leg (`oldest`, epoch ms) is oldest gives first. The memory store applies the same rule one
 * eviction at a time (`LegTable.fairShareVictim`); a store that prunes in batches (SQLite,
 * Redis) computes the cuts here, then deletes each principal's least recently seen A-legs.
 * The memory store of plugin state sheds its features' values by the same cuts (MemoryStateStore).
 *
 * ```ts
 * fairShareCuts(new Map([['mallory', 90], ['alice', 6], ['bob', 4]]), 10) // Map { mallory => 10 }
 * fairShareCuts(new Map([['a', 5], ['b', 5]]), 3)                         // Map { a => 2, b => 1 }
 * ```
 * @see spec/continuity/fair-share.spec.ts
 */
export function fairShareCuts(holdings: ReadonlyMap<string, number>, over: number, oldest: ReadonlyMap<string, number> = new Map()): Map<string, number> {
  const cuts = new Map<string, number>();
  const seen = (p: string) => oldest.get(p) ?? 0;
  const sorted = [...holdings].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || seen(a[0]) - seen(b[0]) || (a[0] < b[0] ? -1 : 1));
  const total = sorted.reduce((sum, [, n]) => sum + n, 0);
  let left = Math.min(Math.max(0, Math.floor(over)), total);
  if (left === 0) return cuts;
  // Lower a water level from the top: the first `k` principals stand above the next count.
  let level = sorted[0]![1];
  let k = 0;
  for (;;) {
    while (k < sorted.length && sorted[k]![1] >= level) k++;
    const next = k < sorted.length ? sorted[k]![1] : 0;
    const room = (level - next) * k;
    if (room >= left) {
      const whole = Math.floor(left / k);
      const extra = left % k;
      for (let i = 0; i < k; i++) {
        const [principal, n] = sorted[i]!;
        const cut = n - level + whole + (i < extra ? 1 : 0);
        if (cut > 0) cuts.set(principal, cut);
      }
      return cuts;
    }
    left -= room;
    level = next;
  }
}
