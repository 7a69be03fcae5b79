import { expect } from 'chai';
import { ExpiryHeap, type ExpiryItem } from '../../lib/extensions/expiry-heap.js';

const item = (expiresAt: number, seq: number): ExpiryItem => ({ expiresAt, seq, at: -1 });

describe('extensions/ExpiryHeap', () => {
  it('gives the item that expires next first, those that never expire last, the older first among equals', () => {
    const heap = new ExpiryHeap<ExpiryItem>();
    const items = [item(Infinity, 0), item(5_000, 1), item(1_000, 2), item(Infinity, 3), item(5_000, 4)];
    for (const i of items) heap.push(i);
    const order: number[] = [];
    for (let top = heap.peek(); top !== undefined; top = heap.peek()) {
      order.push(top.seq);
      heap.remove(top);
    }
    expect(order).to.deep.equal([2, 1, 4, 0, 3]);
    expect(heap.size).to.equal(0);
  });

  it('removes any item and keeps the order of the rest (against a sorted list, seeded)', () => {
    let seed = 7;
    const rng = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const heap = new ExpiryHeap<ExpiryItem>();
    let live: ExpiryItem[] = [];
    for (let n = 0; n < 2_000; n++) {
      if (live.length > 0 && rng() < 0.4) {
        const victim = live[Math.floor(rng() * live.length)]!;
        heap.remove(victim);
        live = live.filter((i) => i !== victim);
      } else {
        const i = item(rng() < 0.2 ? Infinity : Math.floor(rng() * 50), n);
        heap.push(i);
        live.push(i);
      }
      const first = [...live].sort((a, b) => (a.expiresAt === b.expiresAt ? a.seq - b.seq : a.expiresAt < b.expiresAt ? -1 : 1))[0];
      expect(heap.peek(), `step ${n}`).to.equal(first);
      expect(heap.size).to.equal(live.length);
    }
  });
});
