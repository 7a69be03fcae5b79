/** How long a conversation's count is kept after its last turn. */
export const TURN_TTL_MS = 60 * 60 * 1000;
/** Conversations counted at once; the least recently used idle one goes first. */
export const TURN_MAX_ENTRIES = 1024;

interface Entry {
  /** The number the next reservation gets. */
  next: number;
  /** The highest committed turn (a release never rewinds below it). */
  committed: number;
  readonly inflight: Set<number>;
  expiresAt: number;
}

/**
 * Counts the turns of each conversation of one backend, for the verbosity bumps. A turn is
 * reserved when its request is prepared (concurrent turns of one conversation get distinct
 * numbers), committed when the upstream accepted it, released when it failed: a released turn
 * that was the last one hands its number back, so a failover or a refused request does not
 * move the conversation on. In memory, per process; bounded by a TTL after the last turn and by
 * a number of conversations (idle ones evicted least recently used first; a conversation with
 * a turn in flight is never dropped). Time comes from the injected clock.
 *
 * ```ts
 * const turns = new TurnCounter(() => scheduler.now());
 * const n = turns.reserve('conv-1'); // 1
 * turns.commit('conv-1', n);         // the next reservation is 2
 * ```
 * @see spec/backends/openai-codex/turn-counter.spec.ts
 */
export class TurnCounter {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number, private readonly ttlMs = TURN_TTL_MS, private readonly maxEntries = TURN_MAX_ENTRIES) {}

  get size(): number {
    return this.entries.size;
  }

  /** The next turn of `conversation` (1 for a new one), held until commit or release. */
  reserve(conversation: string): number {
    this.purge();
    const entry = this.entries.get(conversation) ?? { next: 1, committed: 0, inflight: new Set<number>(), expiresAt: 0 };
    const turn = entry.next++;
    entry.inflight.add(turn);
    this.touch(conversation, entry);
    this.evict();
    return turn;
  }

  /** The turn happened: its number stays used. */
  commit(conversation: string, turn: number): void {
    const entry = this.entries.get(conversation);
    if (!entry?.inflight.delete(turn)) return;
    entry.committed = Math.max(entry.committed, turn);
    this.touch(conversation, entry);
  }

  /** The turn failed: its number is handed back when no later turn holds on to it. */
  release(conversation: string, turn: number): void {
    const entry = this.entries.get(conversation);
    if (!entry?.inflight.delete(turn)) return;
    while (entry.next - 1 > entry.committed && !entry.inflight.has(entry.next - 1)) entry.next--;
    if (entry.next === 1 && entry.inflight.size === 0) this.entries.delete(conversation);
  }

  private touch(conversation: string, entry: Entry): void {
    entry.expiresAt = this.now() + this.ttlMs;
    this.entries.delete(conversation); // Map order is recency order
    this.entries.set(conversation, entry);
  }

  /** Drops idle conversations whose TTL has passed (the oldest come first in the Map). */
  private purge(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) return;
      if (entry.inflight.size === 0) this.entries.delete(key);
    }
  }

  /** Over the bound: the least recently used idle conversations go. */
  private evict(): void {
    if (this.entries.size <= this.maxEntries) return;
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries) return;
      if (entry.inflight.size === 0) this.entries.delete(key);
    }
  }
}

/**
 * Whether a turn gets `text.verbosity: high`: turns 1..`early` (0: none), and every
 * `every`-th turn after that (0: none).
 */
export function bumpsVerbosity(turn: number, early: number, every: number): boolean {
  if (turn <= 0) return false;
  return (early > 0 && turn <= early) || (every > 0 && turn > early && turn % every === 0);
}
