import { readFileSync, statSync, utimesSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import { dispatchRequest, readBodyText } from '../../backends/http/index.js';
import type { ModelCatalogConfig } from '../../config/index.js';
import type { ContinuityLogger } from '../../continuity/index.js';
import { CatalogFormatError, CatalogSnapshot } from './snapshot.js';
import { countCatalog } from './counts.js';
import { persistAtomically, retryDelayMs } from '../file-refresh.js';
import { deadline } from '../../wire/deadline.js';

/** The settings that decide where a snapshot comes from (a reload that keeps them keeps the source). */
export type CatalogSourceSettings = Pick<ModelCatalogConfig, 'path' | 'source_url' | 'refresh_interval' | 'fetch_timeout' | 'max_bytes'>;

export type RefreshOutcome = 'updated' | 'unchanged' | 'failed';

/** What `GET /admin/model-catalog` reports of the snapshot (never a model's facts in bulk). */
export interface CatalogSourceStatus {
  /** `loaded`: decisions use the snapshot; `unavailable`: none could be read yet, nothing is decided. */
  readonly state: 'loaded' | 'unavailable';
  readonly path: string;
  readonly source_url?: string;
  readonly generation?: string;
  readonly loaded_at?: string;
  /** When the source last confirmed the running snapshot (fetched it, or answered it unchanged); the file's time until then. */
  readonly confirmed_at?: string;
  readonly loaded_from?: 'file' | 'source';
  readonly providers?: number;
  readonly models?: number;
  /** Why the file could not be used at start (absent, unreadable, not the catalog's shape). */
  readonly file_error?: string;
  readonly last_refresh?: { readonly at: string; readonly outcome: RefreshOutcome; readonly error?: string };
  readonly next_refresh_at?: string;
}

export interface CatalogSourceDeps {
  readonly logger?: ContinuityLogger;
  /** The client for refreshes (`http_client` settings, environment proxies); closed with the source. */
  readonly dispatcher?: Dispatcher;
  readonly now?: () => number;
}

/**
 * Where the catalog's snapshot comes from: the file at `path`, read once at start, and, with a
 * `source_url`, a refresh every `refresh_interval` in the background (a failed one is retried
 * sooner, doubling from a minute). A refresh is validated before it replaces anything: a
 * download that is not the catalog's shape leaves the running snapshot and the file as they
 * were. An accepted one is written to `path` (a temporary file renamed over it) so the next
 * start has it. Nothing here runs on a request's path: requests read `snapshot`.
 */
export class CatalogSource {
  snapshot: CatalogSnapshot | undefined;
  /**
   * When the running snapshot was last known current: its file's modification time at start, then
   * each refresh that fetched it or found it unchanged (a 304, or the same content). The metric
   * `lip_model_catalog_snapshot_timestamp_seconds` reports it, so that a source whose content
   * does not change does not look stale.
   */
  confirmedAt: string | undefined;
  private loadedFrom: 'file' | 'source' | undefined;
  private fileError: string | undefined;
  private lastRefresh: CatalogSourceStatus['last_refresh'];
  private etag: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private nextAt: number | undefined;
  private failures = 0;
  private running: Promise<RefreshOutcome> | undefined;
  /** Aborts the fetch under way when the source closes. */
  private readonly closing = new AbortController();
  private closed = false;
  private readonly now: () => number;

  constructor(readonly settings: CatalogSourceSettings & { path: string }, private readonly deps: CatalogSourceDeps = {}) {
    this.now = deps.now ?? Date.now;
    let mtime: number | undefined;
    try {
      const text = readFileSync(settings.path, 'utf8');
      mtime = Math.floor(statSync(settings.path).mtimeMs);
      this.snapshot = new CatalogSnapshot(text, new Date(mtime).toISOString());
      this.confirmedAt = this.snapshot.loadedAt;
      this.loadedFrom = 'file';
    } catch (err) {
      this.fileError = describe(err);
      const log = (err as NodeJS.ErrnoException).code === 'ENOENT' && settings.source_url !== undefined ? deps.logger?.info : deps.logger?.warn;
      log?.call(deps.logger, 'model catalog: the snapshot file cannot be used', { path: settings.path, error: this.fileError, ...(settings.source_url ? { source_url: settings.source_url } : {}) });
    }
    if (settings.source_url !== undefined) {
      // A snapshot younger than the interval waits for its turn; a missing or stale one is fetched now.
      const age = mtime === undefined || this.snapshot === undefined ? Infinity : this.now() - mtime;
      this.schedule(Math.max(0, settings.refresh_interval - age));
    }
  }

  status(): CatalogSourceStatus {
    const s = this.snapshot;
    return {
      state: s ? 'loaded' : 'unavailable',
      path: this.settings.path,
      ...(this.settings.source_url !== undefined ? { source_url: this.settings.source_url } : {}),
      ...(s ? { generation: s.generation, loaded_at: s.loadedAt, ...(this.confirmedAt !== undefined ? { confirmed_at: this.confirmedAt } : {}), loaded_from: this.loadedFrom!, providers: s.providers, models: s.models } : {}),
      ...(this.fileError !== undefined && this.loadedFrom !== 'source' ? { file_error: this.fileError } : {}),
      ...(this.lastRefresh ? { last_refresh: this.lastRefresh } : {}),
      ...(this.nextAt !== undefined ? { next_refresh_at: new Date(this.nextAt).toISOString() } : {}),
    };
  }

  /**
   * Fetches the source now (a refresh already under way is joined) and schedules the next one.
   * Never rejects: a failure is its outcome, logged and kept in `status()`.
   */
  refresh(): Promise<RefreshOutcome> {
    if (this.settings.source_url === undefined) return Promise.resolve('unchanged');
    this.running ??= this.fetchOnce().finally(() => { this.running = undefined; });
    return this.running;
  }

  /** Stops refreshing, aborts a fetch under way and releases the client (the source owns it). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.nextAt = undefined;
    this.closing.abort();
    void this.deps.dispatcher?.destroy().catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.nextAt = this.now() + delayMs;
    this.timer = setTimeout(() => void this.refresh(), delayMs);
    this.timer.unref();
  }

  private async fetchOnce(): Promise<RefreshOutcome> {
    const url = this.settings.source_url!;
    const at = new Date(this.now()).toISOString();
    let outcome: RefreshOutcome;
    let error: string | undefined;
    try {
      outcome = await this.download(url);
      this.failures = 0;
    } catch (err) {
      outcome = 'failed';
      error = describe(err);
      this.failures++;
      // A fetch the source's own closing aborted is no failure of the source.
      if (!this.closed) this.deps.logger?.warn('model catalog: refresh failed; the running snapshot stays', { source_url: url, error, snapshot: this.snapshot?.generation ?? null });
    }
    this.lastRefresh = { at, outcome, ...(error !== undefined ? { error } : {}) };
    if (!this.closed) countCatalog(`refresh_${outcome}`);
    const interval = this.settings.refresh_interval;
    this.schedule(outcome === 'failed' ? retryDelayMs(this.failures, interval) : interval);
    return outcome;
  }

  private async download(url: string): Promise<RefreshOutcome> {
    const dispatcher = this.deps.dispatcher;
    if (dispatcher === undefined) throw new Error('no HTTP client');
    // fetch_timeout bounds the whole download, headers and body.
    const bound = deadline(this.settings.fetch_timeout, this.closing.signal);
    try {
      return await this.fetchSnapshot(dispatcher, url, bound.signal);
    } finally {
      bound.clear();
    }
  }

  private async fetchSnapshot(dispatcher: Dispatcher, url: string, signal: AbortSignal): Promise<RefreshOutcome> {
    const target = new URL(url);
    const response = await dispatchRequest(dispatcher, {
      origin: target.origin, path: `${target.pathname}${target.search}`, method: 'GET',
      headers: { accept: 'application/json', ...(this.etag !== undefined && this.snapshot !== undefined ? { 'if-none-match': this.etag } : {}) },
      signal,
    });
    if (response.statusCode === 304) {
      response.body.resume();
      return this.confirmed();
    }
    if (response.statusCode !== 200) {
      response.body.resume();
      throw new Error(`the source answered HTTP ${response.statusCode}`);
    }
    const length = Number(response.headers['content-length']);
    if (Number.isFinite(length) && length > this.settings.max_bytes) {
      response.body.destroy();
      throw new Error(`the snapshot is ${length} bytes, over model_catalog.max_bytes (${this.settings.max_bytes})`);
    }
    const text = await readBodyText(response.body, this.settings.max_bytes + 1);
    if (Buffer.byteLength(text) > this.settings.max_bytes) throw new Error(`the snapshot is over model_catalog.max_bytes (${this.settings.max_bytes} bytes)`);
    const snapshot = new CatalogSnapshot(text, new Date(this.now()).toISOString());
    const etag = response.headers.etag;
    this.etag = typeof etag === 'string' ? etag : undefined;
    if (snapshot.generation === this.snapshot?.generation) return this.confirmed();
    this.snapshot = snapshot;
    this.confirmedAt = snapshot.loadedAt;
    this.loadedFrom = 'source';
    this.persist(text);
    this.deps.logger?.info('model catalog: snapshot updated', { source_url: url, generation: snapshot.generation, providers: snapshot.providers, models: snapshot.models });
    return 'updated';
  }

  /**
   * The source answered the running snapshot unchanged: it is current as of now. Its file's
   * modification time is set to now too, so that a restart waits its interval rather than
   * fetching at once (a file that cannot be touched only costs that fetch).
   */
  private confirmed(): 'unchanged' {
    const now = new Date(this.now());
    this.confirmedAt = now.toISOString();
    try {
      utimesSync(this.settings.path, now, now);
    } catch {
      // Absent (never written) or read-only: the next start fetches, as it would have.
    }
    return 'unchanged';
  }

  /** Writes an accepted snapshot where the next start reads it; a failure is logged (serving goes on). */
  private persist(text: string): void {
    const path = this.settings.path;
    try {
      persistAtomically(path, text);
    } catch (err) {
      this.deps.logger?.warn('model catalog: the refreshed snapshot could not be written; it is used from memory', { path, error: describe(err) });
    }
  }
}

function describe(err: unknown): string {
  if (err instanceof CatalogFormatError) return `not a models.dev snapshot: ${err.message}`;
  const e = err as NodeJS.ErrnoException;
  if (e?.name === 'TimeoutError') return 'the source did not answer within model_catalog.fetch_timeout';
  if (e?.name === 'AbortError') return 'the source was closed (a reload or a shutdown) during the fetch';
  return e?.message ?? String(err);
}
