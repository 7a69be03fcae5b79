/**
 * `npm run soak`: a spawned `lip serve` (the dist build, config in a temp dir) under mixed
 * traffic for `--minutes N` (or LIP_SOAK_MINUTES; default 10): the four protocols, streamed and
 * not, failovers (503 then another upstream), races, client aborts mid-stream, upstream resets,
 * against the four upstream emulators, with at most `--concurrency` (16) requests in flight,
 * loopback only. Every 30 s it reports lip's RSS (/proc/PID/status), its open file descriptors
 * (/proc/PID/fd), lip's own event-loop delay p99 (prom-client's monitorEventLoopDelay, scraped
 * from /metrics), the /healthz latency p99 seen by a prober, and requests done/failed by kind.
 * Exit 1 when RSS grew more than 10% from the end of the warm-up (minute 2; for runs shorter
 * than 10 minutes the warm-up is scaled to a fifth of the run) to the last sample, when any
 * request was lost (should have succeeded and did not, or got no answer), or when lip exited.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator } from '../spec/helpers/emulators/index.js';
import { freePort, ROOT } from './lib-process.js';
import { percentiles } from './measure.js';
import { KINDS, plan, prng, send, soakScript, UPSTREAM } from './soak-traffic.js';

const arg = (name: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : undefined; };
const MINUTES = Number(arg('minutes') ?? process.env.LIP_SOAK_MINUTES ?? 10);
const CONCURRENCY = Number(arg('concurrency') ?? 16);
const REPORT_MS = 30_000;
const WARMUP_MS = Math.max(REPORT_MS, Math.min(2, MINUTES / 5) * 60_000);
const RSS_GROWTH_LIMIT = 0.10;
/** `--only plain,stream`: send only these kinds (to find which traffic a problem comes from). */
const ONLY = arg('only')?.split(',');
const MIX = ONLY ? KINDS.filter(([k]) => ONLY.includes(k)) : KINDS;

interface Sample { t: number; rssMiB: number; heapMiB: number; heapTotalMiB: number; externalMiB: number; fds: number; loopP99Ms: number; healthP99Ms: number; internalErrors: number }
interface Tally { done: number; failed: number; lost: number }

const log = (line: string) => process.stdout.write(`${line}\n`);
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

