import { expect } from 'chai';
import { CircuitMirror } from '../../lib/circuit/circuit-mirror.js';
import { CircuitTable } from '../../lib/circuit/circuit-table.js';
import { closedAt } from '../../lib/circuit/transitions.js';
import type { CircuitPolicy, CircuitRecord } from '../../lib/circuit/types.js';

const P: CircuitPolicy = { failureThreshold: 2, openForMs: 100, halfOpenProbes: 1, keyTtlMs: 10_000 };
const K = 'a:m';
const failing = (failures: number, at: number): CircuitRecord => ({ ...closedAt(at), failures });
const opened = (at: number, failures = 2): CircuitRecord => ({ state: 'open', failures, openedAt: at, probes: 0, probeWindowAt: 0, updatedAt: at });

/** A mirror with its table and the transitions it reported, plus a way to apply a local failure as the breaker does. */
function setup() {
  const table = new CircuitTable(P);
  const transitions: string[] = [];
  const mirror = new CircuitMirror(table, (key, before, after, origin) => transitions.push(`${key} ${before?.state ?? 'closed'}>${after?.state ?? 'closed'} ${origin}`));
  let id = 0;
  const localFailure = (now: number) => {
    const { before } = table.record(K, 'failure', false, now);
    const op = { kind: 'record' as const, id: ++id, outcome: 'failure' as const, probe: false, now };
    mirror.begin(K, op, before);
    return op.id;
  };
  return { table, mirror, transitions, localFailure, visible: () => table.get(K, 50) };
}

