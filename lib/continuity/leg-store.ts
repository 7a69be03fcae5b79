import type { SchedulerLike } from 'rxjs';
import { LipError } from '../errors/index.js';
import type {
  ALegInfo, ALegRouting, AttemptEnd, AttemptRow, AttemptStart, AttemptTicket, ContinuityLogger, ContinuityStatus,
  ContinuityStore, Conversation, PendingALegIds, ResolvedALeg, ResponseRecord, SessionRecord, StoreLimits, StoredResponse, UsageQuery, UsageSummary,
} from './continuity-store.js';
import { checkPrincipal, checkSessionId, clipReason, clipRowText, newALegId, newBLegId, newSessionId } from './ids.js';
import { LegTable, legInfo, newLegState, resolvedALeg, type LegState } from './leg-table.js';
import { conversationMessages } from './rebuild-conversation.js';
import { fromResponseRow, isDeletedResponse, responseNotFound, storedResponseNotFound, toResponseRow, type ResponseRow } from './response-row.js';

/** Attempt rows are mutable while the attempt runs; consumers get copies. */
export type MutableAttemptRow = { -readonly [K in keyof AttemptRow]: AttemptRow[K] };

/** The limits at the start (`reconfigure` changes them later), and the clock. */
export interface LegStoreOptions extends StoreLimits {
  /** Clock; the stores read time only from here (virtual time in tests). */
  readonly scheduler: SchedulerLike;
}

/** Longest response chain `loadConversation` follows (a guard, not a product limit). */
const MAX_CHAIN = 100_000;

/**
 * What both stores share: A-leg resolution with principal scoping and TTL, atomic sequence
 * allocation (one synchronous increment on the leg's state: JavaScript runs it to completion,
 * so concurrent requests on one A-leg never share a seq), the attempt lifecycle, routing state,
 * and response chains. Subclasses decide where state lives through the hooks below.
 * @see spec/continuity/store-suite.ts
 */
export abstract class LegStore implements ContinuityStore {
  abstract readonly kind: 'memory' | 'sqlite' | 'redis';
  protected readonly legs = new LegTable();
  protected readonly running = new Map<string, MutableAttemptRow>();
  protected closed = false;
  protected rejected = 0;
  protected lost = 0;
  /** Records put after `close` (see arrivedAfterClose). */
  private late = 0;
  /** The usage query running or queued last (`usage`). */
  private lastUsage: Promise<unknown> = Promise.resolve();
  /** The last `exclusive` change queued per key (removed once the queue of a key is empty). */
  private readonly exclusives = new Map<string, Promise<unknown>>();
  /** The limits in force: the options' at first, a reload's after `reconfigure`. Read them here, never from the options. */
  protected limits: StoreLimits;

  constructor(protected readonly options: LegStoreOptions) {
    this.limits = limitsOf(options);
  }

  reconfigure(limits: StoreLimits): void {
    this.limits = limitsOf(limits);
    if (!this.closed) this.limitsChanged();
  }

  /** After `reconfigure`: what the store does at once under the new limits (evict past a lowered cap). */
  protected abstract limitsChanged(): void;

  exclusive<T>(key: string, change: () => Promise<T>): Promise<T> {
    const before = this.exclusives.get(key);
    const run = (before ?? Promise.resolve()).then(() => this.exclusiveChange(key, change), () => this.exclusiveChange(key, change));
    const settled = run.then(() => undefined, () => undefined);
    this.exclusives.set(key, settled);
    void settled.then(() => { if (this.exclusives.get(key) === settled) this.exclusives.delete(key); });
    return run;
  }

  /**
   * One query at a time: each walks every row it may count, a chunk per turn of the event loop,
   * and queries running side by side would each take a chunk in every turn (a client key may ask).
   */
  usage(query: UsageQuery): Promise<UsageSummary> {
    const run = this.lastUsage.then(() => this.sumUsage(query));
    this.lastUsage = run.catch(() => undefined);
    return run;
  }

  /** One `exclusive` change, its turn come in this process (a shared store also takes its lock around it). */
  protected exclusiveChange<T>(_key: string, change: () => Promise<T>): Promise<T> {
    return change();
  }

