import type { CircuitListing } from './circuit-store.js';
import type { CircuitTable } from './circuit-table.js';
import { admit, applyOutcome, mergedOf } from './transitions.js';
import type { CircuitOutcome, CircuitPolicy, CircuitRecord } from './types.js';

/** An operation this instance applied locally and sent to the store, not yet acknowledged. */
export type PendingOp =
  | { readonly kind: 'admit'; readonly id: number; readonly now: number }
  | { readonly kind: 'record'; readonly id: number; readonly outcome: CircuitOutcome; readonly probe: boolean; readonly now: number }
  | { readonly kind: 'merge'; readonly id: number; readonly record: CircuitRecord };

/** Told when a circuit's visible state changes because of store news. */
export type MirrorListener = (key: string, before: CircuitRecord | undefined, after: CircuitRecord | undefined, origin: 'local' | 'remote') => void;

interface Pending {
  base: CircuitRecord | undefined;
  readonly ops: PendingOp[];
}

/**
 * The shared breaker's local copy of the store, kept in its `CircuitTable` so that checks stay
 * synchronous. The copy is optimistic: this instance applies its own operations at once, then
 * sends them. What the store says is authoritative, and it arrives in two ways, the reply to an
 * operation and the change announcement (which may come first). So per key the mirror keeps:
 *
 * * the last authoritative record (`base`) while own operations are in flight, plus those
 *   operations. What checks see is the base with the pending operations replayed on it, so an
 *   acknowledgement never rolls back an operation still in flight, and a transient state can
 *   never produce a spurious transition;
 * * the version of the newest news applied, so older news (a reply overtaken by an
 *   announcement) is ignored. Keys never seen count as the `floor`, which is the version of
 *   the last full listing.
 *
 * ```
 * local failure (op 7) ─▶ visible f=1          (base f=0, pending [7])
 * announcement v12 from another instance, f=1 ─▶ base f=1, visible f=2 (7 replayed)
 * reply to op 7: v13, f=2 ─▶ base f=2, pending [], visible f=2
 * ```
 * @see spec/circuit/circuit-mirror.spec.ts
 */
export class CircuitMirror {
  private readonly versions = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();
  private floor = 0;
  /** The highest version of any news or listing since the last listing. */
  private latest = 0;

  constructor(readonly table: CircuitTable, private readonly listener: MirrorListener) {}

  /** Registers an op about to be sent; `before` is the visible record before it was applied. */
  begin(key: string, op: PendingOp, before: CircuitRecord | undefined): void {
    const entry = this.pending.get(key);
    if (entry) entry.ops.push(op);
    else this.pending.set(key, { base: before, ops: [op] });
  }

  /** The store acknowledged op `id` (its reply, or its own announcement, whichever came first). */
  ack(key: string, id: number, version: number, record: CircuitRecord | undefined, now: number): void {
    const entry = this.pending.get(key);
    const at = entry ? entry.ops.findIndex((op) => op.id === id) : -1;
    if (at >= 0) entry!.ops.splice(at, 1);
    // Stale news: the base already includes this op; show the base with the ops still in flight.
    if (!this.accept(key, version, record, entry, now, 'local') && at >= 0) this.show(key, entry!, now, 'local');
  }

  /** News from the store that is not about an own pending op. */
  news(key: string, version: number, record: CircuitRecord | undefined, now: number, origin: 'local' | 'remote' = 'remote'): void {
    this.accept(key, version, record, this.pending.get(key), now, origin);
  }

  /** Forgets an op whose fate is unknown (the store did not answer); the visible record stays. */
  abandon(key: string, id: number): void {
    const entry = this.pending.get(key);
    if (!entry) return;
    const at = entry.ops.findIndex((op) => op.id === id);
    if (at >= 0) entry.ops.splice(at, 1);
    if (entry.ops.length === 0) this.pending.delete(key);
  }

  /**
   * Whether the store lost its data (Redis restarted without persistence, FLUSHALL) since the
   * news this copy last applied, so that the circuits this copy holds and `listing` lacks are
   * news the store no longer has, not circuits that closed: the listing is older than that news
   * (this caller found the counter gone), or the counter was started again after it (another
   * caller found it gone first: `epoch`).
   */
  predates(listing: CircuitListing): boolean {
    return listing.version < this.latest || (listing.epoch ?? 0) > this.latest;
  }

  /** Replaces the copy with a full listing, except the keys `keep` says are still local news. */
  reset(listing: CircuitListing, keep: (key: string) => boolean, now: number): void {
    for (const key of [...this.table.keys()]) {
      if (!keep(key) && !listing.records.has(key)) this.replace(key, undefined, now, 'remote');
    }
    for (const [key, record] of listing.records) if (!keep(key)) this.replace(key, record, now, 'remote');
    for (const key of [...this.pending.keys()]) if (!keep(key)) this.pending.delete(key);
    this.versions.clear();
    this.floor = listing.version;
    this.latest = Math.max(listing.version, listing.epoch ?? 0);
  }

  /** Keys with operations in flight (for tests and diagnostics). */
  get inFlight(): number {
    let n = 0;
    for (const entry of this.pending.values()) n += entry.ops.length;
    return n;
  }

  /** Applies authoritative news when newer than what is known; true when it did. */
  private accept(key: string, version: number, record: CircuitRecord | undefined, entry: Pending | undefined, now: number, origin: 'local' | 'remote'): boolean {
    if (version > this.latest) this.latest = version;
    if (version <= (this.versions.get(key) ?? this.floor)) return false;
    this.versions.set(key, version);
    if (this.versions.size > 2 * this.table.size + 1_000) this.pruneVersions();
    if (entry) {
      entry.base = record;
      this.show(key, entry, now, origin);
    } else {
      this.replace(key, record, now, origin);
    }
    return true;
  }

  private show(key: string, entry: Pending, now: number, origin: 'local' | 'remote'): void {
    if (entry.ops.length === 0) this.pending.delete(key);
    const policy = this.table.policy;
    this.replace(key, entry.ops.reduce((record, op) => replay(record, op, policy), entry.base), now, origin);
  }

  private replace(key: string, record: CircuitRecord | undefined, now: number, origin: 'local' | 'remote'): void {
    const before = this.table.get(key, now);
    this.table.put(key, record);
    const after = this.table.get(key, now);
    if ((before?.state ?? 'closed') !== (after?.state ?? 'closed')) this.listener(key, before, after, origin);
  }

  /** Versions of keys the table no longer holds are only needed for a moment; drop them. */
  private pruneVersions(): void {
    for (const key of this.versions.keys()) {
      if (!this.table.has(key) && !this.pending.has(key)) this.versions.delete(key);
    }
  }
}

/** One pending op applied again on a newer base, exactly as the store will apply it. */
function replay(record: CircuitRecord | undefined, op: PendingOp, policy: CircuitPolicy): CircuitRecord | undefined {
  if (op.kind === 'admit') return admit(record, op.now, policy).record;
  if (op.kind === 'record') return applyOutcome(record, op.outcome, op.probe, op.now, policy);
  return mergedOf(op.record, record);
}
