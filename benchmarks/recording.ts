/**
 * Recording and replay costs. lip + localstub with `recording.enabled` off and on, each in its own
 * process, both kept running while load alternates between them round by round (machine noise hits
 * both alike): requests/s, and the lip process's CPU microseconds per exchange (all its threads,
 * from `process.cpuUsage()`), the steadier of the two on a shared machine, and the serving thread's
 * own CPU microseconds per exchange (schedstat: what work moved to another thread would take off
 * it). Then the substitute
 * replay speed of the regression corpus in exchanges/s.
 *
 * Run: node --import tsx benchmarks/recording.ts [--quick] [--rounds N] [--seconds S] [--only plain|stream] [--baseline DIR] [--real] [--toggle]
 * `--toggle` runs one lip process per build and reloads it with recording on and off before each
 * measurement (after a second of warm-up), instead of one process per side: two processes of one
 * build can differ by 20% for their whole life, which a toggled process rules out.
 * `--real` puts an openai-chat backend in front of its emulator (benchmarks/emulator-upstream.ts,
 * its own process) instead of localstub: the real path (undici, decoding, encoding).
 * `--baseline DIR` also runs the lip of another checkout (e.g. `git worktree add DIR <commit>` with
 * node_modules linked) in the same rounds, to compare a change before and after.
 * `LIP_BENCH_NODE_FLAGS` and `LIP_BENCH_BASELINE_NODE_FLAGS` are given to the node of this build's
 * lip and of the baseline's (`--baseline .` with other flags compares V8 settings of one build).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { parseConfig } from '../lib/config/index.js';
import { LOAD_OPTIONS } from '../lib/cli/config-source.js';
import { readRecording } from '../lib/replay/read-recording.js';
import { replayExchange } from '../lib/replay/replay-exchange.js';
import { BENCH_CHUNKS, BENCH_TEXT } from './canned.js';
import { ROOT, spawnListening } from './lib-process.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const toggle = args.includes('--toggle');
const baseline = args.includes('--baseline') ? resolve(args[args.indexOf('--baseline') + 1]!) : undefined;
const numberArg = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const SECONDS = numberArg('--seconds', quick ? 2 : 5);
const ROUNDS = numberArg('--rounds', quick ? 2 : 4);
const CONNECTIONS = 16;
const dir = mkdtempSync(join(tmpdir(), 'lip-bench-rec-'));
const emulator = args.includes('--real') ? await spawnListening('emulator-upstream.ts', '/v1/models', ['openai-chat']) : undefined;
const backend = emulator
  ? `{ id: stub, kind: openai-chat, base_url: "${emulator.url}/v1", api_key: bench-key-0123456789, models: [bench] }`
  : `{ id: stub, kind: localstub, models: [bench], chunks: ${BENCH_CHUNKS}, input_tokens: 12, output_tokens: 120, text: ${JSON.stringify(BENCH_TEXT)} }`;
const yaml = (recording: string | undefined) => `server: { host: 127.0.0.1, port: 0 }
logging: { access_log: false }
routing: { default_route: "stub:bench" }
${recording ? `recording: { enabled: true, path: "${join(dir, `${recording}.jsonl`)}", max_file_bytes: 50MiB, max_files: 2 }` : ''}
backends:
  - ${backend}
`;
const chat = (stream: boolean) => JSON.stringify({ model: 'bench', stream, messages: [{ role: 'user', content: 'Say something about foxes.' }] });

interface Lip {
  readonly name: string;
  readonly url: string;
  /** CPU µs so far: all threads of the process, and the serving thread alone. */
  cpu(): Promise<{ readonly all: number; readonly main: number }>;
  /** Reloads it with recording on or off (`--toggle`). */
  use(recording: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** Starts benchmarks/recording-lip.ts of `root` (with this checkout's copy of the script) with IPC. */
async function startLip(name: string, root: string, recording: boolean): Promise<Lip> {
  const flags = (name.startsWith('baseline') ? process.env.LIP_BENCH_BASELINE_NODE_FLAGS : process.env.LIP_BENCH_NODE_FLAGS)?.split(' ').filter(Boolean) ?? [];
  if (root !== ROOT) copyFileSync(join(ROOT, 'benchmarks/recording-lip.ts'), join(root, 'benchmarks/recording-lip.ts'));
  const config = join(dir, `${name}.yaml`);
  writeFileSync(config, yaml(recording ? name : undefined));
  const child: ChildProcess = spawn(process.execPath, [...flags, '--import', 'tsx', join(root, 'benchmarks/recording-lip.ts')], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'], cwd: root, env: { ...process.env, LIP_BENCH_CONFIG: config },
  });
  const port = await new Promise<number>((done, fail) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /listening (\d+)/.exec(out);
      if (m) done(Number(m[1]));
    });
    child.once('exit', (code) => fail(new Error(`${name} exited with ${code}`)));
  });
  child.stdout!.resume();
  return {
    name, url: `http://127.0.0.1:${port}/v1/chat/completions`,
    cpu: () => new Promise((done) => {
      child.once('message', (m) => { const { cpu: { user, system }, main } = m as { cpu: NodeJS.CpuUsage; main: number }; done({ all: user + system, main }); });
      child.send('cpu');
    }),
    use: async (on) => {
      const next = join(dir, `${name}-${on ? 'on' : 'off'}.yaml`);
      writeFileSync(next, yaml(on ? name : undefined));
      await new Promise((done) => { child.once('message', done); child.send({ config: next }); });
    },
    stop: () => new Promise((done) => { child.once('exit', () => done()); child.kill('SIGTERM'); }),
  };
}

