/**
 * `node --import tsx benchmarks/profile.ts [kind] [stream|plain] [requests]`: where lip's CPU
 * goes on the real path. Starts the kind's emulator and `lip serve --cpu-prof`, sends warm-up
 * requests then `requests` sequential ones (the kind's own protocol, as in the benchmark),
 * (`LIP_PROFILE_CONCURRENCY=N`: N at a time), stops lip (the profile is written at exit) and prints lip's CPU time per request and the
 * profile's self time grouped by phase (by the source file each sample's function lives in).
 * `LIP_PROFILE_EXTRA_YAML` is appended to lip's config (e.g. `recording: { enabled: true, ... }`),
 * `LIP_PROFILE_NODE_FLAGS` are given to lip's node (e.g. `--trace-gc`) and `LIP_PROFILE_STDOUT`
 * names a file for lip's stdout (its access log and what such flags print; /dev/null otherwise).
 *
 * `--alloc` (anywhere in the arguments) profiles allocation instead: V8's sampling heap profiler
 * (preloaded `benchmarks/alloc-hook.mjs`, every allocation counted, also what GC collected since)
 * runs over the measured requests, and it prints the bytes allocated per request, by function
 * and by lip file (inclusive: an allocation counts once for every lip file on its stack).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT } from './lib-process.js';
import { timedRequest } from './measure.js';
import { KIND_CLIENTS, startEmulators } from './real-path.js';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/** lip's compiled folders (dist/<area>/), not a dependency's own dist/. */
const lip = (areas: string) => new RegExp(`^(?!.*node_modules).*/dist/(${areas})/`);

