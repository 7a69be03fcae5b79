import type { CollectedResponse, Message, Usage } from '../canonical/index.js';

/**
 * The continuity model (a back-to-back user agent). An **A-leg** is the client's side of a
 * conversation, keyed by (principal, session id); every backend attempt made for it is a
 * **B-leg** with the next sequence number of that A-leg, and leaves one attempt row (CONTRACT
 * section 8). Records, routing state and stored responses live behind `ContinuityStore`, with
 * three implementations (memory, sqlite, redis) that pass one shared test suite.
 *
 * Naming: rows that go out as JSON (attempt rows, A-leg info, status) use the contract's
 * snake_case; arguments use camelCase. Times are milliseconds since the Unix epoch.
 */
export type AttemptOutcome = 'success' | 'swallowed_failure' | 'surfaced_failure' | 'cancelled';

export const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = ['success', 'swallowed_failure', 'surfaced_failure', 'cancelled'];

/** One attempt row, the shape `GET /admin/attempts` returns. `outcome` is null while running. */
export interface AttemptRow {
  readonly a_leg_id: string;
  readonly seq: number;
  readonly b_leg_id: string;
  readonly candidate_key: string;
  readonly backend_id: string;
  readonly model: string;
  readonly started_at: number;
  readonly first_output_at: number | null;
  readonly finished_at: number | null;
  readonly outcome: AttemptOutcome | null;
  readonly reason: string | null;
  readonly http_status: number | null;
  /** Who asked: the A-leg's principal and the id of the client's API key (`auth.api_keys[].id`). */
  readonly principal: string | null;
  readonly key_id: string | null;
  /** Tokens as the upstream reported them (canonical convention: input includes cache, output includes reasoning). */
  readonly input_tokens: number | null;
  readonly output_tokens: number | null;
  readonly cache_read_tokens: number | null;
  readonly cache_write_tokens: number | null;
  readonly reasoning_tokens: number | null;
  /** By the `pricing:` table; null when no row prices the candidate or no usage was reported. */
  readonly cost: number | null;
  /** The upstream's own request id (`x-request-id`, `request-id`, ...), when it sent one. */
  readonly upstream_request_id: string | null;
}

/** `GET /admin/usage`: which finished attempts to sum, and by what. */
export interface UsageQuery {
  readonly principal?: string;
  /** Attempts started at or after this time (ms since the epoch). */
  readonly since?: number;
  /** `key`: the client's API key id (`auth.api_keys[].id`; '' for requests without one). */
  readonly groupBy: 'model' | 'backend' | 'principal' | 'key';
  /** At most this many groups, the largest; the rest are summed in `other`. Every group when absent. */
  readonly limit?: number;
}

/** One group of the usage summary (attempts without usage count in `attempts` only). */
export interface UsageSummaryRow {
  /** The model, backend id, principal or API key id of the group. */
  readonly group: string;
  readonly attempts: number;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cache_read_tokens: number;
  readonly cache_write_tokens: number;
  readonly reasoning_tokens: number;
  /** Sum of the priced attempts; null when none was priced. */
  readonly cost: number | null;
}

/** The groups a usage query left out (past its `limit`), summed: how many, and their counts. */
export interface UsageLeftOut extends Omit<UsageSummaryRow, 'group'> {
  readonly groups: number;
}

/** A usage query's answer: the groups, largest cost first, and what its `limit` left out (null: nothing). */
export interface UsageSummary {
  readonly groups: UsageSummaryRow[];
  readonly other: UsageLeftOut | null;
}

/** `{affinity=session}`: the candidate this A-leg sticks to, bound on its first committed output. */
export interface AffinityBinding {
  readonly candidateKey: string;
  readonly boundAt: number;
}

/** Session routing state kept on the A-leg. */
export interface ALegRouting {
  /** True once a `[first]` branch served this A-leg: later requests roll the weights. */
  readonly firstConsumed: boolean;
  readonly affinity: AffinityBinding | undefined;
}