/** What a round measures: a lip process, and (`--toggle`) whether it records then. */
interface Target { readonly name: string; readonly lip: Lip; readonly recording?: boolean }
const targets: Target[] = [];
if (toggle) {
  // One process per build, reloaded with recording on and off in turn: the comparison is free of
  // what makes one process faster than another for its whole life (where its heap and code landed).
  for (const [prefix, root] of [['', ROOT], ...(baseline ? [['baseline-', baseline]] : [])] as const) {
    const lip = await startLip(`${prefix}lip`, root, false);
    targets.push({ name: `${prefix}off`, lip, recording: false }, { name: `${prefix}on`, lip, recording: true });
  }
} else {
  const sides: [string, string, boolean][] = [['off', ROOT, false], ['on', ROOT, true]];
  if (baseline) sides.push(['baseline-off', baseline, false], ['baseline-on', baseline, true]);
  for (const [name, root, on] of sides) targets.push({ name, lip: await startLip(name, root, on) });
}
const lips = [...new Set(targets.map((t) => t.lip))];
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(0)}`;
const recordingNow = new Map<Lip, boolean>();

const rows = ['| mode | lip | req/s (mean of rounds) | CPU µs/exchange (median of rounds) | serving thread µs/exchange (median) | errors |', '|---|---|---|---|---|---|'];
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
for (const stream of [false, true].filter((s) => only === undefined || only === (s ? 'stream' : 'plain'))) {
  const body = chat(stream);
  const samples = new Map<string, { rps: number[]; cpu: number[]; main: number[]; errors: number }>(targets.map((t) => [t.name, { rps: [], cpu: [], main: [], errors: 0 }]));
  const warm = (lip: Lip) => autocannon({ url: lip.url, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections: CONNECTIONS, duration: 1 });
  for (const lip of lips) await warm(lip);
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order each round, so neither side always runs right after the other.
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const { name, lip, recording } of order) {
      if (recording !== undefined && recordingNow.get(lip) !== recording) {
        await lip.use(recording);
        recordingNow.set(lip, recording);
        await warm(lip); // a reload starts new connection pools
      }
      const before = await lip.cpu();
      const r = await autocannon({ url: lip.url, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections: CONNECTIONS, duration: SECONDS });
      // Let the last exchanges be written (recording is off the request path) before reading the CPU.
      await new Promise((done) => setTimeout(done, 300));
      const after = await lip.cpu();
      const total = r.requests.total ?? r.requests.average * SECONDS;
      const s = samples.get(name)!;
      s.rps.push(r.requests.average);
      s.cpu.push((after.all - before.all) / total);
      s.main.push((after.main - before.main) / total);
      s.errors += r.errors + r.non2xx;
    }
  }
  const label = stream ? `streaming, ${BENCH_CHUNKS} chunks` : 'non-streaming';
  const stat = (name: string) => {
    const s = samples.get(name)!;
    return { rps: s.rps.reduce((a, b) => a + b, 0) / s.rps.length, cpu: median(s.cpu), main: median(s.main), all: s };
  };
  for (const { name } of targets) {
    const { rps, cpu, main, all } = stat(name);
    rows.push(`| ${label} | ${name} | ${rps.toFixed(0)} (${all.rps.map((x) => x.toFixed(0)).join(', ')}) | ${cpu.toFixed(0)} (${all.cpu.map((x) => x.toFixed(0)).join(', ')}) | ${main.toFixed(0)} | ${all.errors} |`);
  }
  // On and off ran next to each other in every round: the median of the per-round differences is
  // steadier than the difference of the medians when the machine's load moves between rounds.
  for (const prefix of baseline ? ['', 'baseline-'] : ['']) {
    const off = stat(`${prefix}off`).all;
    const on = stat(`${prefix}on`).all;
    // Each round's own ratio too: how far one round lands from the median says what one run can show.
    const ratios = on.rps.map((x, i) => (x / off.rps[i]! - 1) * 100);
    const cpu = on.cpu.map((x, i) => x - off.cpu[i]!);
    const main = on.main.map((x, i) => x - off.main[i]!);
    rows.push(`| ${label} | ${prefix}on vs ${prefix}off (median of rounds) | ${median(ratios).toFixed(1)}% (${ratios.map((x) => x.toFixed(0)).join(', ')}) | ${signed(median(cpu))} µs (${cpu.map((x) => x.toFixed(0)).join(', ')}) | ${signed(median(main))} µs (${main.map((x) => x.toFixed(0)).join(', ')}) | |`);
  }
}
await Promise.all(lips.map((l) => l.stop()));
await emulator?.stop();
console.log(rows.join('\n'));

const corpusDir = new URL('../testdata/replay/', import.meta.url);
const config = parseConfig(readFileSync(new URL('lip.yaml', corpusDir), 'utf8'), 'lip.yaml', LOAD_OPTIONS);
const corpus = await readRecording(new URL('corpus.jsonl', corpusDir).pathname);
const repeat = quick ? 10 : 50;
for (const record of corpus.records) await replayExchange(record, config); // warm-up
const started = performance.now();
for (let i = 0; i < repeat; i++) for (const record of corpus.records) await replayExchange(record, config);
const seconds = (performance.now() - started) / 1000;
console.log(`\nreplay (substitute mode, virtual time): ${(repeat * corpus.records.length / seconds).toFixed(0)} exchanges/s (${repeat} x ${corpus.records.length} corpus exchanges in ${seconds.toFixed(2)} s)`);
rmSync(dir, { recursive: true, force: true });
