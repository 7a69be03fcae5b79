import { expect } from 'chai';
import { LegTable, legInfo, newLegState, resolvedALeg } from '../../lib/continuity/leg-table.js';

const ids = (table: LegTable) => [...table.oldestFirst()].map((s) => s.aLegId);

describe('continuity/LegTable', () => {
  it('iterates from the least recently seen; touch moves a leg to the end', () => {
    const table = new LegTable();
    const [a, b, c] = ['a', 'b', 'c'].map((id, i) => newLegState(id, 'p', `s${id}`, i));
    for (const s of [a!, b!, c!]) table.add(s);
    expect(ids(table)).to.deep.equal(['a', 'b', 'c']);
    table.touch(a!, 10);
    expect([ids(table), a!.lastSeenAt]).to.deep.equal([['b', 'c', 'a'], 10]);
  });

  it('finds legs by id and by (principal, session id), keeping principals apart', () => {
    const table = new LegTable();
    const mine = newLegState('a1', 'alice', 'same', 0);
    const theirs = newLegState('a2', 'bob', 'same', 0);
    table.add(mine);
    table.add(theirs);
    expect([table.get('a1'), table.findSession('alice', 'same'), table.findSession('bob', 'same'), table.findSession('carol', 'same')])
      .to.deep.equal([mine, mine, theirs, undefined]);
  });

  it('a new leg for a session replaces the old one; deleting a stale object does nothing', () => {
    const table = new LegTable();
    const old = newLegState('a1', 'alice', 's', 0);
    const fresh = newLegState('a2', 'alice', 's', 5);
    table.add(old);
    table.add(fresh);
    expect([table.size, table.get('a1'), table.findSession('alice', 's')]).to.deep.equal([1, undefined, fresh]);
    expect(table.delete(old)).to.equal(false);
    expect(table.delete(fresh)).to.equal(true);
    expect([table.size, table.findSession('alice', 's')]).to.deep.equal([0, undefined]);
  });

  it('touching a leg that is no longer held only updates its time', () => {
    const table = new LegTable();
    const gone = newLegState('a1', 'alice', 's', 0);
    table.touch(gone, 9);
    expect([table.size, gone.lastSeenAt]).to.deep.equal([0, 9]);
  });

  it('describes a leg for clients and for diagnostics', () => {
    const state = newLegState('a1', 'alice', 's1', 100);
    state.lastSeq = 4;
    state.firstConsumed = true;
    state.affinity = { candidateKey: 'b:m', boundAt: 150 };
    expect(resolvedALeg(state, false)).to.deep.equal({ aLegId: 'a1', sessionId: 's1', principal: 'alice', created: false, firstConsumed: true, affinity: { candidateKey: 'b:m', boundAt: 150 } });
    expect(legInfo(state)).to.deep.equal({
      a_leg_id: 'a1', principal: 'alice', session_id: 's1', created_at: 100, last_seen_at: 100, last_seq: 4,
      first_consumed: true, affinity_candidate_key: 'b:m', affinity_bound_at: 150,
    });
  });
});
