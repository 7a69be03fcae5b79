/**
 * The main-thread CPU cost of recording one exchange, in-process and without sockets (so far
 * less noisy than requests/s): the traffic plane and the recorder fed what a localstub exchange
 * produces (the raw body, the call, 53 backend events and 53 client events, the attempt's end),
 * then `finish`, batched per turn as a busy server would; CPU microseconds per exchange from
 * `process.cpuUsage()` (all threads). `--baseline DIR` also measures the recorder of another
 * checkout of lip (e.g. the commit before a change), interleaved round by round.
 *
 * Run: node --import tsx benchmarks/recording-cost.ts [--baseline DIR]
 */
import { channel } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_CHUNKS, BENCH_TEXT } from './canned.js';
import { testConfig } from '../spec/helpers/config.js';

const args = process.argv.slice(2);
const baseline = args.includes('--baseline') ? resolve(args[args.indexOf('--baseline') + 1]!) : undefined;
const EXCHANGES = 4_000;
const ROUNDS = 5;
const PER_TURN = 16;
const dir = mkdtempSync(join(tmpdir(), 'lip-bench-reccost-'));

const body = { model: 'bench', stream: true, messages: [{ role: 'user', content: 'Say something about foxes.' }] };
const call = { model: 'bench', stream: true, system: [], messages: [{ role: 'user', parts: [{ type: 'text', text: 'Say something about foxes.' }] }], tools: [], toolChoice: { type: 'auto' }, options: {}, metadata: {} };
const events = (): unknown[] => [
  { type: 'response_started', id: 'chatcmpl-bench', model: 'bench' }, { type: 'message_started' },
  ...Array.from({ length: BENCH_CHUNKS }, (_, i) => ({ type: 'text_delta', text: BENCH_TEXT.slice((i * BENCH_TEXT.length) / BENCH_CHUNKS, ((i + 1) * BENCH_TEXT.length) / BENCH_CHUNKS) })),
  { type: 'usage', usage: { inputTokens: 12, outputTokens: 120, totalTokens: 132 } }, { type: 'response_finished', reason: 'stop' },
];
const req = { method: 'POST', url: '/v1/chat/completions', headers: { host: '127.0.0.1:1', 'content-type': 'application/json', 'content-length': '120', authorization: 'Bearer sk-x' } } as unknown as IncomingMessage;
const res = { statusCode: 200, getHeaders: () => ({ 'content-type': 'text/event-stream', 'x-request-id': 'r' }) } as unknown as ServerResponse;
const attempt = channel('lip:attempt');

type Emit = (requestId: string) => void;
interface Subject { readonly name: string; run(n: number): Promise<void>; close(): Promise<void> }

/** A recorder of the checkout at `root` behind its own traffic plane, fed like the server feeds it. */
async function subject(name: string, root: string): Promise<Subject> {
  const { Recorder } = await import(pathToFileURL(join(root, 'lib/replay/recorder.ts')).href);
  const { TrafficPlane } = await import(pathToFileURL(join(root, 'lib/extensions/observation.ts')).href);
  const { HookFailures } = await import(pathToFileURL(join(root, 'lib/extensions/hook-failures.ts')).href);
  const config = testConfig('  - { id: stub, kind: localstub }', `recording: { enabled: true, path: "${join(dir, `${name}.jsonl`)}", max_file_bytes: 20MiB, max_files: 2, queue_size: 100000 }`);
  const recorder = new Recorder(config);
  const failures = new HookFailures();
  // This checkout's plane takes the recorder as a capture; an older one as a traffic observer.
  const plane = typeof recorder.open === 'function'
    ? new TrafficPlane([], [], failures, [recorder])
    : new TrafficPlane([], [{ feature: 'recording', key: 'recording/recorder', stage: 'traffic_observation', order: 0, mode: 'fail_open', hook: recorder.feature().bundle.trafficObservers[0] }], failures);
  const leg = (meta: object, l: string): { emit(kind: string, value: unknown): void } | undefined =>
    plane.channel ? plane.channel(meta, l) : { emit: (kind: string, value: unknown) => plane.emit(meta, l, kind, value) };
  const one: Emit = (requestId) => {
    const meta = { requestId, principal: 'local', frontendId: 'openai-chat' };
    leg(meta, 'client_to_proxy')?.emit('raw_body', body);
    leg(meta, 'client_to_proxy')?.emit('call', call);
    const toClient = leg(meta, 'proxy_to_client');
    const a = { ...meta, attemptSeq: 1, candidateKey: 'stub:bench', backendId: 'stub', bLegId: 'b1' };
    leg(a, 'proxy_to_backend')?.emit('call', call);
    const fromBackend = leg(a, 'backend_to_proxy');
    for (const e of events()) {
      fromBackend?.emit('event', e);
      toClient?.emit('event', e);
    }
    attempt.publish({ phase: 'end', requestId, candidateKey: 'stub:bench', backendId: 'stub', outcome: 'success' });
    recorder.finish(req, res, { requestId, startedAt: performance.now() - 3 }, { frontend: 'openai-chat', principal: 'local', meta: { candidateKey: 'stub:bench', selector: 'stub:bench', journal: [{ key: 'stub:bench', outcome: 'served' }] } });
  };
  let n = 0;
  return {
    name,
    async run(count) {
      for (let i = 0; i < count; i++) {
        one(`${name}-${n++}`);
        if (i % PER_TURN === PER_TURN - 1) await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      await recorder.writer.flush();
    },
    close: () => recorder.close(),
  };
}

/** The same loop with nothing recording: what the exchange's events cost to make. */
const none: Subject = {
  name: 'off',
  async run(count) {
    for (let i = 0; i < count; i++) {
      events();
      if (i % PER_TURN === PER_TURN - 1) await new Promise((r) => setImmediate(r));
    }
  },
  close: async () => undefined,
};

const subjects = [none, await subject('this', join(import.meta.dirname, '..'))];
if (baseline) subjects.push(await subject('baseline', baseline));
const cpu: Record<string, number[]> = Object.fromEntries(subjects.map((s) => [s.name, []]));
for (const s of subjects) await s.run(500); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (const s of round % 2 === 0 ? subjects : [...subjects].reverse()) {
    const before = process.cpuUsage();
    await s.run(EXCHANGES);
    const used = process.cpuUsage(before);
    cpu[s.name]!.push((used.user + used.system) / EXCHANGES);
  }
}
for (const s of subjects) await s.close();
rmSync(dir, { recursive: true, force: true });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log('| recorder | CPU µs/exchange (median) | rounds |\n|---|---|---|');
for (const s of subjects) console.log(`| ${s.name} | ${median(cpu[s.name]!).toFixed(1)} | ${cpu[s.name]!.map((x) => x.toFixed(0)).join(', ')} |`);
