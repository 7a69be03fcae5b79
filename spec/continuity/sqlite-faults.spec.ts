import { expect } from 'chai';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readlinkSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { collectEvents, type Message } from '../../lib/canonical/index.js';
import { SqliteContinuityStore, type SqliteStoreOptions } from '../../lib/continuity/index.js';
import { LipError } from '../../lib/errors/index.js';
import { immutableWorks, mountTmpfs, sh } from '../helpers/file-faults.js';
import { VirtualClock } from './virtual-clock.js';
import { logRecorder } from './log-recorder.js';

/**
 * Faults of the SQLite store's file, on real files: the file becomes read-only, its directory
 * is removed while serving, the disk fills. In each, serving goes on (no call throws, no call
 * waits on the database), the records are kept and retried, the store says why it is not
 * ready, one line is logged per fault (not per write), and the records reach a file once the
 * fault is gone.
 *
 * The tests run as root, where `chmod` stops nothing. A read-only file is made with
 * `chattr +i` on the database and its WAL (never on the `-shm` file: SQLite maps it, and a
 * write into an immutable mapping is a SIGBUS). A full disk is a 1 MiB tmpfs mounted for the
 * test. Where the machine refuses either (no CAP_SYS_ADMIN, a filesystem without the
 * immutable flag), the store's `injectWriteFault` seam raises the same SQLite error instead;
 * the choice is made by trying, and every assertion runs either way. `LIP_SPEC_INJECT_FAULTS=1`
 * forces the seam, to run the fallback on a machine that allows both.
 */



const sqliteError = (code: string, message: string) => Object.assign(new Error(message), { code });
const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const reply = (text: string) => collectEvents([{ type: 'text_delta', text }, { type: 'response_finished', reason: 'stop' }]);
const start = { candidateKey: 'a:m', backendId: 'a', model: 'm' };

