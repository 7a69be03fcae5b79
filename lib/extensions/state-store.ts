import { formatSize } from '../config/units.js';
import { fairShareCuts } from '../continuity/fair-share.js';
import { ExpiryHeap, type ExpiryItem } from './expiry-heap.js';

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
  /** Adds `by` to the integer at `key` (0 when there is none) in one step, as a `put` of the sum with `ttlMs` would; resolves the sum. */
  incr(key: string, by: number, ttlMs?: number): Promise<number>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

/** How `incr` refuses a value that is not an integer (a TypeError), in every store. */
export const INCR_NOT_INTEGER = 'incr: the value is not an integer';

/** One feature's values in one scope instance. */
export interface ScopedState {
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** `ttlMs`: more than 0 and at most 2^53-1; any other rejects with a TypeError and keeps nothing. */
  put(key: string, value: unknown, options?: { readonly ttlMs?: number }): Promise<void>;
  /**
   * Adds `by` (an integer, 1 by default) to the integer at `key` (0 when there is none) in one
   * step, however many requests and lip instances do so at once, and resolves the sum. `ttlMs`
   * as in `put`: the count expires that long after this increment (without it, never; request
   * scope: 10 minutes). A value that is not an integer rejects with a TypeError and stays.
   */
  incr(key: string, by?: number, options?: { readonly ttlMs?: number }): Promise<number>;
  delete(key: string): Promise<void>;
}

export const REQUEST_SCOPE_TTL_MS = 10 * 60_000;

/** The bounds of plugin state (docs/extensions.md#limits). */
export interface StateLimits {
  /** How many values a memory store holds (every feature, scope and principal together). */
  readonly maxEntries: number;
  /** The bytes a memory store's values take, counted as their keys' and JSON texts' UTF-8 bytes. */
  readonly maxBytes: number;
  /** One value's JSON text, in UTF-8 bytes (every store). */
  readonly maxValueBytes: number;
}

export const STATE_LIMITS: StateLimits = { maxEntries: 100_000, maxBytes: 64 * 1024 ** 2, maxValueBytes: 1024 ** 2 };

/**
 * `value` as a store keeps it, its JSON text: a TypeError when it has none (undefined, a
 * function), a RangeError when that text is over `maxValueBytes`.
 */
export function stateJson(value: unknown, maxValueBytes = STATE_LIMITS.maxValueBytes): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('state values must be JSON (got undefined or a function)');
  // At most 3 UTF-8 bytes per UTF-16 unit: a short text needs no count.
  if (json.length * 3 > maxValueBytes) {
    const bytes = Buffer.byteLength(json);
    if (bytes > maxValueBytes) throw new RangeError(`a state value must be at most ${formatSize(maxValueBytes)} as JSON (this one is ${bytes} bytes)`);
  }
  return json;
}

const encode = (part: string) => part.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));

/** The feature a key of `scopedState` belongs to (encoded, which is as good for telling them apart); '' for any other key. */
const featureOf = (key: string) => (key.startsWith('ext:') ? key.slice(4, key.indexOf(':', 4)) : '');

/**
 * The view of `store` for `feature` in `scope` (instance `scopeKey`: a request id, an A-leg id,
 * a principal, or '' for global). A `ttlMs` that is not a number more than 0 and at most 2^53-1
 * is refused here, for every store alike (memory kept NaN or Infinity forever and took 0 or a
 * negative one as already expired; Redis refused NaN and Infinity and took 0 or less as 1 ms).
 */
export function scopedState(store: StateStore, feature: string, scope: StateScope, scopeKey: string): ScopedState {
  const prefix = `ext:${encode(feature)}:${scope}:${encode(scopeKey)}:`;
  const defaultTtl = scope === 'request' ? REQUEST_SCOPE_TTL_MS : undefined;
  const ttlOf = (options: { readonly ttlMs?: number } | undefined) => {
    const ttlMs = options?.ttlMs;
    if (ttlMs !== undefined && !(typeof ttlMs === 'number' && ttlMs > 0 && ttlMs <= Number.MAX_SAFE_INTEGER)) {
      throw new TypeError(`ttlMs must be a number of milliseconds more than 0 and at most ${Number.MAX_SAFE_INTEGER} (got ${shown(ttlMs)})`);
    }
    return ttlMs ?? defaultTtl;
  };
  return {
    get: (key) => store.get(prefix + key) as Promise<never>,
    put: async (key, value, options) => store.put(prefix + key, value, ttlOf(options)),
    incr: async (key, by = 1, options) => {
      if (!Number.isSafeInteger(by)) throw new TypeError(`by must be an integer of at most 2^53-1 either way (got ${shown(by)})`);
      return store.incr(prefix + key, by, ttlOf(options));
    },
    delete: (key) => store.delete(prefix + key),
  };
}

const shown = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : String(value));


interface Entry extends ExpiryItem {
  readonly key: string;
  readonly json: string;
  /** Its key's and JSON text's UTF-8 bytes. */
  readonly bytes: number;
  readonly holding: Holding;
}

/** One feature's values, in the order they are evicted, and the bytes they take. */
interface Holding {
  readonly feature: string;
  readonly queue: ExpiryHeap<Entry>;
  bytes: number;
}

