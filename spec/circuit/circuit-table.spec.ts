import { expect } from 'chai';
import { CircuitTable } from '../../lib/circuit/circuit-table.js';
import { closedAt } from '../../lib/circuit/transitions.js';
import type { CircuitPolicy, CircuitRecord } from '../../lib/circuit/types.js';

const P: CircuitPolicy = { failureThreshold: 2, openForMs: 100, halfOpenProbes: 1, keyTtlMs: 1_000 };
const failing = (failures: number, at: number): CircuitRecord => ({ ...closedAt(at), failures });
const opened = (at: number): CircuitRecord => ({ state: 'open', failures: 2, openedAt: at, probes: 0, probeWindowAt: 0, updatedAt: at });

describe('circuit/CircuitTable', () => {
  it('stores only circuits that are not closed and clean', () => {
    const table = new CircuitTable(P);
    table.record('a', 'failure', false, 0);
    expect(table.has('a')).to.equal(true);
    table.record('a', 'success', false, 1);
    expect([table.has('a'), table.size]).to.deep.equal([false, 0]);
    table.put('b', closedAt(3));
    expect(table.size).to.equal(0);
  });

  it('forgets a record keyTtlMs after its last change, on access and when listing', () => {
    const table = new CircuitTable(P);
    table.put('a', failing(1, 0));
    table.put('b', failing(1, 500));
    expect(table.get('a', 999)).to.deep.include({ failures: 1 });
    expect(table.get('a', 1_000)).to.equal(undefined);
    expect(table.has('a')).to.equal(false);
    expect(table.entries(1_499).map(([k]) => k)).to.deep.equal(['b']);
    expect(table.entries(1_500)).to.deep.equal([]);
    expect(table.size).to.equal(0);
  });

  it('when full, evicts an expired record first', () => {
    const table = new CircuitTable(P, 2);
    table.put('old', opened(0));
    table.put('b', failing(1, 900));
    table.put('c', opened(1_200));
    expect([...table.keys()].sort()).to.deep.equal(['b', 'c']);
  });

  it('when full, evicts the closed circuit with the fewest failures, then the oldest, never an open one first', () => {
    const table = new CircuitTable(P, 3);
    table.put('open', opened(1));
    table.put('two', failing(2, 2));
    table.put('one', failing(1, 3));
    table.put('new1', opened(4));
    expect([...table.keys()].sort()).to.deep.equal(['new1', 'open', 'two']);
    table.put('new2', opened(5));
    expect([...table.keys()].sort()).to.deep.equal(['new1', 'new2', 'open']);
    table.put('new3', opened(6));
    expect([...table.keys()].sort()).to.deep.equal(['new1', 'new2', 'new3']);
  });

  it('replacing a key that is present never evicts another', () => {
    const table = new CircuitTable(P, 1);
    table.put('a', failing(1, 0));
    table.put('a', opened(1));
    expect(table.get('a', 1)).to.deep.include({ state: 'open' });
  });

  it('admit and record keep their results and report before and after', () => {
    const table = new CircuitTable(P);
    const first = table.record('k', 'failure', false, 0);
    expect(first.before).to.equal(undefined);
    const second = table.record('k', 'failure', false, 1);
    expect(second.after).to.deep.equal(opened(1));
    expect(table.admit('k', 50).decision.allowed).to.equal(false);
    expect(table.admit('k', 101).decision.probe).to.equal(true);
    expect(table.get('k', 101)).to.deep.include({ state: 'half_open', probes: 1 });
    expect(table.admit('k', 102, false).decision.allowed).to.equal(false);
  });
});
