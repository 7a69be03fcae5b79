import type { SchedulerLike, Subscription } from 'rxjs';
import type { EventSink } from './circuit-events.js';
import { CircuitMirror, type PendingOp } from './circuit-mirror.js';
import type { CircuitChange, CircuitStore } from './circuit-store.js';
import { CircuitTable, DEFAULT_MAX_KEYS } from './circuit-table.js';
import { TableCircuitBreaker } from './table-circuit-breaker.js';
import { closedAt, iso } from './transitions.js';
import type { CircuitDecision, CircuitOutcome, CircuitPolicy, CircuitRecord, CircuitStatus } from './types.js';

export interface SharedBreakerOptions {
  /** How the store is named in status lines (a URL without credentials). */
  readonly label: string;
  /** While the store is down, how often to try it again (ms of scheduler time). */
  readonly recoveryIntervalMs: number;
  readonly maxKeys?: number;
}

/**
 * The breaker whose circuits are shared through a `CircuitStore` (Redis): every instance sees
 * the failures of all, and an open circuit reaches every instance through the store's change
 * announcements, with no polling. Checks read the local mirror synchronously, and the changes
 * this instance makes are applied locally at once and sent without waiting.
 *
 * Degradation. A failed or timed-out store call, or a lost connection, switches to local state:
 * the breaker keeps working exactly like the memory breaker and remembers which keys changed.
 * It emits `store_unavailable` once and retries every `recoveryIntervalMs`. When the store
 * answers again it resynchronises: it reads the full listing, replays the announcements that
 * arrived meanwhile, then merges the keys changed during the outage (`mergedOf`: the record
 * updated last wins, but failures alone never close an open circuit), and emits `store_recovered`. A listing older than news already seen, or whose version
 * counter was started again since that news (its `epoch`: another instance found the counter gone
 * first), comes from a store that lost its data (restarted without persistence, FLUSHALL): the
 * circuits not closed here are merged back too, instead of being closed because the store forgot
 * them. A store that loses
 * its data while connected (FLUSHALL) says so when its next script runs (`onEmptied`), and the
 * same circuits are pushed back then.
 *
 * ```
 * healthy ── call fails / link lost ──▶ degraded (local only, keys marked dirty)
 *    ▲                                      │ link back / ping answers (every recoveryIntervalMs)
 *    └──── merge dirty keys ◀── listing ◀── resync
 * ```
 * A store that holds its most circuits refuses to start another (`full`): that circuit is kept
 * here only (`localOnly`), never sent, and offered again at the next resync.
 *
 * Half-open probes are optimistic: an instance admits a probe locally and asks the store at the
 * same time. So when instances race for the last slot within one round trip, one extra probe
 * per instance can pass. Once the store's answer is in, every instance refuses.
 * @see spec/circuit/shared-circuit-breaker.spec.ts (virtual time) and spec/circuit/redis/redis-breaker.spec.ts (real Redis)
 */
export class SharedCircuitBreaker extends TableCircuitBreaker {
  private readonly mirror: CircuitMirror;
  private readonly dirty = new Map<string, number>();
  /** Circuits the store refused to start (it held its most, `full`): this instance's alone, never sent, offered again at the next resync. */
  private readonly localOnly = new Set<string>();
  private readonly ungranted = new WeakSet<CircuitDecision>();
  private readonly waiters: (() => void)[] = [];
  private readonly unsubscribes: (() => void)[] = [];
  private healthy = false;
  private everSynced = false;
  private resyncing = false;
  private buffer: CircuitChange[] | undefined;
  private nextOp = 1;
  private reason = 'connecting';
  private downSince: number | undefined;
  private reported = false;
  private since: number | undefined;
  private recovery: Subscription | undefined;
  private closed = false;

  constructor(policy: CircuitPolicy, private readonly store: CircuitStore, scheduler: SchedulerLike, emit: EventSink, private readonly options: SharedBreakerOptions) {
    const table = new CircuitTable(policy, options.maxKeys);
    super(table, scheduler, emit);
    this.mirror = new CircuitMirror(table, (key, before, after, origin) => this.changed(key, before, after, origin, this.scheduler.now()));
    this.unsubscribes.push(store.onChange((change) => this.onChange(change)));
    this.unsubscribes.push(store.onLink((up, reason) => (up ? void this.resync() : this.down(reason))));
    if (store.onEmptied) this.unsubscribes.push(store.onEmptied(() => this.emptied()));
    this.startRecovery();
    if (store.up) void this.resync();
  }

  status(): CircuitStatus {
    const { label } = this.options;
    const detail = this.healthy ? 'ok'
      : this.reported ? `${label} unavailable since ${iso(this.downSince!)} (${this.reason}); circuits run on local state`
        : `connecting to ${label}`;
    return { enabled: true, store: this.store.kind, healthy: this.healthy, detail, since: this.since === undefined ? null : iso(this.since), ...this.counts() };
  }

