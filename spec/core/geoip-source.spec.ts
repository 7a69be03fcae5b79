import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Agent } from 'undici';
import { GeoipSource, managedSettings, urlsFor } from '../../lib/core/geoip-source.js';
import { createRuntime, keepsGeoipSource } from '../../lib/core/runtime.js';
import { configFrom } from '../helpers/config.js';
import { configIssues } from '../helpers/config.js';
import { buildMmdb } from '../helpers/mmdb.js';

const RU_DB = buildMmdb([['203.0.113.0/24', { country: { iso_code: 'RU' } }]]);
const DE_DB = buildMmdb([['203.0.113.0/24', { country: { iso_code: 'DE' } }]]);
const DECEMBER = Date.UTC(2026, 11, 5);

/**
 * `access.geoip.database.source: managed` against a real HTTP server: the month in the URL (and
 * the last month when this one is not published yet), gunzip, validation before anything is
 * replaced, the file written atomically, the schedule.
 */
describe('geoip: the managed country database', () => {
  let server: Server;
  let base: string;
  let dir: string;
  let files: Record<string, { status?: number; body?: Buffer }>;
  const asked: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      asked.push(req.url ?? '');
      const file = files[req.url ?? ''];
      res.writeHead(file?.status ?? (file ? 200 : 404));
      res.end(file?.body ?? 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-geoip-src-'));
    files = {};
    asked.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const source = (extra: { url?: string; local_path?: string } = {}) => new GeoipSource(managedSettings({
    source: 'managed', local_path: join(dir, 'country.mmdb'), url: `${base}/free/country-{YYYY}-{MM}.mmdb.gz`, ...extra,
  }), { dispatcher: new Agent(), now: () => DECEMBER });

  it('names this month, then the last (January: last December)', () => {
    expect(urlsFor('https://x/c-{YYYY}-{MM}.mmdb.gz', DECEMBER)).to.deep.equal(['https://x/c-2026-12.mmdb.gz', 'https://x/c-2026-11.mmdb.gz']);
    expect(urlsFor('https://x/c-{YYYY}-{MM}.mmdb.gz', Date.UTC(2027, 0, 2))).to.deep.equal(['https://x/c-2027-01.mmdb.gz', 'https://x/c-2026-12.mmdb.gz']);
    expect(urlsFor('https://x/fixed.mmdb', DECEMBER)).to.deep.equal(['https://x/fixed.mmdb']);
  });

  it('without a file: downloads at once, gunzips, serves lookups and keeps the file', async () => {
    files['/free/country-2026-12.mmdb.gz'] = { body: gzipSync(RU_DB) };
    const s = source();
    try {
      expect(s.ready).to.equal(false);
      expect(s.country('203.0.113.9'), 'nothing before the download').to.equal(undefined);
      expect(await s.refresh()).to.equal('updated');
      expect(s.country('203.0.113.9')).to.equal('RU');
      expect(readFileSync(join(dir, 'country.mmdb')).equals(RU_DB)).to.equal(true);
      expect(await s.refresh(), 'the same database again').to.equal('unchanged');
    } finally {
      s.close();
    }
  });

  it('this month not published yet (404): the last month\'s', async () => {
    files['/free/country-2026-11.mmdb.gz'] = { body: gzipSync(DE_DB) };
    const s = source();
    try {
      expect(await s.refresh()).to.equal('updated');
      expect(s.country('203.0.113.9')).to.equal('DE');
      expect(asked.slice(-2)).to.deep.equal(['/free/country-2026-12.mmdb.gz', '/free/country-2026-11.mmdb.gz']);
      expect(s.lastRefresh?.url).to.equal(`${base}/free/country-2026-11.mmdb.gz`);
    } finally {
      s.close();
    }
  });

  it('a download that is no database, not gzip, too large or an error keeps the running database and the file', async () => {
    writeFileSync(join(dir, 'country.mmdb'), RU_DB);
    const s = source();
    try {
      expect(s.ready, 'read from the file at start').to.equal(true);
      for (const [body, status] of [[gzipSync(Buffer.from('not a database')), 200], [Buffer.from('not gzip'), 200], [undefined, 500]] as const) {
        files['/free/country-2026-12.mmdb.gz'] = { body: body as Buffer | undefined, status };
        expect(await s.refresh()).to.equal('failed');
        expect(s.country('203.0.113.9')).to.equal('RU');
        expect(readFileSync(join(dir, 'country.mmdb')).equals(RU_DB)).to.equal(true);
      }
      expect(s.lastRefresh?.error).to.contain('HTTP 500');
    } finally {
      s.close();
    }
    const small = new GeoipSource({ ...managedSettings({ source: 'managed', local_path: join(dir, 'other.mmdb'), url: `${base}/big.mmdb` }), max_bytes: 1_024 }, { dispatcher: new Agent(), now: () => DECEMBER });
    try {
      files['/big.mmdb'] = { body: Buffer.alloc(4_096) };
      expect(await small.refresh()).to.equal('failed');
      expect(small.lastRefresh?.error).to.contain('over max_bytes');
      expect(existsSync(join(dir, 'other.mmdb'))).to.equal(false);
    } finally {
      small.close();
    }
  });

  it('a file younger than update_interval is not downloaded at start; an older one is', async () => {
    writeFileSync(join(dir, 'country.mmdb'), RU_DB);
    files['/free/country-2026-12.mmdb.gz'] = { body: gzipSync(DE_DB) };
    const fresh = new GeoipSource(managedSettings({ source: 'managed', local_path: join(dir, 'country.mmdb'), url: `${base}/free/country-{YYYY}-{MM}.mmdb.gz` }), { dispatcher: new Agent() });
    await new Promise((r) => setTimeout(r, 100));
    fresh.close();
    expect(asked, 'fresh: nothing asked').to.deep.equal([]);
    // Two days older than the stale source's clock (DECEMBER), whatever the real date is.
    const old = (DECEMBER - 48 * 3_600_000) / 1_000;
    utimesSync(join(dir, 'country.mmdb'), old, old);
    const stale = new GeoipSource(managedSettings({ source: 'managed', local_path: join(dir, 'country.mmdb'), url: `${base}/free/country-{YYYY}-{MM}.mmdb.gz` }), { dispatcher: new Agent(), now: () => DECEMBER });
    try {
      const deadline = Date.now() + 10_000;
      while (stale.country('203.0.113.9') !== 'DE' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(stale.country('203.0.113.9'), 'stale: downloaded at start').to.equal('DE');
    } finally {
      stale.close();
    }
  });

  it('in a runtime: the gate asks the managed database; a reload with the same database settings keeps it, another closes it', async () => {
    // A runtime's source reads the real clock: the file of this month, whatever the real date is.
    files[urlsFor('/free/country-{YYYY}-{MM}.mmdb.gz', Date.now())[0]!] = { body: gzipSync(RU_DB) };
    const yaml = (deny: string) => `server: { host: 127.0.0.1, port: 0 }\naccess:\n  geoip: { enabled: true, order: deny_allow, deny: { countries: [${deny}] }, database: { source: managed, local_path: ${JSON.stringify(join(dir, 'c.mmdb'))}, url: "${base}/free/country-{YYYY}-{MM}.mmdb.gz" } }\nbackends:\n  - { id: s, kind: localstub }\n`;
    const first = createRuntime(configFrom(yaml('RU')));
    const peer = (address: string) => ({ peer: address, header: () => undefined });
    try {
      expect(first.geoipSource).to.be.instanceOf(GeoipSource);
      expect(await first.geoipSource!.refresh()).to.equal('updated');
      expect(first.ingress!.admits(peer('203.0.113.9'))).to.equal(false);
      expect(first.ingress!.admits(peer('198.51.100.9'))).to.equal(true);
      const next = configFrom(yaml('DE'));
      expect(keepsGeoipSource(first.config, next)).to.equal(true);
      const second = createRuntime(next, { geoipSource: first.geoipSource! });
      await first.close({ next: second });
      expect(second.geoipSource).to.equal(first.geoipSource);
      expect(second.ingress!.admits(peer('203.0.113.9')), 'RU no longer denied').to.equal(true);
      expect(await second.geoipSource!.refresh(), 'still open').to.equal('unchanged');
      expect(keepsGeoipSource(next, configFrom(yaml('DE').replace('c.mmdb', 'd.mmdb')))).to.equal(false);
      await second.close();
    } finally {
      first.geoipSource?.close();
    }
  });

  it('configuration: managed needs local_path; its keys are managed-only and bounded', () => {
    const yaml = (database: string) => `server: { host: 127.0.0.1, port: 0 }\naccess:\n  geoip: { enabled: true, order: deny_allow, deny: { countries: [RU] }, database: ${database} }\nbackends:\n  - { id: s, kind: localstub }\n`;
    expect(configIssues(yaml('{ source: managed, local_path: /var/lib/lip/country.mmdb, update_interval: 12h }'))).to.deep.equal([]);
    expect(configIssues(yaml('{ source: managed }'))).to.deep.equal([
      'access.geoip.database.source: source managed needs local_path: the file the downloaded database is kept in (read at start, replaced by each accepted download)',
    ]);
    expect(configIssues(yaml('{ source: managed, local_path: /x.mmdb, update_interval: 1h, url: "ftp://x" }'))).to.deep.equal([
      'access.geoip.database.url: must be an http(s) URL (it may hold {YYYY} and {MM}) (got "ftp://x")',
    ]);
    expect(configIssues(yaml('{ source: managed, local_path: /x.mmdb, update_interval: 1h }'))).to.deep.equal(['access.geoip.database.update_interval: must be between 6h and 168h']);
    expect(configIssues(yaml('{ source: local, local_path: /x.mmdb, update_interval: 24h }'))).to.deep.equal([
      'access.geoip.database.update_interval: applies to source: managed only (source: local reads local_path and downloads nothing)',
    ]);
  });
});
