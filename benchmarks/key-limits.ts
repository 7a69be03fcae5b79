/**
 * What per-key limits cost per admission: `auth.limits_store: memory` vs `redis`.
 *
 *   node --import tsx benchmarks/key-limits.ts            # starts its own redis-server
 *   REDIS_URL=redis://127.0.0.1:6379 node --import tsx benchmarks/key-limits.ts
 *
 * Admits requests of a key with `requests_per_minute`, `max_concurrent_requests` and
 * `tokens_per_minute` (high enough never to refuse), each request's slot given back at once, as
 * KeyLimits does for lip: the latency of one admission (sequential, awaited) and the CPU of this
 * process per admission (one at a time and 16 in flight), median of 7 rounds after a warm-up.
 */
import { performance } from 'node:perf_hooks';
import { KeyLimits } from '../lib/server/key-limits.js';
import { RedisLimitsLedger } from '../lib/server/key-limits-redis.js';
import { startRedisServer, type RedisServer } from '../spec/helpers/redis-server.js';

const ROUNDS = 7;
const N = 4_000;
const KEY = { id: 'bench', key: 'k'.repeat(16), principal: 'p', requests_per_minute: 1e9, max_concurrent_requests: 1e6, tokens_per_minute: 1e12 };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Wall and CPU microseconds per admission (median of the rounds). */
async function measure(limits: KeyLimits, parallel: number): Promise<{ wallUs: number; cpuUs: number }> {
  const run = async () => {
    let next = 0;
    await Promise.all(Array.from({ length: parallel }, async () => {
      while (next++ < N) (await limits.admit(KEY, { concurrent: true, tokens: true }))();
    }));
  };
  await run();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    wall.push(((performance.now() - t0) * 1000) / N);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / N);
  }
  return { wallUs: median(wall), cpuUs: median(cpu) };
}

async function main(): Promise<void> {
  let server: RedisServer | undefined;
  const url = process.env.REDIS_URL ?? (server = await startRedisServer()).url;
  const memory = new KeyLimits();
  const shared = new KeyLimits();
  const ledger = new RedisLimitsLedger(url, `lip-bench-limits-${process.pid}:`);
  shared.useLedger(ledger);
  const rows: string[] = ['| store | one at a time: latency, CPU µs per admission | 16 in flight: µs per admission (wall), CPU |', '|---|---|---|'];
  for (const [name, limits] of [['memory', memory], ['redis', shared]] as const) {
    const one = await measure(limits, 1);
    const many = await measure(limits, 16);
    rows.push(`| ${name} | ${one.wallUs.toFixed(2)}, ${one.cpuUs.toFixed(2)} | ${many.wallUs.toFixed(2)}, ${many.cpuUs.toFixed(2)} |`);
  }
  process.stdout.write(`per-key limits, ${N} admissions per round, median of ${ROUNDS} rounds (the Redis server on this machine)\n${rows.join('\n')}\n`);
  await ledger.close();
  await server?.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`key-limits benchmark failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
