import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import { KeyPool, KeyStates, keyScope } from '../../../lib/backends/credentials/index.js';

/** The keys' states a reload carries from one runtime's pools to the next one's. */
describe('backends/credentials/key-states', () => {
  let clock: VirtualTimeScheduler;
  beforeEach(() => { clock = new VirtualTimeScheduler(); });
  const row = { id: 'up', kind: 'openai-chat', base_url: 'http://upstream.test/v1' };
  const pool = (states: KeyStates, keys: string[], at = row) => {
    const scope = keyScope(at);
    return new KeyPool(keys, () => clock.now(), { stateOf: (fingerprint) => states.of(scope, fingerprint) });
  };

  it('a key still configured keeps its retirement and its cool-down in the next pool', () => {
    const first = new KeyStates();
    const before = pool(first, ['a', 'b', 'c']);
    before.coolDown(before.acquire()!, 600_000);
    before.retire(before.acquire()!);
    const after = pool(new KeyStates(first), ['c', 'b', 'a']);
    expect(after.state()).to.deep.equal({ usable: 1, cooling: 1, retired: 1 });
    expect([1, 2].map(() => after.acquire()!.key)).to.deep.equal(['c', 'c']);
    clock.frame = 600_000;
    expect(after.state()).to.deep.equal({ usable: 2, cooling: 0, retired: 1 });
  });

  it('what the replaced pool learns after the reload (a request still running on it) reaches the new pool', () => {
    const first = new KeyStates();
    const before = pool(first, ['a', 'b']);
    const after = pool(new KeyStates(first), ['a', 'b']);
    before.retire(before.acquire()!);
    expect(after.acquire()!.key).to.equal('b');
    expect(after.state()).to.deep.equal({ usable: 1, cooling: 0, retired: 1 });
  });

  it('a key removed by one reload and configured again by the next starts fresh', () => {
    const first = new KeyStates();
    const p1 = pool(first, ['a', 'b']);
    p1.retire(p1.acquire()!);
    const second = new KeyStates(first);
    pool(second, ['b']);
    expect(pool(new KeyStates(second), ['a', 'b']).state()).to.deep.equal({ usable: 2, cooling: 0, retired: 0 });
  });

  it('a key starts fresh for another backend id, kind or base_url', () => {
    const first = new KeyStates();
    const p1 = pool(first, ['a']);
    p1.retire(p1.acquire()!);
    const next = new KeyStates(first);
    expect(pool(next, ['a'], { ...row, base_url: 'http://elsewhere.test/v1' }).state().retired).to.equal(0);
    expect(pool(next, ['a'], { ...row, id: 'other' }).state().retired).to.equal(0);
    expect(pool(next, ['a'], { ...row, kind: 'openai-responses' }).state().retired).to.equal(0);
    expect(pool(next, ['a']).state().retired).to.equal(1);
  });
});
