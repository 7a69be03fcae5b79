import { createHash } from 'node:crypto';

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

/**
 * Where pools share their keys' cool-downs with other instances (`routing.circuit_breaker.store:
 * redis`): a key is named by its backend id and a fingerprint (never the key), times are
 * milliseconds since the epoch.
 */
export interface SharedCooldowns {
  /** Says that the key cools down until `until` (a cool-down is only ever extended). */
  announce(backendId: string, fingerprint: string, until: number): void;
  /**
   * Calls `apply` with the cool-downs of these keys announced by any instance (those in effect
   * now, then each new one) until the returned function is called.
   */
  follow(backendId: string, fingerprints: readonly string[], apply: (fingerprint: string, until: number) => void): () => void;
}

/** A key's name among instances: the first 16 bytes of its SHA-256, base64url (the key itself never leaves the process). */
export function keyFingerprint(key: string): string {
  return createHash('sha256').update(key).digest().subarray(0, 16).toString('base64url');
}

/** A pool as `GET /admin/keys` shows it: its counts, when the first cooling key is usable again, and whether cool-downs are shared. */
export interface KeyPoolView extends KeyPoolState {
  readonly keys: number;
  /** Milliseconds until a cooling key is usable again (0: one is usable now; null: every key is retired, or there is none). */
  readonly usable_in_ms: number | null;
  readonly shared_cooldowns: boolean;
}

/** The cooldown after a 429 that gave no Retry-After (CONTRACT section 6). */
export const DEFAULT_COOLDOWN_MS = 60_000;

/**
 * The API keys of one backend, rotated round-robin across requests. A key the upstream
 * rejects (401) is retired for the life of the process; a rate-limited key (429) cools down
 * until its Retry-After has passed. Time comes from the injected clock (the backend passes its
 * scheduler's `now`), so cooldowns are testable in virtual time. With `shared`, a cool-down is
 * announced to the other instances and theirs apply here (retirement stays in each process:
 * each learns from its own 401).
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
  private readonly shared: { readonly cooldowns: SharedCooldowns; readonly backendId: string; readonly fingerprints: readonly string[]; readonly stop: () => void } | undefined;

  constructor(private readonly keys: readonly string[], private readonly now: () => number, shared?: { readonly cooldowns: SharedCooldowns; readonly backendId: string }) {
    this.retired = keys.map(() => false);
    this.coolingUntil = keys.map(() => 0);
    if (shared === undefined || keys.length === 0) return;
    const fingerprints = keys.map(keyFingerprint);
    const stop = shared.cooldowns.follow(shared.backendId, fingerprints, (fingerprint, until) => {
      const index = fingerprints.indexOf(fingerprint);
      if (index >= 0) this.coolingUntil[index] = Math.max(this.coolingUntil[index]!, until);
    });
    this.shared = { ...shared, fingerprints, stop };
  }

  /** Stops following the other instances' cool-downs (the backend closes). */
  close(): void {
    this.shared?.stop();
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
    const until = this.now() + Math.max(0, ms);
    if (until <= this.coolingUntil[lease.index]!) return;
    this.coolingUntil[lease.index] = until;
    this.shared?.cooldowns.announce(this.shared.backendId, this.shared.fingerprints[lease.index]!, until);
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

  /** The pool for diagnostics (never the keys). */
  view(): KeyPoolView {
    return { keys: this.keys.length, ...this.state(), usable_in_ms: this.recoveryMs() ?? null, shared_cooldowns: this.shared !== undefined };
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