/** What `resolveALeg` answers: the ids for the response headers and the routing state. */
export interface ResolvedALeg extends ALegRouting {
  readonly aLegId: string;
  /** The session id to send back as `X-LIP-Session-Id` (the client's own, or a new one). */
  readonly sessionId: string;
  readonly principal: string;
  /** True when this request started a new A-leg (no session id, an unknown one, or an expired one). */
  readonly created: boolean;
}

/** What `ContinuityStore.storeALeg` keeps of a conversation that started without a record. */
export interface PendingALegIds {
  readonly principal: string;
  readonly aLegId: string;
  readonly sessionId: string;
  /** When the conversation started (the time part of its ids). */
  readonly createdAt: number;
  /** The fingerprint of its resume token; absent for auxiliary calls. */
  readonly fingerprint?: string;
}

/**
 * A new conversation's A-leg as its first request holds it under `continuity.lineage:
 * conversations`: ids and a token handed out, no record until something needs one.
 */
export interface PendingALeg {
  /** True once the record exists (`store` ran). */
  readonly stored: boolean;
  /** Creates the record under the ids already given out; later calls do nothing. */
  store(): void;
  /**
   * Numbers the request's attempts while nothing is stored: tickets (a per-request seq and a
   * B-leg id, for extensions, spans and recordings) with no row behind them.
   */
  readonly tickets: Pick<ContinuityStore, 'beginAttempt' | 'firstOutput' | 'finishAttempt'>;
}

/**
 * A session lip issued, as found by the fingerprint of its resume token (what the checks of
 * secure-sessions.ts read; nothing here is touched by finding it).
 */
export interface SessionRecord {
  readonly aLegId: string;
  readonly sessionId: string;
  readonly principal: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
}

/** An A-leg as diagnostics show it. */
export interface ALegInfo {
  readonly a_leg_id: string;
  readonly principal: string;
  readonly session_id: string;
  readonly created_at: number;
  readonly last_seen_at: number;
  /** Sequence number of the last B-leg allocated (0: none yet). */
  readonly last_seq: number;
  readonly first_consumed: boolean;
  readonly affinity_candidate_key: string | null;
  readonly affinity_bound_at: number | null;
}

export interface AttemptStart {
  readonly candidateKey: string;
  readonly backendId: string;
  readonly model: string;
  /** Defaults to the store's clock. */
  readonly startedAt?: number;
  /** The client's API key id (`auth.api_keys[].id`), when it authenticated with one. */
  readonly keyId?: string;
}

/** Names one B-leg; pass it back to `firstOutput` / `finishAttempt`. */
export interface AttemptTicket {
  readonly aLegId: string;
  readonly seq: number;
  readonly bLegId: string;
}

export interface AttemptEnd {
  readonly outcome: AttemptOutcome;
  /** Why (error code and message, `race loser`, `client abort`); cut to 512 characters. */
  readonly reason?: string;
  readonly httpStatus?: number;
  readonly finishedAt?: number;
  /** What the attempt reported: usage, its cost, the upstream's own request id. */
  readonly usage?: Usage;
  readonly cost?: number;
  readonly upstreamRequestId?: string;
}

/** A `store: true` response, saved so that `previous_response_id` can continue from it. */
export interface ResponseRecord {
  readonly id: string;
  readonly principal: string;
  /** The response this one continued from; the conversation is the chain of these. */
  readonly previousResponseId?: string;
  readonly aLegId?: string;
  readonly sessionId?: string;
  /** The model the response named (the one that served, or the requested one when echoed). */
  readonly model?: string;
  /** This request's own new input messages (not the rebuilt history before them). */
  readonly input: readonly Message[];
  readonly output: CollectedResponse;
  /** Dialect to tag reasoning blocks that carry none (the serving backend's dialect). */
  readonly reasoningDialect?: string;
  /**
   * The request fields the protocol's response object repeats (frontends/protocol.ts
   * `Continuation.echo`), kept as given so that a retrieval shows them again.
   */
  readonly echo?: Readonly<Record<string, unknown>>;
  /** When the response was created (its request arrived); defaults to the store's clock. Retention counts from it. */
  readonly createdAt?: number;
  /**
   * A record whose loss nobody would be told of (a batch's results, its list, its files'
   * records): a full write queue never pushes it out to make room (it waits, beyond the
   * queue's capacity, until it is written), nor does the memory store's byte budget (it counts
   * in it; the others give way). It goes at `ttl`, or when deleted.
   */
  readonly durable?: boolean;
}

