import { responseRowBytes, type ResponseRow } from './response-row.js';

interface Entry {
  readonly row: ResponseRow;
  readonly bytes: number;
  /** Never dropped for the byte budget (ResponseRecord.durable). */
  readonly durable: boolean;
  /** Stored responses that continue this one (`previous_response_id` = this id). */
  readonly children: Set<string>;
}

/** What one principal holds: its bytes (durable ones included) and its droppable entries, oldest first. */
interface Holding {
  bytes: number;
  readonly droppable: Map<string, Entry>;
}

/** How many expired-but-continued entries one sweep may step over (keeps sweeps O(1)). */
const SWEEP_SCAN = 256;

/**
 * Stored responses of the memory store, in the order they were saved. Retention, the same as
 * the SQLite store's: a response lives for `ttl` after it was created, and beyond that as long as
 * a stored response continues it (a conversation lives as long as its newest turn; when that
 * one goes, its ancestors follow). On top, a byte budget: past it the oldest responses are
 * dropped even if continued (a later continuation of them then answers 404, saying why); a
 * durable one (a batch's records) counts in it but is never dropped for it, only at `ttl`.
 * @see spec/continuity/memory-responses.spec.ts
 */
export class MemoryResponses {
  private readonly entries = new Map<string, Entry>();
  private readonly holdings = new Map<string, Holding>();
  private bytes = 0;

  constructor(private ttlMs: number, private maxBytes: number) {}

  /** New limits (a reload): what they leave expired or over the budget goes now. */
  reconfigure(ttlMs: number, maxBytes: number, now: number): void {
    this.ttlMs = ttlMs;
    this.maxBytes = maxBytes;
    this.sweep(now);
  }

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  /** The bytes `principal`'s stored responses take (durable ones included). */
  bytesOf(principal: string): number {
    return this.holdings.get(principal)?.bytes ?? 0;
  }

  get(id: string): ResponseRow | undefined {
    return this.entries.get(id)?.row;
  }

  /** The stored responses that continue `id`. */
  continuations(id: string): ResponseRow[] {
    return [...this.entries.get(id)?.children ?? []].flatMap((child) => {
      const entry = this.entries.get(child);
      return entry ? [entry.row] : [];
    });
  }

  /**
   * Keeps `row`; one that replaces a row of the same id (a record saved again) keeps the count of
   * what continues it, and the parent it leaves is not dropped here even when expired (a sweep
   * drops it once it is an expired leaf). `durable`: never dropped for the byte budget.
   */
  put(row: ResponseRow, now: number, durable = false): void {
    const old = this.entries.get(row.response_id);
    if (old) {
      this.unlist(row.response_id, old);
      const left = old.row.previous_response_id === null ? undefined : this.entries.get(old.row.previous_response_id);
      left?.children.delete(row.response_id);
    }
    const entry: Entry = { row, bytes: responseRowBytes(row), durable, children: old?.children ?? new Set() };
    this.list(row.response_id, entry);
    const parent = row.previous_response_id === null ? undefined : this.entries.get(row.previous_response_id);
    parent?.children.add(row.response_id);
    this.sweep(now, row.response_id);
  }

  private timeExpired(entry: Entry, now: number): boolean {
    return now - entry.row.created_at >= this.ttlMs;
  }

  /**
   * Drops expired leaves (oldest first) and, past the byte budget, the fair-share victims
   * (`keep`, the response that needs the room, stays).
   */
  sweep(now: number, keep?: string): void {
    let scanned = 0;
    for (const [id, entry] of this.entries) {
      if (!this.timeExpired(entry, now) || ++scanned > SWEEP_SCAN) break;
      if (entry.children.size === 0) this.delete(id, now);
    }
    while (this.bytes > this.maxBytes) {
      const victim = this.fairShareVictim(keep);
      if (victim === undefined) break;
      this.delete(victim, now);
    }
  }

  /**
   * The response to drop past the budget: the oldest one that is not durable (nor `keep`) of the
   * principal holding the most bytes among those holding any that is not durable; among equal
   * holdings, the one whose oldest is older. Undefined when that principal holds nothing else but
   * `keep`: it stays over its share by the one response it just saved (the next save drops it)
   * rather than push out a principal holding less. O(principals holding responses).
   */
  private fairShareVictim(keep: string | undefined): string | undefined {
    let top: Holding | undefined;
    let topOldest = 0;
    for (const holding of this.holdings.values()) {
      const first = holding.droppable.values().next();
      if (first.done === true) continue;
      const oldest = first.value.row.created_at;
      if (!top || holding.bytes > top.bytes || (holding.bytes === top.bytes && oldest < topOldest)) {
        top = holding;
        topOldest = oldest;
      }
    }
    for (const id of top?.droppable.keys() ?? []) if (id !== keep) return id;
    return undefined;
  }

  private list(id: string, entry: Entry): void {
    this.entries.set(id, entry);
    this.bytes += entry.bytes;
    let holding = this.holdings.get(entry.row.principal);
    if (!holding) this.holdings.set(entry.row.principal, (holding = { bytes: 0, droppable: new Map() }));
    holding.bytes += entry.bytes;
    if (!entry.durable) holding.droppable.set(id, entry);
  }

  private unlist(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.bytes -= entry.bytes;
    const holding = this.holdings.get(entry.row.principal);
    if (!holding) return;
    holding.bytes -= entry.bytes;
    holding.droppable.delete(id);
    if (holding.bytes <= 0 && holding.droppable.size === 0) this.holdings.delete(entry.row.principal);
  }

  /** Removes one response; a parent left expired and without continuations goes with it. */
  delete(id: string, now: number): void {
    let next: string | null = id;
    while (next !== null) {
      const entry = this.entries.get(next);
      if (!entry) return;
      this.unlist(next, entry);
      const parentId = entry.row.previous_response_id;
      const parent = parentId === null ? undefined : this.entries.get(parentId);
      if (!parent) return;
      parent.children.delete(next);
      next = parent.children.size === 0 && this.timeExpired(parent, now) ? parentId : null;
    }
  }

  clear(): void {
    this.entries.clear();
    this.holdings.clear();
    this.bytes = 0;
  }
}
