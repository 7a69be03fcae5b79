import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { dispatchRequest, readBodyBytes } from '../backends/http/index.js';
import type { GeoipConfig } from '../config/index.js';
import type { ContinuityLogger } from '../continuity/index.js';
import { persistAtomically, retryDelayMs } from './file-refresh.js';
import { deadline } from '../wire/deadline.js';
import { countryLookupOf, type CountryLookup } from './ingress-gate.js';

/** DB-IP Lite Country, free under CC BY 4.0 (a new file each month). */
export const DBIP_COUNTRY_LITE_URL = 'https://download.db-ip.com/free/dbip-country-lite-{YYYY}-{MM}.mmdb.gz';

export const MANAGED_DEFAULTS = { url: DBIP_COUNTRY_LITE_URL, update_interval: 24 * 3_600_000, fetch_timeout: 120_000, max_bytes: 128 * 1_048_576 } as const;

export type GeoipRefreshOutcome = 'updated' | 'unchanged' | 'failed';

export interface GeoipSourceDeps {
  readonly dispatcher?: Dispatcher;
  readonly logger?: ContinuityLogger;
  readonly now?: () => number;
}

/** The settings a managed database is kept by (a reload that keeps them keeps the source). */
export type ManagedSettings = Required<Pick<GeoipConfig['database'], 'url' | 'update_interval' | 'fetch_timeout' | 'max_bytes'>> & { readonly local_path: string };

export function managedSettings(database: GeoipConfig['database']): ManagedSettings {
  return {
    local_path: database.local_path!,
    url: database.url ?? MANAGED_DEFAULTS.url,
    update_interval: database.update_interval ?? MANAGED_DEFAULTS.update_interval,
    fetch_timeout: database.fetch_timeout ?? MANAGED_DEFAULTS.fetch_timeout,
    max_bytes: database.max_bytes ?? MANAGED_DEFAULTS.max_bytes,
  };
}

/**
 * `access.geoip.database.source: managed`: the country database kept at `local_path`, read at
 * start when it is there, and downloaded again every `update_interval` (at start when it is
 * missing or older), from `url` (`{YYYY}` and `{MM}` name this month, and when this month's file
 * is not published yet, 404, the last month's). A download is gunzipped when its URL ends in
 * `.gz`, bounded by `max_bytes` (compressed and not) and `fetch_timeout`, and checked as an MMDB
 * before it replaces anything: a failure keeps the running database and the file, and is tried
 * again after 1, 2, 4 ... minutes. An accepted one is written over `local_path` (atomically) and
 * serves the next lookup. Lookups never wait for a download: until the first database is there,
 * no address has a country.
 * @see spec/core/geoip-source.spec.ts
 */
export class GeoipSource implements CountryLookup {
  private current: CountryLookup | undefined;
  private generation: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private running: Promise<GeoipRefreshOutcome> | undefined;
  private readonly closing = new AbortController();
  private closed = false;
  private readonly now: () => number;
  /** The last refresh, for logs and specs. */
  lastRefresh: { readonly outcome: GeoipRefreshOutcome; readonly error?: string; readonly url?: string } | undefined;

  constructor(readonly settings: ManagedSettings, private readonly deps: GeoipSourceDeps = {}) {
    this.now = deps.now ?? Date.now;
    let age = Infinity;
    try {
      const bytes = readFileSync(settings.local_path);
      this.current = countryLookupOf(bytes);
      this.generation = digest(bytes);
      age = this.now() - statSync(settings.local_path).mtimeMs;
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      (missing ? deps.logger?.info : deps.logger?.warn)?.call(deps.logger, 'geoip: the country database file cannot be used; downloading it', { path: settings.local_path, error: describe(err) });
    }
    this.schedule(Math.max(0, settings.update_interval - age));
  }

  /** Whether a database serves lookups. */
  get ready(): boolean {
    return this.current !== undefined;
  }

  country(address: string): string | undefined {
    return this.current?.country(address);
  }

