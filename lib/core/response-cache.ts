import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Observable } from 'rxjs/internal/Observable';
import type { MonoTypeOperatorFunction, Subscriber } from 'rxjs';
import type { Call, EmbeddingRequest, EmbeddingResult, FinishReason, LipEvent } from '../canonical/index.js';
import { firstConnection, redisClient } from '../circuit/redis/redis-client.js';
import type { CacheConfig } from '../config/index.js';

/** How a request met the response cache (`X-LIP-Cache`, the access log, `lip_cache_lookups_total`). */
export type CacheResult = 'hit' | 'miss' | 'refresh' | 'bypass';

/** An answer kept by the cache: the request's events as the executor gave them (or an embeddings request's vectors), and who served them. */
export interface CachedAnswer {
  readonly events: readonly LipEvent[];
  /** An embeddings request's answer (its events are none). */
  readonly embedding?: EmbeddingResult;
  readonly candidateKey: string;
  readonly backendId: string;
  /** The digest of that backend's config row when it was kept (`BackendRows`); absent: not known (a replay's recorded answer). */
  readonly row?: string;
  /** When it was kept, in milliseconds since the epoch. */
  readonly storedAt: number;
}

/**
 * The running config's backend rows as the cache compares them: the digest of a running
 * backend's row (its kind, base URL, models, settings; not its credentials), undefined for a
 * backend that is not running (removed, disabled). A kept answer is given only while the row
 * that served it is the same.
 */
export type BackendRows = (backendId: string) => string | undefined;

/** What else decides whether a request may have a kept answer, and how it is given (`ResponseCache.serve`). */
export interface ServeOptions {
  /** Whether a kept answer may be given to this request (its key's allow list names the candidate that served it). */
  readonly usable?: (answer: CachedAnswer) => boolean;
  /** The streaming client's backpressure: a hit's events wait while it is closed. */
  readonly flow?: Flow;
  /** What decides the answer besides the call (`key`'s variant). */
  readonly variant?: string;
  /** The running config's backend rows: an answer kept from a row since changed or gone is a miss. */
  readonly rows?: BackendRows;
  /**
   * What watches a hit's events as they are given (the extensions' final stream observers, with
   * the candidate that served it as their target); undefined: nothing does.
   */
  readonly observeHit?: (answer: CachedAnswer) => MonoTypeOperatorFunction<LipEvent> | undefined;
}

/** Where answers are kept: in this process, or in Redis for every instance. */
export interface AnswerStore {
  readonly kind: 'memory' | 'redis';
  /** The answer kept under `key`, if any and unexpired (a store that cannot answer: undefined, never a throw). */
  get(key: string): CachedAnswer | undefined | Promise<CachedAnswer | undefined>;
  /** Keeps `answer` (`text` is its JSON, `bytes` its size in UTF-8) for the configured ttl. */
  set(key: string, answer: CachedAnswer, text: string, bytes: number): void;
  /** Forgets every answer; resolves how many there were. */
  clear(): Promise<number>;
  /** What it holds, unexpired (the memory store; Redis is not counted). */
  readonly size?: { readonly entries: number; readonly bytes: number };
  close(): Promise<void>;
}

/** How the cache met an embeddings request: its kept answer, or how to keep the fresh one. */
export type EmbeddingLookup =
  | { readonly cache: 'hit'; readonly answer: CachedAnswer & { readonly embedding: EmbeddingResult }; readonly ageMs: number }
  | { readonly cache: 'miss' | 'refresh'; keep(embedding: EmbeddingResult, candidateKey: string, backendId: string): void }
  | { readonly cache: 'bypass' };

/** A streaming client's backpressure (the server's FlowGate): closed while its socket is full. */
export interface Flow {
  readonly closed: boolean;
  /** Calls `resume` once the gate opens; answers how to cancel the wait. */
  onOpen(resume: () => void): () => void;
}

/** What the cache tells the executor's caller about one request. */
export interface CacheMeta {
  cache?: CacheResult;
  /** A hit: how old its answer is, in milliseconds. */
  cacheAgeMs?: number;
  candidateKey?: string;
  backendId?: string;
}

