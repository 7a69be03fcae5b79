import type { JournalEntry } from '../routing/plan/route-journal.js';

/** One routing decision as `GET /admin/routes` shows it. */
export interface RouteRecord {
  readonly request_id: string;
  readonly at: string;
  readonly selector: string;
  readonly selector_source: string;
  /** Every candidate considered, in order: skipped, failed, cancelled or served, and why. */
  readonly candidates: readonly JournalEntry[];
  readonly served: string | null;
  /** Milliseconds from the request's start to the first output the client saw. */
  readonly ttft_ms: number | null;
  readonly outcome: 'success' | 'failure' | 'cancelled';
  readonly error?: string;
}

/** The last N routing decisions, oldest first (a ring buffer). */
export class RouteLog {
  private readonly records: RouteRecord[] = [];

  constructor(private readonly capacity: number) {}

  push(record: RouteRecord): void {
    if (this.capacity <= 0) return;
    if (this.records.length >= this.capacity) this.records.shift();
    this.records.push(record);
  }

  list(): readonly RouteRecord[] {
    return this.records;
  }
}
