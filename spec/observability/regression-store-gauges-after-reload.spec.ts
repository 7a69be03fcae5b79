import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '../../lib/core/runtime.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const BACKENDS = '  - { id: stub, kind: localstub }';
const METRICS = 'observability: { metrics: { enabled: true } }';
/** A Redis nobody answers at: the Redis stores run degraded (their gauges read 0). */
const AWAY = 'redis: { url: "redis://127.0.0.1:1", key_prefix: "lip-gauges:" }';
const GAUGES = /^(lip_continuity_ready|lip_continuity_store_healthy|lip_continuity_pending_records|lip_circuit_store_healthy)\{store="([a-z]+)"\}/;

/**
 * Regression (found by probing): the store-labelled gauges kept the series of a store a reload
 * had replaced. After a reload from the memory continuity store to SQLite, both
 * `lip_continuity_ready{store="memory"}` and `{store="sqlite"}` read 1; after one from Redis
 * stores (Redis down) to memory ones, `lip_continuity_store_healthy{store="redis"}` and
 * `lip_circuit_store_healthy{store="redis"}` read 0 for the rest of the process's life, and an
 * alert on them never resolved. Their collect() set the current store's series without
 * resetting the gauge first; it now does, as lip_upstream_queue_depth always did.
 */
describe('regression: store-labelled gauges after a reload that switches the store', function () {
  this.timeout(30_000);
  let lip: RunningLip | undefined;
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lip-store-gauges-')); });
  afterEach(async () => {
    await lip?.close();
    lip = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** Each store-labelled gauge's series as `name{store}`, from a scrape. */
  const series = async () => {
    const text = await (await fetch(`${lip!.url}/metrics`)).text();
    return text.split('\n').flatMap((line) => {
      const m = GAUGES.exec(line);
      return m ? [`${m[1]}{${m[2]}}`] : [];
    }).sort();
  };

  it('memory to SQLite: the continuity gauges have only the SQLite store\'s series', async () => {
    lip = await startLip(testConfig(BACKENDS, METRICS));
    expect(await series()).to.include('lip_continuity_ready{memory}');
    await lip.server.reload(createRuntime(testConfig(BACKENDS, `${METRICS}\ncontinuity: { store: sqlite, sqlite_path: "${join(dir, 'lip.db')}" }`)));
    expect(await series()).to.deep.equal([
      'lip_circuit_store_healthy{memory}', 'lip_continuity_pending_records{sqlite}', 'lip_continuity_ready{sqlite}', 'lip_continuity_store_healthy{sqlite}',
    ]);
  });

  it('Redis stores (Redis away) to memory ones: no Redis series is left behind', async () => {
    lip = await startLip(testConfig(BACKENDS, `${METRICS}\n${AWAY}\ncontinuity: { store: redis }\nrouting: { circuit_breaker: { enabled: true, store: redis } }`));
    expect(await series()).to.include.members(['lip_circuit_store_healthy{redis}', 'lip_continuity_store_healthy{redis}']);
    await lip.server.reload(createRuntime(testConfig(BACKENDS, METRICS)));
    expect(await series()).to.deep.equal([
      'lip_circuit_store_healthy{memory}', 'lip_continuity_pending_records{memory}', 'lip_continuity_ready{memory}', 'lip_continuity_store_healthy{memory}',
    ]);
  });
});