export interface StoredResponse {
  readonly id: string;
  readonly principal: string;
  readonly previousResponseId: string | undefined;
  readonly aLegId: string | undefined;
  readonly sessionId: string | undefined;
  readonly model: string | undefined;
  readonly input: Message[];
  readonly output: CollectedResponse;
  readonly reasoningDialect: string | undefined;
  readonly echo: Readonly<Record<string, unknown>> | undefined;
  readonly createdAt: number;
}

/** The conversation up to and including one stored response, ready to prepend to a new call. */
export interface Conversation {
  readonly responseId: string;
  readonly messages: Message[];
  /** The A-leg and session of the response continued from, to resume its routing state. */
  readonly aLegId: string | undefined;
  readonly sessionId: string | undefined;
  /**
   * The request fields kept with each response of the chain (`ResponseRecord.echo`), oldest first:
   * the first turn of an Anthropic thread keeps the thread's system and tools among them.
   */
  readonly echoes: readonly (Readonly<Record<string, unknown>> | undefined)[];
}

/**
 * For `/readyz` and metrics. `ready` is false while the database fails (or its file was
 * removed), while the queue is full, and once closed; `reason` says why in one line. The
 * counters only grow. The Redis store is shared by every instance, so an outage does not make
 * one instance unready (requests go on from local state): its state is `degraded` (Redis cannot
 * be reached or refuses writes) or `full` (records are being dropped), with `ready` still true.
 */
export interface ContinuityStatus {
  readonly store: 'memory' | 'sqlite' | 'redis';
  readonly ready: boolean;
  readonly state: 'ok' | 'failing' | 'degraded' | 'full' | 'closed';
  /** Why the store is not ready; null when it is. */
  readonly reason: string | null;
  readonly legs: number;
  /** Records waiting to be written, and how many may wait before the oldest are dropped. */
  readonly pending: number;
  readonly capacity: number;
  readonly written: number;
  /** Batch writes that failed (their records were kept and retried). */
  readonly write_errors: number;
  /** Batch writes made to retry a failed one. */
  readonly retries: number;
  /** Records pushed out of a full queue (oldest first) while the database could not keep up. */
  readonly dropped: number;
  /** Records the database refused for themselves (a constraint, a value too big). */
  readonly failed_records: number;
  /** New work refused (the store was closed). */
  readonly rejected: number;
  /** Records not stored: left at close, arriving after close, or held only by a removed file. */
  readonly lost: number;
  /** Times the database file was found removed or replaced and opened afresh. */
  readonly reopened: number;
  readonly last_error: string | null;
  readonly last_error_at: number | null;
  readonly last_flush_at: number | null;
}

/** What `ContinuityStore.preload` loads. */
export interface PreloadRequest {
  readonly principal: string;
  readonly sessionId?: string;
  /** The fingerprint of a resume token (computed once the fingerprint key is known). */
  readonly fingerprint?: () => string;
  readonly aLegIds?: readonly string[];
}

/**
 * The `continuity` limits a store applies, which a reload may change in place
 * (`ContinuityStore.reconfigure`), in milliseconds and counts.
 */
export interface StoreLimits {
  /** `continuity.ttl`: idle time after which an A-leg (and an unreferenced response) expires. */
  readonly ttlMs: number;
  /** `continuity.max_legs`: past it A-legs go by the fair-share rule. */
  readonly maxLegs: number;
  /**
   * `continuity.resume_window`: an A-leg of a proxy-issued session is kept for the longer of it
   * and `ttlMs` (so that it can be resumed, or refused as expired, for the whole window).
   */
  readonly resumeWindowMs?: number;
  /** `continuity.max_response_bytes`: the memory store's budget of stored responses (the others keep theirs by `ttlMs`). */
  readonly maxResponseBytes?: number;
}

