import { responseRowBytes, type ResponseRow } from './response-row.js';

interface Entry {
  readonly row: ResponseRow;
  readonly bytes: number;
  /** Never dropped for the byte budget (ResponseRecord.durable). */
  readonly durable: boolean;
  /** Stored responses that continue this one (`previous_response_id` = this id). */
  readonly children: Set<string>;
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
 * @see spec/continuity/memory-store.spec.ts
 */
export class MemoryResponses {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly ttlMs: number, private readonly maxBytes: number) {}

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
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
      this.entries.delete(row.response_id);
      this.bytes -= old.bytes;
      const left = old.row.previous_response_id === null ? undefined : this.entries.get(old.row.previous_response_id);
      left?.children.delete(row.response_id);
    }
    const entry: Entry = { row, bytes: responseRowBytes(row), durable, children: old?.children ?? new Set() };
    this.entries.set(row.response_id, entry);
    this.bytes += entry.bytes;
    const parent = row.previous_response_id === null ? undefined : this.entries.get(row.previous_response_id);
    parent?.children.add(row.response_id);
    this.sweep(now, row.response_id);
  }

  private timeExpired(entry: Entry, now: number): boolean {
    return now - entry.row.created_at >= this.ttlMs;
  }

  /** Drops expired leaves (oldest first) and, past the byte budget, the oldest responses that are not durable. */
  sweep(now: number, keep?: string): void {
    let scanned = 0;
    for (const [id, entry] of this.entries) {
      const overBudget = this.bytes > this.maxBytes && id !== keep;
      const expired = this.timeExpired(entry, now);
      if (!overBudget && (!expired || ++scanned > SWEEP_SCAN)) break;
      if ((overBudget && !entry.durable) || (expired && entry.children.size === 0)) this.delete(id, now);
    }
  }

  /** Removes one response; a parent left expired and without continuations goes with it. */
  delete(id: string, now: number): void {
    let next: string | null = id;
    while (next !== null) {
      const entry = this.entries.get(next);
      if (!entry) return;
      this.entries.delete(next);
      this.bytes -= entry.bytes;
      const parentId = entry.row.previous_response_id;
      const parent = parentId === null ? undefined : this.entries.get(parentId);
      if (!parent) return;
      parent.children.delete(next);
      next = parent.children.size === 0 && this.timeExpired(parent, now) ? parentId : null;
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
