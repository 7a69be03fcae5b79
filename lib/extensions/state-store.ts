/**
 * Plugin state: a key-value store with TTLs behind one small interface, two implementations
 * (memory, Redis) that pass one contract suite. Plugins never see raw keys: `scopedState` binds
 * a feature id and a scope (`request`, `session`, `principal`, `global`) into a prefix, so two
 * features, two sessions or two principals never read each other's values.
 * @see spec/extensions/state-store-suite.ts
 */
export type StateScope = 'request' | 'session' | 'principal' | 'global';

export const STATE_SCOPES: readonly StateScope[] = ['request', 'session', 'principal', 'global'];

/** Values are JSON; `ttlMs` bounds their life (request-scoped values default to 10 minutes). */
export interface StateStore {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

/** One feature's values in one scope instance. */
export interface ScopedState {
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** `ttlMs`: more than 0 and at most 2^53-1; any other rejects with a TypeError and keeps nothing. */
  put(key: string, value: unknown, options?: { readonly ttlMs?: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

export const REQUEST_SCOPE_TTL_MS = 10 * 60_000;

const encode = (part: string) => part.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));

/**
 * The view of `store` for `feature` in `scope` (instance `scopeKey`: a request id, an A-leg id,
 * a principal, or '' for global). A `ttlMs` that is not a number more than 0 and at most 2^53-1
 * is refused here, for every store alike (memory kept NaN or Infinity forever and took 0 or a
 * negative one as already expired; Redis refused NaN and Infinity and took 0 or less as 1 ms).
 */
export function scopedState(store: StateStore, feature: string, scope: StateScope, scopeKey: string): ScopedState {
  const prefix = `ext:${encode(feature)}:${scope}:${encode(scopeKey)}:`;
  const defaultTtl = scope === 'request' ? REQUEST_SCOPE_TTL_MS : undefined;
  return {
    get: (key) => store.get(prefix + key) as Promise<never>,
    put: (key, value, options) => {
      const ttlMs = options?.ttlMs;
      if (ttlMs !== undefined && !(typeof ttlMs === 'number' && ttlMs > 0 && ttlMs <= Number.MAX_SAFE_INTEGER)) {
        return Promise.reject(new TypeError(`ttlMs must be a number of milliseconds more than 0 and at most ${Number.MAX_SAFE_INTEGER} (got ${typeof ttlMs === 'string' ? JSON.stringify(ttlMs) : String(ttlMs)})`));
      }
      return store.put(prefix + key, value, ttlMs ?? defaultTtl);
    },
    delete: (key) => store.delete(prefix + key),
  };
}

interface Entry {
  readonly json: string;
  readonly expiresAt: number | undefined;
}

/**
 * The in-process store: values are kept as JSON text (so a caller mutating its object after
 * `put` changes nothing, as with Redis), expired lazily on read and swept when the map is full;
 * beyond `capacity` the oldest entries go first.
 */
export class MemoryStateStore implements StateStore {
  readonly kind = 'memory' as const;
  private readonly map = new Map<string, Entry>();

  constructor(private readonly capacity = 100_000, private readonly now: () => number = Date.now) {}

  async get(key: string): Promise<unknown> {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= this.now()) {
      this.map.delete(key);
      return undefined;
    }
    return JSON.parse(entry.json) as unknown;
  }

  async put(key: string, value: unknown, ttlMs?: number): Promise<void> {
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError('state values must be JSON (got undefined or a function)');
    this.map.delete(key);
    if (this.map.size >= this.capacity) this.sweep();
    this.map.set(key, { json, expiresAt: ttlMs === undefined ? undefined : this.now() + ttlMs });
  }

  async delete(key: string): Promise<void> {
    this.map.delete(key);
  }

  async close(): Promise<void> {
    this.map.clear();
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.map) if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.map.delete(key);
    while (this.map.size >= this.capacity) this.map.delete(this.map.keys().next().value!);
  }
}