describe('circuit/CircuitMirror', () => {
  it('an acknowledgement that matches the optimistic state changes nothing; its late echo is ignored', () => {
    const { mirror, localFailure, visible } = setup();
    const op = localFailure(1);
    mirror.ack(K, op, 10, failing(1, 1), 2);
    expect(visible()).to.deep.equal(failing(1, 1));
    expect(mirror.inFlight).to.equal(0);
    mirror.ack(K, op, 10, failing(1, 1), 3);
    mirror.news(K, 9, undefined, 3);
    expect(visible()).to.deep.equal(failing(1, 1));
  });

  it('news from another instance while an own op is in flight is rebased under it', () => {
    const { mirror, localFailure, visible, transitions } = setup();
    const op = localFailure(5);                       // visible: f=1 (optimistic)
    mirror.news(K, 11, failing(1, 4), 6);             // another instance's failure came first in the store
    expect(visible()).to.deep.include({ state: 'open', failures: 2, openedAt: 5 }); // ours replayed on top: threshold reached
    mirror.ack(K, op, 12, opened(5), 7);              // the store agrees
    expect(visible()).to.deep.equal(opened(5));
    expect(transitions).to.deep.equal([`${K} closed>open remote`]);
  });

  it('two own failures in flight never flap: acknowledgements in order keep the open state', () => {
    const { mirror, localFailure, visible, table, transitions } = setup();
    const first = localFailure(1);
    const second = localFailure(2);                   // threshold: open locally at once
    expect(visible()).to.deep.include({ state: 'open' });
    mirror.ack(K, first, 20, failing(1, 1), 3);       // the first reply says f=1 (the second is still in flight)
    expect(table.get(K, 3)).to.deep.include({ state: 'open', failures: 2 });
    mirror.ack(K, second, 21, opened(2), 4);
    expect(visible()).to.deep.equal(opened(2));
    expect(transitions).to.deep.equal([]);            // the breaker reported the local open itself; the mirror saw no change
  });

  it('ignores news older than what it knows, but drops the acknowledged op', () => {
    const { mirror, localFailure, visible } = setup();
    const op = localFailure(1);
    mirror.news(K, 30, failing(1, 1), 2);             // its own announcement, seen as news (op id unknown)
    mirror.ack(K, op, 30, failing(1, 1), 3);          // the reply: same version, stale
    expect(mirror.inFlight).to.equal(0);
    expect(visible()).to.deep.equal(failing(1, 1));
  });

  it('abandon forgets an op whose fate is unknown and keeps what is visible', () => {
    const { mirror, localFailure, visible } = setup();
    const op = localFailure(1);
    mirror.abandon(K, op);
    expect(mirror.inFlight).to.equal(0);
    expect(visible()).to.deep.equal(failing(1, 1));
  });

  it('reports a circuit opened or closed by another instance as a remote transition', () => {
    const { mirror, transitions } = setup();
    mirror.news(K, 5, opened(1), 2);
    mirror.news(K, 6, undefined, 3);
    expect(transitions).to.deep.equal([`${K} closed>open remote`, `${K} open>closed remote`]);
  });

  it('reset replaces everything but the kept keys, and news up to the listing version is old news', () => {
    const { mirror, table, transitions } = setup();
    mirror.news('gone:m', 3, opened(1), 1);
    mirror.news('kept:m', 4, failing(1, 1), 1);
    mirror.reset({ version: 100, records: new Map([['new:m', opened(90)], ['kept:m', opened(90)]]) }, (key) => key === 'kept:m', 95);
    expect(table.entries(95).map(([k, r]) => `${k} ${r.state}`).sort()).to.deep.equal(['kept:m closed', 'new:m open']);
    mirror.news('late:m', 99, opened(91), 96);
    expect(table.has('late:m')).to.equal(false);
    mirror.news('late:m', 101, opened(92), 96);
    expect(table.has('late:m')).to.equal(true);
    expect(transitions.slice(1)).to.deep.equal(['gone:m open>closed remote', 'new:m closed>open remote', 'late:m closed>open remote']);
  });

  it('replays admit and merge ops too, exactly as the store applies them', () => {
    const { mirror, table } = setup();
    mirror.news(K, 1, opened(0), 0);
    const before = table.get(K, 100);
    table.admit(K, 100);                              // the probe slot, optimistic
    mirror.begin(K, { kind: 'admit', id: 1, now: 100 }, before);
    mirror.begin(K, { kind: 'merge', id: 2, record: opened(50, 7) }, table.get(K, 100));
    mirror.news(K, 2, opened(0, 3), 100);             // another failure elsewhere: the base changes under both ops
    const halfOpen = { ...opened(0, 3), state: 'half_open' as const, probes: 1, probeWindowAt: 100, updatedAt: 100 };
    expect(table.get(K, 100)).to.deep.equal(halfOpen); // admit replayed on the new base; the older merge record loses
    mirror.ack(K, 2, 4, halfOpen, 101);
    mirror.ack(K, 1, 3, halfOpen, 101);               // overtaken: stale, only drops the op
    expect(table.get(K, 101)).to.deep.equal(halfOpen);
    expect(mirror.inFlight).to.equal(0);
  });

  it('a listing older than news already applied predates it: the store lost its data', () => {
    const { mirror } = setup();
    mirror.reset({ version: 40, records: new Map() }, () => false, 1);
    expect(mirror.predates({ version: 40, records: new Map() })).to.equal(false);
    mirror.news(K, 41, opened(2), 2);
    expect(mirror.predates({ version: 41, records: new Map() })).to.equal(false);
    expect(mirror.predates({ version: 0, records: new Map() })).to.equal(true); // Redis restarted empty: the counter is gone
    mirror.reset({ version: 0, records: new Map() }, () => false, 3);
    expect(mirror.predates({ version: 0, records: new Map() })).to.equal(false);
  });

  it('a listing whose counter was started again after the news last applied predates it too, though its version is newer', () => {
    const { mirror } = setup();
    mirror.reset({ version: 40, epoch: 10, records: new Map() }, () => false, 1);
    mirror.news(K, 41, opened(2), 2);
    expect(mirror.predates({ version: 45, epoch: 10, records: new Map() })).to.equal(false); // the same counter: K really closed
    expect(mirror.predates({ version: 45, records: new Map() })).to.equal(false);            // epoch unknown (an older lip seeded it)
    expect(mirror.predates({ version: 900, epoch: 900, records: new Map() })).to.equal(true); // another instance found the counter gone first
    expect(mirror.predates({ version: 905, epoch: 900, records: new Map() })).to.equal(true);
    // An instance that found the counter gone itself lists version 0 and the new seed as epoch:
    // once reset on that listing, the same epoch is no longer news.
    mirror.reset({ version: 0, epoch: 900, records: new Map() }, () => false, 3);
    expect(mirror.predates({ version: 900, epoch: 900, records: new Map() })).to.equal(false);
  });
});
