import { createHash } from 'node:crypto';
import type { KeyState } from './key-states.js';

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
 * How long a key whose quota the upstream says is spent (OpenAI's `insufficient_quota`, a Gemini
 * per-day quota) sits out: no wait of seconds renews it, and neither does a time lip can know
 * (credit added to the account, the day's end in the provider's time zone), so the key is tried
 * again once an hour rather than retired for good as after a 401.
 */
export const QUOTA_COOLDOWN_MS = 3_600_000;

/** How a pool keeps and shares its keys' states (all optional). */
export interface KeyPoolOptions {
  /** Where cool-downs are shared with other instances; keys are named there by `backendId`. */
  readonly cooldowns?: SharedCooldowns;
  readonly backendId?: string;
  /** Each key's state by its fingerprint (KeyStates: carried across reloads); fresh ones when absent. */
  readonly stateOf?: (fingerprint: string) => KeyState;
}

/**
 * The API keys of one backend, rotated round-robin across requests. A key the upstream
 * rejects (401) is retired for the life of the process; a rate-limited key (429) cools down
 * until its Retry-After has passed, one whose quota is spent for an hour (spend). Time comes
 * from the injected clock (the backend passes its scheduler's `now`), so cooldowns are testable
 * in virtual time. With `cooldowns`, a cool-down is
 * announced to the other instances and theirs apply here (retirement stays in each process:
 * each learns from its own 401). With `stateOf`, the keys' states outlive the pool: a reload's
 * new pool takes them over (KeyStates).
 *
 * ```ts
 * const pool = new KeyPool(['k1', 'k2'], () => scheduler.now());
 * const lease = pool.acquire();          // k1, next time k2
 * pool.coolDown(lease!, 30_000);         // k1 sits out 30 s
 * ```
 * @see spec/backends/credentials/key-pool.spec.ts
 */
export class KeyPool {
  private readonly states: readonly KeyState[];
  private cursor = 0;
  private readonly shared: { readonly cooldowns: SharedCooldowns; readonly backendId: string; readonly fingerprints: readonly string[]; readonly stop: () => void } | undefined;

  constructor(private readonly keys: readonly string[], private readonly now: () => number, options: KeyPoolOptions = {}) {
    const fingerprints = keys.map(keyFingerprint);
    const { cooldowns, backendId, stateOf } = options;
    this.states = fingerprints.map((fingerprint) => stateOf?.(fingerprint) ?? { retired: false, coolingUntil: 0 });
    if (cooldowns === undefined || backendId === undefined || keys.length === 0) return;
    const stop = cooldowns.follow(backendId, fingerprints, (fingerprint, until) => {
      const state = this.states[fingerprints.indexOf(fingerprint)];
      if (state) state.coolingUntil = Math.max(state.coolingUntil, until);
    });
    this.shared = { cooldowns, backendId, fingerprints, stop };
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
      const state = this.states[index]!;
      if (state.retired || state.coolingUntil > now || tried?.has(index)) continue;
      this.cursor = (index + 1) % n;
      return { key: this.keys[index]!, index };
    }
    return undefined;
  }

  /** The upstream rejected the key (401): never use it again in this process. */
  retire(lease: KeyLease): void {
    this.states[lease.index]!.retired = true;
  }

  /** The upstream rate-limited the key (429): skip it for `ms` (default 60 s). */
  coolDown(lease: KeyLease, ms: number = DEFAULT_COOLDOWN_MS): void {
    const until = this.now() + Math.max(0, ms);
    const state = this.states[lease.index]!;
    if (until <= state.coolingUntil) return;
    state.coolingUntil = until;
    state.quotaSpent = false;
    this.shared?.cooldowns.announce(this.shared.backendId, this.shared.fingerprints[lease.index]!, until);
  }

  /**
   * The upstream says the key's quota is spent (a 429 `insufficient_quota`): skip it for `ms`
   * (default QUOTA_COOLDOWN_MS, an hour), as a cool-down that quotaSpent() tells from a rate limit.
   */
  spend(lease: KeyLease, ms: number = QUOTA_COOLDOWN_MS): void {
    this.coolDown(lease, ms);
    this.states[lease.index]!.quotaSpent = true;
  }

  /**
   * Whether every key not retired is out because its quota is spent (and one is): no key
   * recovers within a wait worth telling a client.
   */
  quotaSpent(): boolean {
    const now = this.now();
    const left = this.states.filter((state) => !state.retired);
    return left.length > 0 && left.every((state) => state.quotaSpent === true && state.coolingUntil > now);
  }

  /**
   * Milliseconds until the first cooling key is usable again: 0 when a key is usable now,
   * undefined when every key is retired (or the pool is empty).
   */
  recoveryMs(): number | undefined {
    const now = this.now();
    let best: number | undefined;
    for (const state of this.states) {
      if (state.retired) continue;
      const wait = Math.max(0, state.coolingUntil - now);
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
    for (const state of this.states) {
      if (state.retired) retired++;
      else if (state.coolingUntil > now) cooling++;
      else usable++;
    }
    return { usable, cooling, retired };
  }
}
