import { expect } from 'chai';
import type { ContinuityLogger } from '../../lib/continuity/index.js';
import { WriteQueue } from '../../lib/continuity/write-queue.js';
import { VirtualClock } from './virtual-clock.js';

class Refused extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/**
 * A sink standing in for the database: it keeps the batches it accepted, and fails while
 * `down` is set (a transient error) or for records listed in `poison` (a permanent one).
 */
function sink() {
  const batches: string[][] = [];
  const state = { down: false, downCode: 'SQLITE_BUSY', poison: new Set<string>(), batches, downAfterPoison: false };
  const write = (batch: readonly string[]) => {
    if (state.down) throw new Refused(state.downCode);
    if (batch.some((r) => state.poison.has(r))) {
      if (batch.length === 1 && state.downAfterPoison) state.down = true;
      throw new Refused('SQLITE_CONSTRAINT_CHECK');
    }
    batches.push([...batch]);
  };
  return { state, write };
}

function logger() {
  const lines: [string, string, Record<string, unknown> | undefined][] = [];
  const log: ContinuityLogger = {
    error: (m, meta) => lines.push(['error', m, meta]),
    warn: (m, meta) => lines.push(['warn', m, meta]),
    info: (m, meta) => lines.push(['info', m, meta]),
  };
  return { lines, log };
}

