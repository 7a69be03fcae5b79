/**
 * Throughput of `lip serve --workers N` on this machine: the same localstub config under the
 * same autocannon load with 1 worker (a single process) and 2 workers (node:cluster).
 *   npm run build && node --import tsx benchmarks/workers.ts [--quick] [--workers 1,2]
 * autocannon runs in this process, on the same cores as lip: with 2 cores, the 2-worker case
 * shares them with the client, so the numbers say what one machine serves end to end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_CHUNKS, BENCH_TEXT } from './canned.js';
import { freePort, ROOT } from './lib-process.js';
import { load, type LoadResult } from './measure.js';

const quick = process.argv.includes('--quick');
const SECONDS = quick ? 2 : 8;
const ROUNDS = quick ? 1 : 3;
const flag = process.argv.indexOf('--workers');
const COUNTS = flag > 0 ? process.argv[flag + 1]!.split(',').map(Number) : [1, 2];
const CASES = [
  { name: 'non-streaming', connections: 16, stream: false },
  { name: 'non-streaming', connections: 64, stream: false },
  { name: 'streaming, 50 chunks', connections: 16, stream: true },
] as const;

const yaml = `server: { host: 127.0.0.1, port: 0 }
logging: { level: info, format: json, access_log: true }
diagnostics: { enabled: true }
routing: { default_route: "stub:bench" }
backends:
  - { id: stub, kind: localstub, models: [bench], chunks: ${BENCH_CHUNKS}, input_tokens: 12, output_tokens: 120, text: ${JSON.stringify(BENCH_TEXT)} }
`;

async function getJson(url: string): Promise<{ status: number; body: any }> {
  try {
    const res = await fetch(url);
    return { status: res.status, body: await res.json() };
  } catch {
    return { status: 0, body: undefined };
  }
}

/** `lip serve --workers N`, logs to /dev/null; resolves once every worker listens. */
async function startLip(workers: number): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const config = join(tmpdir(), `lip-bench-workers-${process.pid}-${port}.yaml`);
  writeFileSync(config, yaml);
  const devnull = openSync('/dev/null', 'w');
  const child = spawn(process.execPath, [join(ROOT, 'bin/lip.js'), 'serve', '--config', config, '--port', String(port), '--workers', String(workers)], { stdio: ['ignore', devnull, 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 1_200; i++) {
    if (child.exitCode !== null) throw new Error(`lip exited with ${child.exitCode}`);
    const status = await getJson(`${url}/admin/config/status`);
    // A single process has no worker list; under --workers every worker must be listening.
    if (status.status === 200 && (workers === 1 || status.body.workers?.length === workers)) return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('lip did not come up');
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGINT'); // no drain delay
  });
}

const body = (stream: boolean) => JSON.stringify({ model: 'bench', stream, messages: [{ role: 'user', content: 'hello' }] });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`lip --workers throughput: ${availableParallelism()} cores, Node ${process.version}, load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}, ${ROUNDS} rounds of ${SECONDS} s per case and worker count`);
// Every worker count runs at once (the idle ones cost nothing measurable), and the runs
// alternate between them, so that a change in the machine's load hits all of them alike.
const lips = new Map<number, { url: string; child: ChildProcess }>();
for (const workers of COUNTS) lips.set(workers, await startLip(workers));
const results = new Map<string, LoadResult[]>();
try {
  for (const c of CASES) {
    for (let round = 0; round < ROUNDS; round++) {
      for (const workers of round % 2 === 0 ? COUNTS : [...COUNTS].reverse()) {
        const result = await load(`${lips.get(workers)!.url}/v1/chat/completions`, body(c.stream), c.connections, SECONDS);
        const key = `${workers}|${c.name}|${c.connections}`;
        results.set(key, [...(results.get(key) ?? []), result]);
        console.log(`workers ${workers} | ${c.name} | ${c.connections} connections | ${Math.round(result.rps)} req/s | p50 ${result.p50} ms | p99 ${result.p99} ms | errors ${result.errors} | non-2xx ${result.non2xx}`);
      }
    }
  }
} finally {
  for (const lip of lips.values()) await stop(lip.child);
}
console.log('\nmedians over the rounds:\n| case | connections | ' + COUNTS.map((w) => `${w} worker${w > 1 ? 's' : ''} req/s (p50 / p99 ms)`).join(' | ') + ' |');
console.log('|---|---|' + COUNTS.map(() => '---|').join(''));
for (const c of CASES) {
  const cells = COUNTS.map((w) => {
    const runs = results.get(`${w}|${c.name}|${c.connections}`)!;
    return `${Math.round(median(runs.map((r) => r.rps))).toLocaleString('en')} (${median(runs.map((r) => r.p50))} / ${median(runs.map((r) => r.p99))})`;
  });
  console.log(`| ${c.name} | ${c.connections} | ${cells.join(' | ')} |`);
}
console.log(`load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
