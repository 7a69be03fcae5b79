import type { MutableAttemptRow } from './leg-store.js';
import type { LegState } from './leg-table.js';
import type { ResponseRow } from './response-row.js';
import type { SqliteStatements } from './sqlite-statements.js';

/**
 * What waits in the SQLite store's write queue, one record per row to write. Keys:
 * `l:<a_leg_id>`, `a:<b_leg_id>`, `r:<response_id>` (a response and its deletion), so that later changes to the same row
 * replace the pending record instead of queueing another.
 */
export type SqliteRecord =
  | { readonly kind: 'leg'; readonly state: LegState; readonly created: boolean }
  | { readonly kind: 'retire'; readonly aLegId: string }
  | { readonly kind: 'attempt'; readonly row: MutableAttemptRow }
  /** `durable`: never pushed out of a full queue (ResponseRecord.durable). */
  | { readonly kind: 'response'; readonly row: ResponseRow; readonly durable: boolean }
  /** A deleted response (same key as its `response` record, which it replaces while pending). */
  | { readonly kind: 'forget'; readonly responseId: string };

/** Names a record in logs by its key fields, never its content. */
export function describeRecord(record: SqliteRecord): string {
  switch (record.kind) {
    case 'leg': return `a_leg ${record.state.aLegId}`;
    case 'retire': return `retire ${record.aLegId}`;
    case 'attempt': return `attempt ${record.row.a_leg_id}#${record.row.seq}`;
    case 'response': return `response ${record.row.response_id}`;
    case 'forget': return `delete response ${record.responseId}`;
  }
}

/**
 * Writes a batch with the prepared statements; the caller runs it inside one transaction.
 * @see spec/continuity/sqlite-store.spec.ts
 */
export function writeRecords(sql: SqliteStatements, batch: readonly SqliteRecord[]): void {
  for (const record of batch) {
    switch (record.kind) {
      case 'leg': sql.upsertLeg(record.state, record.created); break;
      case 'retire': sql.deleteLeg(record.aLegId); break;
      case 'attempt': sql.upsertAttempt(record.row); break;
      case 'response': sql.upsertResponse(record.row); break;
      case 'forget': sql.deleteResponse(record.responseId); break;
    }
  }
}