  /** Throws LIP_ERR_CONTINUITY_UNAVAILABLE when new work cannot be recorded. */
  protected abstract admit(): void;
  /** A leg not in the table (a store with a backing database loads it). */
  protected abstract loadLeg(aLegId: string): LegState | undefined;
  protected abstract loadSession(principal: string, sessionId: string): LegState | undefined;
  protected abstract loadFingerprint(fingerprint: string): LegState | undefined;
  abstract fingerprintKey(): Buffer;
  /** The leg expired: forget it and its records. */
  protected abstract retire(state: LegState): void;
  protected abstract legChanged(state: LegState, created: boolean): void;
  protected abstract attemptChanged(row: MutableAttemptRow, begun: boolean): void;
  protected abstract attemptRows(state: LegState): AttemptRow[];
  /** `durable`: never dropped to make room (ResponseRecord.durable). */
  protected abstract storeResponse(row: ResponseRow, durable: boolean): void;
  /** Removes a stored response (the caller checked that it may). */
  protected abstract forgetResponse(id: string): void;
  protected abstract findResponse(id: string): ResponseRow | undefined;
  /** The stored responses that continue `id` (their previous_response_id), expired or not. */
  protected abstract continuations(id: string): Iterable<Pick<ResponseRow, 'response_id' | 'created_at'>>;
  /** The usage summary (`usage` runs one at a time); it yields to the event loop while it sums. */
  protected abstract sumUsage(query: UsageQuery): Promise<UsageSummary>;
  abstract status(): ContinuityStatus;
  abstract flush(): Promise<void>;
  abstract close(): Promise<void>;

  protected now(): number {
    return this.options.scheduler.now();
  }

  /** How long an A-leg is kept after its last activity. */
  protected lifetime(state: LegState): number {
    return state.fingerprint === undefined ? this.limits.ttlMs : Math.max(this.limits.ttlMs, this.limits.resumeWindowMs ?? 0);
  }

  protected expired(state: LegState, now: number): boolean {
    return state.open === 0 && now - state.lastSeenAt >= this.lifetime(state);
  }

  protected unavailable(why: string): LipError {
    this.rejected++;
    return new LipError('LIP_ERR_CONTINUITY_UNAVAILABLE', why, { retryAfter: 1 });
  }

  /**
   * A record put after `close` (a request outliving its store): not stored, but counted (`lost`)
   * and logged, and from then on `persisted` rejects (`lateRecords`), so that an answer waiting
   * for its records is never told they were kept.
   */
  protected arrivedAfterClose(key: string, log: ContinuityLogger | undefined): void {
    this.lost++;
    this.late++;
    log?.error('continuity record arrived after the store closed; it is not stored', { record: key });
  }

  /** What `persisted` answers once records arrived after `close`: a rejection (undefined while none did). */
  protected lateRecords(): Promise<void> | undefined {
    if (this.late === 0) return undefined;
    return Promise.reject(new LipError('LIP_ERR_CONTINUITY_UNAVAILABLE', `the continuity store closed before this request's records reached it; they are not stored (${this.late} record(s) arrived after it closed)`));
  }

  /** A leg by id from the table, else from the backing store (then cached). */
  protected leg(aLegId: string): LegState | undefined {
    const cached = this.legs.get(aLegId);
    if (cached) return cached;
    const loaded = this.loadLeg(aLegId);
    if (loaded) this.legs.add(loaded);
    return loaded;
  }

  resolveALeg(principal: string, sessionId?: string): ResolvedALeg {
    checkPrincipal(principal);
    if (sessionId !== undefined) checkSessionId(sessionId);
    if (this.closed) throw this.unavailable('the continuity store is closed');
    this.admit();
    if (sessionId !== undefined) {
      const now = this.now();
      let found = this.legs.findSession(principal, sessionId);
      if (!found) {
        found = this.loadSession(principal, sessionId);
        if (found) this.legs.add(found);
      }
      if (found && !this.expired(found, now)) {
        this.legs.touch(found, now);
        this.legChanged(found, false);
        return resolvedALeg(found, false);
      }
      if (found) this.retire(found);
    }
    return this.create(principal, sessionId ?? newSessionId(), undefined);
  }

  private create(principal: string, sessionId: string, fingerprint: string | undefined): ResolvedALeg {
    const state = newLegState(newALegId(), principal, sessionId, this.now(), fingerprint);
    this.legs.add(state);
    this.legChanged(state, true);
    return resolvedALeg(state, true);
  }

  createSession(principal: string, fingerprint: string): ResolvedALeg {
    checkPrincipal(principal);
    if (this.closed) throw this.unavailable('the continuity store is closed');
    this.admit();
    return this.create(principal, newSessionId(), fingerprint);
  }

  storeALeg(leg: PendingALegIds): ResolvedALeg {
    checkPrincipal(leg.principal);
    if (this.closed) throw this.unavailable('the continuity store is closed');
    this.admit();
    const found = this.leg(leg.aLegId);
    // Ids are random (and a sealed token's are MAC-bound to its principal): another principal's leg
    // under this id means a caller bug, never a reason to replace that leg.
    if (found && found.principal !== leg.principal) throw new LipError('LIP_ERR_SERVER_INTERNAL', `A-leg ${leg.aLegId} is held by another principal`);
    if (found) {
      this.legs.touch(found, this.now());
      this.legChanged(found, false);
      return resolvedALeg(found, false);
    }
    const state = newLegState(leg.aLegId, leg.principal, leg.sessionId, this.now(), leg.fingerprint, leg.createdAt);
    this.legs.add(state);
    this.legChanged(state, true);
    return resolvedALeg(state, false);
  }

