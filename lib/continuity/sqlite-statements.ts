import type { Database, Statement } from 'better-sqlite3';
import type { AttemptRow, UsageQuery, UsageSummaryRow } from './continuity-store.js';
import type { LegState } from './leg-table.js';
import type { ResponseRow } from './response-row.js';

/** An `a_legs` row as SQLite returns it. */
interface LegRow {
  a_leg_id: string;
  principal: string;
  session_id: string;
  created_at: number;
  last_seen_at: number;
  last_seq: number;
  first_consumed: number;
  affinity_candidate_key: string | null;
  affinity_bound_at: number | null;
  resume_fingerprint: string | null;
}

export function legFromRow(row: LegRow): LegState {
  return {
    aLegId: row.a_leg_id, principal: row.principal, sessionId: row.session_id,
    createdAt: row.created_at, lastSeenAt: row.last_seen_at, lastSeq: row.last_seq,
    firstConsumed: row.first_consumed === 1,
    affinity: row.affinity_candidate_key === null ? undefined : { candidateKey: row.affinity_candidate_key, boundAt: row.affinity_bound_at ?? row.last_seen_at },
    open: 0,
    fingerprint: row.resume_fingerprint ?? undefined,
  };
}

function legParams(state: LegState): LegRow {
  return {
    a_leg_id: state.aLegId, principal: state.principal, session_id: state.sessionId,
    created_at: state.createdAt, last_seen_at: state.lastSeenAt, last_seq: state.lastSeq,
    first_consumed: state.firstConsumed ? 1 : 0,
    affinity_candidate_key: state.affinity?.candidateKey ?? null,
    affinity_bound_at: state.affinity?.boundAt ?? null,
    resume_fingerprint: state.fingerprint ?? null,
  };
}

/**
 * Every SQL statement of the SQLite store, prepared once when the store opens. Writes are
 * upserts, so a record written twice (a retried batch) converges to the same row; the seq
 * counter only ever grows, and two attempts never share a row (see `upsertAttempt`). An attempt whose A-leg was deleted meanwhile is skipped (its A-leg
 * was evicted: the row has nowhere to go) instead of failing the whole batch.
 */
/** Where a chunked usage sum goes on: the primary key of the last row summed. */
export interface UsageCursor {
  readonly a_leg_id: string;
  readonly seq: number;
}

export class SqliteStatements {
  private readonly upsertLegStmt: Statement;
  private readonly deleteSessionTwinStmt: Statement;
  private readonly deleteLegStmt: Statement;
  private readonly updateAttemptStmt: Statement;
  private readonly insertAttemptStmt: Statement;
  private readonly raiseSeqStmt: Statement;
  private readonly upsertResponseStmt: Statement;
  private readonly deleteResponseStmt: Statement;
  private readonly legByIdStmt: Statement;
  private readonly legBySessionStmt: Statement;
  private readonly legByFingerprintStmt: Statement;
  private readonly holdingsStmt: Statement;
  private readonly pruneOwnStmt: Statement;
  private readonly settingStmt: Statement;
  private readonly putSettingStmt: Statement;
  private readonly attemptsStmt: Statement;
  private readonly usageStmts: Record<UsageQuery['groupBy'], { readonly upTo: Statement; readonly rest: Statement }>;
  private readonly usageBoundStmt: Statement;
  private readonly responseStmt: Statement;
  private readonly continuationStmt: Statement;
  private readonly countLegsStmt: Statement;
  private readonly pruneIdleStmt: Statement;
  private readonly pruneResponsesStmt: Statement;

