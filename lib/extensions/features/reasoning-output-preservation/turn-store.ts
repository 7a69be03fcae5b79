import type { PlacedReasoning } from './turn-anchor.js';

/** What the store holds for one released turn. */
export interface StoredTurn {
  /** The turn's reasoning where it sat; empty once two different turns had this anchor. */
  readonly reasoning: readonly PlacedReasoning[];
  /** Two released turns of one scope had the same visible content and different reasoning. */
  readonly conflicted: boolean;
}

interface Entry extends StoredTurn {
  readonly scope: string;
  /** Whose bytes these are (the principal), for the fair share of `maxBytes`. */
  readonly owner: string;
  readonly bytes: number;
  readonly expiresAt: number;
}

export interface TurnStoreLimits {
  /** How long a turn is kept after it was released (or last stored again). */
  readonly ttlMs: number;
  /** The most bytes all turns may take, as counted by {@link turnBytes} (close to, and above, their heap). */
  readonly maxBytes: number;
}

/**
 * Heap per entry beside its parts (the map slot, the entry, its array, the scope count) and per
 * reasoning part beside its strings (the placed part, its frozen copy), measured with
 * `--expose-gc` on flat strings; strings count two bytes a character (rope slack, two-byte text).
 */
const ENTRY_OVERHEAD = 320;
const PART_OVERHEAD = 320;

/** What one kept turn costs the heap, roughly and from above. */
export function turnBytes(key: string, reasoning: readonly PlacedReasoning[]): number {
  let chars = key.length;
  for (const { part } of reasoning) chars += (part.text?.length ?? 0) + (part.signature?.length ?? 0) + (part.opaque?.length ?? 0) + (part.id?.length ?? 0) + part.dialect.length;
  return ENTRY_OVERHEAD + reasoning.length * PART_OVERHEAD + 2 * chars;
}

/** The turns one owner holds, oldest first, and the bytes they take. */
interface Holding {
  bytes: number;
  readonly entries: Map<string, Entry>;
}

/**
 * The released turns' reasoning, in process: keyed by scope (a principal or a conversation) and
 * the turn's anchor, bounded by age and by bytes, never readable across scopes. The bytes are
 * shared fairly between owners (principals), by the fair-share rule of `continuity.max_legs`:
 * past them, the owner holding the most bytes gives up its oldest turn, so one that floods the
 * store pushes out its own turns, never those of an owner holding less. A second turn with the same key and other reasoning makes the key ambiguous for good
 * (until it expires): nothing is restored from it.
 * @see docs/features.md#reasoning-output-preservation
 */
export class TurnStore {
  private readonly map = new Map<string, Entry>();
  /** Entries per scope, so that a scope with none costs a lookup. */
  private readonly scopes = new Map<string, number>();
  private readonly owners = new Map<string, Holding>();
  private used = 0;
  /** Entries dropped to stay within the bytes (not the expired ones). */
  evicted = 0;

  constructor(private limits: TurnStoreLimits, private readonly now: () => number = Date.now) {}

  /** New limits (a reload): kept turns stay, the oldest dropped while over the new size. */
  configure(limits: TurnStoreLimits): void {
    this.limits = limits;
    this.shrink(0);
  }

  get size(): number {
    return this.map.size;
  }

  get bytes(): number {
    return this.used;
  }

  /** The bytes `owner`'s turns take. */
  bytesOf(owner: string): number {
    return this.owners.get(owner)?.bytes ?? 0;
  }

  /** Whether anything is kept for `scope`. */
  holds(scope: string): boolean {
    return this.scopes.has(scope);
  }