  /** Downloads now (joining one under way) and schedules the next. Never rejects. */
  refresh(): Promise<GeoipRefreshOutcome> {
    this.running ??= this.refreshOnce().finally(() => { this.running = undefined; });
    return this.running;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.closing.abort();
    void this.deps.dispatcher?.destroy().catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), delayMs);
    this.timer.unref();
  }

  private async refreshOnce(): Promise<GeoipRefreshOutcome> {
    let outcome: GeoipRefreshOutcome;
    try {
      const { changed, url } = await this.download();
      outcome = changed ? 'updated' : 'unchanged';
      this.failures = 0;
      this.lastRefresh = { outcome, url };
    } catch (err) {
      outcome = 'failed';
      this.failures++;
      this.lastRefresh = { outcome, error: describe(err) };
      if (!this.closed) this.deps.logger?.warn('geoip: the country database could not be updated; the running one stays', { error: describe(err), ready: this.ready });
    }
    this.schedule(outcome === 'failed' ? retryDelayMs(this.failures, this.settings.update_interval) : this.settings.update_interval);
    return outcome;
  }

  private async download(): Promise<{ changed: boolean; url: string }> {
    const dispatcher = this.deps.dispatcher;
    if (dispatcher === undefined) throw new Error('no HTTP client');
    const { max_bytes: max } = this.settings;
    const urls = urlsFor(this.settings.url, this.now());
    for (const url of urls) {
      const target = new URL(url);
      // fetch_timeout bounds each URL's download, headers and body.
      const bound = deadline(this.settings.fetch_timeout, this.closing.signal);
      let body: Buffer;
      try {
        const response = await dispatchRequest(dispatcher, {
          origin: target.origin, path: `${target.pathname}${target.search}`, method: 'GET', headers: { accept: 'application/octet-stream' },
          signal: bound.signal,
        });
        if (response.statusCode === 404 && url !== urls[urls.length - 1]) {
          response.body.resume();
          continue;
        }
        if (response.statusCode !== 200) {
          response.body.resume();
          throw new Error(`${url} answered HTTP ${response.statusCode}`);
        }
        body = await readBodyBytes(response.body, max + 1);
      } finally {
        bound.clear();
      }
      if (body.length > max) throw new Error(`the download is over max_bytes (${max} bytes)`);
      let bytes: Buffer;
      try {
        bytes = /\.gz$/i.test(target.pathname) ? gunzipSync(body, { maxOutputLength: max }) : body;
      } catch (err) {
        throw new Error(`the download is not gzip, or unpacks to more than max_bytes: ${(err as Error).message}`);
      }
      const lookup = countryLookupOf(bytes);
      const generation = digest(bytes);
      if (generation === this.generation) return { changed: false, url };
      this.current = lookup;
      this.generation = generation;
      try {
        persistAtomically(this.settings.local_path, bytes);
      } catch (err) {
        this.deps.logger?.warn('geoip: the updated country database could not be written; it is used from memory', { path: this.settings.local_path, error: describe(err) });
      }
      this.deps.logger?.info('geoip: country database updated', { url, bytes: bytes.length });
      return { changed: true, url };
    }
    throw new Error('no URL to download from');
  }
}

/** The URLs a template names now: this month's, then last month's (one URL when it names no month). */
export function urlsFor(template: string, now: number): string[] {
  if (!/\{YYYY\}|\{MM\}/.test(template)) return [template];
  const at = new Date(now);
  const month = (year: number, m: number) => template.replace(/\{YYYY\}/g, String(year)).replace(/\{MM\}/g, String(m + 1).padStart(2, '0'));
  const year = at.getUTCFullYear();
  const m = at.getUTCMonth();
  return [month(year, m), m === 0 ? month(year - 1, 11) : month(year, m - 1)];
}

function digest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.name === 'TimeoutError') return 'the download did not finish within fetch_timeout';
  if (e?.name === 'AbortError') return 'closed (a reload or a shutdown) during the download';
  return e?.code ?? e?.message ?? String(err);
}