  constructor(db: Database) {
    this.upsertLegStmt = db.prepare(`
      INSERT INTO a_legs (a_leg_id, principal, session_id, created_at, last_seen_at, last_seq, first_consumed, affinity_candidate_key, affinity_bound_at, resume_fingerprint)
      VALUES (@a_leg_id, @principal, @session_id, @created_at, @last_seen_at, @last_seq, @first_consumed, @affinity_candidate_key, @affinity_bound_at, @resume_fingerprint)
      ON CONFLICT (a_leg_id) DO UPDATE SET
        last_seen_at = MAX(last_seen_at, excluded.last_seen_at), last_seq = MAX(last_seq, excluded.last_seq),
        first_consumed = excluded.first_consumed, affinity_candidate_key = excluded.affinity_candidate_key,
        affinity_bound_at = excluded.affinity_bound_at`);
    this.deleteSessionTwinStmt = db.prepare('DELETE FROM a_legs WHERE principal = ? AND session_id = ? AND a_leg_id <> ?');
    this.deleteLegStmt = db.prepare('DELETE FROM a_legs WHERE a_leg_id = ?');
    // An attempt's row is found by its B-leg, at its seq or past it (where upsertAttempt moves it).
    this.updateAttemptStmt = db.prepare(`
      UPDATE attempts SET
        first_output_at = @first_output_at, finished_at = @finished_at,
        outcome = @outcome, reason = @reason, http_status = @http_status,
        input_tokens = @input_tokens, output_tokens = @output_tokens, cache_read_tokens = @cache_read_tokens,
        cache_write_tokens = @cache_write_tokens, reasoning_tokens = @reasoning_tokens, cost = @cost,
        upstream_request_id = @upstream_request_id
      WHERE a_leg_id = @a_leg_id AND seq >= @seq AND b_leg_id = @b_leg_id`);
    this.insertAttemptStmt = db.prepare(`
      INSERT INTO attempts (a_leg_id, seq, b_leg_id, candidate_key, backend_id, model, started_at, first_output_at, finished_at, outcome, reason, http_status,
        principal, key_id, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost, upstream_request_id)
      SELECT @a_leg_id,
        CASE WHEN EXISTS (SELECT 1 FROM attempts WHERE a_leg_id = @a_leg_id AND seq = @seq)
          THEN (SELECT MAX(seq) + 1 FROM attempts WHERE a_leg_id = @a_leg_id) ELSE @seq END,
        @b_leg_id, @candidate_key, @backend_id, @model, @started_at, @first_output_at, @finished_at, @outcome, @reason, @http_status,
        @principal, @key_id, @input_tokens, @output_tokens, @cache_read_tokens, @cache_write_tokens, @reasoning_tokens, @cost, @upstream_request_id
      WHERE EXISTS (SELECT 1 FROM a_legs WHERE a_leg_id = @a_leg_id)
      RETURNING seq`);
    this.raiseSeqStmt = db.prepare('UPDATE a_legs SET last_seq = MAX(last_seq, ?) WHERE a_leg_id = ?');
    // Usage is summed a range of the primary key at a time (usageChunk): each statement reads a
    // bounded number of rows, however many the table holds.
    const usageBy = (column: string, upTo: boolean) => db.prepare(`
      SELECT ${column} AS "group", COUNT(*) AS attempts,
        COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens,
        COALESCE(SUM(cache_read_tokens), 0) AS cache_read_tokens, COALESCE(SUM(cache_write_tokens), 0) AS cache_write_tokens,
        COALESCE(SUM(reasoning_tokens), 0) AS reasoning_tokens, SUM(cost) AS cost
      FROM attempts
      WHERE (a_leg_id, seq) > (@after_leg, @after_seq) ${upTo ? 'AND (a_leg_id, seq) <= (@last_leg, @last_seq)' : ''}
        AND finished_at IS NOT NULL AND (@principal IS NULL OR principal = @principal) AND started_at >= @since
      GROUP BY 1`);
    const both = (column: string) => ({ upTo: usageBy(column, true), rest: usageBy(column, false) });
    this.usageStmts = { model: both('model'), backend: both('backend_id'), principal: both("COALESCE(principal, '')"), key: both("COALESCE(key_id, '')") };
    this.usageBoundStmt = db.prepare('SELECT a_leg_id, seq FROM attempts WHERE (a_leg_id, seq) > (?, ?) ORDER BY a_leg_id, seq LIMIT 1 OFFSET ?');
    this.upsertResponseStmt = db.prepare(`
      INSERT OR REPLACE INTO responses (response_id, principal, previous_response_id, a_leg_id, session_id, model, created_at, input_json, output_json, reasoning_dialect, echo_json)
      VALUES (@response_id, @principal, @previous_response_id, @a_leg_id, @session_id, @model, @created_at, @input_json, @output_json, @reasoning_dialect, @echo_json)`);
    this.deleteResponseStmt = db.prepare('DELETE FROM responses WHERE response_id = ?');
    this.legByIdStmt = db.prepare('SELECT * FROM a_legs WHERE a_leg_id = ?');
    this.legBySessionStmt = db.prepare('SELECT * FROM a_legs WHERE principal = ? AND session_id = ?');
    this.legByFingerprintStmt = db.prepare('SELECT * FROM a_legs WHERE resume_fingerprint = ?');
    this.holdingsStmt = db.prepare('SELECT principal, COUNT(*) AS n, MIN(last_seen_at) AS oldest FROM a_legs GROUP BY principal');
    this.pruneOwnStmt = db.prepare(`DELETE FROM a_legs WHERE a_leg_id IN
      (SELECT a_leg_id FROM a_legs WHERE principal = ? ORDER BY last_seen_at, a_leg_id LIMIT ?) RETURNING a_leg_id`);
    this.settingStmt = db.prepare('SELECT value FROM lip_settings WHERE name = ?');
    this.putSettingStmt = db.prepare('INSERT INTO lip_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING');
    this.attemptsStmt = db.prepare('SELECT * FROM attempts WHERE a_leg_id = ? ORDER BY seq');
    this.responseStmt = db.prepare('SELECT * FROM responses WHERE response_id = ?');
    this.continuationStmt = db.prepare('SELECT response_id, created_at FROM responses WHERE previous_response_id = ?');
    this.countLegsStmt = db.prepare('SELECT COUNT(*) AS n FROM a_legs');
    this.pruneIdleStmt = db.prepare(`DELETE FROM a_legs WHERE a_leg_id IN
      (SELECT a_leg_id FROM a_legs WHERE last_seen_at <= ? AND (resume_fingerprint IS NULL OR last_seen_at <= ?)
        AND a_leg_id NOT IN (SELECT value FROM json_each(?)) ORDER BY last_seen_at LIMIT ?) RETURNING a_leg_id`);
    this.pruneResponsesStmt = db.prepare(`DELETE FROM responses WHERE response_id IN
      (SELECT r.response_id FROM responses r WHERE r.created_at <= ?
        AND NOT EXISTS (SELECT 1 FROM responses c WHERE c.previous_response_id = r.response_id) LIMIT ?)`);
  }

