import { Agent, request } from 'node:http';
import autocannon from 'autocannon';

export interface Percentiles { p50: number; p90: number; p99: number; mean: number }

export function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

/** A request target: a URL, and headers such as `X-LIP-Route`. */
export type Target = string | { readonly url: string; readonly headers?: Readonly<Record<string, string>> };

/** One request on a kept-alive socket; resolves with [ms to first body byte, ms to the end]. */
export function timedRequest(agent: Agent, target: Target, body: string): Promise<[number, number]> {
  const { url, headers } = typeof target === 'string' ? { url: target, headers: {} } : target;
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    let first = 0;
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.on('data', () => {
        if (first === 0) first = Number(process.hrtime.bigint() - start) / 1e6;
      });
      res.on('end', () => resolve([first, Number(process.hrtime.bigint() - start) / 1e6]));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Sequential latency of several targets, interleaved request by request so that machine noise
 * hits all of them alike. Returns first-byte and total latency percentiles per target.
 */
export async function sequential(targets: Record<string, Target>, body: string, samples: number, warmup = 300) {
  const agents = Object.fromEntries(Object.keys(targets).map((k) => [k, new Agent({ keepAlive: true, maxSockets: 1 })]));
  const first: Record<string, number[]> = {};
  const total: Record<string, number[]> = {};
  for (const name of Object.keys(targets)) { first[name] = []; total[name] = []; }
  for (let i = 0; i < warmup + samples; i++) {
    for (const [name, url] of Object.entries(targets)) {
      const [f, t] = await timedRequest(agents[name]!, url, body);
      if (i >= warmup) { first[name]!.push(f); total[name]!.push(t); }
    }
  }
  for (const agent of Object.values(agents)) agent.destroy();
  return Object.fromEntries(Object.keys(targets).map((name) => [name, { firstByte: percentiles(first[name]!), total: percentiles(total[name]!) }]));
}

export interface LoadResult { rps: number; p50: number; p99: number; errors: number; non2xx: number }

/** Requests/s and latency under `connections` concurrent clients, after a one-second warm-up. */
export async function load(url: string, body: string, connections: number, seconds: number, headers: Readonly<Record<string, string>> = {}): Promise<LoadResult> {
  const options = { url, method: 'POST', body, headers: { ...headers, 'content-type': 'application/json' }, connections };
  await autocannon({ ...options, duration: 1 });
  const result = await autocannon({ ...options, duration: seconds });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx };
}