function get(url: string, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** A prom-client gauge value from Prometheus text (first series). */
const metric = (text: string, name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
const sumOf = (text: string, name: string) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);

async function main(): Promise<number> {
  const emulators = [await startOpenAIChatEmulator(), await startOpenAIResponsesEmulator(), await startAnthropicEmulator(), await startGeminiEmulator()];
  for (const e of emulators) e.handler = soakScript;
  const trim = setInterval(() => { for (const e of emulators) { e.requests.splice(0); e.closes.splice(0); } }, 1000);
  const [oc, or, an, ge] = emulators;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lip-soak-'));
  const config = join(dir, 'lip.yaml');
  writeFileSync(config, `server: { host: 127.0.0.1, port: ${port} }
logging: { level: warn, format: json, access_log: false }
observability: { metrics: { enabled: true } }
routing: { default_route: "stub:m", max_attempts: 4 }
continuity: { store: memory, max_legs: 2000 }
backends:
  - { id: stub, kind: localstub, text: "hello from the soak stub", chunks: 4 }
  - { id: ${UPSTREAM['openai-chat']}, kind: openai-chat, base_url: "${oc!.url}", api_key: "soak-key-0001" }
  - { id: ${UPSTREAM['openai-responses']}, kind: openai-responses, base_url: "${or!.url}", api_key: "soak-key-0002" }
  - { id: ${UPSTREAM.anthropic}, kind: anthropic, base_url: "${an!.url}", api_key: "soak-key-0003" }
  - { id: ${UPSTREAM.gemini}, kind: gemini, base_url: "${ge!.url}", api_key: "soak-key-0004" }
`);
  const child = spawn(process.execPath, [join(ROOT, 'bin/lip.js'), 'serve', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString('utf8')).slice(-8000); });
  let exited: string | undefined;
  child.once('exit', (code, signal) => { exited = `lip exited (code ${code}, signal ${signal})`; });
  const base = `http://127.0.0.1:${port}`;
  const probe = new Agent({ keepAlive: true, maxSockets: 2 });
  for (let i = 0; ; i++) {
    if (exited) throw new Error(`${exited}:\n${stderr}`);
    if (await get(`${base}/healthz`, probe).then((r) => r.status === 200, () => false)) break;
    if (i > 200) throw new Error('lip did not come up');
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = child.pid!;
  log(`# lip soak: ${MINUTES} min, concurrency ${CONCURRENCY}, lip pid ${pid}, config ${config}, node ${process.version}`);
  log(`# RSS baseline at ${WARMUP_MS / 1000} s; fail on > ${RSS_GROWTH_LIMIT * 100}% growth after it, on any lost request, or if lip exits`);

  const start = Date.now();
  const end = start + MINUTES * 60_000;
  const totals = new Map<string, Tally>();
  let window = new Map<string, Tally>();
  const lostDetails: string[] = [];
  const failedDetails: string[] = [];
  const count = (m: Map<string, Tally>, kind: string, ok: boolean, lost: boolean) => {
    const t = m.get(kind) ?? { done: 0, failed: 0, lost: 0 };
    t.done++;
    if (!ok) t.failed++;
    if (lost) t.lost++;
    m.set(kind, t);
  };

  // Workers: bounded concurrency, deterministic mix.
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });
  const workers = Array.from({ length: CONCURRENCY }, async (_, w) => {
    const random = prng(1000 + w);
    while (Date.now() < end && !exited) {
      const p = plan(random, MIX);
      const outcome = await send(agent, base, p);
      count(totals, p.kind, outcome.ok, outcome.lost);
      count(window, p.kind, outcome.ok, outcome.lost);
      if (outcome.lost && lostDetails.length < 20) lostDetails.push(outcome.detail ?? p.kind);
      else if (!outcome.ok && failedDetails.length < 20) failedDetails.push(outcome.detail ?? p.kind);
    }
  });

  // The /healthz prober (a client-side proxy for responsiveness) and the 30 s samples.
  let health: number[] = [];
  const prober = (async () => {
    while (Date.now() < end && !exited) {
      const t0 = performance.now();
      const ok = await get(`${base}/healthz`, probe).then((r) => r.status === 200, () => false);
      health.push(ok ? performance.now() - t0 : 10_000);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const samples: Sample[] = [];
  const sample = async () => {
    const metrics = await get(`${base}/metrics`, probe).then((r) => r.body, () => '');
    const s: Sample = {
      t: Math.round((Date.now() - start) / 1000), rssMiB: rssMiB(pid), fds: fdCount(pid),
      heapMiB: metric(metrics, 'nodejs_heap_size_used_bytes') / 2 ** 20,
      heapTotalMiB: metric(metrics, 'nodejs_heap_size_total_bytes') / 2 ** 20,
      externalMiB: metric(metrics, 'nodejs_external_memory_bytes') / 2 ** 20,
      loopP99Ms: metric(metrics, 'nodejs_eventloop_lag_p99_seconds') * 1000,
      healthP99Ms: health.length ? percentiles(health).p99 : NaN,
      internalErrors: sumOf(metrics, 'lip_internal_errors_total'),
    };
    health = [];
    samples.push(s);
    const kinds = [...window.entries()].sort().map(([k, t]) => `${k} ${t.done}/${t.failed}${t.lost ? `/LOST ${t.lost}` : ''}`).join(', ');
    window = new Map();
    log(`t=${String(s.t).padStart(4)}s rss=${s.rssMiB.toFixed(1)} MiB (heap used ${s.heapMiB.toFixed(1)} of ${s.heapTotalMiB.toFixed(1)}, external ${s.externalMiB.toFixed(1)}) fds=${s.fds} loop_p99=${s.loopP99Ms.toFixed(1)} ms healthz_p99=${s.healthP99Ms.toFixed(1)} ms internal_errors=${s.internalErrors} | done/failed: ${kinds}`);
  };
  let sampling: Promise<void> = Promise.resolve();
  const sampler = setInterval(() => { if (!exited) sampling = sample(); }, REPORT_MS);
  await Promise.all([...workers, prober]);
  clearInterval(sampler);
  await sampling;
  if (!exited && (samples.length === 0 || Date.now() - start - samples[samples.length - 1]!.t * 1000 > 5_000)) await sample();

  // Verdict.
  const problems: string[] = [];
  if (exited) problems.push(`${exited}: ${stderr.slice(-2000)}`);
  const baseline = samples.find((s) => s.t * 1000 >= WARMUP_MS - 1000);
  const last = samples[samples.length - 1];
  const growth = baseline && last ? (last.rssMiB - baseline.rssMiB) / baseline.rssMiB : NaN;
  if (growth > RSS_GROWTH_LIMIT) problems.push(`RSS grew ${(growth * 100).toFixed(1)}% (${baseline!.rssMiB.toFixed(1)} -> ${last!.rssMiB.toFixed(1)} MiB)`);
  const all = [...totals.values()].reduce((a, t) => ({ done: a.done + t.done, failed: a.failed + t.failed, lost: a.lost + t.lost }), { done: 0, failed: 0, lost: 0 });
  if (all.lost > 0) problems.push(`${all.lost} lost requests, e.g.:\n  ${lostDetails.join('\n  ')}`);
  const max = (f: (s: Sample) => number) => Math.max(...samples.map(f).filter((n) => Number.isFinite(n))).toFixed(1);
  log('\n## Soak summary');
  log(`requests: ${all.done} done, ${all.failed} not as expected, ${all.lost} lost`);
  for (const [k, t] of [...totals.entries()].sort()) log(`  ${k.padEnd(15)} ${String(t.done).padStart(7)} done ${String(t.failed).padStart(5)} failed ${String(t.lost).padStart(5)} lost`);
  if (failedDetails.length) log(`not as expected (not lost), e.g.:\n  ${failedDetails.join('\n  ')}`);
  log(`RSS: baseline (t=${baseline?.t ?? '-'} s) ${baseline?.rssMiB.toFixed(1) ?? '-'} MiB, last ${last?.rssMiB.toFixed(1) ?? '-'} MiB, growth ${(growth * 100).toFixed(1)}%, max ${max((s) => s.rssMiB)} MiB`);
  log(`heap used: baseline ${baseline?.heapMiB.toFixed(1) ?? '-'} MiB, last ${last?.heapMiB.toFixed(1) ?? '-'} MiB, max ${max((s) => s.heapMiB)} MiB; fds: first ${samples[0]?.fds ?? '-'}, last ${last?.fds ?? '-'}`);
  log(`lip event-loop delay p99 (from /metrics): max ${max((s) => s.loopP99Ms)} ms; /healthz p99 (client side): max ${max((s) => s.healthP99Ms)} ms; lip_internal_errors_total ${last?.internalErrors ?? '-'}`);
  log(problems.length ? `\nFAIL:\n${problems.join('\n')}` : '\nPASS');

  clearInterval(trim);
  if (!exited) {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
  agent.destroy();
  probe.destroy();
  await Promise.all(emulators.map((e) => e.close()));
  return problems.length ? 1 : 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`soak failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