/** Finish reasons whose answers are not kept (see `ResponseCache.keep`). */
const UNKEPT_ENDINGS: ReadonlySet<FinishReason> = new Set<FinishReason>(['content_filter', 'other']);

/** Bumped when the key's or the entry's shape changes: older entries then miss. */
const KEY_VERSION = 2;

/**
 * The response cache (`cache:`): an answer that completed (a `response_finished`, no error
 * event, not cut short, not ended by a content filter) is kept under a key of the request as routing sees it (after the
 * request stages: the canonical call without `stream` and `metadata`, the resolved selector and,
 * with `scope: principal`, the principal), and a later request with the same key is answered
 * from it without any upstream call, in whatever protocol and streaming mode it asks. The
 * client's `Cache-Control: no-store` skips the cache both ways, `no-cache` skips the lookup and
 * keeps the fresh answer, `max-age=N` takes only an answer at most N seconds old. An answer is
 * given only while the backend row that served it is unchanged (a reload that changes or removes
 * it makes it a miss). A store that fails is a miss, never a failed request.
 * @see spec/core/response-cache.spec.ts
 */
export class ResponseCache {
  constructor(readonly config: CacheConfig, readonly store: AnswerStore, private readonly now: () => number = Date.now) {}

  /**
   * The key of a request: sha-256 of what decides its answer. `variant` is what else does, that
   * the call does not show: the extension features' settings, and what their per-attempt hooks
   * read (see `Executor`'s cache variant).
   */
  key(call: Call, selector: string, principal: string | undefined, variant = ''): string {
    const { stream: _stream, metadata: _metadata, ...decisive } = call;
    const scope = this.config.scope === 'principal' ? principal ?? '' : '';
    return createHash('sha256').update(JSON.stringify([KEY_VERSION, scope, selector, decisive, variant])).digest('base64url');
  }

  /**
   * The answer of a request: from the cache on a hit (its events at once; `meta` says who
   * served it and how old it is), else from `run`, whose events are kept when it completes.
   * A kept answer this request may not have (`options.usable`), or whose backend row changed
   * since (`options.rows`), is a miss. A hit's events wait while `options.flow` (the streaming
   * client's backpressure) is closed, as an upstream's would.
   */
  serve(call: Call, selector: string, principal: string | undefined, headers: Readonly<Record<string, string | string[] | undefined>> | undefined, meta: CacheMeta, run: () => Observable<LipEvent>, options: ServeOptions = {}): Observable<LipEvent> {
    const control = cacheControl(headers?.['cache-control']);
    if (control.mode === 'no-store') {
      meta.cache = 'bypass';
      return run();
    }
    const { usable, flow, rows } = options;
    const key = this.key(call, selector, principal, options.variant);
    if (control.mode === 'no-cache') {
      meta.cache = 'refresh';
      return this.keep(key, meta, run(), rows);
    }
    return new Observable<LipEvent>((subscriber) => {
      let inner: { unsubscribe(): void } | undefined;
      let closed = false;
      let waiting: (() => void) | undefined;
      const answer = (found: CachedAnswer | undefined) => {
        if (closed) return;
        if (found !== undefined && this.fresh(found, control) && current(found, rows) && (usable === undefined || usable(found))) {
          meta.cache = 'hit';
          meta.cacheAgeMs = Math.max(0, this.now() - found.storedAt);
          meta.candidateKey = found.candidateKey;
          meta.backendId = found.backendId;
          const { events } = found;
          let next = 0;
          // The events at once, pausing whenever the client's socket is full (a long answer to a slow reader).
          const give = (to: Subscriber<LipEvent>) => {
            const pump = () => {
              waiting = undefined;
              while (next < events.length) {
                if (to.closed) return;
                if (flow?.closed === true) {
                  waiting = flow.onOpen(pump);
                  return;
                }
                to.next(events[next++]!);
              }
              to.complete();
            };
            pump();
          };
          const observed = options.observeHit?.(found);
          if (observed === undefined) give(subscriber);
          else inner = observed(new Observable<LipEvent>(give)).subscribe(subscriber);
          return;
        }
        meta.cache = 'miss';
        inner = this.keep(key, meta, run(), rows).subscribe(subscriber);
      };
      const found = this.store.get(key);
      if (found instanceof Promise) found.then(answer, () => answer(undefined));
      else answer(found);
      return () => {
        closed = true;
        waiting?.();
        inner?.unsubscribe();
      };
    });
  }