  findSession(fingerprint: string): SessionRecord | undefined {
    let state = this.legs.findFingerprint(fingerprint);
    if (!state) {
      state = this.loadFingerprint(fingerprint);
      if (state) this.legs.add(state);
    }
    // Expired and not yet swept: unknown, as once it is (every store alike).
    if (!state || this.expired(state, this.now())) return undefined;
    return { aLegId: state.aLegId, sessionId: state.sessionId, principal: state.principal, createdAt: state.createdAt, lastSeenAt: state.lastSeenAt };
  }

  resumeALeg(aLegId: string, principal: string): ResolvedALeg | undefined {
    if (this.closed) throw this.unavailable('the continuity store is closed');
    const state = this.visibleLeg(aLegId, principal);
    if (!state) return undefined;
    this.legs.touch(state, this.now());
    this.legChanged(state, false);
    return resolvedALeg(state, false);
  }

  routing(aLegId: string): ALegRouting | undefined {
    const state = this.leg(aLegId);
    return state ? { firstConsumed: state.firstConsumed, affinity: state.affinity } : undefined;
  }

  markFirstConsumed(aLegId: string): void {
    const state = this.leg(aLegId);
    if (!state || state.firstConsumed) return;
    state.firstConsumed = true;
    this.legChanged(state, false);
  }

  bindAffinity(aLegId: string, candidateKey: string): void {
    const state = this.leg(aLegId);
    if (!state || state.affinity?.candidateKey === candidateKey) return;
    state.affinity = { candidateKey, boundAt: this.now() };
    this.legChanged(state, false);
  }

  clearAffinity(aLegId: string, candidateKey?: string): void {
    const state = this.leg(aLegId);
    if (!state?.affinity || (candidateKey !== undefined && state.affinity.candidateKey !== candidateKey)) return;
    state.affinity = undefined;
    this.legChanged(state, false);
  }

  beginAttempt(aLegId: string, start: AttemptStart): AttemptTicket {
    if (this.closed) throw this.unavailable('the continuity store is closed');
    this.admit();
    const state = this.leg(aLegId);
    if (!state) throw this.unavailable(`A-leg ${aLegId} is no longer stored (expired or evicted)`);
    const now = this.now();
    const seq = ++state.lastSeq;
    state.open++;
    this.legs.touch(state, now);
    const row: MutableAttemptRow = {
      a_leg_id: aLegId, seq, b_leg_id: newBLegId(),
      candidate_key: clipRowText(start.candidateKey), backend_id: start.backendId, model: clipRowText(start.model),
      started_at: start.startedAt ?? now, first_output_at: null, finished_at: null,
      outcome: null, reason: null, http_status: null, principal: state.principal, key_id: start.keyId ?? null,
      input_tokens: null, output_tokens: null, cache_read_tokens: null, cache_write_tokens: null, reasoning_tokens: null,
      cost: null, upstream_request_id: null,
    };
    this.running.set(row.b_leg_id, row);
    this.legChanged(state, false);
    this.attemptChanged(row, true);
    return { aLegId, seq, bLegId: row.b_leg_id };
  }

  firstOutput(ticket: AttemptTicket, at?: number): void {
    const row = this.running.get(ticket.bLegId);
    if (!row || row.first_output_at !== null) return;
    row.first_output_at = at ?? this.now();
    this.attemptChanged(row, false);
  }

  finishAttempt(ticket: AttemptTicket, end: AttemptEnd): void {
    const row = this.running.get(ticket.bLegId);
    if (!row) return;
    this.running.delete(ticket.bLegId);
    const now = this.now();
    row.finished_at = end.finishedAt ?? now;
    row.outcome = end.outcome;
    row.reason = clipReason(end.reason);
    row.http_status = end.httpStatus ?? null;
    const usage = end.usage;
    if (usage) {
      row.input_tokens = usage.inputTokens ?? null;
      row.output_tokens = usage.outputTokens ?? null;
      row.cache_read_tokens = usage.cacheReadTokens ?? null;
      row.cache_write_tokens = usage.cacheWriteTokens ?? null;
      row.reasoning_tokens = usage.reasoningTokens ?? null;
    }
    row.cost = end.cost ?? null;
    row.upstream_request_id = end.upstreamRequestId?.slice(0, 128) ?? null;
    const state = this.legs.get(ticket.aLegId);
    if (state) {
      state.open = Math.max(0, state.open - 1);
      this.legs.touch(state, now);
      this.legChanged(state, false);
    }
    this.attemptChanged(row, false);
  }

