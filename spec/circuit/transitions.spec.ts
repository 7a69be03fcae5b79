import { expect } from 'chai';
import { ALLOW, admit, applyOutcome, closedAt, mergedOf, toRow } from '../../lib/circuit/transitions.js';
import type { CircuitPolicy, CircuitRecord } from '../../lib/circuit/types.js';

const P: CircuitPolicy = { failureThreshold: 2, openForMs: 100, halfOpenProbes: 2, keyTtlMs: 10_000 };
const open = (openedAt: number, failures = 2): CircuitRecord => ({ state: 'open', failures, openedAt, probes: 0, probeWindowAt: 0, updatedAt: openedAt });
const half = (probeWindowAt: number, probes: number): CircuitRecord => ({ state: 'half_open', failures: 2, openedAt: 0, probes, probeWindowAt, updatedAt: probeWindowAt });

describe('circuit/transitions', () => {
  describe('admit', () => {
    it('admits a closed circuit with the shared frozen decision and changes nothing', () => {
      const closed = { ...closedAt(5), failures: 1 };
      expect(admit(undefined, 0, P)).to.deep.equal({ record: undefined, decision: ALLOW });
      const result = admit(closed, 9, P);
      expect(result.record).to.equal(closed);
      expect(result.decision).to.equal(ALLOW);
      expect(Object.isFrozen(ALLOW)).to.equal(true);
    });

    it('refuses an open circuit until the boundary instant, with the remaining wait', () => {
      const record = open(1_000);
      expect(admit(record, 1_000, P).decision).to.deep.equal({ allowed: false, probe: false, state: 'open', retryAfterMs: 100 });
      expect(admit(record, 1_099, P)).to.deep.equal({ record, decision: { allowed: false, probe: false, state: 'open', retryAfterMs: 1 } });
    });

    it('at open_for turns half-open and hands out the first probe slot', () => {
      expect(admit(open(1_000), 1_100, P)).to.deep.equal({
        record: { state: 'half_open', failures: 2, openedAt: 1_000, probes: 1, probeWindowAt: 1_100, updatedAt: 1_100 },
        decision: { allowed: true, probe: true, state: 'half_open' },
      });
    });

    it('hands out half_open_probes slots, then refuses until the probe window ends', () => {
      expect(admit(half(500, 1), 510, P).record).to.deep.include({ probes: 2, updatedAt: 510 });
      expect(admit(half(500, 2), 510, P).decision).to.deep.equal({ allowed: false, probe: false, state: 'half_open', retryAfterMs: 90 });
      expect(admit(half(500, 2), 600, P).record).to.deep.include({ probes: 1, probeWindowAt: 600 });
    });

    it('without take, previews the answer and changes nothing', () => {
      const record = open(0);
      expect(admit(record, 100, P, false)).to.deep.equal({ record, decision: { allowed: true, probe: true, state: 'half_open' } });
      expect(admit(half(0, 2), 10, P, false).decision.allowed).to.equal(false);
    });
  });

  describe('applyOutcome', () => {
    it('counts failures and opens at the threshold', () => {
      const one = applyOutcome(undefined, 'failure', false, 7, P);
      expect(one).to.deep.equal({ state: 'closed', failures: 1, openedAt: 0, probes: 0, probeWindowAt: 0, updatedAt: 7 });
      expect(applyOutcome(one, 'failure', false, 9, P)).to.deep.equal(open(9));
    });

    it('a success clears a failure streak and closes a half-open circuit', () => {
      expect(applyOutcome({ ...closedAt(0), failures: 1 }, 'success', false, 3, P)).to.deep.equal(closedAt(3));
      expect(applyOutcome(half(0, 1), 'success', true, 4, P)).to.deep.equal(closedAt(4));
    });

    it('returns the same record when nothing changes', () => {
      const o = open(0);
      expect(applyOutcome(undefined, 'success', false, 1, P)).to.equal(undefined);
      expect(applyOutcome(o, 'success', false, 1, P)).to.equal(o);
      expect(applyOutcome(o, 'cancelled', true, 1, P)).to.equal(o);
      const h = half(0, 1);
      expect(applyOutcome(h, 'cancelled', false, 1, P)).to.equal(h);
      expect(applyOutcome(half(0, 0), 'ignored', true, 1, P)).to.deep.equal(half(0, 0));
    });

    it('a half-open failure re-opens at once, whatever the threshold', () => {
      expect(applyOutcome(half(0, 1), 'failure', true, 50, P)).to.deep.equal(open(50, 3));
    });

    it('a cancelled or ignored probe releases its slot', () => {
      expect(applyOutcome(half(0, 2), 'cancelled', true, 5, P)).to.deep.include({ probes: 1, updatedAt: 5 });
      expect(applyOutcome(half(0, 1), 'ignored', true, 6, P)).to.deep.include({ probes: 0 });
    });
  });

  describe('mergedOf', () => {
    it('of two records in the same class keeps the one updated last; on a tie the stored one', () => {
      const older = open(10);
      const newer = { ...half(20, 1), openedAt: 10 };
      expect(mergedOf(older, newer)).to.equal(newer);
      expect(mergedOf(newer, older)).to.equal(newer);
      expect(mergedOf(older, undefined)).to.equal(older);
      const one = { ...closedAt(30), failures: 1 };
      const two = { ...closedAt(40), failures: 2 };
      expect(mergedOf(one, two)).to.equal(two);
      expect(mergedOf(two, one)).to.equal(two);
      const tie = open(10, 5);
      expect(mergedOf(tie, older)).to.equal(older);
    });

    it('a closed record holding only failures never replaces an open or half-open one, however late', () => {
      const failures = { ...closedAt(20), failures: 1 };        // another instance's one failure, after the open
      expect(mergedOf(failures, open(10))).to.deep.equal(open(10));
      expect(mergedOf(open(10), failures)).to.deep.equal(open(10));
      expect(mergedOf(failures, half(15, 1))).to.deep.equal(half(15, 1));
      expect(mergedOf(half(15, 1), failures)).to.deep.equal(half(15, 1));
      expect(mergedOf({ ...closedAt(5), failures: 1 }, open(10))).to.deep.equal(open(10));
    });

    it('a clean record (a recovery) replaces an open or half-open one only when newer; a tie keeps the open one', () => {
      expect(mergedOf(closedAt(20), open(10))).to.deep.equal(closedAt(20));
      expect(mergedOf(open(10), closedAt(20))).to.deep.equal(closedAt(20));
      expect(mergedOf(closedAt(20), half(15, 1))).to.deep.equal(closedAt(20));
      expect(mergedOf(closedAt(5), open(10))).to.deep.equal(open(10));
      expect(mergedOf(closedAt(10), open(10))).to.deep.equal(open(10));
      expect(mergedOf(open(10), closedAt(10))).to.deep.equal(open(10));
    });
  });

  describe('toRow', () => {
    it('shows open circuits with their next probe time, elapsed ones as half-open', () => {
      const at = Date.UTC(2026, 0, 1);
      expect(toRow('k', open(at), at + 10, P)).to.deep.equal({
        key: 'k', state: 'open', failures: 2, opened_at: '2026-01-01T00:00:00.000Z', next_probe_at: '2026-01-01T00:00:00.100Z',
      });
      expect(toRow('k', open(at), at + 150, P)).to.deep.include({ state: 'half_open', next_probe_at: '2026-01-01T00:00:00.150Z' });
      expect(toRow('k', { ...half(at, 2), openedAt: at - 100 }, at + 30, P)).to.deep.include({ state: 'half_open', next_probe_at: '2026-01-01T00:00:00.100Z' });
      expect(toRow('k', { ...closedAt(at), failures: 1 }, at, P)).to.deep.equal({ key: 'k', state: 'closed', failures: 1, opened_at: null, next_probe_at: null });
    });
  });
});