  get(scope: string, anchor: string): StoredTurn | undefined {
    const key = keyOf(scope, anchor);
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.remove(key, entry);
      return undefined;
    }
    return entry;
  }

  /**
   * Keeps a released turn's reasoning: `stored`, `same` (already kept: its age starts again),
   * `conflicted`, or `too_large` (larger than the whole store: not kept, and an older entry of its key is gone).
   * `owner`: the principal whose share of the bytes it takes (the scope unless given).
   */
  put(scope: string, anchor: string, reasoning: readonly PlacedReasoning[], owner = scope): 'stored' | 'same' | 'conflicted' | 'too_large' {
    const key = keyOf(scope, anchor);
    const old = this.map.get(key);
    let outcome: 'stored' | 'same' | 'conflicted' = 'stored';
    let kept = reasoning;
    if (old !== undefined && old.expiresAt > this.now()) {
      if (old.conflicted || !sameReasoning(old.reasoning, reasoning)) {
        outcome = 'conflicted';
        kept = [];
      } else {
        outcome = 'same';
      }
    }
    if (old !== undefined) this.remove(key, old);
    const entry: Entry = {
      scope, owner, reasoning: Object.freeze(kept.map((p) => Object.freeze({ at: p.at, part: Object.freeze({ ...p.part }) }))),
      conflicted: outcome === 'conflicted', bytes: turnBytes(key, kept), expiresAt: this.now() + this.limits.ttlMs,
    };
    if (entry.bytes > this.limits.maxBytes) return 'too_large';
    this.shrink(entry.bytes, owner);
    this.map.set(key, entry);
    this.scopes.set(scope, (this.scopes.get(scope) ?? 0) + 1);
    let holding = this.owners.get(owner);
    if (!holding) this.owners.set(owner, (holding = { bytes: 0, entries: new Map() }));
    holding.entries.set(key, entry);
    holding.bytes += entry.bytes;
    this.used += entry.bytes;
    return outcome;
  }

  clear(): void {
    this.map.clear();
    this.scopes.clear();
    this.owners.clear();
    this.used = 0;
  }

  /**
   * Drops expired entries from the oldest on, then, until `room` more bytes of `owner`'s fit,
   * the oldest turn of the owner holding the most (counting `room` as `owner`'s).
   */
  private shrink(room: number, owner?: string): void {
    const now = this.now();
    for (const [key, entry] of this.map) {
      if (entry.expiresAt > now) break;
      this.remove(key, entry);
    }
    while (this.used + room > this.limits.maxBytes) {
      const victim = this.fairShareVictim(room, owner);
      if (victim === undefined) break;
      this.remove(victim[0], victim[1]);
      this.evicted++;
    }
  }

  /**
   * The oldest turn of the owner holding the most bytes (`room` counted as `owner`'s); among
   * equal holdings, the one whose oldest turn is older. O(owners holding turns).
   */
  private fairShareVictim(room: number, owner: string | undefined): [string, Entry] | undefined {
    let top: [string, Entry] | undefined;
    let topBytes = 0;
    for (const [name, holding] of this.owners) {
      const first = holding.entries.entries().next();
      if (first.done === true) continue;
      const bytes = holding.bytes + (name === owner ? room : 0);
      if (!top || bytes > topBytes || (bytes === topBytes && first.value[1].expiresAt < top[1].expiresAt)) {
        top = first.value;
        topBytes = bytes;
      }
    }
    return top;
  }

  private remove(key: string, entry: Entry): void {
    this.map.delete(key);
    this.used -= entry.bytes;
    const n = (this.scopes.get(entry.scope) ?? 1) - 1;
    if (n > 0) this.scopes.set(entry.scope, n);
    else this.scopes.delete(entry.scope);
    const holding = this.owners.get(entry.owner);
    if (holding?.entries.delete(key) === true) {
      holding.bytes -= entry.bytes;
      if (holding.entries.size === 0) this.owners.delete(entry.owner);
    }
  }
}

function keyOf(scope: string, anchor: string): string {
  return `${scope}\u0000${anchor}`;
}

/** Same parts at the same places (dialect, text, signature, opaque payload, item id). */
export function sameReasoning(a: readonly PlacedReasoning[], b: readonly PlacedReasoning[]): boolean {
  return a.length === b.length && a.every((x, i) => x.at === b[i]!.at && sameReasoningPart(x.part, b[i]!.part));
}

function sameReasoningPart(a: PlacedReasoning['part'], b: PlacedReasoning['part']): boolean {
  return a.dialect === b.dialect && (a.text ?? '') === (b.text ?? '') && a.signature === b.signature && a.opaque === b.opaque && a.id === b.id;
}
