/** One configuration of an in-process comparison: its name, one operation, and its rounds' samples. */
export interface Runner {
  readonly name: string;
  once(): unknown;
  readonly samples: number[];
}

export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/**
 * Runs the configurations side by side: 200 warm-up operations each, then `rounds` rounds in
 * which each runs `perRound` operations in turn (machine noise hits them alike); the median
 * µs per operation of each.
 */
export async function interleaved(runners: readonly Runner[], rounds: number, perRound: number): Promise<{ name: string; us: number }[]> {
  for (let i = 0; i < 200; i++) for (const r of runners) await r.once();
  for (let round = 0; round < rounds; round++) {
    for (const r of runners) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < perRound; i++) await r.once();
      r.samples.push(Number(process.hrtime.bigint() - start) / perRound / 1000);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return runners.map((r) => ({ name: r.name, us: median(r.samples) }));
}
