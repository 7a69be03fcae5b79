import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteContinuityStore } from '../../lib/continuity/index.js';
import { VirtualClock } from './virtual-clock.js';

/**
 * Two processes on one database file (`--workers 2`, or two `lip serve`): each allocated the
 * next seq from its own cached A-leg, and the second attempt written at a seq overwrote the
 * first one's row (usage and cost lost). Each attempt now keeps a row of its own.
 */
describe('continuity/SqliteContinuityStore: two processes on one file (regression)', () => {
  let dir: string;
  let path: string;
  let clock: VirtualClock;
  const stores: SqliteContinuityStore[] = [];
  const open = () => {
    const store = new SqliteContinuityStore({ path, ttlMs: 3_600_000, maxLegs: 1_000, scheduler: clock, busyTimeoutMs: 0 });
    stores.push(store);
    return store;
  };
  const start = { candidateKey: 'a:m', backendId: 'a', model: 'm' };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-continuity-'));
    path = join(dir, 'lip.db');
    clock = new VirtualClock();
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every attempt of a session served alternately by two stores, with its usage', async () => {
    const [a, b] = [open(), open()];
    const leg = a.resolveALeg('alice', 'conv');
    clock.advance(25);
    expect(b.resolveALeg('alice', 'conv').aLegId).to.equal(leg.aLegId);
    for (let i = 0; i < 6; i++) {
      const store = i % 2 === 0 ? a : b;
      store.finishAttempt(store.beginAttempt(leg.aLegId, start), { outcome: 'success', usage: { inputTokens: 10, outputTokens: 1 } });
      clock.advance(25);
    }

    const db = new BetterSqlite3(path, { readonly: true });
    const rows = db.prepare('SELECT seq, b_leg_id, input_tokens FROM attempts WHERE a_leg_id = ? ORDER BY seq').all(leg.aLegId) as { seq: number; b_leg_id: string }[];
    const lastSeq = (db.prepare('SELECT last_seq FROM a_legs WHERE a_leg_id = ?').get(leg.aLegId) as { last_seq: number }).last_seq;
    db.close();
    expect(rows.map((r) => r.seq)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(new Set(rows.map((r) => r.b_leg_id)).size).to.equal(6);
    expect(lastSeq).to.equal(6);
    expect((await a.usage({ groupBy: 'model' })).groups[0]).to.include({ attempts: 6, input_tokens: 60 });
    expect((await b.attempts(leg.aLegId))?.map((r) => r.seq)).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it('updates an attempt moved to another seq in place when it finishes', async () => {
    const [a, b] = [open(), open()];
    const leg = a.resolveALeg('alice', 'conv');
    clock.advance(25);
    b.resolveALeg('alice', 'conv');
    const first = a.beginAttempt(leg.aLegId, start);
    const second = b.beginAttempt(leg.aLegId, start); // the same seq, from b's own cache
    expect(second.seq).to.equal(first.seq);
    clock.advance(25);
    b.finishAttempt(second, { outcome: 'success', usage: { inputTokens: 7 } });
    a.finishAttempt(first, { outcome: 'cancelled' });
    clock.advance(25);

    const rows = await a.attempts(leg.aLegId);
    expect(rows?.map((r) => r.seq)).to.deep.equal([1, 2]);
    expect(rows?.map((r) => [r.b_leg_id, r.outcome, r.input_tokens]).sort()).to.deep.equal([
      [first.bLegId, 'cancelled', null],
      [second.bLegId, 'success', 7],
    ].sort());
  });
});
