import { expect } from 'chai';
import BetterSqlite3 from 'better-sqlite3';
import { MIGRATIONS, migrate, type Migration } from '../../lib/continuity/index.js';
import { LipError } from '../../lib/errors/index.js';

const tables = (db: BetterSqlite3.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
const columns = (db: BetterSqlite3.Database, table: string) =>
  (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((r) => r.name);

describe('continuity/sqlite-migrations', () => {
  let db: BetterSqlite3.Database;
  beforeEach(() => {
    db = new BetterSqlite3(':memory:');
  });
  afterEach(() => db.close());

  it('builds the schema of a fresh database and records the version', () => {
    expect(migrate(db, MIGRATIONS, () => 42)).to.deep.equal({ from: 0, to: MIGRATIONS.length });
    expect(tables(db)).to.deep.equal(['a_legs', 'attempts', 'lip_schema_migrations', 'lip_settings', 'responses']);
    expect(columns(db, 'a_legs')).to.include('resume_fingerprint');
    expect(columns(db, 'attempts')).to.deep.equal([
      'a_leg_id', 'seq', 'b_leg_id', 'candidate_key', 'backend_id', 'model', 'started_at',
      'first_output_at', 'finished_at', 'outcome', 'reason', 'http_status',
    ]);
    expect(db.prepare('SELECT version, applied_at FROM lip_schema_migrations').all()).to.deep.equal(MIGRATIONS.map((m) => ({ version: m.version, applied_at: 42 })));
  });

  it('is idempotent: a migrated database is left alone', () => {
    migrate(db);
    expect(migrate(db)).to.deep.equal({ from: MIGRATIONS.length, to: MIGRATIONS.length });
  });

  it('applies only the steps a database is missing, in order', () => {
    migrate(db);
    const n = MIGRATIONS.length;
    const v2: Migration = { version: n + 1, name: 'attempt notes', sql: 'ALTER TABLE attempts ADD COLUMN note TEXT' };
    const v3: Migration = { version: n + 2, name: 'note index', sql: 'CREATE INDEX attempts_note ON attempts (note)' };
    expect(migrate(db, [...MIGRATIONS, v2, v3])).to.deep.equal({ from: n, to: n + 2 });
    expect(columns(db, 'attempts')).to.include('note');
    expect((db.prepare('SELECT name FROM lip_schema_migrations ORDER BY version').all() as { name: string }[]).map((r) => r.name))
      .to.deep.equal([...MIGRATIONS.map((m) => m.name), 'attempt notes', 'note index']);
  });

  it('rolls a failing step back entirely and keeps the earlier version', () => {
    migrate(db);
    const broken: Migration = { version: MIGRATIONS.length + 1, name: 'broken', sql: 'CREATE TABLE half (x INTEGER); SELECT no_such_function()' };
    expect(() => migrate(db, [...MIGRATIONS, broken])).to.throw(/no such function/);
    expect([tables(db).includes('half'), migrate(db).to]).to.deep.equal([false, MIGRATIONS.length]);
  });

  it('rejects a migration list with gaps', () => {
    expect(() => migrate(db, [{ version: 2, name: 'skips one', sql: '' }])).to.throw(/expected 1/);
  });

  it('refuses a database from a newer lip', () => {
    migrate(db);
    db.prepare('INSERT INTO lip_schema_migrations VALUES (7, ?, 0)').run('future');
    expect(() => migrate(db)).to.throw(LipError, /schema version 7/);
  });

  it('enforces the schema: outcomes from the contract only, attempts cascade with their A-leg', () => {
    migrate(db);
    db.pragma('foreign_keys = ON');
    db.prepare("INSERT INTO a_legs (a_leg_id, principal, session_id, created_at, last_seen_at) VALUES ('a_1', 'p', 's', 0, 0)").run();
    const insert = db.prepare("INSERT INTO attempts (a_leg_id, seq, b_leg_id, candidate_key, backend_id, model, started_at, outcome) VALUES ('a_1', ?, ?, 'k', 'b', 'm', 0, ?)");
    insert.run(1, 'b_1', 'success');
    expect(() => insert.run(2, 'b_2', 'exploded')).to.throw(/CHECK constraint/);
    expect(() => insert.run(1, 'b_3', 'success')).to.throw(/UNIQUE/);
    db.prepare("DELETE FROM a_legs WHERE a_leg_id = 'a_1'").run();
    expect(db.prepare('SELECT COUNT(*) AS n FROM attempts').get()).to.deep.equal({ n: 0 });
  });
});
