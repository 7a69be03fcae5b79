import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import { DEFAULT_COOLDOWN_MS, KeyPool, QUOTA_COOLDOWN_MS } from '../../../lib/backends/credentials/index.js';

describe('backends/credentials/key-pool', () => {
  let clock: VirtualTimeScheduler;
  beforeEach(() => { clock = new VirtualTimeScheduler(); });
  const pool = (...keys: string[]) => new KeyPool(keys, () => clock.now());

  it('rotates round-robin across requests', () => {
    const p = pool('a', 'b', 'c');
    expect([1, 2, 3, 4].map(() => p.acquire()!.key)).to.deep.equal(['a', 'b', 'c', 'a']);
  });

  it('skips the keys an attempt already tried', () => {
    const p = pool('a', 'b');
    const first = p.acquire()!;
    const second = p.acquire(new Set([first.index]))!;
    expect(second.key).to.equal('b');
    expect(p.acquire(new Set([0, 1]))).to.equal(undefined);
  });

  it('retires a key for good', () => {
    const p = pool('a', 'b');
    p.retire(p.acquire()!);
    clock.frame = 10 * 24 * 3600 * 1000;
    expect([1, 2, 3].map(() => p.acquire()!.key)).to.deep.equal(['b', 'b', 'b']);
    expect(p.state()).to.deep.equal({ usable: 1, cooling: 0, retired: 1 });
  });

  it('cools a key down until exactly its Retry-After has passed (virtual time)', () => {
    const p = pool('a', 'b');
    p.coolDown(p.acquire()!, 30_000);
    expect(p.acquire()!.key).to.equal('b');
    clock.frame = 29_999;
    expect(p.acquire()!.key).to.equal('b');
    expect(p.state()).to.deep.equal({ usable: 1, cooling: 1, retired: 0 });
    clock.frame = 30_000;
    expect([p.acquire()!.key, p.acquire()!.key].sort()).to.deep.equal(['a', 'b']);
  });

  it('cools down for 60 s when the upstream gave no Retry-After', () => {
    const p = pool('a');
    p.coolDown(p.acquire()!);
    expect(DEFAULT_COOLDOWN_MS).to.equal(60_000);
    clock.frame = 59_999;
    expect(p.acquire()).to.equal(undefined);
    expect(p.recoveryMs()).to.equal(1);
    clock.frame = 60_000;
    expect(p.acquire()!.key).to.equal('a');
  });

  it('sets a key whose quota is spent aside for an hour, and says so only while every key left is out for that', () => {
    const p = pool('a', 'b', 'c');
    p.retire(p.acquire()!);
    p.spend(p.acquire()!);
    expect(p.quotaSpent()).to.equal(false); // c is usable
    p.coolDown(p.acquire()!);
    expect(p.quotaSpent()).to.equal(false); // c is only rate-limited
    clock.frame = 60_000;
    p.spend(p.acquire()!);
    expect(QUOTA_COOLDOWN_MS).to.equal(3_600_000);
    expect(p.quotaSpent()).to.equal(true);
    expect(p.recoveryMs()).to.equal(QUOTA_COOLDOWN_MS - 60_000);
    clock.frame = QUOTA_COOLDOWN_MS;
    expect(p.quotaSpent()).to.equal(false);
    expect(p.acquire()!.key).to.equal('b');
  });

  it('reports the earliest recovery, 0 when a key is usable, undefined when all are retired', () => {
    const p = pool('a', 'b');
    expect(p.recoveryMs()).to.equal(0);
    p.coolDown({ key: 'a', index: 0 }, 5_000);
    p.coolDown({ key: 'b', index: 1 }, 2_000);
    expect(p.recoveryMs()).to.equal(2_000);
    p.retire({ key: 'a', index: 0 });
    p.retire({ key: 'b', index: 1 });
    expect(p.recoveryMs()).to.equal(undefined);
  });

  it('never shortens a cooldown that is already longer', () => {
    const p = pool('a');
    p.coolDown({ key: 'a', index: 0 }, 10_000);
    p.coolDown({ key: 'a', index: 0 }, 1_000);
    clock.frame = 5_000;
    expect(p.acquire()).to.equal(undefined);
  });

  it('an empty pool hands out nothing and has no recovery time', () => {
    const p = pool();
    expect(p.acquire()).to.equal(undefined);
    expect(p.recoveryMs()).to.equal(undefined);
    expect(p.size).to.equal(0);
  });
});
