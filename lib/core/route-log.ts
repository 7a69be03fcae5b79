import type { JournalEntry } from '../routing/plan/route-journal.js';

/** One routing decision as `GET /admin/routes` shows it. */
export interface RouteRecord {
  readonly request_id: string;
  readonly at: string;
  readonly selector: string;
  readonly selector_source: string;
  /** Every candidate considered, in order: skipped, failed, cancelled or served, and why (the first MAX_LOGGED_CANDIDATES). */
  readonly candidates: readonly JournalEntry[];
  /** Candidates beyond MAX_LOGGED_CANDIDATES that were considered but are not listed. */
  readonly candidates_omitted?: number;
  readonly served: string | null;
  /** Milliseconds from the request's start to the first output the client saw. */
  readonly ttft_ms: number | null;
  readonly outcome: 'success' | 'failure' | 'cancelled';
  readonly error?: string;
}

/** Journal entries one record keeps (a selector has at most 64 arms, but races and re-rolls add up). */
export const MAX_LOGGED_CANDIDATES = 64;

/**
 * The last N routing decisions, oldest first: a ring buffer of `capacity` records
 * (`diagnostics.recent_routes`), each with at most MAX_LOGGED_CANDIDATES journal entries, so
 * its memory is bounded whatever clients send. Pushing is O(1).
 * @see spec/core/route-log.spec.ts
 */
export class RouteLog {
  private records: (RouteRecord | undefined)[];
  /** Where the next record goes. */
  private next = 0;
  private count = 0;

  constructor(private capacity: number) {
    this.records = new Array<RouteRecord | undefined>(Math.max(0, capacity));
  }

  /**
   * Holds `capacity` records from now on, keeping the newest of those it has (a reload hands
   * the log to the next runtime and `diagnostics.recent_routes` may have changed).
   */
  resize(capacity: number): void {
    const size = Math.max(0, capacity);
    if (size === Math.max(0, this.capacity)) return;
    const kept = this.list().slice(Math.max(0, this.count - size));
    this.records = new Array<RouteRecord | undefined>(size);
    kept.forEach((record, i) => { this.records[i] = record; });
    this.capacity = size;
    this.count = kept.length;
    this.next = size === 0 ? 0 : kept.length % size;
  }

  push(record: RouteRecord): void {
    if (this.capacity <= 0) return;
    this.records[this.next] = record.candidates.length > MAX_LOGGED_CANDIDATES
      ? { ...record, candidates: record.candidates.slice(0, MAX_LOGGED_CANDIDATES), candidates_omitted: record.candidates.length - MAX_LOGGED_CANDIDATES }
      : record;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The records, oldest first (a copy). */
  list(): readonly RouteRecord[] {
    const start = this.count < this.capacity ? 0 : this.next;
    const out: RouteRecord[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.records[(start + i) % this.capacity]!);
    return out;
  }

  /** The records as `GET /admin/routes` answers: candidates with snake_case fields, like every other admin body. */
  json(): readonly unknown[] {
    return this.list().map((record) => ({ ...record, candidates: record.candidates.map(candidateJson) }));
  }
}

/** A journal entry in the admin bodies' naming (`started_at_ms`, `ttft_ms`, `retry_after`). */
function candidateJson(entry: JournalEntry): Record<string, unknown> {
  const { startedAtMs, ttftMs, retryAfter, ...rest } = entry;
  return {
    ...rest,
    ...(retryAfter !== undefined ? { retry_after: retryAfter } : {}),
    ...(startedAtMs !== undefined ? { started_at_ms: startedAtMs } : {}),
    ...(ttftMs !== undefined ? { ttft_ms: ttftMs } : {}),
  };
}
