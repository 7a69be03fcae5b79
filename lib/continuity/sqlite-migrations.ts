import type { Database } from 'better-sqlite3';
import { LipError } from '../errors/index.js';

/** One schema step. Versions start at 1 and increase by one; a shipped step never changes. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The continuity schema, in versions. Times are milliseconds since the Unix epoch. Deleting an
 * A-leg deletes its attempts (foreign key, ON DELETE CASCADE); stored responses are retained on
 * their own (they may outlive the A-leg that produced them). Version 2 adds the fingerprint of
 * a proxy-issued session's resume token (never the token), the index the fair-share pruning
 * reads, and `lip_settings` (the generated fingerprint key). Version 3 adds usage accounting to
 * attempt rows (principal, key id, token counts, cost, the upstream's own request id). Version
 * 4 keeps the request fields a stored response echoes (`echo_json`), for its retrieval.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'a_legs, attempts, responses',
    sql: `
      CREATE TABLE a_legs (
        a_leg_id TEXT PRIMARY KEY,
        principal TEXT NOT NULL,
        session_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        last_seq INTEGER NOT NULL DEFAULT 0,
        first_consumed INTEGER NOT NULL DEFAULT 0,
        affinity_candidate_key TEXT,
        affinity_bound_at INTEGER,
        UNIQUE (principal, session_id)
      ) STRICT;
      CREATE INDEX a_legs_last_seen ON a_legs (last_seen_at);
      CREATE TABLE attempts (
        a_leg_id TEXT NOT NULL REFERENCES a_legs (a_leg_id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        b_leg_id TEXT NOT NULL,
        candidate_key TEXT NOT NULL,
        backend_id TEXT NOT NULL,
        model TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        first_output_at INTEGER,
        finished_at INTEGER,
        outcome TEXT CHECK (outcome IN ('success', 'swallowed_failure', 'surfaced_failure', 'cancelled')),
        reason TEXT,
        http_status INTEGER,
        PRIMARY KEY (a_leg_id, seq)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE responses (
        response_id TEXT PRIMARY KEY,
        principal TEXT NOT NULL,
        previous_response_id TEXT,
        a_leg_id TEXT,
        session_id TEXT,
        model TEXT,
        created_at INTEGER NOT NULL,
        input_json TEXT NOT NULL,
        output_json TEXT NOT NULL,
        reasoning_dialect TEXT
      ) STRICT;
      CREATE INDEX responses_previous ON responses (previous_response_id) WHERE previous_response_id IS NOT NULL;
      CREATE INDEX responses_created ON responses (created_at);
    `,
  },
  {
    version: 2,
    name: 'resume-token fingerprints, per-principal order, settings',
    sql: `
      ALTER TABLE a_legs ADD COLUMN resume_fingerprint TEXT;
      CREATE UNIQUE INDEX a_legs_fingerprint ON a_legs (resume_fingerprint) WHERE resume_fingerprint IS NOT NULL;
      CREATE INDEX a_legs_principal_seen ON a_legs (principal, last_seen_at);
      CREATE TABLE lip_settings (name TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;
    `,
  },
  {
    version: 3,
    name: 'attempt usage: principal, key id, tokens, cost, upstream request id',
    sql: `
      ALTER TABLE attempts ADD COLUMN principal TEXT;
      ALTER TABLE attempts ADD COLUMN key_id TEXT;
      ALTER TABLE attempts ADD COLUMN input_tokens INTEGER;
      ALTER TABLE attempts ADD COLUMN output_tokens INTEGER;
      ALTER TABLE attempts ADD COLUMN cache_read_tokens INTEGER;
      ALTER TABLE attempts ADD COLUMN cache_write_tokens INTEGER;
      ALTER TABLE attempts ADD COLUMN reasoning_tokens INTEGER;
      ALTER TABLE attempts ADD COLUMN cost REAL;
      ALTER TABLE attempts ADD COLUMN upstream_request_id TEXT;
      CREATE INDEX attempts_started ON attempts (started_at);
    `,
  },
  {
    version: 4,
    name: 'stored responses: echoed request fields',
    sql: 'ALTER TABLE responses ADD COLUMN echo_json TEXT;',
  },
];

export interface MigrationResult {
  readonly from: number;
  readonly to: number;
}

/**
 * Brings the database to the newest version, one transaction per step, recording each step in
 * `lip_schema_migrations` (version, name, applied_at). Opening a database written by a newer
 * lip is refused rather than guessed at.
 * @see spec/continuity/sqlite-migrations.spec.ts
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS, now: () => number = Date.now): MigrationResult {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  db.exec('CREATE TABLE IF NOT EXISTS lip_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT');
  const current = (): number => (db.prepare('SELECT MAX(version) AS v FROM lip_schema_migrations').get() as { v: number | null }).v ?? 0;
  const from = current();
  if (from > migrations.length) {
    throw new LipError('LIP_ERR_CONTINUITY_UNAVAILABLE', `the continuity database is at schema version ${from}, newer than this lip knows (${migrations.length}); use a newer lip or another sqlite_path`);
  }
  const record = db.prepare('INSERT INTO lip_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of migrations.slice(from)) {
    db.transaction(() => {
      // Re-checked inside the write transaction: another process may have migrated meanwhile.
      if (current() >= m.version) return;
      db.exec(m.sql);
      record.run(m.version, m.name, now());
    }).immediate();
  }
  return { from, to: current() };
}
