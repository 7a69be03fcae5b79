/** What a pool knows of one API key: retired by a 401, or cooling down after a 429 until `coolingUntil`. */
export interface KeyState {
  retired: boolean;
  /** Milliseconds on the pool's clock (epoch milliseconds in a server); 0: not cooling. */
  coolingUntil: number;
  /** The cool-down is for a spent quota (KeyPool.spend), not a rate limit. */
  quotaSpent?: boolean;
}

/**
 * The API keys' states of one runtime, carried into the next one a reload builds. A reload
 * rebuilds every backend and its key pool; a key still configured for the same upstream (the
 * same backend id, kind and `base_url`) keeps its state: a key retired by a 401 stays retired,
 * one cooling down after a 429 stays out until its time. The two runtimes share the state (one
 * object per key), so what a request still running on the replaced runtime learns reaches the
 * new one too. A key the new config no longer has is forgotten: configured again by a later
 * reload, it starts fresh, as does a key whose backend now points elsewhere.
 *
 * ```ts
 * const states = new KeyStates(running.keyStates);    // at a reload
 * const state = states.of(keyScope(row), keyFingerprint(key));
 * ```
 * @see spec/backends/credentials/key-states.spec.ts
 */
export class KeyStates {
  /** The states this runtime's pools took, by scope and key fingerprint. */
  private readonly taken = new Map<string, KeyState>();
  /** The previous runtime's (a copy of its map, so that no chain of runtimes is kept alive). */
  private readonly inherited: ReadonlyMap<string, KeyState>;

  constructor(previous?: KeyStates) {
    this.inherited = new Map(previous?.taken);
  }

  /** The state of the key with `fingerprint` in the pool of `scope`: the previous runtime's, or a fresh one. */
  of(scope: string, fingerprint: string): KeyState {
    const name = `${scope}\n${fingerprint}`;
    const state = this.taken.get(name) ?? this.inherited.get(name) ?? { retired: false, coolingUntil: 0 };
    this.taken.set(name, state);
    return state;
  }
}

/** The scope of a backend row's keys: its id, kind and `base_url` (a key carries its state only to the same upstream). */
export function keyScope(row: { readonly id: string; readonly kind: string; readonly base_url?: unknown }): string {
  return JSON.stringify([row.id, row.kind, row.base_url ?? null]);
}