/**
 * The in-process store: values are kept as JSON text (so a caller mutating its object after
 * `put` changes nothing, as with Redis), expired lazily on read, within `limits` (STATE_LIMITS
 * by default): `maxEntries` values and `maxBytes` bytes. A `put` that would pass either first
 * drops the expired values, then sheds by the fair-share rule of `continuity.max_legs` among
 * the features (fair-share.ts, by count for `maxEntries`, by bytes for `maxBytes`): the feature
 * holding the most gives up its values that expire next, its values without a TTL last (the
 * oldest first), so a feature that floods the store pushes out its own values, never those of
 * a feature holding less. A value over `maxValueBytes` is refused (stateJson).
 * @see spec/extensions/regression-state-store-eviction.spec.ts
 */
export class MemoryStateStore implements StateStore {
  readonly kind = 'memory' as const;
  readonly limits: StateLimits;
  private readonly map = new Map<string, Entry>();
  private readonly holdings = new Map<string, Holding>();
  private used = 0;
  private seq = 0;

  constructor(limits: Partial<StateLimits> = {}, private readonly now: () => number = Date.now) {
    this.limits = { ...STATE_LIMITS, ...limits };
  }

  /** How many values it holds (expired ones not yet dropped included). */
  get size(): number {
    return this.map.size;
  }

  /** The bytes its values take. */
  get bytes(): number {
    return this.used;
  }

  async get(key: string): Promise<unknown> {
    const entry = this.live(key);
    return entry === undefined ? undefined : (JSON.parse(entry.json) as unknown);
  }

  async put(key: string, value: unknown, ttlMs?: number): Promise<void> {
    this.write(key, stateJson(value, this.limits.maxValueBytes), ttlMs);
  }

  async incr(key: string, by: number, ttlMs?: number): Promise<number> {
    const entry = this.live(key);
    const current = entry === undefined ? 0 : (JSON.parse(entry.json) as unknown);
    if (!Number.isSafeInteger(current)) throw new TypeError(INCR_NOT_INTEGER);
    const sum = (current as number) + by;
    if (!Number.isSafeInteger(sum)) throw new RangeError('incr: the sum would pass 2^53-1');
    this.write(key, String(sum), ttlMs);
    return sum;
  }

  async delete(key: string): Promise<void> {
    const entry = this.map.get(key);
    if (entry) this.remove(entry);
  }

  async close(): Promise<void> {
    this.map.clear();
    this.holdings.clear();
    this.used = 0;
  }

  /** The entry of `key` unless it expired (then it is dropped). */
  private live(key: string): Entry | undefined {
    const entry = this.map.get(key);
    if (entry === undefined || entry.expiresAt > this.now()) return entry;
    this.remove(entry);
    return undefined;
  }

  private write(key: string, json: string, ttlMs: number | undefined): void {
    const old = this.map.get(key);
    if (old) this.remove(old);
    const bytes = Buffer.byteLength(key) + Buffer.byteLength(json);
    this.makeRoom(bytes);
    const feature = featureOf(key);
    let holding = this.holdings.get(feature);
    if (!holding) this.holdings.set(feature, (holding = { feature, queue: new ExpiryHeap(), bytes: 0 }));
    const entry: Entry = { key, json, bytes, holding, expiresAt: ttlMs === undefined ? Infinity : this.now() + ttlMs, seq: this.seq++, at: -1 };
    this.map.set(key, entry);
    holding.queue.push(entry);
    holding.bytes += bytes;
    this.used += bytes;
  }

  /** Room for one more value of `bytes`: the expired values go, then the fair-share victims. */
  private makeRoom(bytes: number): void {
    const { maxEntries, maxBytes } = this.limits;
    if (this.map.size < maxEntries && this.used + bytes <= maxBytes) return;
    const now = this.now();
    for (const holding of this.holdings.values()) {
      for (let entry = holding.queue.peek(); entry !== undefined && entry.expiresAt <= now; entry = holding.queue.peek()) this.remove(entry);
    }
    this.shed(this.map.size + 1 - maxEntries, (h) => h.queue.size, () => 1);
    this.shed(this.used + bytes - maxBytes, (h) => h.bytes, (e) => e.bytes);
  }

  /** Sheds `over` (values or bytes, as `held` and `size` count them) from the features holding the most. */
  private shed(over: number, held: (h: Holding) => number, size: (e: Entry) => number): void {
    if (over <= 0) return;
    const cuts = fairShareCuts(new Map([...this.holdings].map(([feature, h]) => [feature, held(h)])), over);
    for (const [feature, cut] of cuts) {
      const queue = this.holdings.get(feature)!.queue;
      for (let freed = 0, entry = queue.peek(); entry !== undefined && freed < cut; entry = queue.peek()) {
        freed += size(entry);
        this.remove(entry);
      }
    }
  }

  private remove(entry: Entry): void {
    this.map.delete(entry.key);
    const holding = entry.holding;
    holding.queue.remove(entry);
    holding.bytes -= entry.bytes;
    this.used -= entry.bytes;
    if (holding.queue.size === 0) this.holdings.delete(holding.feature);
  }
}
