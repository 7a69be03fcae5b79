/**
 * What a circuit breaker costs per request, memory store vs Redis store.
 *
 *   node --import tsx benchmarks/circuit-breaker.ts            # starts its own redis-server
 *   REDIS_URL=redis://127.0.0.1:6379 node --import tsx benchmarks/circuit-breaker.ts
 *
 * Measures, in nanoseconds per call (median of 7 rounds, after warm-up):
 * * check + record(success) on a healthy candidate: the cost every request pays;
 * * check on an open circuit (refused): what a request pays per candidate it skips;
 * * record(failure): the synchronous part a failing attempt pays (Redis: the script call is
 *   built and written to the socket, not awaited), and for Redis the round trip of the Lua
 *   transition itself (awaited, sequential and 64 in flight);
 * * the time until another instance learns that a circuit opened (pub/sub);
 * * check + record while Redis is down (degraded: must cost what the memory store costs).
 */
import { performance } from 'node:perf_hooks';
import { createCircuitBreaker } from '../lib/circuit/create-circuit-breaker.js';
import type { CircuitBreaker } from '../lib/circuit/circuit-breaker.js';
import { RedisCircuitStore } from '../lib/circuit/redis/redis-store.js';
import type { CircuitEvent } from '../lib/circuit/types.js';
import { startRedisServer, type RedisServer } from '../spec/helpers/redis-server.js';

const ROUNDS = 7;
const CONFIG = { enabled: true, failure_threshold: 5, open_for: 30_000, half_open_probes: 1, store: 'memory' as const };
const KEYS = Array.from({ length: 64 }, (_, i) => `backend${i % 8}:model-${i}`);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** ns per call of `fn`, run `n` times per round. */
function perCall(n: number, fn: (i: number) => void): number {
  for (let i = 0; i < n; i++) fn(i); // warm-up
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    for (let i = 0; i < n; i++) fn(i);
    rounds.push(((performance.now() - start) * 1e6) / n);
  }
  return median(rounds);
}

async function perCallAsync(n: number, fn: (i: number) => Promise<unknown>, parallel = 1): Promise<number> {
  const run = async () => {
    let next = 0;
    await Promise.all(Array.from({ length: parallel }, async () => {
      while (next < n) await fn(next++);
    }));
  };
  await run();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    await run();
    rounds.push(((performance.now() - start) * 1e6) / n);
  }
  return median(rounds);
}

function hotPath(breaker: CircuitBreaker): number {
  return perCall(2_000_000, (i) => {
    const key = KEYS[i & 63]!;
    breaker.record(key, 'success', breaker.check(key));
  });
}

function refusedPath(breaker: CircuitBreaker): number {
  for (let i = 0; i < 5; i++) breaker.record('down:model', 'failure');
  return perCall(1_000_000, () => breaker.check('down:model'));
}

/**
 * A failure then a success (the streak never reaches the threshold; both change state), one
 * pair per event-loop turn like failures arriving on different sockets, the store's answers
 * handled in between. Only the synchronous part is timed: what the failing request itself
 * pays (for Redis: building the script call and writing it to the socket).
 */
async function failurePath(breaker: CircuitBreaker): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 3_000; i++) {
    const key = KEYS[i & 63]!;
    const start = performance.now();
    breaker.record(key, 'failure');
    breaker.record(key, 'success');
    if (i >= 500) samples.push(((performance.now() - start) * 1e6) / 2);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return median(samples);
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));
const row = (name: string, ns: number) => console.log(`  ${name.padEnd(58)} ${ns >= 10_000 ? `${(ns / 1000).toFixed(1)} us` : `${ns.toFixed(0)} ns`}`);

async function main(): Promise<void> {
  let server: RedisServer | undefined;
  const url = process.env.REDIS_URL ?? (server = await startRedisServer()).url;
  console.log(`node ${process.version}, ${url}${server ? ' (private redis-server)' : ''}\n`);
  try {
    const memory = createCircuitBreaker(CONFIG);
    console.log('memory store');
    row('check + record(success), healthy candidate', hotPath(memory));
    row('check, open circuit (refused)', refusedPath(memory));
    row('record(failure) / record(success), per record', await failurePath(memory));

    const redisDeps = { redis: { url, key_prefix: `bench${process.pid}:` }, redisTimeoutMs: 1_000 };
    const shared = createCircuitBreaker({ ...CONFIG, store: 'redis' }, redisDeps);
    await shared.whenSynced();
    console.log('\nredis store');
    row('check + record(success), healthy candidate', hotPath(shared));
    row('check, open circuit (refused)', refusedPath(shared));
    row('record(failure) / record(success), synchronous part', await failurePath(shared));
    await settle();

    const store = new RedisCircuitStore({ url, keyPrefix: `bench${process.pid}s:`, policy: { failureThreshold: 1_000_000, openForMs: 30_000, halfOpenProbes: 1, keyTtlMs: 600_000 }, origin: 'bench', timeoutMs: 1_000 });
    await new Promise<void>((resolve) => store.onLink((up) => up && resolve()));
    row('Lua record(failure) round trip, one at a time', await perCallAsync(5_000, (i) => store.record(KEYS[i & 63]!, 'failure', false, i)));
    row('Lua record(failure), 64 in flight, per call', await perCallAsync(20_000, (i) => store.record(KEYS[i & 63]!, 'failure', false, i), 64));
    await store.close();

    const learnt: number[] = [];
    for (let r = 0; r < 20; r++) {
      const events: CircuitEvent[] = [];
      const a = createCircuitBreaker({ ...CONFIG, store: 'redis', failure_threshold: 1 }, { ...redisDeps, redis: { url, key_prefix: `prop${r}:` } });
      let resolve!: () => void;
      const heard = new Promise<void>((r2) => { resolve = r2; });
      const b = createCircuitBreaker({ ...CONFIG, store: 'redis', failure_threshold: 1 }, { ...redisDeps, redis: { url, key_prefix: `prop${r}:` }, onEvent: (e) => { events.push(e); if (e.type === 'transition') resolve(); } });
      await Promise.all([a.whenSynced(), b.whenSynced()]);
      const start = performance.now();
      a.record('p:m', 'failure');
      await heard;
      learnt.push((performance.now() - start) * 1e6);
      await Promise.all([a.close(), b.close()]);
    }
    row('open on A -> known on B (pub/sub), median of 20', median(learnt));

    if (server) {
      await server.stop();
      await settle();
      console.log(`\nredis store, Redis down (healthy: ${shared.status().healthy})`);
      row('check + record(success), healthy candidate', hotPath(shared));
      row('record(failure) / record(success), per record', await failurePath(shared));
    }
    await Promise.all([memory.close(), shared.close()]);
  } finally {
    await server?.close();
  }
}

await main();
