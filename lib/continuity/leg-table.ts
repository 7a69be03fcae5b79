import type { AffinityBinding, ALegInfo, ResolvedALeg } from './continuity-store.js';

/** The live, mutable state of one A-leg (a store keeps one object per A-leg it holds). */
export interface LegState {
  readonly aLegId: string;
  readonly principal: string;
  readonly sessionId: string;
  readonly createdAt: number;
  lastSeenAt: number;
  /** Sequence number of the last B-leg allocated; the next one is `lastSeq + 1`. */
  lastSeq: number;
  firstConsumed: boolean;
  affinity: AffinityBinding | undefined;
  /** Attempts begun and not finished. A leg with open attempts is never evicted or expired. */
  open: number;
}

export function newLegState(aLegId: string, principal: string, sessionId: string, now: number): LegState {
  return { aLegId, principal, sessionId, createdAt: now, lastSeenAt: now, lastSeq: 0, firstConsumed: false, affinity: undefined, open: 0 };
}

export function resolvedALeg(state: LegState, created: boolean): ResolvedALeg {
  return {
    aLegId: state.aLegId, sessionId: state.sessionId, principal: state.principal, created,
    firstConsumed: state.firstConsumed, affinity: state.affinity,
  };
}

export function legInfo(state: LegState): ALegInfo {
  return {
    a_leg_id: state.aLegId, principal: state.principal, session_id: state.sessionId,
    created_at: state.createdAt, last_seen_at: state.lastSeenAt, last_seq: state.lastSeq,
    first_consumed: state.firstConsumed,
    affinity_candidate_key: state.affinity?.candidateKey ?? null,
    affinity_bound_at: state.affinity?.boundAt ?? null,
  };
}

const sessionKey = (principal: string, sessionId: string): string => `${principal}\u0000${sessionId}`;

interface Node {
  readonly state: LegState;
  prev: Node | undefined;
  next: Node | undefined;
}

/**
 * A-legs by id and by (principal, session id), in a doubly linked list from the least to the
 * most recently seen: `touch` relinks a node in O(1) and the head is the eviction candidate.
 * (Re-inserting into a `Map` to keep order looks cheaper but is not: V8 leaves every deleted
 * entry in its bucket chain until the next rehash, so touching one hot key again and again
 * costs O(n) per touch. The maps here are only written when a leg is added or removed.)
 * Policy (TTL, caps, what eviction means) belongs to the stores.
 * @see spec/continuity/leg-table.spec.ts
 */
export class LegTable {
  private readonly byId = new Map<string, Node>();
  private readonly bySession = new Map<string, Node>();
  private head: Node | undefined;
  private tail: Node | undefined;

  get size(): number {
    return this.byId.size;
  }

  get(aLegId: string): LegState | undefined {
    return this.byId.get(aLegId)?.state;
  }

  findSession(principal: string, sessionId: string): LegState | undefined {
    return this.bySession.get(sessionKey(principal, sessionId))?.state;
  }

  /** Adds a leg as the most recently seen; a leg holding the same session is dropped first. */
  add(state: LegState): void {
    const previous = this.bySession.get(sessionKey(state.principal, state.sessionId));
    if (previous && previous.state !== state) this.delete(previous.state);
    const existing = this.byId.get(state.aLegId);
    if (existing) this.delete(existing.state);
    const node: Node = { state, prev: this.tail, next: undefined };
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.byId.set(state.aLegId, node);
    this.bySession.set(sessionKey(state.principal, state.sessionId), node);
  }

  /** Marks the leg seen now and moves it to the most recently seen end. */
  touch(state: LegState, now: number): void {
    state.lastSeenAt = now;
    const node = this.byId.get(state.aLegId);
    if (!node || node.state !== state || node === this.tail) return;
    this.unlink(node);
    node.prev = this.tail;
    node.next = undefined;
    this.tail!.next = node;
    this.tail = node;
  }

  delete(state: LegState): boolean {
    const node = this.byId.get(state.aLegId);
    if (!node || node.state !== state) return false;
    this.unlink(node);
    this.byId.delete(state.aLegId);
    const key = sessionKey(state.principal, state.sessionId);
    if (this.bySession.get(key) === node) this.bySession.delete(key);
    return true;
  }

  private unlink(node: Node): void {
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
  }

  /** The least recently seen leg. */
  oldest(): LegState | undefined {
    return this.head?.state;
  }

  /** Legs from the least recently seen to the most recently seen; deleting while iterating is safe. */
  *oldestFirst(): IterableIterator<LegState> {
    for (let node = this.head; node;) {
      const next = node.next;
      yield node.state;
      node = next;
    }
  }

  clear(): void {
    this.byId.clear();
    this.bySession.clear();
    this.head = this.tail = undefined;
  }
}