  /** A new A-leg replaces whatever older A-leg held its (principal, session id). */
  upsertLeg(state: LegState, created: boolean): void {
    if (created) this.deleteSessionTwinStmt.run(state.principal, state.sessionId, state.aLegId);
    this.upsertLegStmt.run(legParams(state));
  }

  deleteLeg(aLegId: string): number {
    return this.deleteLegStmt.run(aLegId).changes;
  }

  /**
   * Updates the attempt's row (found by its B-leg) or inserts it at its seq; when another
   * process on the file already wrote another attempt at that seq (each allocates seqs from its
   * own cached A-leg), at the A-leg's next free seq, which the A-leg's `last_seq` then covers.
   */
  upsertAttempt(row: AttemptRow): void {
    if (this.updateAttemptStmt.run(row).changes > 0) return;
    const inserted = this.insertAttemptStmt.get(row) as { seq: number } | undefined;
    if (inserted && inserted.seq !== row.seq) this.raiseSeqStmt.run(inserted.seq, row.a_leg_id);
  }

  upsertResponse(row: ResponseRow): void {
    this.upsertResponseStmt.run(row);
  }

  deleteResponse(responseId: string): void {
    this.deleteResponseStmt.run(responseId);
  }

  legById(aLegId: string): LegState | undefined {
    const row = this.legByIdStmt.get(aLegId) as LegRow | undefined;
    return row && legFromRow(row);
  }

