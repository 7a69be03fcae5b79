import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatcher, DEFAULT_HTTP_SETTINGS } from '../../../lib/backends/http/index.js';
import { CatalogSource, type CatalogSourceSettings } from '../../../lib/core/model-catalog/index.js';

const REAL = readFileSync(new URL('../../../testdata/model-catalog/models-dev.json', import.meta.url), 'utf8');
const OTHER = JSON.stringify({ openai: { models: { 'gpt-4o': { limit: { context: 1, output: 1 } } } } });
const HOUR = 3_600_000;

/** The catalog's source: a real HTTP server answering what each test sets, recording each request's headers. */
class SourceServer {
  readonly requests: IncomingMessage['headers'][] = [];
  answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end(REAL);
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.requests.push(req.headers);
      this.answer(req, res);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api.json`;
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => this.server!.close(() => resolve()));
  }
}

describe('core/model-catalog/catalog-source: the snapshot file and its background refresh', () => {
  const server = new SourceServer();
  const sources: CatalogSource[] = [];
  let dir: string;
  before(() => server.start());
  after(() => server.close());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-catalog-source-'));
    server.requests.length = 0;
    server.answer = (_req, res) => res.end(REAL);
  });
  afterEach(() => {
    for (const s of sources.splice(0)) s.close();
  });

  function source(settings: Partial<CatalogSourceSettings> & { path: string }, now?: () => number): CatalogSource {
    const s = new CatalogSource({ refresh_interval: 24 * HOUR, fetch_timeout: 5000, max_bytes: 1_000_000, ...settings }, {
      dispatcher: createDispatcher(DEFAULT_HTTP_SETTINGS, {}), ...(now ? { now } : {}),
    });
    sources.push(s);
    return s;
  }

  it('reads the file at start; without a source_url nothing is fetched', () => {
    const path = join(dir, 'models.json');
    writeFileSync(path, REAL);
    const s = source({ path });
    expect(s.status()).to.deep.include({ state: 'loaded', loaded_from: 'file', providers: 6, models: 13 });
    expect(s.status()).to.not.have.property('next_refresh_at');
  });

  it('an absent or broken file leaves the catalog unavailable and says why', () => {
    expect(source({ path: join(dir, 'absent.json') }).status()).to.deep.include({ state: 'unavailable' });
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"openai": 1}');
    expect(source({ path: broken }).status().file_error).to.equal('not a models.dev snapshot: $["openai"]: expected a provider object');
  });

  it('without a file, fetches the source at once and writes what it accepted for the next start', async () => {
    const path = join(dir, 'sub', 'models.json');
    const s = source({ path, source_url: server.url });
    expect(await s.refresh()).to.equal('updated'); // joins the fetch the start scheduled
    expect(server.requests).to.have.length(1);
    expect(s.status()).to.deep.include({ state: 'loaded', loaded_from: 'source', models: 13 });
    expect(readFileSync(path, 'utf8')).to.equal(REAL);
    expect(s.status().last_refresh).to.deep.include({ outcome: 'updated' });
  });

  it('asks again with the ETag it was given; 304 and an identical body are "unchanged"', async () => {
    server.answer = (req, res) => {
      if (req.headers['if-none-match'] === '"v1"') {
        res.statusCode = 304;
        res.end();
      } else {
        res.setHeader('etag', '"v1"');
        res.end(REAL);
      }
    };
    const s = source({ path: join(dir, 'models.json'), source_url: server.url });
    expect(await s.refresh()).to.equal('updated');
    expect(await s.refresh()).to.equal('unchanged');
    expect(server.requests[1]!['if-none-match']).to.equal('"v1"');
    server.answer = (_req, res) => res.end(REAL);
    expect(await s.refresh()).to.equal('unchanged');
  });

  it('a refresh that finds the snapshot unchanged confirms it: confirmed_at and the file\'s time move on, loaded_at stays', async () => {
    server.answer = (req, res) => {
      if (req.headers['if-none-match'] === '"v1"') {
        res.statusCode = 304;
        res.end();
      } else {
        res.setHeader('etag', '"v1"');
        res.end(REAL);
      }
    };
    const start = Date.UTC(2026, 11, 3, 10);
    let now = start;
    const path = join(dir, 'models.json');
    const s = source({ path, source_url: server.url, refresh_interval: HOUR }, () => now);
    expect(await s.refresh()).to.equal('updated');
    expect(s.status()).to.include({ loaded_at: new Date(start).toISOString(), confirmed_at: new Date(start).toISOString() });
    now = start + 2 * HOUR;
    expect(await s.refresh()).to.equal('unchanged'); // 304
    expect(s.status()).to.include({ loaded_at: new Date(start).toISOString(), confirmed_at: new Date(now).toISOString() });
    expect(s.confirmedAt).to.equal(new Date(now).toISOString());
    expect(Math.floor(statSync(path).mtimeMs / 1000)).to.equal(Math.floor(now / 1000));
    server.answer = (_req, res) => res.end(REAL);
    now = start + 4 * HOUR;
    expect(await s.refresh()).to.equal('unchanged'); // the same content
    expect(s.status()).to.include({ loaded_at: new Date(start).toISOString(), confirmed_at: new Date(now).toISOString() });
    // The next start reads the confirmed file as fresh: it waits its interval.
    const restarted = source({ path, source_url: server.url, refresh_interval: HOUR }, () => now + 60_000);
    expect(Date.parse(restarted.status().next_refresh_at!)).to.equal(now + HOUR);
  });

  it('a refresh that fails keeps the running snapshot and the file; the retry comes sooner than the interval', async () => {
    const path = join(dir, 'models.json');
    writeFileSync(path, REAL);
    const now = Math.floor(statSync(path).mtimeMs) + 1000;
    const s = source({ path, source_url: server.url }, () => now);
    const generation = s.status().generation;
    for (const [answer, error] of [
      [(_req: IncomingMessage, res: ServerResponse) => res.end('{"openai": {"models": {"gpt-4o": {"limit": []}}}}'), 'not a models.dev snapshot: $["openai"].models["gpt-4o"].limit: expected an object'],
      [(_req: IncomingMessage, res: ServerResponse) => { res.statusCode = 503; res.end('busy'); }, 'the source answered HTTP 503'],
      [(_req: IncomingMessage, res: ServerResponse) => res.end('x'.repeat(2_000_000)), 'the snapshot is 2000000 bytes, over model_catalog.max_bytes (1000000)'],
    ] as const) {
      server.answer = answer;
      expect(await s.refresh()).to.equal('failed');
      expect(s.status().last_refresh).to.deep.include({ outcome: 'failed', error });
      expect(s.status().generation).to.equal(generation);
      expect(readFileSync(path, 'utf8')).to.equal(REAL);
    }
    // Three failures in a row: the retry doubles from a minute (1, 2, 4 minutes).
    expect(Date.parse(s.status().next_refresh_at!)).to.equal(now + 4 * 60_000);
    server.answer = (_req, res) => res.end(OTHER);
    expect(await s.refresh()).to.equal('updated');
    expect(Date.parse(s.status().next_refresh_at!)).to.equal(now + 24 * HOUR);
    expect(readFileSync(path, 'utf8')).to.equal(OTHER);
  });

  it('a source that does not answer within fetch_timeout is a failed refresh', async () => {
    server.answer = () => undefined; // never answers
    const s = source({ path: join(dir, 'models.json'), source_url: server.url, fetch_timeout: 200 });
    expect(await s.refresh()).to.equal('failed');
    expect(s.status().last_refresh?.error).to.equal('the source did not answer within model_catalog.fetch_timeout');
  });

  it('close() aborts a fetch under way (a CLI command or a reload does not wait for the source)', async () => {
    server.answer = () => undefined; // never answers
    const s = source({ path: join(dir, 'models.json'), source_url: server.url, fetch_timeout: 60_000 });
    const outcome = s.refresh();
    await new Promise((resolve) => setTimeout(resolve, 50));
    s.close();
    expect(await outcome).to.equal('failed');
    expect(s.status().last_refresh?.error).to.equal('the source was closed (a reload or a shutdown) during the fetch');
  });

  it('a file younger than the interval waits for its turn; close() stops the schedule', () => {
    const path = join(dir, 'models.json');
    writeFileSync(path, REAL);
    const mtime = Math.floor(statSync(path).mtimeMs);
    const s = source({ path, source_url: server.url, refresh_interval: HOUR }, () => mtime + 10 * 60_000);
    expect(Date.parse(s.status().next_refresh_at!)).to.equal(mtime + HOUR);
    expect(server.requests).to.have.length(0);
    s.close();
    expect(s.status()).to.not.have.property('next_refresh_at');
  });
});