/** Phase of a sample by its function's file (first match wins). */
const PHASES: [string, RegExp][] = [
  ['GC', /^\(garbage collector\)$/],
  ['idle / program', /^\((idle|program|root)\)$/],
  ['access log (winston, logform, streams)', /node_modules\/(winston|logform|readable-stream|triple-beam|safe-stable-stringify|colors|@colors|fecha)\/|\/dist\/observability\//],
  ['upstream HTTP (undici)', /node_modules\/undici\//],
  ['RxJS', /node_modules\/rxjs\//],
  ['server intake & response (lib/server, lib/wire)', lip('server|wire')],
  ['frontends (decode request, encode response)', lip('frontends')],
  ['backends (encode request, decode answer)', lip('backends')],
  ['core & routing (execute, plan, operators)', lip('core|routing|circuit')],
  ['continuity', lip('continuity')],
  ['canonical (validate, collect)', lip('canonical')],
  ['other lip', lip('[^/]+')],
  ['node: http server & client', /node:(_http|http)|internal\/(http|streams|net|stream_base)|^node:net/],
  ['node: other (timers, events, buffers, JSON)', /^node:|internal\//],
  ['other dependencies', /node_modules\//],
  ['V8 builtins / native', /^$/],
];

async function main(): Promise<void> {
  const alloc = process.argv.includes('--alloc');
  const argv = process.argv.filter((a) => a !== '--alloc');
  const kindName = argv[2] ?? 'openai-chat';
  const stream = argv[3] === 'stream';
  const requests = Number(argv[4] ?? 3000);
  const k = KIND_CLIENTS.find((c) => c.kind === kindName)!;
  const emulators = await startEmulators();
  const dir = mkdtempSync(join(tmpdir(), 'lip-prof-'));
  const port = await freePort();
  const config = join(dir, 'lip.yaml');
  writeFileSync(config, `server: { host: 127.0.0.1, port: ${port} }\nlogging: { level: info, format: json, access_log: true }\nrouting: { default_route: "${k.id}:bench" }\nbackends:\n${emulators.rows}\n${process.env.LIP_PROFILE_EXTRA_YAML ?? ''}\n`);
  const allocFile = join(dir, 'alloc.heapprofile');
  const flags = alloc ? ['--import', join(ROOT, 'benchmarks/alloc-hook.mjs')] : ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '100'];
  const child = spawn(process.execPath, [...(process.env.LIP_PROFILE_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), ...flags, join(ROOT, 'bin/lip.js'), 'serve', '--config', config],
    { stdio: ['ignore', openSync(process.env.LIP_PROFILE_STDOUT ?? '/dev/null', 'w'), 'inherit'], env: { ...process.env, LIP_ALLOC_PROFILE: allocFile } });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { await fetch(`${url}/healthz`); break; } catch { if (i > 200) throw new Error('lip did not start'); await new Promise((r) => setTimeout(r, 50)); }
  }
  const emulator = emulators.byKind.get(k.kind)!;
  const req = k.request(url, 'bench', stream);
  void emulator;
  // LIP_PROFILE_CONCURRENCY=N: N requests in flight at a time (as under load), 1 by default.
  const concurrency = Math.max(1, Number(process.env.LIP_PROFILE_CONCURRENCY ?? 1));
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = { url: req.url, headers: { 'x-lip-route': `${k.id}:bench` } };
  for (let i = 0; i < 500; i++) await timedRequest(agent, target, req.body);
  const cpu = () => {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  };
  if (alloc) {
    child.kill('SIGUSR2');
    await new Promise((r) => setTimeout(r, 200)); // the hook starts the profiler on its next turn
  }
  const before = cpu();
  let sent = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (sent++ < requests) await timedRequest(agent, target, req.body);
  }));
  const perRequestUs = ((cpu() - before) * 1000) / requests;
  agent.destroy();
  if (alloc) {
    child.kill('SIGUSR2');
    for (let i = 0; i < 100 && !existsSync(allocFile); i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); });
    await emulators.stop();
    return printAllocations(JSON.parse(readFileSync(allocFile, 'utf8')) as HeapProfile, requests, `${k.kind}, ${stream ? 'streaming' : 'non-streaming'}`);
  }
  await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); });
  await emulators.stop();
  // The serving thread's profile (a worker thread, such as recording's, writes one of its own): thread id 0.
  const file = readdirSync(dir).find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f)) ?? readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** The nearest caller of a native function that is not itself native (where the time was asked for). */
  const caller = (id: number): string => {
    let at = parent.get(id);
    for (let hops = 0; at !== undefined && hops < 12; hops++) {
      const f = byId.get(at)!.callFrame;
      if (f.url && !/node:internal\/(stream|net|streams)|node:(net|_http)/.test(f.url)) return `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}`;
      at = parent.get(at);
    }
    return '?';
  };
  const callers = new Map<string, number>();
  const self = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  /** Inclusive time per lip file: a sample counts once for every lip file on its stack. */
  const inclusive = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)!;
    const dt = profile.timeDeltas[i] ?? 0;
    const seen = new Set<string>();
    for (let at: number | undefined = node.id; at !== undefined; at = parent.get(at)) {
      const u = byId.get(at)!.callFrame.url;
      const m = /\/dist\/(.+)\.js$/.exec(u);
      if (m && !u.includes('node_modules') && !seen.has(m[1]!)) {
        seen.add(m[1]!);
        inclusive.set(m[1]!, (inclusive.get(m[1]!) ?? 0) + dt);
      }
    }
    const { url: src, functionName } = node.callFrame;
    const phase = PHASES.find(([, re]) => re.test(functionName.startsWith('(') ? functionName : src))?.[0] ?? 'other';
    if (phase === 'idle / program') continue;
    total += dt;
    self.set(phase, (self.get(phase) ?? 0) + dt);
    const fn = `${functionName || '(anonymous)'} ${src.replace(/^.*\/(node_modules|dist)\//, '$1/')}`;
    if (!src) callers.set(`${fn} <- ${caller(node.id)}`, (callers.get(`${fn} <- ${caller(node.id)}`) ?? 0) + dt);
    fns.set(fn, (fns.get(fn) ?? 0) + dt);
  }
  const lines = [`${k.kind}, ${stream ? 'streaming' : 'non-streaming'}: lip CPU ${perRequestUs.toFixed(0)} us per request (${requests} requests after 500 warm-up; /proc)`, '', '| phase | share of busy CPU |', '|---|---:|'];
  for (const [phase, t] of [...self].sort((a, b) => b[1] - a[1])) lines.push(`| ${phase} | ${((100 * t) / total).toFixed(1)}% |`);
  lines.push('', 'top functions (self):');
  for (const [fn, t] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, 25)) lines.push(`  ${((100 * t) / total).toFixed(1).padStart(5)}%  ${fn}`);
  lines.push('', 'inclusive time by lip file, microseconds per request (a file counts once per sample):');
  for (const [f, t] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 30)) lines.push(`  ${((perRequestUs * t) / total).toFixed(1).padStart(7)}  ${f}`);
  lines.push('', 'native time by the nearest lip or dependency caller:');
  for (const [fn, t] of [...callers].sort((a, b) => b[1] - a[1]).slice(0, 12)) lines.push(`  ${((100 * t) / total).toFixed(1).padStart(5)}%  ${fn}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  // LIP_PROFILE_DUMP=file: every function's self and every lip file's inclusive µs per request, as JSON (to diff two runs).
  if (process.env.LIP_PROFILE_DUMP) {
    const perRequest = (m: Map<string, number>) => Object.fromEntries([...m].map(([k, t]) => [k, (perRequestUs * t) / total]));
    writeFileSync(process.env.LIP_PROFILE_DUMP, JSON.stringify({ perRequestUs, self: perRequest(fns), inclusive: perRequest(inclusive) }));
  }
}

interface HeapNode { callFrame: { functionName: string; url: string }; selfSize: number; children: HeapNode[] }
interface HeapProfile { head: HeapNode }

/** Bytes allocated per request: by function (self) and by lip file (inclusive). */
function printAllocations(profile: HeapProfile, requests: number, label: string): void {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode, files: readonly string[]) => {
    const { functionName, url } = node.callFrame;
    const m = /\/dist\/(.+)\.js$/.exec(url);
    const here = m && !url.includes('node_modules') && !files.includes(m[1]!) ? [...files, m[1]!] : files;
    if (node.selfSize > 0) {
      total += node.selfSize;
      const fn = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}`;
      self.set(fn, (self.get(fn) ?? 0) + node.selfSize);
      for (const f of here) inclusive.set(f, (inclusive.get(f) ?? 0) + node.selfSize);
    }
    for (const c of node.children) walk(c, here);
  };
  walk(profile.head, []);
  const kib = (bytes: number) => (bytes / requests / 1024).toFixed(2).padStart(7);
  const lines = [`${label}: ${kib(total).trim()} KiB allocated per request (${requests} requests, sampling heap profiler, collected objects included)`, '', 'by function (self), KiB per request:'];
  for (const [fn, b] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) lines.push(`  ${kib(b)}  ${fn}`);
  lines.push('', 'by lip file (inclusive), KiB per request:');
  for (const [f, b] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 30)) lines.push(`  ${kib(b)}  ${f}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`profile failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