describe('continuity/SqliteContinuityStore under file faults', () => {
  let root: string;
  let clock: VirtualClock;
  let log: ReturnType<typeof logRecorder>;
  let undo: (() => void)[];
  let store: SqliteContinuityStore | undefined;
  let injected: Error | undefined;

  const open = (path: string, options: Partial<SqliteStoreOptions> = {}) => (store = new SqliteContinuityStore({
    path, ttlMs: 3_600_000, maxLegs: 1_000, scheduler: clock, log, busyTimeoutMs: 0, injectWriteFault: () => injected, ...options,
  }));
  /** Rows in the file at `path`, read by a separate connection (what the next lip would see). */
  const rows = (path: string, sql: string) => {
    const db = new BetterSqlite3(path, { readonly: true });
    try {
      return db.prepare(sql).all();
    } finally {
      db.close();
    }
  };
  /** One request's worth of lineage: resolve, attempt, first output, end. Never throws. */
  const serve = (s: SqliteContinuityStore, principal: string, session?: string) => {
    const leg = s.resolveALeg(principal, session);
    const ticket = s.beginAttempt(leg.aLegId, start);
    s.firstOutput(ticket);
    s.finishAttempt(ticket, { outcome: 'success', httpStatus: 200 });
    return leg;
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'lip-faults-'));
    clock = new VirtualClock();
    log = logRecorder();
    undo = [];
    injected = undefined;
  });

  afterEach(async () => {
    await store?.close();
    store = undefined;
    for (const step of undo.reverse()) step();
    rmSync(root, { recursive: true, force: true });
  });

  it('the file becomes read-only: serving goes on, writes are retried, one log line, everything lands once writable', () => {
    const path = join(root, 'lip.db');
    const s = open(path);
    serve(s, 'alice', 'before');
    clock.advance(25);
    expect(s.status()).to.deep.include({ state: 'ok', written: 2 });

    const files = [path, `${path}-wal`];
    const real = immutableWorks(root);
    const readOnly = (on: boolean) => {
      if (real) sh('chattr', [on ? '+i' : '-i', ...files]);
      else injected = on ? sqliteError('SQLITE_READONLY', 'attempt to write a readonly database') : undefined;
    };
    readOnly(true);
    undo.push(() => readOnly(false));

    for (let i = 0; i < 20; i++) serve(s, 'alice', `during-${i}`);
    clock.advance(25 + 100 + 200 + 400);
    const during = s.status();
    expect(during).to.deep.include({ ready: false, state: 'failing', pending: 40, write_errors: 4, retries: 3, dropped: 0, lost: 0 });
    expect(during.last_error).to.match(real ? /^SQLITE_IOERR/ : /^SQLITE_READONLY/);
    expect(during.reason).to.contain('are failing').and.contain('records are kept and retried');
    expect(log.lines.map((l) => l[1])).to.deep.equal(['continuity write failed; records kept and retried']);

    readOnly(false);
    undo.pop();
    clock.advance(800);
    expect(s.status()).to.deep.include({ ready: true, state: 'ok', pending: 0, written: 42, reason: null });
    expect(log.lines.map((l) => l[1])).to.deep.equal(['continuity write failed; records kept and retried', 'continuity writes recovered']);
    expect(rows(path, 'SELECT COUNT(*) AS n FROM attempts')).to.deep.equal([{ n: 21 }]);
  });

  it('the directory is removed while serving: not ready with a reason, then a fresh file, never the deleted one', async () => {
    const path = join(root, 'data', 'lip.db');
    const s = open(path);
    const alice = serve(s, 'alice', 'conv');
    s.saveResponse({ id: 'resp_1', principal: 'alice', input: [user('hi')], output: reply('hello') });
    clock.advance(25);
    expect(rows(path, 'SELECT COUNT(*) AS n FROM attempts')).to.deep.equal([{ n: 1 }]);

    rmSync(join(root, 'data'), { recursive: true, force: true });
    const status = s.status(); // /readyz notices at once, without waiting for a write
    expect(status).to.deep.include({ ready: false, state: 'failing' });
    expect(status.reason).to.equal(`the database file ${path} was removed or replaced while open; reopening it`);
    expect(log.lines).to.deep.equal([['error', 'continuity database file removed or replaced while open; opening a fresh file', { path }]]);

    const again = s.beginAttempt(alice.aLegId, start); // serving goes on meanwhile
    s.finishAttempt(again, { outcome: 'success', httpStatus: 200 });
    clock.advance(0);
    expect(existsSync(path)).to.equal(true);
    expect(s.status()).to.deep.include({ ready: true, state: 'ok', reopened: 1, lost: 2, pending: 0 });
    expect(log.lines[1]).to.deep.equal(['warn', 'continuity database reopened as a fresh file', { path, carried_legs: 1, lost_rows: 2 }]);
    // The fresh file has the A-leg (carried from the cache) and the attempt made after the removal.
    expect(rows(path, 'SELECT a_leg_id, last_seq FROM a_legs')).to.deep.equal([{ a_leg_id: alice.aLegId, last_seq: 2 }]);
    expect(rows(path, 'SELECT seq FROM attempts')).to.deep.equal([{ seq: 2 }]);
    expect(serve(s, 'alice', 'conv').aLegId).to.equal(alice.aLegId);
    clock.advance(25);
    expect(rows(path, 'SELECT seq FROM attempts ORDER BY seq')).to.deep.equal([{ seq: 2 }, { seq: 3 }]);
  });

  it('a fresh file gets the cached A-legs that fit, never at the cost of a pending record', () => {
    const path = join(root, 'data', 'lip.db');
    const s = open(path, { queue: { capacity: 4 } });
    const legs = Array.from({ length: 6 }, (_, i) => {
      const leg = serve(s, 'alice', `s${i}`); // two records each: two requests per batch fit
      if (i % 2 === 1) clock.advance(25);
      return leg;
    });
    const running = s.beginAttempt(legs[0]!.aLegId, start); // the oldest A-leg has an attempt running
    clock.advance(25);
    rmSync(join(root, 'data'), { recursive: true, force: true });
    s.saveResponse({ id: 'resp_after', principal: 'alice', input: [user('x')], output: reply('y') });
    clock.advance(25);
    // Room for 3 beside the response: the running A-leg, then the two most recently seen.
    expect(s.status()).to.deep.include({ ready: true, reopened: 1, dropped: 0, pending: 0 });
    expect(log.lines[1]?.[2]).to.deep.include({ carried_legs: 3 });
    expect(rows(path, 'SELECT session_id FROM a_legs ORDER BY session_id')).to.deep.equal([{ session_id: 's0' }, { session_id: 's4' }, { session_id: 's5' }]);
    expect(rows(path, 'SELECT response_id FROM responses')).to.deep.equal([{ response_id: 'resp_after' }]);
    s.finishAttempt(running, { outcome: 'success', httpStatus: 200 });
    serve(s, 'alice', 's2'); // an A-leg left behind is written again by its next change
    clock.advance(25);
    expect(rows(path, 'SELECT a.session_id, t.seq FROM attempts t JOIN a_legs a USING (a_leg_id) ORDER BY 1')).to.deep.equal([
      { session_id: 's0', seq: 2 }, { session_id: 's2', seq: 2 },
    ]);
  });

  it('the directory is removed and cannot be made again: records wait and are retried until it can', () => {
    const dir = join(root, 'data');
    const path = join(dir, 'lip.db');
    const s = open(path);
    serve(s, 'alice');
    clock.advance(25);
    rmSync(dir, { recursive: true, force: true });
    writeFileSync(dir, 'a file where the directory was');
    serve(s, 'bob'); // noticed by the write, without a status() call
    clock.advance(25 + 100 + 200);
    expect(s.status()).to.deep.include({ ready: false, state: 'failing', write_errors: 3, reopened: 0, pending: 2 });
    expect(s.status().last_error).to.contain(`${dir} is not a directory`);
    expect(log.lines.map((l) => l[1])).to.deep.equal([
      'continuity database file removed or replaced while open; opening a fresh file', 'continuity write failed; records kept and retried',
    ]);

    rmSync(dir);
    clock.advance(400);
    expect(s.status()).to.deep.include({ ready: true, reopened: 1, pending: 0 });
    expect(rows(path, 'SELECT principal FROM a_legs ORDER BY principal')).to.deep.equal([{ principal: 'alice' }, { principal: 'bob' }]);
  });

  it('the disk fills (a 1 MiB tmpfs where mount is allowed, else an injected SQLITE_FULL): kept, retried, written once there is room', () => {
    const dir = join(root, 'small');
    mkdirSync(dir);
    const real = mountTmpfs(dir, '1m');
    if (real) undo.push(() => sh('umount', [dir]));
    const path = join(dir, 'lip.db');
    const s = open(path);
    serve(s, 'alice');
    clock.advance(25);

    const fillers: string[] = [];
    if (real) {
      try {
        for (;;) {
          const filler = join(dir, `filler-${fillers.length}`);
          writeFileSync(filler, Buffer.alloc(16_384));
          fillers.push(filler);
        }
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).to.equal('ENOSPC');
      }
    } else {
      injected = sqliteError('SQLITE_FULL', 'database or disk is full');
    }
    // A stored response far larger than what is left: the write cannot fit.
    s.saveResponse({ id: 'resp_big', principal: 'alice', input: [user('x')], output: reply('y'.repeat(200_000)) });
    serve(s, 'bob');
    clock.advance(25 + 100);
    expect(s.status()).to.deep.include({ ready: false, state: 'failing', write_errors: 2, pending: 3, lost: 0, dropped: 0 });
    expect(s.status().last_error).to.match(/^SQLITE_FULL/);
    expect(log.lines.map((l) => l[1])).to.deep.equal(['continuity write failed; records kept and retried']);

    for (const filler of fillers) rmSync(filler);
    injected = undefined;
    clock.advance(200);
    expect(s.status()).to.deep.include({ ready: true, state: 'ok', pending: 0 });
    expect(rows(path, 'SELECT response_id FROM responses')).to.deep.equal([{ response_id: 'resp_big' }]);
  });
  it('a damaged file is refused at open with LIP_ERR_CONTINUITY_UNAVAILABLE naming it, and left closed', () => {
    const path = join(root, 'lip.db');
    const s = open(path);
    for (let i = 0; i < 100; i++) s.resolveALeg('alice', `session-${i}`);
    clock.advance(25);
    s.close();
    store = undefined;
    // The schema and the migrations still read; the A-legs' pages are garbage.
    const db = new BetterSqlite3(path);
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const roots = db.prepare("SELECT rootpage FROM sqlite_master WHERE tbl_name = 'a_legs' AND rootpage > 0").pluck().all() as number[];
    db.close();
    const fd = openSync(path, 'r+');
    for (const page of roots) writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (page - 1) * pageSize);
    closeSync(fd);

    const handles = () => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(path);
      } catch {
        return false;
      }
    }).length;
    expect(() => open(path)).to.throw(LipError, `cannot prepare the continuity database ${path}: database disk image is malformed`)
      .with.property('code', 'LIP_ERR_CONTINUITY_UNAVAILABLE');
    expect(handles()).to.equal(0);
  });
});
