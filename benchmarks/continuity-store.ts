/**
 * Per-request cost of continuity recording, memory store versus SQLite store.
 *
 * One request = `resolveALeg` (half of them resume one of 1000 sessions, half start a new one)
 * + two B-legs (the first fails before output, the second streams: begin, first output,
 * finish). The SQLite cost is amortised: it includes writing every record, in the batched
 * transactions the write queue makes (flushed every `--batch` requests here; the store's own
 * timer flushes every 25 ms). Also measured: the request-path share alone, how long one batch
 * holds the event loop, and one `saveResponse` + `loadConversation` round trip.
 *
 * Run: node --import tsx benchmarks/continuity-store.ts [requests=100000] [batch=200]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { collectEvents } from '../lib/canonical/index.js';
import { createContinuityStore, type ContinuityStore } from '../lib/continuity/index.js';

export interface ContinuityBenchResult {
  readonly store: string;
  readonly requests: number;
  /** CPU microseconds per request, everything included (amortised writes). */
  readonly perRequestUs: number;
  /** CPU microseconds per request spent in the request-path calls only. */
  readonly hotPathUs: number;
  /** Wall-clock microseconds per request, everything included (noisy on a shared machine). */
  readonly perRequestWallUs: number;
  /** Milliseconds one batch of `batch` requests' records holds the event loop (p50 / p99 / max). */
  readonly flushMs: { p50: number; p99: number; max: number };
  readonly saveAndLoadResponseUs: number;
}

const ATTEMPT_A = { candidateKey: 'primary:model-a', backendId: 'primary', model: 'model-a' };
const ATTEMPT_B = { candidateKey: 'fallback:model-b', backendId: 'fallback', model: 'model-b' };
const OUTPUT = collectEvents([{ type: 'text_delta', text: 'The quick brown fox jumps over the lazy dog. '.repeat(12) }, { type: 'response_finished', reason: 'stop' }]);

function oneRequest(store: ContinuityStore, i: number): void {
  const leg = store.resolveALeg('bench', i % 2 === 0 ? `s${i % 1000}` : undefined);
  const failed = store.beginAttempt(leg.aLegId, ATTEMPT_A);
  store.finishAttempt(failed, { outcome: 'swallowed_failure', reason: 'LIP_ERR_UPSTREAM_STATUS: upstream answered 503', httpStatus: 503 });
  const served = store.beginAttempt(leg.aLegId, ATTEMPT_B);
  store.firstOutput(served);
  store.finishAttempt(served, { outcome: 'success', httpStatus: 200 });
}

/** CPU time of this process in microseconds (what the work costs, whatever else runs here). */
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const round = (n: number, digits = 2) => Number(n.toFixed(digits));

async function measure(name: string, store: ContinuityStore, requests: number, batch: number): Promise<ContinuityBenchResult> {
  for (let i = 0; i < 2_000; i++) oneRequest(store, i); // warm up (JIT, caches, sessions)
  await store.flush();
  let hot = 0;
  const flushes: number[] = [];
  const started = performance.now();
  const cpuStarted = cpu();
  for (let done = 0; done < requests; done += batch) {
    const c0 = cpu();
    for (let i = done; i < done + batch; i++) oneRequest(store, i);
    hot += cpu() - c0;
    const t1 = performance.now();
    await store.flush();
    flushes.push(performance.now() - t1);
  }
  const cpuTotal = cpu() - cpuStarted;
  const total = performance.now() - started;
  const rounds = 1_000;
  const r0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    store.saveResponse({ id: `resp_${i}`, principal: 'bench', ...(i > 0 ? { previousResponseId: `resp_${i - 1}` } : {}), input: [{ role: 'user', parts: [{ type: 'text', text: `turn ${i}` }] }], output: OUTPUT });
    if (i % 10 === 0) await store.flush();
    await store.loadResponse(`resp_${i}`, 'bench');
  }
  const saveLoad = (performance.now() - r0) / rounds;
  flushes.sort((a, b) => a - b);
  return {
    store: name, requests,
    perRequestUs: round(cpuTotal / requests), hotPathUs: round(hot / requests), perRequestWallUs: round((total * 1000) / requests),
    flushMs: { p50: round(quantile(flushes, 0.5), 3), p99: round(quantile(flushes, 0.99), 3), max: round(flushes.at(-1) ?? 0, 3) },
    saveAndLoadResponseUs: round(saveLoad * 1000),
  };
}

/**
 * Runs the memory and SQLite stores (the SQLite file lives in a temporary directory removed
 * afterwards) and, with `LIP_BENCH_REDIS_URL` set, the Redis store (keys under a fresh prefix,
 * deleted afterwards; Redis's own CPU is not in the CPU columns, only in wall time).
 */
export async function benchContinuity(requests = 100_000, batch = 200): Promise<ContinuityBenchResult[]> {
  const config = { sqlite_path: '', ttl: 24 * 3_600_000, max_legs: 100_000 };
  const memory = createContinuityStore({ ...config, store: 'memory' });
  const results = [await measure('memory', memory, requests, batch)];
  await memory.close();
  const dir = mkdtempSync(join(tmpdir(), 'lip-bench-continuity-'));
  try {
    const sqlite = createContinuityStore({ ...config, store: 'sqlite', sqlite_path: join(dir, 'lip.db') }, { sqlite: { queue: { capacity: 1_000_000 } } });
    results.push(await measure('sqlite', sqlite, requests, batch));
    await sqlite.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const redisUrl = process.env.LIP_BENCH_REDIS_URL;
  if (redisUrl) {
    const prefix = `lip-bench-${process.pid}:`;
    const redis = createContinuityStore({ ...config, store: 'redis' }, { redis: { url: redisUrl, key_prefix: prefix }, redisStore: { queue: { capacity: 1_000_000 } } });
    results.push(await measure('redis', redis, requests, batch));
    await redis.close();
    const { Redis } = await import('ioredis');
    const raw = new Redis(redisUrl);
    for (let cursor = '0', keys: string[] = []; ; ) {
      [cursor, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await raw.del(...keys);
      if (cursor === '0') break;
    }
    raw.disconnect();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const requests = Number(process.argv[2] ?? 100_000);
  const batch = Number(process.argv[3] ?? 200);
  const results = await benchContinuity(requests, batch);
  process.stdout.write(`continuity recording, ${requests} requests (resolve + 2 attempts each), writes flushed every ${batch} requests\n`);
  for (const r of results) {
    process.stdout.write(`${r.store.padEnd(7)} ${String(r.perRequestUs).padStart(7)} us CPU/request (request path ${r.hotPathUs} us; wall ${r.perRequestWallUs} us)`
      + `  batch of ${batch} requests: p50 ${r.flushMs.p50} ms, p99 ${r.flushMs.p99} ms, max ${r.flushMs.max} ms`
      + `  saveResponse+loadResponse ${r.saveAndLoadResponseUs} us\n`);
  }
}