  whenSynced(): Promise<void> {
    if (this.healthy || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopRecovery();
    for (const off of this.unsubscribes) off();
    for (const resolve of this.waiters.splice(0)) resolve();
    await this.store.close();
  }

  protected override afterAdmit(key: string, before: CircuitRecord | undefined, decision: CircuitDecision, now: number): void {
    if (!decision.probe || this.keptLocal(key)) return;
    if (!this.healthy) {
      this.markDirty(key, now);
      return;
    }
    const op = this.begin(key, { kind: 'admit', id: this.nextOp++, now }, before);
    this.store.admit(key, now, op.id).then((ack) => {
      if (!ack.decision.probe) this.ungranted.add(decision);
      this.mirror.ack(key, op.id, ack.version, ack.record, this.scheduler.now());
    }, (err: unknown) => this.lost(key, op, err));
  }

  protected override afterRecord(key: string, before: CircuitRecord | undefined, outcome: CircuitOutcome, decision: CircuitDecision | undefined, now: number): void {
    if (this.keptLocal(key)) return;
    if (!this.healthy) {
      this.markDirty(key, now);
      return;
    }
    const probe = decision?.probe === true && !this.ungranted.has(decision);
    const op = this.begin(key, { kind: 'record', id: this.nextOp++, outcome, probe, now }, before);
    this.store.record(key, outcome, probe, now, op.id).then(
      (ack) => (ack.full ? this.keepLocal(key, op.id) : this.mirror.ack(key, op.id, ack.version, ack.record, this.scheduler.now())),
      (err: unknown) => this.lost(key, op, err));
  }

  /**
   * Whether `key` is a circuit the store refused to start: its changes stay here. One that has
   * closed (or expired) here is no longer: its next failure asks the store again.
   */
  private keptLocal(key: string): boolean {
    if (!this.localOnly.has(key)) return false;
    if (this.table.has(key)) return true;
    this.localOnly.delete(key);
    return false;
  }

  /**
   * The store held its most circuits and did not start `key`'s: the local record stays as it is
   * (the store has nothing to correct it with) and is this instance's alone until the next
   * resync offers it again. Bounded like the table: past twice its size, keys it no longer
   * holds are dropped.
   */
  private keepLocal(key: string, op: number): void {
    this.mirror.abandon(key, op);
    if (!this.table.has(key)) return;
    this.localOnly.add(key);
    if (this.localOnly.size <= 2 * (this.options.maxKeys ?? DEFAULT_MAX_KEYS)) return;
    for (const kept of this.localOnly) if (!this.table.has(kept)) this.localOnly.delete(kept);
  }

  /**
   * Closes the forgotten circuits in the store as an outage's recovery is merged: a clean record
   * newer than the stored one replaces it (`mergedOf`), and every instance hears of it. Instances
   * still sending to the upstream the circuits were about (a reload not yet made there) open
   * them again with their failures. While the store is down, they are merged at the resync.
   */
  protected override afterForget(keys: readonly string[], now: number): void {
    if (this.healthy) this.merge(keys.map((key) => [key, now]), now);
    else for (const key of keys) this.markDirty(key, now);
  }

  private begin<T extends PendingOp>(key: string, op: T, before: CircuitRecord | undefined): T {
    this.mirror.begin(key, op, before);
    return op;
  }

  /** A store call failed: its effect is unknown, so the key is merged at the next resync. */
  private lost(key: string, op: PendingOp, err: unknown): void {
    this.mirror.abandon(key, op.id);
    this.markDirty(key, this.scheduler.now());
    this.down(err instanceof Error ? err.message : String(err));
  }

  /**
   * Remembers that `key` changed here while the store could not hear it. Bounded like the
   * table: past twice its size, keys the table no longer holds are dropped (their news is lost).
   */
  private markDirty(key: string, now: number): void {
    this.dirty.set(key, now);
    if (this.dirty.size <= 2 * (this.options.maxKeys ?? DEFAULT_MAX_KEYS)) return;
    for (const dirtyKey of this.dirty.keys()) if (!this.table.has(dirtyKey)) this.dirty.delete(dirtyKey);
  }

  private onChange(change: CircuitChange): void {
    if (this.buffer) this.buffer.push(change);
    else this.apply(change);
  }

  private apply(change: CircuitChange): void {
    if (this.dirty.has(change.key)) return; // ours is newer news, merged at the next resync
    if (change.record !== undefined) this.localOnly.delete(change.key); // another instance got it stored: shared from now on
    const now = this.scheduler.now();
    if (change.origin === this.store.origin && change.op > 0) this.mirror.ack(change.key, change.op, change.version, change.record, now);
    else this.mirror.news(change.key, change.version, change.record, now, change.origin === this.store.origin ? 'local' : 'remote');
  }

  private down(reason: string): void {
    if (this.closed) return;
    this.reason = reason;
    if (this.healthy) this.since = this.scheduler.now();
    if (this.healthy || this.downSince === undefined) this.downSince = this.scheduler.now();
    this.healthy = false;
    if (this.everSynced) this.report();
    this.startRecovery();
  }

  /** Logs the outage once (a store still unreachable at the first tick after start-up counts too). */
  private report(): void {
    if (this.reported) return;
    this.reported = true;
    this.emit({ type: 'store_unavailable', store: this.store.kind, reason: this.reason, at: this.downSince ?? this.scheduler.now() });
  }

  private async resync(): Promise<void> {
    if (this.resyncing || this.closed) return;
    this.resyncing = true;
    this.buffer = [];
    try {
      const listing = await this.store.list(this.scheduler.now());
      if (this.closed) return;
      if (!this.store.up) throw new Error('connection lost during resynchronisation');
      const now = this.scheduler.now();
      // A store that lost its data would close every circuit it no longer lists: the circuits
      // still open or half-open here are news it lacks, merged back like an outage's changes.
      if (this.mirror.predates(listing)) {
        for (const [key, record] of this.held(now)) if (!listing.records.has(key)) this.markDirty(key, record.updatedAt);
      }
      // The circuits the store refused to start are offered again (it may have room now).
      for (const key of this.localOnly) if (this.table.has(key)) this.markDirty(key, now);
      this.localOnly.clear();
      this.mirror.reset(listing, (key) => this.dirty.has(key), now);
      const buffered = this.buffer;
      this.buffer = undefined;
      for (const change of buffered) if (change.version > listing.version) this.apply(change);
      this.healthy = true;
      this.everSynced = true;
      this.stopRecovery();
      this.merge([...this.dirty], now);
      this.dirty.clear();
      this.recovered(now);
    } catch (err) {
      this.buffer = undefined;
      this.down(err instanceof Error ? err.message : String(err));
    } finally {
      this.resyncing = false;
    }
  }

  /** The circuits open or half-open here. */
  private held(now: number): [string, CircuitRecord][] {
    return this.table.entries(now).filter(([, record]) => record.state !== 'closed');
  }

  /**
   * The store lost its data while this instance stayed connected (FLUSHALL): the circuits still
   * open or half-open here are news it lacks, pushed back now (during an outage or a resync,
   * marked to be merged at its end), so that the flush does not close them.
   */
  private emptied(): void {
    if (this.closed) return;
    const now = this.scheduler.now();
    const held = this.held(now);
    if (!this.healthy || this.resyncing) {
      for (const [key, record] of held) this.markDirty(key, record.updatedAt);
      return;
    }
    this.merge(held.map(([key, record]) => [key, record.updatedAt]), now);
  }

  /** Sends what changed here during the outage (`[key, when]`), in one batched call. */
  private merge(dirty: readonly [string, number][], now: number): void {
    if (dirty.length === 0) return;
    const id = this.nextOp++;
    const entries = dirty.map(([key, changedAt]) => {
      const current = this.table.get(key, now);
      const record = current ?? closedAt(changedAt);
      this.begin(key, { kind: 'merge', id, record }, current);
      return { key, record };
    });
    this.store.merge(entries, now, id).then(
      (acks) => acks.forEach((ack, i) => (ack.full ? this.keepLocal(entries[i]!.key, id) : this.mirror.ack(entries[i]!.key, id, ack.version, ack.record, this.scheduler.now()))),
      (err: unknown) => entries.forEach(({ key }) => this.lost(key, { kind: 'merge', id, record: closedAt(now) }, err)));
  }

  private recovered(now: number): void {
    if (this.reported) this.emit({ type: 'store_recovered', store: this.store.kind, downMs: now - (this.downSince ?? now), at: now });
    this.since = now;
    this.reported = false;
    this.downSince = undefined;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private startRecovery(): void {
    if (this.recovery || this.closed) return;
    const breaker = this;
    this.recovery = this.scheduler.schedule(function () {
      breaker.tick();
      if (breaker.recovery) this.schedule(undefined, breaker.options.recoveryIntervalMs);
    }, this.options.recoveryIntervalMs);
  }

  private stopRecovery(): void {
    this.recovery?.unsubscribe();
    this.recovery = undefined;
  }

  private tick(): void {
    if (this.healthy || this.resyncing) return;
    this.downSince ??= this.scheduler.now();
    this.store.ping().then(() => this.resync(), (err: unknown) => {
      if (this.healthy || this.closed) return;
      this.reason = err instanceof Error ? err.message : String(err);
      this.report();
    });
  }
}
