import type { CircuitDecision, CircuitOutcome, CircuitRecord } from './types.js';

/**
 * Where circuit state lives when several breakers share it: `memory` (one process; several
 * handles on one hub behave like several clients of one Redis) or `redis` (several `lip serve`
 * instances). Every operation is atomic in the store, and every change is announced to every
 * handle's `onChange` listeners in the order the store applied it (Redis: pub/sub). A breaker
 * therefore keeps a local copy and never polls. The same suite (`spec/circuit/store-suite.ts`)
 * runs against both implementations.
 *
 * Versions come from one counter per store that grows with every change, so "is this news
 * newer than what I know about this key" is one comparison. Every answer carries the version
 * it reflects, including answers that changed nothing.
 *
 * Times are passed in (`now`, the caller's scheduler time), so the state machine runs on the
 * caller's clock. They are whole milliseconds (durations are parsed to whole milliseconds, the
 * runtime's scheduler reads `Date.now()`): Redis keeps a record's times as Lua writes numbers,
 * 14 significant digits, and replies with integers. Only key expiry in Redis uses the server's
 * clock.
 */
export interface CircuitStore {
  readonly kind: 'memory' | 'redis';
  /** This handle's id, carried by the changes it causes. */
  readonly origin: string;
  /** Whether the store is reachable now (memory: always). */
  readonly up: boolean;

  /** Atomically decides and, in half-open, takes a probe slot (`decision.probe`). */
  admit(key: string, now: number, op?: number): Promise<AdmitAck>;
  /** Atomically applies how an admitted attempt ended (a new circuit past the store's bound: `full`). */
  record(key: string, outcome: CircuitOutcome, probe: boolean, now: number, op?: number): Promise<StoreAck>;
  /**
   * Resynchronisation after an outage, for many circuits in one round trip. Per entry, keeps
   * the survivor of `mergedOf(entry, stored)` (`transitions.ts`: the record updated last, except
   * that a closed record holding failures never replaces an open or half-open one, and a clean
   * one only when newer), and announces the survivor even when the stored one wins. Pass a
   * closed, clean circuit as `closedAt(t)`, so that `updatedAt` says when it recovered.
   * Resolves with one ack per entry, in order (`full` for a new circuit past the store's bound).
   */
  merge(entries: readonly MergeEntry[], now: number, op?: number): Promise<StoreAck[]>;
  get(key: string, now: number): Promise<CircuitRecord | undefined>;
  /** Every live circuit, and the version the listing reflects (Redis: read a page at a time). */
  list(now: number): Promise<CircuitListing>;

  /** Subscribes to changes from every handle, this one included. Returns the unsubscribe. */
  onChange(listener: (change: CircuitChange) => void): () => void;
  /** Subscribes to reachability changes (`false` with the reason, later `true` again). */
  onLink(listener: (up: boolean, reason: string) => void): () => void;
  /**
   * Redis only: subscribes to the announcement that the store lost its data while connected
   * (FLUSHALL: the first script after it found the version counter gone). Returns the unsubscribe.
   */
  onEmptied?(listener: () => void): () => void;
  /** Resolves when the store answers within its timeout (and is fully usable); rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What the store holds for a key right after an operation, and the version that reflects. */
export interface StoreAck {
  /** undefined: closed and clean (nothing stored). */
  readonly record: CircuitRecord | undefined;
  readonly version: number;
  /**
   * The store holds its most circuits (`maxKeys`) and did not start this one: nothing was
   * stored or announced, and the circuit is the caller's alone. Only a new circuit is refused;
   * those held go on changing.
   */
  readonly full?: true;
}

export interface AdmitAck extends StoreAck {
  readonly decision: CircuitDecision;
}

export interface MergeEntry {
  readonly key: string;
  readonly record: CircuitRecord;
}

/** One announced change. */
export interface CircuitChange extends StoreAck {
  readonly key: string;
  readonly origin: string;
  /** The op id the originating handle passed, or 0. */
  readonly op: number;
}

export interface CircuitListing {
  readonly records: ReadonlyMap<string, CircuitRecord>;
  /** The listing reflects every change up to this version. */
  readonly version: number;
  /**
   * Redis: the version the store's counter started from when it was last re-seeded (Redis
   * restarted empty, FLUSHALL); 0 or absent when unknown. A copy whose last news is older than
   * the epoch missed the store losing its data, whether it heard the announcement or not.
   */
  readonly epoch?: number;
}