  /**
   * How the cache meets an embeddings request (`route`: its candidates' keys): a kept answer
   * it may have (`usable`), or what to call with the fresh one (none for `no-store`). The key
   * is the request (texts, dimensions, task type, user) and its route, with the principal
   * under `scope: principal`. As for a generation, a kept answer whose backend row changed since
   * (`rows`) is a miss.
   */
  async embedding(request: EmbeddingRequest, route: readonly string[], principal: string | undefined, headers: Readonly<Record<string, string | string[] | undefined>> | undefined, usable?: (answer: CachedAnswer) => boolean, rows?: BackendRows): Promise<EmbeddingLookup> {
    const control = cacheControl(headers?.['cache-control']);
    if (control.mode === 'no-store') return { cache: 'bypass' };
    const { model: _model, ...decisive } = request;
    const scope = this.config.scope === 'principal' ? principal ?? '' : '';
    const key = createHash('sha256').update(JSON.stringify([KEY_VERSION, 'embeddings', scope, route, decisive])).digest('base64url');
    const keep = (embedding: EmbeddingResult, candidateKey: string, backendId: string) => this.remember(key, { events: [], embedding, candidateKey, backendId, ...rowOf(rows, backendId), storedAt: this.now() });
    if (control.mode === 'no-cache') return { cache: 'refresh', keep };
    const found = await this.store.get(key);
    const embedding = found?.embedding;
    if (found !== undefined && embedding !== undefined && this.fresh(found, control) && current(found, rows) && (usable === undefined || usable(found))) return { cache: 'hit', answer: { ...found, embedding }, ageMs: Math.max(0, this.now() - found.storedAt) };
    return { cache: 'miss', keep };
  }

  /**
   * Keeps `answer` under `key` unless its JSON is larger than `max_entry_bytes`, in bytes of
   * UTF-8: what Redis holds of it, and the measure the memory store charges against `max_bytes`.
   */
  private remember(key: string, answer: CachedAnswer): void {
    const text = JSON.stringify(answer);
    const bytes = Buffer.byteLength(text);
    if (bytes <= this.config.max_entry_bytes) this.store.set(key, answer, text, bytes);
  }

  /** Whether a kept answer is young enough for the client's `max-age`. */
  private fresh(answer: CachedAnswer, control: ClientControl): boolean {
    return control.maxAgeMs === undefined || this.now() - answer.storedAt <= control.maxAgeMs;
  }

  /**
   * Passes `source` on, and keeps its events once it completed with a finished answer and no
   * error. An answer a content filter ended (a refusal, a safety stop) or that ended for a reason
   * lip does not know as a natural end (`other`: a malformed function call, a paused turn, an
   * unknown finish reason) is not kept: asked again, the upstream may well answer.
   */
  private keep(key: string, meta: CacheMeta, source: Observable<LipEvent>, rows: BackendRows | undefined): Observable<LipEvent> {
    return new Observable<LipEvent>((subscriber) => {
      const events: LipEvent[] = [];
      let keepable = true;
      let finished = false;
      const subscription = source.subscribe({
        next: (event) => {
          if (keepable) {
            if (event.type === 'error' || (event.type === 'response_finished' && UNKEPT_ENDINGS.has(event.reason))) keepable = false;
            else {
              if (event.type === 'response_finished') finished = true;
              events.push(event);
            }
          }
          subscriber.next(event);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          if (keepable && finished && meta.candidateKey !== undefined && meta.backendId !== undefined) {
            this.remember(key, { events, candidateKey: meta.candidateKey, backendId: meta.backendId, ...rowOf(rows, meta.backendId), storedAt: this.now() });
          }
          subscriber.complete();
        },
      });
      return () => subscription.unsubscribe();
    });
  }