describe('continuity/WriteQueue', () => {
  let clock: VirtualClock;
  let db: ReturnType<typeof sink>;
  let logs: ReturnType<typeof logger>;
  const queue = (options: { capacity?: number; batchSize?: number; onDrained?: () => void; prepare?: () => void; durable?: (r: string) => boolean } = {}) => new WriteQueue<string>({
    write: db.write, isPermanent: (err) => err instanceof Refused && err.code.startsWith('SQLITE_CONSTRAINT'),
    scheduler: clock, log: logs.log, describe: (r) => `record ${r}`, flushDelayMs: 4, retryBaseMs: 10, retryMaxMs: 50, ...options,
  });

  beforeEach(() => {
    clock = new VirtualClock(0);
    db = sink();
    logs = logger();
  });

  it('coalesces records by key and writes them in one batch after the batching window', () => {
    const q = queue();
    q.put('a', 'a1');
    clock.advance(1);
    q.put('b', 'b1');
    q.put('a', 'a2'); // replaces a1 in place
    clock.advance(2);
    expect([db.state.batches, q.size, q.get('a')]).to.deep.equal([[], 2, 'a2']);
    clock.advance(1);
    expect([db.state.batches, q.size, q.status().last_flush_at, q.status().written]).to.deep.equal([[['a2', 'b1']], 0, 4, 2]);
    expect(clock.scheduled).to.equal(0);
  });

  it('splits a long queue into batches, one per turn, without waiting between them', () => {
    const drained: number[] = [];
    const q = queue({ batchSize: 2, onDrained: () => drained.push(clock.now()) });
    for (const r of ['1', '2', '3', '4', '5']) q.put(r, r);
    clock.advance(4);
    expect(db.state.batches).to.deep.equal([['1', '2'], ['3', '4'], ['5']]);
    expect(drained).to.deep.equal([4]);
  });

  it('keeps records through a transient failure and retries with exponential backoff up to the cap', () => {
    const q = queue();
    db.state.down = true;
    q.put('a', 'a');
    const failuresAt: number[] = [];
    for (let t = 1; t <= 200; t++) {
      const before = q.status().write_errors;
      clock.advance(1);
      if (q.status().write_errors > before) failuresAt.push(clock.now());
    }
    // first write at 4, then 10, 20, 40 and 50, 50, ... later
    expect(failuresAt).to.deep.equal([4, 14, 34, 74, 124, 174]);
    expect(q.status()).to.deep.include({ pending: 1, failing: true, write_errors: 6, retries: 5, last_error: 'SQLITE_BUSY: SQLITE_BUSY', last_error_at: 174 });
    // One line when the fault starts, not one per failed write.
    expect(logs.lines).to.deep.equal([['error', 'continuity write failed; records kept and retried', {
      error: 'SQLITE_BUSY: SQLITE_BUSY', pending: 1, consecutive_failures: 1, retry_in_ms: 10,
    }]]);
    db.state.down = false;
    clock.advance(50);
    expect([db.state.batches, q.status().failing, q.size, q.status().retries]).to.deep.equal([[['a']], false, 0, 6]);
    expect(logs.lines.at(-1)).to.deep.equal(['warn', 'continuity writes recovered', { failed_flushes: 6, dropped: 0, pending: 0 }]);
    expect(logs.lines).to.have.length(2);
  });

  it('logs again when a failing database fails in a new way, not when it fails the same way', () => {
    const q = queue();
    db.state.down = true;
    q.put('a', 'a');
    clock.advance(4 + 10 + 20);
    expect([q.status().write_errors, logs.lines.length]).to.deep.equal([3, 1]);
    db.state.downCode = 'SQLITE_FULL';
    clock.advance(40 + 50);
    expect([q.status().write_errors, logs.lines.length]).to.deep.equal([5, 2]);
    expect(logs.lines.map((l) => [l[1], l[2]?.error, l[2]?.consecutive_failures])).to.deep.equal([
      ['continuity write failed; records kept and retried', 'SQLITE_BUSY: SQLITE_BUSY', 1],
      ['continuity write failed; records kept and retried', 'SQLITE_FULL: SQLITE_FULL', 4],
    ]);
  });

  it('never refuses a record: at capacity the oldest is dropped, counted, and logged once', () => {
    const q = queue({ capacity: 2 });
    db.state.down = true;
    q.put('a', 'a');
    expect(q.full).to.equal(false);
    q.put('b', 'b');
    expect(q.full).to.equal(true);
    q.put('b', 'b2'); // same key: replaced in place, nothing dropped
    expect(q.status().dropped).to.equal(0);
    q.put('c', 'c');
    q.put('d', 'd');
    expect([q.size, q.full, q.get('a'), q.get('b'), q.status().dropped]).to.deep.equal([2, true, undefined, undefined, 2]);
    expect(logs.lines).to.deep.equal([['error', 'continuity write queue is full; the oldest records are being dropped', { capacity: 2, first_dropped: 'record a', last_error: null }]]);
    db.state.down = false;
    clock.advance(4);
    expect([db.state.batches, q.full, q.status().dropped]).to.deep.equal([[['c', 'd']], false, 2]);
    expect(logs.lines.at(-1)).to.deep.equal(['warn', 'continuity writes recovered', { failed_flushes: 0, dropped: 2, pending: 0 }]);
  });

  it('never drops a durable record: at capacity the oldest other one goes, and with none the queue holds more', () => {
    const q = queue({ capacity: 2, durable: (r) => r.startsWith('kept') });
    db.state.down = true;
    q.put('k1', 'kept1');
    q.put('a', 'a');
    q.put('k2', 'kept2'); // pushes out a, not the older kept1
    expect([q.size, q.get('k1'), q.get('a'), q.status().dropped]).to.deep.equal([2, 'kept1', undefined, 1]);
    q.put('k3', 'kept3'); // nothing but durable records pending: none goes
    q.put('b', 'b');
    expect([q.size, q.status().dropped]).to.deep.equal([4, 1]);
    q.put('c', 'c'); // b, the oldest that may go
    expect([q.size, q.get('b'), q.status().dropped]).to.deep.equal([4, undefined, 2]);
    db.state.down = false;
    clock.advance(4);
    expect([db.state.batches, q.size]).to.deep.equal([[['kept1', 'kept2', 'kept3', 'c']], 0]);
  });

  it('runs prepare before every write, even with nothing pending; a throw is a failed write, retried', () => {
    const broken = { now: true };
    let calls = 0;
    const q = queue({ prepare: () => {
      calls++;
      if (broken.now) throw new Refused('SQLITE_CANTOPEN');
    } });
    q.wake();
    clock.advance(0);
    expect([calls, q.status().failing, q.status().last_error]).to.deep.equal([1, true, 'SQLITE_CANTOPEN: SQLITE_CANTOPEN']);
    clock.advance(10);
    expect([calls, q.status().write_errors, q.status().retries]).to.deep.equal([2, 2, 1]);
    broken.now = false;
    clock.advance(20);
    expect([calls, q.status().failing, clock.scheduled]).to.deep.equal([3, false, 0]);
    expect(logs.lines.map((l) => l[1])).to.deep.equal(['continuity write failed; records kept and retried', 'continuity writes recovered']);
  });

  it('isolates a record refused for itself, logs it by name, and writes the rest', () => {
    const q = queue();
    db.state.poison.add('bad');
    for (const r of ['one', 'bad', 'two']) q.put(r, r);
    clock.advance(4);
    expect(db.state.batches).to.deep.equal([['one'], ['two']]);
    expect(q.status()).to.deep.include({ pending: 0, failed_records: 1, written: 2, failing: false });
    expect(logs.lines).to.deep.equal([['error', 'continuity record refused by the database; it is not stored', { record: 'record bad', error: 'SQLITE_CONSTRAINT_CHECK: SQLITE_CONSTRAINT_CHECK' }]]);
  });

  it('stops isolating and keeps the remainder when the database goes down midway', () => {
    const q = queue();
    db.state.poison.add('bad');
    db.state.downAfterPoison = true;
    for (const r of ['bad', 'next']) q.put(r, r);
    clock.advance(4);
    expect([q.size, q.get('next'), q.status().failed_records, q.status().failing]).to.deep.equal([1, 'next', 1, true]);
  });

  it('whenWritten: everything pending is written at the end of the turn, not after the window, and then it settles', async () => {
    const q = queue({ batchSize: 2 });
    await q.whenWritten(); // nothing pending: at once
    for (const r of ['1', '2', '3']) q.put(r, r);
    clock.advance(1);
    const first = q.whenWritten();
    q.put('4', '4');
    const second = q.whenWritten(); // the same write
    expect(db.state.batches).to.deep.equal([]);
    await Promise.all([first, second]);
    // Every record pending, in batches, with no virtual time passing: the window (4 ms) was not waited for.
    expect([db.state.batches, q.size, clock.now()]).to.deep.equal([[['1', '2'], ['3', '4']], 0, 1]);
    // The window's timer finds nothing left to write.
    clock.advance(4);
    expect([db.state.batches.length, q.status().written]).to.deep.equal([2, 4]);
  });

  it('whenWritten settles once the write failed (the records stay and are retried), and at once while writes fail', async () => {
    const q = queue();
    db.state.down = true;
    q.put('a', 'a');
    await q.whenWritten();
    expect([q.size, q.status().failing, q.status().write_errors]).to.deep.equal([1, true, 1]);
    // Failing: nobody waits out the backoff, nor cuts it short.
    await q.whenWritten();
    expect(q.status().write_errors).to.equal(1);
    db.state.down = false;
    clock.advance(10);
    expect([db.state.batches, q.size]).to.deep.equal([[['a']], 0]);
  });

  it('whenWritten settles at close', async () => {
    const q = queue();
    q.put('a', 'a');
    const waiting = q.whenWritten();
    expect(q.close()).to.equal(0);
    await waiting;
    expect(db.state.batches).to.deep.equal([['a']]);
  });

  it('flushNow writes everything at once and reports whether it could', () => {
    const q = queue({ batchSize: 1 });
    q.put('a', 'a');
    q.put('b', 'b');
    expect(q.flushNow()).to.equal(true);
    expect(db.state.batches).to.deep.equal([['a'], ['b']]);
    db.state.down = true;
    q.put('c', 'c');
    expect([q.flushNow(), q.size]).to.deep.equal([false, 1]);
  });

  it('close writes what it can, stops the timer and says how many records are left', () => {
    const q = queue();
    q.put('a', 'a');
    expect(q.close()).to.equal(0);
    expect([db.state.batches, clock.scheduled]).to.deep.equal([[['a']], 0]);
    const failing = queue();
    db.state.down = true;
    failing.put('b', 'b');
    expect(failing.close()).to.equal(1);
    clock.advance(1_000);
    expect(failing.status().write_errors).to.equal(1);
  });
});
