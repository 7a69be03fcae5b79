import { expect } from 'chai';
import { runInNewContext } from 'node:vm';
import { settleHeap } from '../../lib/cli/settle-heap.js';

describe('settleHeap', () => {
  it('collects garbage that is no longer reachable, and reports the heap used before and after', () => {
    // Some 30 MiB, kept long enough to be promoted to the old generation (as start-up's
    // garbage is), then dropped.
    let kept: string[] | undefined = [];
    for (let i = 0; i < 30_000; i++) kept.push('x'.repeat(1024) + i);
    for (let round = 0; round < 3; round++) for (let i = 0; i < 20_000; i++) void new Array(64).fill(i);
    expect(kept.length).to.equal(30_000);
    kept = undefined;
    const settled = settleHeap();
    expect(settled).to.not.equal(undefined);
    expect(settled!.before - settled!.after).to.be.greaterThan(10 * 1024 * 1024);
  });

  it('leaves no gc() behind: not on the global, not in a context made later (a plugin\'s)', () => {
    const hadGlobal = typeof (globalThis as { gc?: unknown }).gc;
    settleHeap();
    expect(typeof (globalThis as { gc?: unknown }).gc).to.equal(hadGlobal);
    expect(runInNewContext('typeof gc')).to.equal('undefined');
  });
});