  /** `GET /admin/cache`: the settings and, in memory, what it holds. */
  status(): Record<string, unknown> {
    const { store, ttl, scope, max_bytes: maxBytes, max_entry_bytes: maxEntryBytes } = this.config;
    const size = this.store.size;
    return { store, ttl_ms: ttl, scope, max_entry_bytes: maxEntryBytes, ...(size ? { max_bytes: maxBytes, entries: size.entries, bytes: size.bytes } : {}) };
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/**
 * Whether a kept answer's backend row is the running one's: the backend still runs, with the
 * row that served it (an answer kept without a row, a replay's, only needs the backend running).
 */
function current(answer: CachedAnswer, rows: BackendRows | undefined): boolean {
  if (rows === undefined) return true;
  const row = rows(answer.backendId);
  return row !== undefined && (answer.row === undefined || answer.row === row);
}

/** The `row` field of an answer kept from `backendId` (none when the rows are not known). */
function rowOf(rows: BackendRows | undefined, backendId: string): { readonly row?: string } {
  const row = rows?.(backendId);
  return row === undefined ? {} : { row };
}

/** What the client's `Cache-Control` asks of the cache: skip it, refresh it, or take only an answer no older than `maxAgeMs`. */
interface ClientControl {
  readonly mode?: 'no-store' | 'no-cache';
  readonly maxAgeMs?: number;
}

const NO_CONTROL: ClientControl = {};

/**
 * The client's `Cache-Control`: `no-store` skips the cache (it wins over anything else),
 * `no-cache` or `max-age=0` refreshes it, `max-age=N` takes a kept answer only if it is at most
 * N seconds old (an older one is refreshed). Other directives, and a malformed `max-age`, say nothing.
 */
export function cacheControl(value: string | string[] | undefined): ClientControl {
  if (value === undefined) return NO_CONTROL;
  let noCache = false;
  let maxAgeMs: number | undefined;
  for (const directive of (Array.isArray(value) ? value.join(',') : value).toLowerCase().split(',')) {
    const [name, argument] = directive.split('=', 2).map((part) => part.trim());
    if (name === 'no-store') return { mode: 'no-store' };
    if (name === 'no-cache') noCache = true;
    else if (name === 'max-age' && argument !== undefined && /^"?\d{1,10}"?$/.test(argument)) maxAgeMs = Number(argument.replace(/"/g, '')) * 1000;
  }
  if (noCache || maxAgeMs === 0) return { mode: 'no-cache' };
  return maxAgeMs === undefined ? NO_CONTROL : { maxAgeMs };
}

/**
 * Answers kept in this process: least recently used out first past `max_bytes` (each charged its
 * JSON's UTF-8 bytes, as `max_entry_bytes` measures it), each for `ttl`. Expired answers go
 * before any is pushed out, and before what it holds is told.
 */
export class MemoryAnswerStore implements AnswerStore {
  readonly kind = 'memory';
  /** By use: the most recently used last. */
  private readonly entries = new Map<string, MemoryEntry>();
  /** By when they were kept, which with one ttl is when they expire: the first to expire first. */
  private readonly byExpiry = new Map<string, MemoryEntry>();
  private total = 0;

  constructor(private readonly ttlMs: number, private readonly maxBytes: number, private readonly now: () => number = Date.now) {}

  get size(): { readonly entries: number; readonly bytes: number } {
    this.sweep();
    return { entries: this.entries.size, bytes: this.total };
  }

  get(key: string): CachedAnswer | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expires <= this.now()) {
      this.byExpiry.delete(key);
      this.total -= entry.bytes;
      return undefined;
    }
    // The most recently used is the last in the map's order.
    this.entries.set(key, entry);
    return entry.answer;
  }

  set(key: string, answer: CachedAnswer, _text: string, bytes: number): void {
    this.sweep();
    this.drop(key);
    if (bytes > this.maxBytes) return;
    const entry: MemoryEntry = { answer, bytes, expires: this.now() + this.ttlMs };
    this.entries.set(key, entry);
    this.byExpiry.set(key, entry);
    this.total += bytes;
    for (const [oldest] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.drop(oldest);
    }
  }

  clear(): Promise<number> {
    const count = this.entries.size;
    this.entries.clear();
    this.byExpiry.clear();
    this.total = 0;
    return Promise.resolve(count);
  }

  /** Forgets the expired answers: the first ones kept, up to the first that is not (the cost is theirs). */
  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.byExpiry) {
      if (entry.expires > now) break;
      this.drop(key);
    }
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.byExpiry.delete(key);
    this.total -= entry.bytes;
  }