/** Logger-shaped sink (a winston logger fits); continuity never imports a logger itself. */
export interface ContinuityLogger {
  error(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
}

/**
 * The integration API. Hot-path calls are synchronous and cheap (no database round trip per
 * call); reads for diagnostics and continuation are asynchronous. Calls that start new work
 * (`resolveALeg`, `beginAttempt`) throw `LIP_ERR_CONTINUITY_UNAVAILABLE` (503) once the store is
 * closed (and when a read-through to the database fails); a failing database never refuses
 * work. Calls that finish work already admitted never throw for that.
 * @see spec/continuity/store-suite.ts
 */
export interface ContinuityStore {
  readonly kind: 'memory' | 'sqlite' | 'redis';
  /**
   * Only for a store that cannot read synchronously (redis): loads what a request names (the
   * A-legs by id, the principal's session id, the A-leg of a resume-token fingerprint, and the
   * fingerprint key first) fresh from the shared store into the local table, so that the
   * synchronous calls that follow see every instance's state. Never rejects: while the shared
   * store cannot answer, the local table is used as it is. Memory and SQLite leave it undefined
   * (nothing to await on their path). SecureSessions.prepare calls it.
   */
  readonly preload?: (request: PreloadRequest) => Promise<void>;
  /** Resumes the principal's A-leg for `sessionId`, or creates one (a new session id when none given). */
  resolveALeg(principal: string, sessionId?: string): ResolvedALeg;
  /**
   * Proxy-issued sessions (see secure-sessions.ts, which decides everything; stores only keep and
   * find). Starts a conversation under a new `s_` session id whose A-leg holds `fingerprint`.
   * Such an A-leg is kept for `max(ttl, resume_window)` after its last activity.
   */
  createSession(principal: string, fingerprint: string): ResolvedALeg;
  /**
   * Stores the A-leg of a conversation that started without a record (`continuity.lineage:
   * conversations`, see secure-sessions.ts) under the ids it already gave out, once something
   * needs it. A leg already stored under `aLegId` for this principal is resumed instead.
   */
  storeALeg(leg: PendingALegIds): ResolvedALeg;
  /**
   * The session holding `fingerprint` until its A-leg expires (`max(ttl, resume_window)` idle),
   * whether or not it was swept yet; within that, the resume window is the caller's call.
   */
  findSession(fingerprint: string): SessionRecord | undefined;
  /** Continues an A-leg of `principal` (marks it seen now); undefined when unknown, not theirs or expired. */
  resumeALeg(aLegId: string, principal: string): ResolvedALeg | undefined;
  /**
   * The store's own key for resume-token fingerprints, used when `continuity.resume_token_key`
   * is not configured: random per process in memory; created once and kept in the database by
   * SQLite, so that sessions resume across restarts.
   */
  fingerprintKey(): Buffer;
  /** The current routing state of an A-leg (undefined when unknown). */
  routing(aLegId: string): ALegRouting | undefined;
  markFirstConsumed(aLegId: string): void;
  bindAffinity(aLegId: string, candidateKey: string): void;
  /** Clears the binding; with `candidateKey`, only when the A-leg is still bound to it. */
  clearAffinity(aLegId: string, candidateKey?: string): void;
  /** Allocates the next B-leg of the A-leg (atomic) and records its attempt row as running. */
  beginAttempt(aLegId: string, start: AttemptStart): AttemptTicket;
  /** Records the attempt's first output (only the first call counts). */
  firstOutput(ticket: AttemptTicket, at?: number): void;
  /** Records how the attempt ended (only the first call counts). */
  finishAttempt(ticket: AttemptTicket, end: AttemptEnd): void;
  /** Attempt rows of an A-leg by seq; undefined when unknown or (with `principal`) not theirs. */
  attempts(aLegId: string, principal?: string): Promise<AttemptRow[] | undefined>;
  describeALeg(aLegId: string, principal?: string): Promise<ALegInfo | undefined>;
  /**
   * Token and cost totals of the finished attempts still stored (rows go with their A-leg at
   * `ttl` or eviction), grouped by `query.groupBy`, largest cost first, at most `query.limit`
   * groups (the rest summed in `other`). A store that keeps rows elsewhere answers from there;
   * `summarizeUsage` folds rows in memory a chunk at a time. Queries run one at a time.
   */
  usage(query: UsageQuery): Promise<UsageSummary>;
  saveResponse(record: ResponseRecord): void;
  /**
   * Only a store that writes behind has it: a promise that settles once every change recorded
   * so far is kept (or once writing failed or, Redis, took longer than the store's command
   * timeout: it does not reject for these). It rejects (`LIP_ERR_CONTINUITY_UNAVAILABLE`) once a
   * change arrived after `close`, which is not kept: a request that outlived its store is not
   * answered as if what it recorded were. Redis: it can be read from every instance; the handler holds
   * the end of every answer until then, so a client's next turn finds its conversation on any
   * instance. SQLite: it is in the database file, so a process killed right after the answer
   * keeps it; the handler holds an answer that created, changed or deleted something the client
   * reads back (a stored response, a batch, a file...) until then. The memory store keeps
   * nothing across a restart and its reads see a write at once: it has no such step.
   */
  readonly persisted?: () => Promise<void>;
  /** Throws `LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND` (404) for unknown ids and other principals' ids. */
  loadResponse(id: string, principal: string): Promise<StoredResponse>;
  /**
   * The conversation up to the response `id`; a 404 (param `previous_response_id`) when `id`, or
   * an earlier response of its chain, is not stored (anymore) for `principal`, and when `id` is
   * a tombstone (`DELETED_RESPONSE`: deleted, kept only for the chains through it).
   */
  loadConversation(id: string, principal: string): Promise<Conversation>;
  /**
   * The stored responses of the conversation up to `id`, oldest first, each whole (what
   * `loadConversation` joins into messages); the same 404s, but a tombstone is read as any.
   */
  loadChain(id: string, principal: string): Promise<StoredResponse[]>;
  /**
   * Deletes one stored response of `principal`; a 404 as `loadResponse` for an id that is not
   * theirs to read. Responses that continued it stay stored and readable, but a conversation
   * through it can no longer be rebuilt (`loadConversation` answers 404 naming it). Shared
   * (Redis): resolves once the deletion is in Redis, else rejects with
   * `LIP_ERR_CONTINUITY_UNAVAILABLE` (503; the deletion stays queued and is retried). SQLite:
   * written behind like every change (`persisted` waits for it).
   */
  deleteResponse(id: string, principal: string): Promise<void>;
  /**
   * Runs `change` while no other `exclusive` of the same `key` runs: a read, change and save of
   * one record (a Responses conversation's) that must not lose a concurrent one. In this process
   * the calls of a key queue; a store shared by several instances (Redis) also holds a lock in
   * Redis while `change` runs and until what it saved can be read on every instance. A lock that
   * cannot be taken in time (Redis down or slow, its holder gone) is not waited for longer: the
   * change then runs on what this instance can read, as everything does while Redis fails.
   * Not reentrant: a change that waits for another `exclusive` of its own key never ends.
   */
  exclusive<T>(key: string, change: () => Promise<T>): Promise<T>;
  /**
   * Applies new limits to what the store holds and keeps (a reload that changes `ttl`,
   * `max_legs`, `max_response_bytes` or `resume_window` and not the store itself): every read
   * checks expiry by them from now on, and what a lowered cap leaves over goes by the fair-share
   * rule (memory: at once; SQLite: once nothing waits to be written, expired rows at its next
   * pruning; Redis: as each A-leg is written, as always).
   */
  reconfigure(limits: StoreLimits): void;
  status(): ContinuityStatus;
  /** Writes everything pending now; rejects when the database refuses. */
  flush(): Promise<void>;
  /** Flushes and releases the store; later new work is refused. */
  close(): Promise<void>;
}
