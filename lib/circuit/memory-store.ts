import { CircuitTable, DEFAULT_MAX_KEYS } from './circuit-table.js';
import type { AdmitAck, CircuitChange, CircuitListing, CircuitStore, MergeEntry, StoreAck } from './circuit-store.js';
import { mergedOf } from './transitions.js';
import type { CircuitOutcome, CircuitPolicy, CircuitRecord } from './types.js';

/**
 * The in-process circuit store: one `CircuitTable` (the hub) and any number of handles on it,
 * each a `CircuitStore`. A single `lip serve` instance needs no store at all, because its
 * breaker owns a table directly (`LocalCircuitBreaker`). The hub exists so that the shared
 * store suite can hold the memory implementation to the same contract as the Redis one, and
 * so that tests can run several shared breakers in one process without Redis.
 *
 * ```ts
 * const hub = new MemoryCircuitHub(policy);
 * const a = hub.connect('a'), b = hub.connect('b');
 * b.onChange((c) => ...);            // hears a's changes, synchronously
 * await a.record('x:m', 'failure', false, now);
 * ```
 * @see spec/circuit/memory-store.spec.ts
 */
export class MemoryCircuitHub {
  readonly table: CircuitTable;
  private version = 0;
  private readonly listeners = new Set<(change: CircuitChange) => void>();

  /** `maxKeys`: the most circuits it holds; a new one past them is refused (`full`), as Redis does. */
  constructor(policy: CircuitPolicy, readonly maxKeys = DEFAULT_MAX_KEYS) {
    this.table = new CircuitTable(policy, maxKeys);
  }

  /** Whether `key` would be a new circuit past `maxKeys` (expired circuits do not count). */
  full(key: string, now: number): boolean {
    return this.table.get(key, now) === undefined && this.table.size >= this.maxKeys && this.table.entries(now).length >= this.maxKeys;
  }

  connect(origin: string): CircuitStore {
    return new MemoryCircuitStore(this, origin);
  }

  /** Records a change: bumps the version and tells every listener. */
  announce(key: string, record: CircuitRecord | undefined, origin: string, op: number): StoreAck {
    const change: CircuitChange = { key, record, version: ++this.version, origin, op };
    for (const listener of [...this.listeners]) listener(change);
    return change;
  }

  listen(listener: (change: CircuitChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get currentVersion(): number {
    return this.version;
  }
}

class MemoryCircuitStore implements CircuitStore {
  readonly kind = 'memory' as const;
  readonly up = true;
  private readonly unsubscribes = new Set<() => void>();

  constructor(private readonly hub: MemoryCircuitHub, readonly origin: string) {}

  async admit(key: string, now: number, op = 0): Promise<AdmitAck> {
    const table = this.hub.table;
    const before = table.get(key, now);
    const { decision } = table.admit(key, now);
    const after = table.get(key, now);
    return { decision, ...(after !== before ? this.hub.announce(key, after, this.origin, op) : this.unchanged(after)) };
  }

  async record(key: string, outcome: CircuitOutcome, probe: boolean, now: number, op = 0): Promise<StoreAck> {
    if (outcome === 'failure' && this.hub.full(key, now)) return { ...this.unchanged(undefined), full: true };
    const { before, after } = this.hub.table.record(key, outcome, probe, now);
    const stored = this.hub.table.get(key, now);
    return after !== before ? this.hub.announce(key, stored, this.origin, op) : this.unchanged(stored);
  }

  async merge(entries: readonly MergeEntry[], now: number, op = 0): Promise<StoreAck[]> {
    return entries.map(({ key, record }) => {
      const stored = this.hub.table.get(key, now);
      const winner = mergedOf(record, stored);
      if (stored === undefined && !isClean(winner) && this.hub.full(key, now)) return { ...this.unchanged(undefined), full: true as const };
      if (winner !== stored) this.hub.table.put(key, winner);
      return this.hub.announce(key, this.hub.table.get(key, now), this.origin, op);
    });
  }

  async get(key: string, now: number): Promise<CircuitRecord | undefined> {
    return this.hub.table.get(key, now);
  }

  async list(now: number): Promise<CircuitListing> {
    return { records: new Map(this.hub.table.entries(now)), version: this.hub.currentVersion };
  }

  onChange(listener: (change: CircuitChange) => void): () => void {
    const off = this.hub.listen(listener);
    this.unsubscribes.add(off);
    return () => {
      off();
      this.unsubscribes.delete(off);
    };
  }

  onLink(): () => void {
    return () => undefined;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    for (const off of this.unsubscribes) off();
    this.unsubscribes.clear();
  }

  private unchanged(record: CircuitRecord | undefined): StoreAck {
    return { record, version: this.hub.currentVersion };
  }
}

const isClean = (record: CircuitRecord | undefined): boolean => record === undefined || (record.state === 'closed' && record.failures === 0);