  legBySession(principal: string, sessionId: string): LegState | undefined {
    const row = this.legBySessionStmt.get(principal, sessionId) as LegRow | undefined;
    return row && legFromRow(row);
  }

  legByFingerprint(fingerprint: string): LegState | undefined {
    const row = this.legByFingerprintStmt.get(fingerprint) as LegRow | undefined;
    return row && legFromRow(row);
  }

  /** How many A-legs each principal holds, and when its least recently seen one was seen. */
  holdings(): { counts: Map<string, number>; oldest: Map<string, number> } {
    const rows = this.holdingsStmt.all() as { principal: string; n: number; oldest: number }[];
    return { counts: new Map(rows.map((r) => [r.principal, r.n])), oldest: new Map(rows.map((r) => [r.principal, r.oldest])) };
  }

  /** Deletes the `count` least recently seen A-legs of `principal`; returns their ids. */
  pruneOwn(principal: string, count: number): string[] {
    return (this.pruneOwnStmt.all(principal, count) as { a_leg_id: string }[]).map((r) => r.a_leg_id);
  }

  /** A value of `lip_settings`, created as `make()` the first time (a concurrent first writer wins). */
  setting(name: string, make: () => Buffer): Buffer {
    const found = this.settingStmt.get(name) as { value: Buffer } | undefined;
    if (found) return found.value;
    this.putSettingStmt.run(name, make());
    return (this.settingStmt.get(name) as { value: Buffer }).value;
  }

  attempts(aLegId: string): AttemptRow[] {
    return this.attemptsStmt.all(aLegId) as AttemptRow[];
  }

  /**
   * Usage totals of the next `rows` attempt rows after `after` in primary-key order (the first
   * ones without it), one row per group (unsorted), and the key to go on after (undefined: these
   * were the last).
   */
  usageChunk(query: UsageQuery, after: UsageCursor | undefined, rows: number): { groups: UsageSummaryRow[]; next: UsageCursor | undefined } {
    const from = after ?? { a_leg_id: '', seq: -1 };
    const last = this.usageBoundStmt.get(from.a_leg_id, from.seq, rows - 1) as UsageCursor | undefined;
    const params = { after_leg: from.a_leg_id, after_seq: from.seq, principal: query.principal ?? null, since: query.since ?? 0 };
    const statements = this.usageStmts[query.groupBy];
    const groups = (last === undefined
      ? statements.rest.all(params)
      : statements.upTo.all({ ...params, last_leg: last.a_leg_id, last_seq: last.seq })) as UsageSummaryRow[];
    return { groups, next: last };
  }

  response(id: string): ResponseRow | undefined {
    return this.responseStmt.get(id) as ResponseRow | undefined;
  }

  /** The stored responses that continue `id`. */
  continuations(id: string): Pick<ResponseRow, 'response_id' | 'created_at'>[] {
    return this.continuationStmt.all(id) as Pick<ResponseRow, 'response_id' | 'created_at'>[];
  }

  countLegs(): number {
    return (this.countLegsStmt.get() as { n: number }).n;
  }

  /**
   * Deletes up to `limit` A-legs idle since `cutoff` (a proxy-issued session's since
   * `sessionCutoff`, its own lifetime), except those with an attempt `running`; returns their ids.
   */
  pruneIdle(cutoff: number, sessionCutoff: number, limit: number, running: readonly string[] = []): string[] {
    return (this.pruneIdleStmt.all(cutoff, sessionCutoff, JSON.stringify(running), limit) as { a_leg_id: string }[]).map((r) => r.a_leg_id);
  }

  /** Deletes up to `limit` responses saved before `cutoff` that nothing continues. */
  pruneResponses(cutoff: number, limit: number): number {
    return this.pruneResponsesStmt.run(cutoff, limit).changes;
  }
}
