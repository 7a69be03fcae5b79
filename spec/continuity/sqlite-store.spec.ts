import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { collectEvents, type Message } from '../../lib/canonical/index.js';
import { createContinuityStore, MIGRATIONS, SqliteContinuityStore, type ContinuityStore } from '../../lib/continuity/index.js';
import { USAGE_CHUNK } from '../../lib/continuity/usage-summary.js';
import { LipError } from '../../lib/errors/index.js';
import { runStoreSuite } from './store-suite.js';
import { T0, VirtualClock } from './virtual-clock.js';
import { logRecorder } from './log-recorder.js';

let dir: string | undefined;
const freshPath = () => {
  dir = mkdtempSync(join(tmpdir(), 'lip-continuity-'));
  return join(dir, 'lip.db');
};
const removeDir = () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
};

runStoreSuite('sqlite', {
  open: (clock, config) => createContinuityStore({ store: 'sqlite', sqlite_path: freshPath(), ...config }, { scheduler: clock }),
  cleanup: removeDir,
});

const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const reply = (text: string) => collectEvents([{ type: 'text_delta', text }, { type: 'response_finished', reason: 'stop' }]);
const start = { candidateKey: 'a:m', backendId: 'a', model: 'm' };


describe('continuity/SqliteContinuityStore', () => {
  let path: string;
  let clock: VirtualClock;
  let log: ReturnType<typeof logRecorder>;
  let peer: BetterSqlite3.Database | undefined;
  const stores: ContinuityStore[] = [];
  const open = (options: Partial<ConstructorParameters<typeof SqliteContinuityStore>[0]> = {}): SqliteContinuityStore => {
    const store = new SqliteContinuityStore({ path, ttlMs: 3_600_000, maxLegs: 1_000, scheduler: clock, log, busyTimeoutMs: 0, ...options });
    stores.push(store);
    return store;
  };
  /** A second connection to the same file: what another process (or the next lip) sees. */
  const peerDb = () => (peer ??= new BetterSqlite3(path));
  const count = (table: string) => (peerDb().prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

  beforeEach(() => {
    path = freshPath();
    clock = new VirtualClock();
    log = logRecorder();
  });

  afterEach(async () => {
    if (peer?.inTransaction) peer.exec('ROLLBACK');
    peer?.close();
    peer = undefined;
    for (const store of stores.splice(0)) await store.close();
    removeDir();
  });

  it('survives a restart: lineage, sessions, sequence numbers, routing state and stored responses', async () => {
    const first = open();
    const leg = first.resolveALeg('alice', 'conv');
    const failed = first.beginAttempt(leg.aLegId, { candidateKey: 'a:m1', backendId: 'a', model: 'm1' });
    clock.advance(30);
    first.finishAttempt(failed, { outcome: 'swallowed_failure', reason: 'LIP_ERR_UPSTREAM_STATUS: 503', httpStatus: 503 });
    const served = first.beginAttempt(leg.aLegId, { candidateKey: 'b:m2', backendId: 'b', model: 'm2' });
    clock.advance(20);
    first.firstOutput(served);
    first.finishAttempt(served, { outcome: 'success', httpStatus: 200 });
    first.markFirstConsumed(leg.aLegId);
    first.bindAffinity(leg.aLegId, 'b:m2');
    first.saveResponse({ id: 'resp_1', principal: 'alice', input: [user('hi')], output: reply('hello'), aLegId: leg.aLegId, sessionId: 'conv' });
    first.saveResponse({ id: 'resp_2', principal: 'alice', previousResponseId: 'resp_1', input: [user('again')], output: reply('hello again') });
    const before = await first.attempts(leg.aLegId, 'alice');
    await first.close();

    clock.advance(60_000);
    const second = open();
    expect(await second.attempts(leg.aLegId, 'alice')).to.deep.equal(before);
    expect(before?.map((r) => [r.seq, r.outcome, r.started_at, r.finished_at])).to.deep.equal([
      [1, 'swallowed_failure', T0, T0 + 30], [2, 'success', T0 + 30, T0 + 50],
    ]);
    const resumed = second.resolveALeg('alice', 'conv');
    expect(resumed).to.deep.equal({
      aLegId: leg.aLegId, sessionId: 'conv', principal: 'alice', created: false,
      firstConsumed: true, affinity: { candidateKey: 'b:m2', boundAt: T0 + 50 },
    });
    expect(second.beginAttempt(leg.aLegId, start).seq).to.equal(3);
    expect((await second.loadConversation('resp_2', 'alice')).messages.map((m) => m.role)).to.deep.equal(['user', 'assistant', 'user', 'assistant']);
    expect(second.status().legs).to.equal(1);
  });

  it('deletes a stored response from the file, behind the request like every write, and it stays deleted after a restart', async () => {
    const first = open();
    const echo = { instructions: 'Be brief.' };
    first.saveResponse({ id: 'resp_1', principal: 'alice', input: [user('hi')], output: reply('hello'), echo });
    first.saveResponse({ id: 'resp_2', principal: 'alice', input: [user('bye')], output: reply('bye') });
    await first.flush();
    expect(peerDb().prepare('SELECT response_id, echo_json FROM responses ORDER BY response_id').all()).to.deep.equal([
      { response_id: 'resp_1', echo_json: JSON.stringify(echo) }, { response_id: 'resp_2', echo_json: null },
    ]);
    await first.deleteResponse('resp_1', 'alice');
    expect([count('responses'), first.status().pending]).to.deep.equal([2, 1]); // still in the file, hidden by the pending deletion
    try {
      await first.loadResponse('resp_1', 'alice');
      expect.fail('read a deleted response');
    } catch (err) {
      expect((err as LipError).code).to.equal('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND');
    }
    clock.advance(25);
    expect(count('responses')).to.equal(1);
    await first.close();
    const second = open();
    expect((await second.loadResponse('resp_2', 'alice')).echo).to.equal(undefined);
    try {
      await second.loadResponse('resp_1', 'alice');
      expect.fail('a deleted response came back after a restart');
    } catch (err) {
      expect((err as LipError).code).to.equal('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND');
    }
  });

  it('sums usage a range of rows per statement, yielding to the event loop between them; a range may end inside an A-leg', async () => {
    // One statement over every row held the event loop for seconds (1.4 s for 250,000 rows).
    const store = open();
    const legs = [store.resolveALeg('alice'), store.resolveALeg('bob'), store.resolveALeg('alice')];
    const rows = Math.ceil((USAGE_CHUNK * 5) / 3) + 7;
    for (const [i, leg] of legs.entries()) {
      for (let n = 0; n < rows; n++) {
        const t = store.beginAttempt(leg.aLegId, { candidateKey: `a:m${n % 3}`, backendId: 'a', model: `m${n % 3}` });
        store.finishAttempt(t, { outcome: 'success', usage: { inputTokens: i + 1 }, cost: 0.5 });
      }
    }
    await store.flush();
    let settled = false;
    let turns = 0;
    const counted = (async () => {
      for (await nextTurn(); !settled; await nextTurn()) turns++;
    })();
    const all = await store.usage({ groupBy: 'principal' }).finally(() => { settled = true; });
    await counted;
    expect(all.groups.map((g) => [g.group, g.attempts, g.input_tokens, g.cost])).to.deep.equal([['alice', 2 * rows, 4 * rows, rows], ['bob', rows, 2 * rows, rows / 2]]);
    expect(turns).to.be.at.least(4);
    const bob = await store.usage({ groupBy: 'model', principal: 'bob', limit: 2 });
    expect([bob.groups.reduce((n, g) => n + g.attempts, 0) + (bob.other?.attempts ?? 0), bob.other?.groups]).to.deep.equal([rows, 1]);
  });

  it('uses WAL and records its schema version', () => {
    open();
    expect(peerDb().pragma('journal_mode', { simple: true })).to.equal('wal');
    expect(peerDb().prepare('SELECT version, name FROM lip_schema_migrations').all()).to.deep.equal(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
  });

  it('writes behind the request: nothing reaches the file before the batch timer, then one batch', async () => {
    const store = open();
    const leg = store.resolveALeg('alice');
    const ticket = store.beginAttempt(leg.aLegId, start);
    store.firstOutput(ticket);
    store.finishAttempt(ticket, { outcome: 'success', httpStatus: 200 });
    clock.advance(24);
    expect([count('a_legs'), count('attempts'), store.status().pending]).to.deep.equal([0, 0, 2]);
    clock.advance(1);
    expect([count('a_legs'), count('attempts')]).to.deep.equal([1, 1]);
    expect(store.status()).to.deep.include({ pending: 0, written: 2, last_flush_at: T0 + 25, state: 'ok' });
    expect(clock.scheduled).to.equal(1); // the pruning timer only: no write timer runs while nothing is pending
  });

  it('logs, counts and retries a failing database with backoff, reports it, and loses nothing', async () => {
    const store = open();
    peerDb().exec('BEGIN IMMEDIATE'); // another writer holds the lock
    const leg = store.resolveALeg('alice');
    const ticket = store.beginAttempt(leg.aLegId, start);
    store.finishAttempt(ticket, { outcome: 'success', httpStatus: 200 });
    clock.advance(25);
    expect(store.status()).to.deep.include({ ready: false, state: 'failing', pending: 2, write_errors: 1, written: 0 });
    expect(store.status().last_error).to.match(/^SQLITE_BUSY/);
    expect(log.lines[0]?.slice(0, 2)).to.deep.equal(['error', 'continuity write failed; records kept and retried']);
    expect(log.lines[0]?.[2]).to.deep.include({ pending: 2, consecutive_failures: 1, retry_in_ms: 100 });
    expect((await store.attempts(leg.aLegId))?.map((r) => r.outcome)).to.deep.equal(['success']); // pending rows stay readable
    clock.advance(99);
    expect(store.status().write_errors).to.equal(1);
    clock.advance(1);
    expect(store.status().write_errors).to.equal(2);
    clock.advance(200);
    expect([store.status().write_errors, store.status().retries, log.lines.length]).to.deep.equal([3, 2, 1]); // one line per fault, not per write
    expect(store.status().reason).to.match(/^writes to .* are failing \(SQLITE_BUSY: database is locked\); records are kept and retried$/);
    try {
      await store.flush();
      expect.fail('flush should report the failure');
    } catch (err) {
      expect((err as LipError).code).to.equal('LIP_ERR_CONTINUITY_UNAVAILABLE');
    }
    peerDb().exec('COMMIT');
    clock.advance(400);
    expect(store.status()).to.deep.include({ ready: true, state: 'ok', pending: 0, written: 2 });
    expect(log.lines.at(-1)?.slice(0, 2)).to.deep.equal(['warn', 'continuity writes recovered']);
    expect(count('attempts')).to.equal(1);
  });

  it('keeps serving when the queue is full: the oldest records are dropped, counted and logged once', async () => {
    const store = open({ queue: { capacity: 3 } });
    peerDb().exec('BEGIN IMMEDIATE');
    const leg = store.resolveALeg('alice');
    const ticket = store.beginAttempt(leg.aLegId, start);
    store.resolveALeg('bob');
    clock.advance(25);
    const carol = store.resolveALeg('carol'); // no 503: serving goes on
    const second = store.beginAttempt(leg.aLegId, start);
    store.firstOutput(ticket);
    store.finishAttempt(ticket, { outcome: 'success', httpStatus: 200 });
    expect([carol.created, second.seq]).to.deep.equal([true, 2]);
    // Pushed out, oldest first: alice's and bob's A-legs, the first attempt, carol's A-leg.
    expect(store.status()).to.deep.include({ ready: false, state: 'full', rejected: 0, pending: 3, dropped: 4 });
    expect(store.status().reason).to.equal('the write queue is full (3 records; last error: SQLITE_BUSY: database is locked); the oldest are being dropped');
    expect(log.lines.map((l) => l[1])).to.deep.equal([
      'continuity write failed; records kept and retried', 'continuity write queue is full; the oldest records are being dropped',
    ]);
    peerDb().exec('COMMIT');
    clock.advance(100);
    expect(store.status()).to.deep.include({ ready: true, pending: 0, lost: 0, dropped: 4, written: 3 });
    expect(log.lines.at(-1)).to.deep.equal(['warn', 'continuity writes recovered', { failed_flushes: 1, dropped: 4, pending: 0 }]);
    // What was still queued is written, the latest state included (alice's A-leg came back with her next change).
    expect(peerDb().prepare('SELECT principal, last_seq FROM a_legs').all()).to.deep.equal([{ principal: 'alice', last_seq: 2 }]);
    expect(peerDb().prepare('SELECT seq, outcome FROM attempts ORDER BY seq').all()).to.deep.equal([{ seq: 1, outcome: 'success' }, { seq: 2, outcome: null }]);
  });

  it('never drops a durable response (a batch\'s results) from a full queue: it waits beyond the capacity until written', async () => {
    const store = open({ queue: { capacity: 2 } });
    peerDb().exec('BEGIN IMMEDIATE');
    store.saveResponse({ id: 'results-0', principal: 'alice', input: [], output: reply('line'), durable: true });
    for (const id of ['a', 'b', 'c']) store.saveResponse({ id, principal: 'alice', input: [user(id)], output: reply(id) });
    clock.advance(25);
    expect(store.status()).to.deep.include({ state: 'full', pending: 2, dropped: 2 });
    peerDb().exec('COMMIT');
    clock.advance(100);
    expect(peerDb().prepare('SELECT response_id FROM responses ORDER BY response_id').all()).to.deep.equal([{ response_id: 'c' }, { response_id: 'results-0' }]);
  });

  it('sets aside a record the database refuses, logs it, and writes the rest', async () => {
    const store = open();
    peerDb().exec("CREATE TRIGGER poison BEFORE INSERT ON attempts WHEN NEW.candidate_key = 'poison:m' BEGIN SELECT RAISE(ABORT, 'poisoned'); END");
    const leg = store.resolveALeg('alice');
    store.beginAttempt(leg.aLegId, start);
    store.beginAttempt(leg.aLegId, { ...start, candidateKey: 'poison:m' });
    store.beginAttempt(leg.aLegId, start);
    clock.advance(25);
    expect(store.status()).to.deep.include({ state: 'ok', pending: 0, failed_records: 1, written: 3 });
    expect(log.lines.map(([level, message, meta]) => [level, message, meta?.record])).to.deep.equal([
      ['error', 'continuity record refused by the database; it is not stored', `attempt ${leg.aLegId}#2`],
    ]);
    expect(peerDb().prepare('SELECT seq FROM attempts ORDER BY seq').all()).to.deep.equal([{ seq: 1 }, { seq: 3 }]);
  });

  it('counts and logs what it could not write when closed with a failing database', async () => {
    const store = open();
    peerDb().exec('BEGIN IMMEDIATE');
    store.resolveALeg('alice');
    await store.close();
    expect(store.status()).to.deep.include({ state: 'closed', lost: 1 });
    expect(log.lines.at(-1)?.slice(0, 2)).to.deep.equal(['error', 'continuity store closed with records it could not write']);
  });

  it('reads A-legs beyond its cache back from the file without reusing a sequence number', async () => {
    const store = open({ cacheLegs: 2 });
    const legs = Array.from({ length: 5 }, (_, i) => store.resolveALeg('alice', `s${i}`));
    for (const leg of legs) store.finishAttempt(store.beginAttempt(leg.aLegId, start), { outcome: 'success' });
    clock.advance(25);
    store.resolveALeg('alice', 'trigger-trim');
    const back = store.resolveALeg('alice', 's0');
    expect([back.created, back.aLegId]).to.deep.equal([false, legs[0]!.aLegId]);
    expect(store.beginAttempt(back.aLegId, start).seq).to.equal(2);
    expect((await store.attempts(legs[1]!.aLegId))?.map((r) => r.seq)).to.deep.equal([1]);
  });

  it('prunes A-legs idle past ttl (with their attempts) and expired responses from the file', async () => {
    const store = open({ ttlMs: 10_000, pruneIntervalMs: 60_000 });
    const old = store.resolveALeg('alice');
    store.finishAttempt(store.beginAttempt(old.aLegId, start), { outcome: 'success' });
    store.saveResponse({ id: 'resp_old', principal: 'alice', input: [user('x')], output: reply('y') });
    clock.advance(25);
    expect([count('a_legs'), count('attempts'), count('responses')]).to.deep.equal([1, 1, 1]);
    clock.advance(60_000);
    store.resolveALeg('alice');
    clock.advance(25);
    expect([count('a_legs'), count('attempts'), count('responses')]).to.deep.equal([1, 0, 0]);
  });

  it('prunes on its own timer without traffic: every expired A-leg past one batch, and an expired chain whole', () => {
    const store = open({ ttlMs: 10_000, pruneIntervalMs: 60_000, maxLegs: 10_000 });
    for (let i = 0; i < 2_500; i++) store.resolveALeg('alice', `s${i}`);
    const chain = (prefix: string, turns: number) => {
      for (let i = 0; i < turns; i++) {
        store.saveResponse({ id: `${prefix}${i}`, principal: 'alice', ...(i ? { previousResponseId: `${prefix}${i - 1}` } : {}), input: [user('x')], output: reply('y') });
      }
    };
    chain('resp_old', 5);
    store.saveResponse({ id: 'resp_kept0', principal: 'alice', input: [user('x')], output: reply('y') });
    clock.advance(55_000);
    store.saveResponse({ id: 'resp_kept1', principal: 'alice', previousResponseId: 'resp_kept0', input: [user('x')], output: reply('y') });
    clock.advance(25);
    expect([count('a_legs'), count('responses')]).to.deep.equal([2_500, 7]);
    clock.advance(5_000); // the 60 s timer, with nothing written since
    expect([count('a_legs'), count('responses')]).to.deep.equal([0, 2]);
    expect(store.status().legs).to.equal(0);
  });

  it('gives the pages of pruned rows back to the filesystem (a new file has incremental auto-vacuum)', () => {
    const store = open({ ttlMs: 10_000, pruneIntervalMs: 60_000 });
    for (let i = 0; i < 200; i++) store.saveResponse({ id: `resp_${i}`, principal: 'alice', input: [user('x'.repeat(8_000))], output: reply('y') });
    clock.advance(25);
    const pages = () => peerDb().pragma('page_count', { simple: true }) as number;
    const full = pages();
    expect(peerDb().pragma('auto_vacuum', { simple: true })).to.equal(2); // incremental
    clock.advance(60_000);
    expect(count('responses')).to.equal(0);
    expect(peerDb().pragma('freelist_count', { simple: true })).to.equal(0);
    expect(pages()).to.be.below(full / 10);
  });

  it('waits up to 5 s for a lock another process holds at startup, then writes with its short busy timeout', async () => {
    await open().close(); // the file and its schema
    const holder = spawn(process.execPath, ['-e', `
      const db = new (require('better-sqlite3'))(process.argv[1]);
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      db.prepare('INSERT INTO lip_settings VALUES (?, ?)').run('held', Buffer.from('x'));
      console.log('holding');
      setTimeout(() => { db.exec('COMMIT'); db.close(); }, 500);
    `, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(holder, 'exit');
    const [line] = await once(holder.stdout!, 'data') as [Buffer];
    expect(line.toString()).to.contain('holding');
    const store = open(); // blocks until the holder lets go
    await exited;
    expect(store.status()).to.include({ ready: true, legs: 0 });

    peerDb().exec("BEGIN IMMEDIATE; INSERT INTO lip_settings VALUES ('held2', x'00')");
    store.resolveALeg('alice');
    const started = performance.now();
    clock.advance(25);
    expect(performance.now() - started).to.be.below(2_500); // not the 5 s of the start
    expect(store.status()).to.include({ state: 'failing' });
    peerDb().exec('COMMIT');
  });

  it('refuses a database written by a newer lip', () => {
    const db = new BetterSqlite3(path);
    db.exec('CREATE TABLE lip_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT');
    db.prepare('INSERT INTO lip_schema_migrations VALUES (99, ?, 0)').run('from the future');
    db.close();
    expect(() => open()).to.throw(LipError, /schema version 99, newer than this lip knows \(4\)/);
  });

  it('fails to open with a clear 503-class error when the path cannot hold a database', () => {
    try {
      open({ path: dir! });
      expect.fail('a directory is not a database');
    } catch (err) {
      expect((err as LipError).code).to.equal('LIP_ERR_CONTINUITY_UNAVAILABLE');
      expect((err as LipError).message).to.contain(`cannot open the continuity database ${dir}`);
    }
  });
});
