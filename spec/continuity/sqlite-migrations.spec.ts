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
      'principal', 'key_id', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens', 'cost', 'upstream_request_id',
    ]);
    expect(db.prepare('SELECT version, applied_at FROM lip_schema_migrations').all()).to.deep.equal(MIGRATIONS.map((m) => ({ version: m.version, applied_at: 42 })));
    expect(MIGRATIONS.map((m) => m.version)).to.deep.equal([1, 2, 3, 4]);
    expect(columns(db, 'responses')).to.include('echo_json');
  });

  it('adds the usage columns (version 3) to a version 1 database and keeps its rows', () => {
    migrate(db, MIGRATIONS.slice(0, 1));
    db.prepare("INSERT INTO a_legs (a_leg_id, principal, session_id, created_at, last_seen_at) VALUES ('a1', 'alice', 's1', 0, 0)").run();
    db.prepare("INSERT INTO attempts (a_leg_id, seq, b_leg_id, candidate_key, backend_id, model, started_at) VALUES ('a1', 1, 'b1', 'x:m', 'x', 'm', 5)").run();
    expect(migrate(db)).to.deep.equal({ from: 1, to: 4 });
    expect(columns(db, 'a_legs')).to.include('resume_fingerprint');
    expect(db.prepare('SELECT candidate_key, input_tokens, cost, upstream_request_id FROM attempts').all()).to.deep.equal([{ candidate_key: 'x:m', input_tokens: null, cost: null, upstream_request_id: null }]);
    expect(db.prepare('SELECT resume_fingerprint FROM a_legs').all()).to.deep.equal([{ resume_fingerprint: null }]);
  });

  it('adds the usage columns (version 3) to a version 2 database and keeps its rows and settings', () => {
    migrate(db, MIGRATIONS.slice(0, 2));
    expect(columns(db, 'attempts')).to.not.include('cost');
    db.prepare("INSERT INTO a_legs (a_leg_id, principal, session_id, created_at, last_seen_at, resume_fingerprint) VALUES ('a1', 'alice', 's1', 0, 0, 'fp1')").run();
    db.prepare("INSERT INTO attempts (a_leg_id, seq, b_leg_id, candidate_key, backend_id, model, started_at) VALUES ('a1', 1, 'b1', 'x:m', 'x', 'm', 5)").run();
    db.prepare("INSERT INTO lip_settings (name, value) VALUES ('k', x'01')").run();
    expect(migrate(db)).to.deep.equal({ from: 2, to: 4 });
    expect(db.prepare('SELECT candidate_key, principal, output_tokens, cost FROM attempts').all()).to.deep.equal([{ candidate_key: 'x:m', principal: null, output_tokens: null, cost: null }]);
    expect(db.prepare('SELECT a_leg_id, resume_fingerprint FROM a_legs').all()).to.deep.equal([{ a_leg_id: 'a1', resume_fingerprint: 'fp1' }]);
    expect(db.prepare('SELECT name FROM lip_settings').all()).to.deep.equal([{ name: 'k' }]);
    db.prepare("UPDATE attempts SET input_tokens = 7, cost = 0.5, upstream_request_id = 'req_1'").run();
    expect(db.prepare('SELECT input_tokens, cost, upstream_request_id FROM attempts').get()).to.deep.equal({ input_tokens: 7, cost: 0.5, upstream_request_id: 'req_1' });
  });

  it('adds the echoed request fields of stored responses (version 4) to a version 3 database and keeps its responses', () => {
    migrate(db, MIGRATIONS.slice(0, 3));
    db.prepare(`INSERT INTO responses (response_id, principal, created_at, input_json, output_json) VALUES ('resp_1', 'alice', 5, '[]', '{}')`).run();
    expect(migrate(db)).to.deep.equal({ from: 3, to: 4 });
    expect(db.prepare('SELECT response_id, echo_json FROM responses').all()).to.deep.equal([{ response_id: 'resp_1', echo_json: null }]);
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
    db.prepare('INSERT INTO lip_schema_migrations VALUES (?, ?, 0)').run(MIGRATIONS.length + 5, 'future');
    expect(() => migrate(db)).to.throw(LipError, new RegExp(`schema version ${MIGRATIONS.length + 5}`));
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
