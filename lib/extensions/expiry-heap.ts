/** What an `ExpiryHeap` orders; `at` is its place in the heap, kept by the heap. */
export interface ExpiryItem {
  /** Epoch ms; `Infinity` for a value that never expires. */
  readonly expiresAt: number;
  /** Write order: among equal expiries, the older one comes first. */
  readonly seq: number;
  at: number;
}

/**
 * A binary min-heap by expiry: the item that expires next first, items that never expire last,
 * the older first among equals. `peek` is O(1); `push` and `remove` (of any item in the heap)
 * are O(log n). One feature's plugin state is evicted in this order (MemoryStateStore).
 *
 * ```ts
 * const heap = new ExpiryHeap<ExpiryItem>();
 * heap.push({ expiresAt: Infinity, seq: 0, at: -1 });
 * heap.push({ expiresAt: 5_000, seq: 1, at: -1 });
 * heap.peek(); // { expiresAt: 5000, seq: 1, at: 0 }
 * ```
 * @see spec/extensions/expiry-heap.spec.ts
 */
export class ExpiryHeap<T extends ExpiryItem> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    this.items.push(item);
    this.up(item, this.items.length - 1);
  }

  /** Removes `item`, which must be in this heap. */
  remove(item: T): void {
    const last = this.items.pop()!;
    if (last === item) return;
    const at = item.at;
    this.up(last, at);
    if (last.at === at) this.down(last, at);
  }

  /** Places `item` at `i` or above it. */
  private up(item: T, i: number): void {
    const items = this.items;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, items[parent]!)) break;
      this.place(items[parent]!, i);
      i = parent;
    }
    this.place(item, i);
  }

  /** Places `item` at `i` or below it. */
  private down(item: T, i: number): void {
    const items = this.items;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= items.length) break;
      if (child + 1 < items.length && before(items[child + 1]!, items[child]!)) child++;
      if (!before(items[child]!, item)) break;
      this.place(items[child]!, i);
      i = child;
    }
    this.place(item, i);
  }

  private place(item: T, i: number): void {
    this.items[i] = item;
    item.at = i;
  }
}

const before = (a: ExpiryItem, b: ExpiryItem) => a.expiresAt < b.expiresAt || (a.expiresAt === b.expiresAt && a.seq < b.seq);