  close(): Promise<void> {
    return this.clear().then(() => undefined);
  }
}

interface MemoryEntry {
  readonly answer: CachedAnswer;
  readonly bytes: number;
  readonly expires: number;
}

/**
 * Answers kept in Redis (`redis.url`, under `redis.key_prefix` + `cache:`), shared by every
 * instance, each for `ttl`. A lookup that Redis does not answer within `timeoutMs` (or an
 * outage) is a miss; a write that fails is dropped. The first failure of a run is logged once.
 */
export class RedisAnswerStore implements AnswerStore {
  readonly kind = 'redis';
  private readonly client: Redis;
  private warned = false;
  /** Answers kept right after a start wait for the connection (a lookup meanwhile is a miss). */
  private readonly connected: { readonly pending: Promise<void> | undefined };

  constructor(url: string, private readonly prefix: string, private readonly ttlMs: number, private readonly warn: (message: string, meta: Record<string, unknown>) => void, timeoutMs = 250) {
    this.client = redisClient(url, {
      commandTimeout: timeoutMs, connectTimeout: Math.max(1_000, timeoutMs * 4), enableOfflineQueue: false, maxRetriesPerRequest: 0,
      retryStrategy: (times: number) => Math.min(times * 100, 2_000), connectionName: 'lip-cache',
    });
    this.client.on('error', () => undefined);
    this.client.on('ready', () => { this.warned = false; });
    this.connected = firstConnection(this.client);
  }

  async get(key: string): Promise<CachedAnswer | undefined> {
    try {
      const text = await this.client.get(this.prefix + key);
      if (text === null) return undefined;
      const answer = JSON.parse(text) as CachedAnswer;
      return Array.isArray(answer.events) && typeof answer.candidateKey === 'string' && typeof answer.backendId === 'string' ? answer : undefined;
    } catch (err) {
      this.failed(err);
      return undefined;
    }
  }

  set(key: string, _answer: CachedAnswer, text: string): void {
    const write = () => this.client.set(this.prefix + key, text, 'PX', this.ttlMs).catch((err: unknown) => this.failed(err));
    const pending = this.connected.pending;
    if (pending === undefined) void write();
    else void pending.then(write);
  }

  /** Unlinks every key under the prefix, a SCAN page at a time (other instances' answers too: they share them). */
  async clear(): Promise<number> {
    const pattern = `${this.prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
    let cursor = '0';
    let count = 0;
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) count += await this.client.unlink(...keys);
    } while (cursor !== '0');
    return count;
  }

  async close(): Promise<void> {
    this.client.disconnect();
    return Promise.resolve();
  }

  private failed(err: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.warn('response cache: Redis did not answer; requests go upstream meanwhile', { error: err instanceof Error ? err.message : String(err) });
  }
}

/** The cache of `config` (undefined when `cache.enabled` is off). */
export function createResponseCache(config: CacheConfig, redis: { readonly url?: string; readonly key_prefix: string }, warn: (message: string, meta: Record<string, unknown>) => void): ResponseCache | undefined {
  if (!config.enabled) return undefined;
  const store = config.store === 'redis'
    ? new RedisAnswerStore(redis.url!, `${redis.key_prefix}cache:`, config.ttl, warn)
    : new MemoryAnswerStore(config.ttl, config.max_bytes);
  return new ResponseCache(config, store);
}
