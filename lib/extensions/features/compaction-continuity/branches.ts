import type { Call } from '../../../canonical/index.js';
import type { Capsule } from './capsule.js';
import type { Fingerprint } from './detect.js';

/** One conversation's state (a branch: a principal's conversation, by the key the client names it with). */
export interface BranchState {
  lastSeen: number;
  /** The last request's fingerprint (the history heuristic compares the next one with it). */
  fingerprint?: Fingerprint;
  /** The last request itself, while it fits the source bounds: what a boundary found after the fact is extracted from. */
  source?: { readonly call: Call; readonly chars: number };
  capsule?: Capsule;
  /** The extraction running for this branch (it never rejects). */
  pending?: Promise<void>;
  /** A compaction request was seen: the next request is the compacted conversation, not a boundary of its own. */
  compacting?: boolean;
  /** When the shared state store was last read for this branch's capsule (a shared store only). */
  checkedAt?: number;
}

export interface BranchLimits {
  readonly ttlMs: number;
  readonly maxEntries: number;
  /** A request larger than this (characters) is not kept as a source. */
  readonly maxSourceChars: number;
  /** What all kept sources may take (characters); the least recently seen branches' go first. */
  readonly maxTotalSourceChars: number;
}

/**
 * The branches of this process, least recently seen first (a Map keeps insertion order: a
 * branch seen again moves to the end). Bounded by count (the least recently seen goes), by age
 * (a branch not seen for `ttlMs` is forgotten when next looked at, or when it is the oldest),
 * and the kept sources by their total size.
 */
export class BranchStore {
  private readonly branches = new Map<string, BranchState>();
  private sourceChars = 0;
  /** Branches forgotten for the count bound (not for age). */
  evicted = 0;

  constructor(private limits: BranchLimits) {}

  configure(limits: BranchLimits): void {
    this.limits = limits;
    while (this.branches.size > limits.maxEntries) this.dropOldest();
    this.trimSources();
  }

  get size(): number {
    return this.branches.size;
  }

  get keptSourceChars(): number {
    return this.sourceChars;
  }

  /** How many branches have a capsule. */
  get capsules(): number {
    let n = 0;
    for (const b of this.branches.values()) if (b.capsule !== undefined) n++;
    return n;
  }

  /** The branch, seen now (created when new or expired). */
  open(key: string, now: number): BranchState {
    let state = this.branches.get(key);
    if (state !== undefined) {
      this.branches.delete(key);
      if (now - state.lastSeen > this.limits.ttlMs) {
        this.forget(state);
        state = undefined;
      }
    }
    state ??= { lastSeen: now };
    state.lastSeen = now;
    this.branches.set(key, state);
    this.expireOldest(now);
    while (this.branches.size > this.limits.maxEntries) this.dropOldest();
    return state;
  }

  /** Keeps the request as the branch's source when it fits (replacing the one before). */
  retain(state: BranchState, call: Call, chars: number): void {
    if (state.source !== undefined) this.sourceChars -= state.source.chars;
    state.source = undefined;
    if (chars > this.limits.maxSourceChars) return;
    state.source = { call, chars };
    this.sourceChars += chars;
    this.trimSources();
  }

  clear(): void {
    this.branches.clear();
    this.sourceChars = 0;
    this.evicted = 0;
  }

  private trimSources(): void {
    if (this.sourceChars <= this.limits.maxTotalSourceChars) return;
    for (const state of this.branches.values()) {
      if (state.source === undefined) continue;
      this.sourceChars -= state.source.chars;
      state.source = undefined;
      if (this.sourceChars <= this.limits.maxTotalSourceChars) return;
    }
  }

  private expireOldest(now: number): void {
    for (const [key, state] of this.branches) {
      if (now - state.lastSeen <= this.limits.ttlMs) return;
      this.branches.delete(key);
      this.forget(state);
    }
  }

  private dropOldest(): void {
    const [key, state] = this.branches.entries().next().value as [string, BranchState];
    this.branches.delete(key);
    this.forget(state);
    this.evicted++;
  }

  private forget(state: BranchState): void {
    if (state.source !== undefined) this.sourceChars -= state.source.chars;
    state.source = undefined;
  }
}

/**
 * The extractions' worker pool: at most `concurrency` running, at most `capacity` waiting; a
 * job offered to a full queue is refused (the caller counts it and goes on without).
 */
export class JobQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private limits: { readonly concurrency: number; readonly capacity: number }) {}

  configure(limits: { readonly concurrency: number; readonly capacity: number }): void {
    this.limits = limits;
    this.next();
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** The job's completion (never rejects), or undefined when the queue is full. */
  submit(job: () => Promise<void>): Promise<void> | undefined {
    if (this.running >= this.limits.concurrency && this.waiting.length >= this.limits.capacity) return undefined;
    return new Promise<void>((resolve) => {
      this.waiting.push(() => {
        this.running++;
        job().catch(() => undefined).finally(() => {
          this.running--;
          resolve();
          this.next();
        });
      });
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.limits.concurrency && this.waiting.length > 0) this.waiting.shift()!();
  }
}
