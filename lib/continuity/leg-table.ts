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
  /**
   * The HMAC fingerprint of the resume token of a session lip issued (see secure-sessions.ts);
   * undefined for A-legs of client-chosen session ids and auxiliary calls.
   */
  readonly fingerprint: string | undefined;
}

export function newLegState(aLegId: string, principal: string, sessionId: string, now: number, fingerprint?: string, createdAt = now): LegState {
  return { aLegId, principal, sessionId, createdAt, lastSeenAt: now, lastSeq: 0, firstConsumed: false, affinity: undefined, open: 0, fingerprint };
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

interface Node {
  readonly state: LegState;
  prev: Node | undefined;
  next: Node | undefined;
  /** The same order, among the legs of one principal. */
  prevOwn: Node | undefined;
  nextOwn: Node | undefined;
}

/** The legs one principal holds, least recently seen first, and its legs by session id. */
interface Holding {
  head: Node | undefined;
  tail: Node | undefined;
  count: number;
  /**
   * Session ids are only unique per principal. A map per principal (rather than one map keyed
   * by principal + session id) keeps no composite key string alive for every leg.
   */
  readonly sessions: Map<string, Node>;
}

/**
 * A-legs by id and by (principal, session id), in a doubly linked list from the least to the
 * most recently seen: `touch` relinks a node in O(1) and the head is the eviction candidate.
 * (Re-inserting into a `Map` to keep order looks cheaper but is not: V8 leaves every deleted
 * entry in its bucket chain until the next rehash, so touching one hot key again and again
 * costs O(n) per touch. The maps here are only written when a leg is added or removed.)
 * Each principal's legs are also linked in the same order, with a count per principal and the
 * principals grouped by count, so that `fairShareVictim` finds the largest holder in O(1).
 * Policy (TTL, caps, what eviction means) belongs to the stores.
 * @see spec/continuity/leg-table.spec.ts
 */
export class LegTable {
  private readonly byId = new Map<string, Node>();
  private readonly byFingerprint = new Map<string, Node>();
  private readonly holdings = new Map<string, Holding>();
  /** Principals by how many legs they hold (count -> principals); `largest` is the top count. */
  private readonly byCount = new Map<number, Set<string>>();
  private largest = 0;
  private head: Node | undefined;
  private tail: Node | undefined;

  get size(): number {
    return this.byId.size;
  }

  get(aLegId: string): LegState | undefined {
    return this.byId.get(aLegId)?.state;
  }

  findSession(principal: string, sessionId: string): LegState | undefined {
    return this.holdings.get(principal)?.sessions.get(sessionId)?.state;
  }

  findFingerprint(fingerprint: string): LegState | undefined {
    return this.byFingerprint.get(fingerprint)?.state;
  }

  /** The ids of the legs `principal` holds here, least recently seen first (a copy). */
  idsOf(principal: string): string[] {
    const ids: string[] = [];
    for (let node = this.holdings.get(principal)?.head; node; node = node.nextOwn) ids.push(node.state.aLegId);
    return ids;
  }

  /** How many legs `principal` holds here. */
  held(principal: string): number {
    return this.holdings.get(principal)?.count ?? 0;
  }

  /** Adds a leg as the most recently seen; a leg holding the same session is dropped first. */
  add(state: LegState): void {
    const previous = this.holdings.get(state.principal)?.sessions.get(state.sessionId);
    if (previous && previous.state !== state) this.delete(previous.state);
    const existing = this.byId.get(state.aLegId);
    if (existing) this.delete(existing.state);
    const node: Node = { state, prev: this.tail, next: undefined, prevOwn: undefined, nextOwn: undefined };
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.byId.set(state.aLegId, node);
    if (state.fingerprint !== undefined) this.byFingerprint.set(state.fingerprint, node);
    let holding = this.holdings.get(state.principal);
    if (!holding) this.holdings.set(state.principal, (holding = { head: undefined, tail: undefined, count: 0, sessions: new Map() }));
    holding.sessions.set(state.sessionId, node);
    this.appendOwn(holding, node);
    this.recount(state.principal, holding.count, holding.count + 1);
    holding.count++;
  }

  /** Marks the leg seen now and moves it to the most recently seen end. */
  touch(state: LegState, now: number): void {
    state.lastSeenAt = now;
    const node = this.byId.get(state.aLegId);
    if (!node || node.state !== state) return;
    const holding = this.holdings.get(state.principal)!;
    if (node !== holding.tail) {
      this.unlinkOwn(holding, node);
      this.appendOwn(holding, node);
    }
    if (node === this.tail) return;
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
    if (state.fingerprint !== undefined && this.byFingerprint.get(state.fingerprint) === node) this.byFingerprint.delete(state.fingerprint);
    const holding = this.holdings.get(state.principal)!;
    if (holding.sessions.get(state.sessionId) === node) holding.sessions.delete(state.sessionId);
    this.unlinkOwn(holding, node);
    this.recount(state.principal, holding.count, holding.count - 1);
    if (--holding.count === 0) this.holdings.delete(state.principal);
    return true;
  }

  /**
   * The leg to evict when the table is over a cap: the least recently seen idle leg (no attempt
   * open, not `keep`) of the principal holding the most legs; among principals holding equally
   * many, the one whose candidate was seen least recently. So a principal's legs are only ever
   * evicted to make room while it holds at least as many as any other: a principal that floods
   * the table pushes out its own conversations, not those of principals holding fewer.
   * Undefined when every leg is open (or is `keep`).
   * @see docs/continuity.md#capacity-and-fair-share
   */
  fairShareVictim(keep?: LegState): LegState | undefined {
    for (let count = this.largest; count > 0; count--) {
      let victim: LegState | undefined;
      for (const principal of this.byCount.get(count) ?? []) {
        for (let node = this.holdings.get(principal)?.head; node; node = node.nextOwn) {
          if (node.state === keep || node.state.open > 0) continue;
          if (!victim || node.state.lastSeenAt < victim.lastSeenAt) victim = node.state;
          break;
        }
      }
      if (victim) return victim;
    }
    return undefined;
  }

  private appendOwn(holding: Holding, node: Node): void {
    node.prevOwn = holding.tail;
    node.nextOwn = undefined;
    if (holding.tail) holding.tail.nextOwn = node;
    else holding.head = node;
    holding.tail = node;
  }

  private unlinkOwn(holding: Holding, node: Node): void {
    if (node.prevOwn) node.prevOwn.nextOwn = node.nextOwn;
    else holding.head = node.nextOwn;
    if (node.nextOwn) node.nextOwn.prevOwn = node.prevOwn;
    else holding.tail = node.prevOwn;
    node.prevOwn = node.nextOwn = undefined;
  }

  /** Moves `principal` from the group of `from` legs to the group of `to` legs. */
  private recount(principal: string, from: number, to: number): void {
    const previous = this.byCount.get(from);
    if (previous) {
      previous.delete(principal);
      if (previous.size === 0) this.byCount.delete(from);
    }
    if (to > 0) {
      let next = this.byCount.get(to);
      if (!next) this.byCount.set(to, (next = new Set()));
      next.add(principal);
    }
    if (to > this.largest) this.largest = to;
    while (this.largest > 0 && !this.byCount.has(this.largest)) this.largest--;
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
    this.byFingerprint.clear();
    this.holdings.clear();
    this.byCount.clear();
    this.largest = 0;
    this.head = this.tail = undefined;
  }
}
