/** One key handed out for one upstream request. `index` identifies it without revealing it. */
export interface KeyLease {
  readonly key: string;
  readonly index: number;
}

/** What a pool looks like right now (for diagnostics; never the keys themselves). */
export interface KeyPoolState {
  readonly usable: number;
  readonly cooling: number;
  readonly retired: number;
}

/** The cooldown after a 429 that gave no Retry-After (CONTRACT section 6). */
export const DEFAULT_COOLDOWN_MS = 60_000;

/**
 * The API keys of one backend, rotated round-robin across requests. A key the upstream
 * rejects (401) is retired for the life of the process; a rate-limited key (429) cools down
 * until its Retry-After has passed. Time comes from the injected clock (the backend passes its
 * scheduler's `now`), so cooldowns are testable in virtual time.
 *
 * ```ts
 * const pool = new KeyPool(['k1', 'k2'], () => scheduler.now());
 * const lease = pool.acquire();          // k1, next time k2
 * pool.coolDown(lease!, 30_000);         // k1 sits out 30 s
 * ```
 * @see spec/backends/credentials/key-pool.spec.ts
 */
export class KeyPool {
  private readonly retired: boolean[];
  private readonly coolingUntil: number[];
  private cursor = 0;

  constructor(private readonly keys: readonly string[], private readonly now: () => number) {
    this.retired = keys.map(() => false);
    this.coolingUntil = keys.map(() => 0);
  }

  get size(): number {
    return this.keys.length;
  }

  /** The keys, for masking them out of upstream messages. */
  get secrets(): readonly string[] {
    return this.keys;
  }

  /**
   * The next usable key in rotation order, skipping retired and cooling keys and those in
   * `tried` (the keys this attempt already used); undefined when none is left.
   */
  acquire(tried?: ReadonlySet<number>): KeyLease | undefined {
    const now = this.now();
    const n = this.keys.length;
    for (let step = 0; step < n; step++) {
      const index = (this.cursor + step) % n;
      if (this.retired[index] || this.coolingUntil[index]! > now || tried?.has(index)) continue;
      this.cursor = (index + 1) % n;
      return { key: this.keys[index]!, index };
    }
    return undefined;
  }

  /** The upstream rejected the key (401): never use it again in this process. */
  retire(lease: KeyLease): void {
    this.retired[lease.index] = true;
  }

  /** The upstream rate-limited the key (429): skip it for `ms` (default 60 s). */
  coolDown(lease: KeyLease, ms: number = DEFAULT_COOLDOWN_MS): void {
    this.coolingUntil[lease.index] = Math.max(this.coolingUntil[lease.index]!, this.now() + Math.max(0, ms));
  }

  /**
   * Milliseconds until the first cooling key is usable again: 0 when a key is usable now,
   * undefined when every key is retired (or the pool is empty).
   */
  recoveryMs(): number | undefined {
    const now = this.now();
    let best: number | undefined;
    for (let i = 0; i < this.keys.length; i++) {
      if (this.retired[i]) continue;
      const wait = Math.max(0, this.coolingUntil[i]! - now);
      best = best === undefined ? wait : Math.min(best, wait);
    }
    return best;
  }

  state(): KeyPoolState {
    const now = this.now();
    let usable = 0;
    let cooling = 0;
    let retired = 0;
    for (let i = 0; i < this.keys.length; i++) {
      if (this.retired[i]) retired++;
      else if (this.coolingUntil[i]! > now) cooling++;
      else usable++;
    }
    return { usable, cooling, retired };
  }
}