  /** The leg if it exists, has not expired and (when asked) belongs to `principal`. */
  protected visibleLeg(aLegId: string, principal?: string): LegState | undefined {
    const state = this.leg(aLegId);
    if (!state || (principal !== undefined && state.principal !== principal)) return undefined;
    return this.expired(state, this.now()) ? undefined : state;
  }

  async attempts(aLegId: string, principal?: string): Promise<AttemptRow[] | undefined> {
    const state = this.visibleLeg(aLegId, principal);
    return state ? this.attemptRows(state) : undefined;
  }

  async describeALeg(aLegId: string, principal?: string): Promise<ALegInfo | undefined> {
    const state = this.visibleLeg(aLegId, principal);
    return state ? legInfo(state) : undefined;
  }

  saveResponse(record: ResponseRecord): void {
    this.storeResponse(toResponseRow(record, this.now()), record.durable === true);
  }

  /**
   * Whether a response that continues `id` is alive: created within `ttl`, or continued in turn by
   * one that is. A conversation lives as long as its newest turn; once that has expired, the
   * turns it leaves keep nothing alive, whenever the store gets to delete them.
   */
  protected hasContinuation(id: string): boolean {
    const now = this.now();
    const seen = new Set([id]);
    for (const stack = [id]; stack.length > 0;) {
      for (const row of this.continuations(stack.pop()!)) {
        if (seen.has(row.response_id)) continue;
        if (now - row.created_at < this.limits.ttlMs) return true;
        seen.add(row.response_id);
        stack.push(row.response_id);
      }
    }
    return false;
  }

  /**
   * A stored response is alive for `ttl` after it was created, and while one that is alive
   * continues it (`hasContinuation`); `missing` is the 404 for one that is not (or not `principal`'s).
   */
  protected responseRow(id: string, principal: string, missing: (id: string) => LipError = responseNotFound): ResponseRow {
    const row = this.findResponse(id);
    if (!row || row.principal !== principal) throw missing(id);
    if (this.now() - row.created_at >= this.limits.ttlMs && !this.hasContinuation(id)) throw missing(id);
    return row;
  }

  async loadResponse(id: string, principal: string): Promise<StoredResponse> {
    return fromResponseRow(this.responseRow(id, principal, storedResponseNotFound));
  }

  /**
   * Checks and removes synchronously (a store that reads a shared copy first, Redis, runs this
   * while its copy is in place); only the response itself goes: those that continued it keep
   * their own input and output, and a parent it kept alive past `ttl` may now expire.
   */
  async deleteResponse(id: string, principal: string): Promise<void> {
    if (this.closed) throw this.unavailable('the continuity store is closed');
    this.responseRow(id, principal, storedResponseNotFound);
    this.forgetResponse(id);
  }

  async loadConversation(id: string, principal: string): Promise<Conversation> {
    const chain = this.chainRows(id, principal);
    const target = chain[chain.length - 1]!;
    const responses = chain.map(fromResponseRow);
    // A tombstone is read through, never continued from.
    if (isDeletedResponse(responses[responses.length - 1]!)) throw responseNotFound(id);
    return {
      responseId: id,
      messages: conversationMessages(responses),
      aLegId: target.a_leg_id ?? undefined,
      sessionId: target.session_id ?? undefined,
      echoes: responses.map((r) => r.echo),
    };
  }

  async loadChain(id: string, principal: string): Promise<StoredResponse[]> {
    return this.chainRows(id, principal).map(fromResponseRow);
  }

  /** The rows from the first of `id`'s chain to `id`; a 404 naming the first one missing. */
  private chainRows(id: string, principal: string): ResponseRow[] {
    const target = this.responseRow(id, principal);
    const chain: ResponseRow[] = [target];
    const seen = new Set([id]);
    for (let parent = target.previous_response_id; parent !== null;) {
      const row = this.findResponse(parent);
      if (!row || row.principal !== principal || seen.has(parent) || chain.length >= MAX_CHAIN) {
        throw responseNotFound(id, `Its earlier response '${parent}' is no longer stored, so the conversation cannot be rebuilt.`);
      }
      seen.add(parent);
      chain.push(row);
      parent = row.previous_response_id;
    }
    return chain.reverse();
  }
}

/** Only the limits of `options` (a store's options carry more). */
function limitsOf({ ttlMs, maxLegs, resumeWindowMs, maxResponseBytes }: StoreLimits): StoreLimits {
  return { ttlMs, maxLegs, ...(resumeWindowMs !== undefined ? { resumeWindowMs } : {}), ...(maxResponseBytes !== undefined ? { maxResponseBytes } : {}) };
}
