/**
 * `node --import tsx benchmarks/compare-builds.ts BASE_ROOT [NEW_ROOT] [rounds] [requests] [kinds]`:
 * lip's CPU time per request, two builds side by side. Each root is a checkout with a compiled
 * `dist/` (and `node_modules`); NEW_ROOT defaults to this one. Both `lip serve`s run at once
 * against the same emulators (one per kind, as in the real-path benchmark); for every kind,
 * non-streaming then streaming, `rounds` rounds send `requests` sequential requests to each lip,
 * alternating which goes first, and add up the CPU time each lip process used meanwhile (the
 * sum of its threads' on-CPU nanoseconds from /proc/PID/task/TID/schedstat, GC threads
 * included). Alternating short rounds is what makes the comparison hold on a shared machine:
 * other load drifts over minutes and hits both builds alike.
 *
 * A baseline root for `main`:
 * ```sh
 * git worktree add /tmp/lip-base main && ln -s "$PWD/node_modules" /tmp/lip-base/node_modules
 * (cd /tmp/lip-base && npm run build)
 * npm run build && node --import tsx benchmarks/compare-builds.ts /tmp/lip-base
 * ```
 * `kinds` may also name `embeddings` (an OpenAI client's `/v1/embeddings` to the openai-chat backend).
 * The same build under two configs: `LIP_COMPARE_EXTRA_YAML_BASE` and `LIP_COMPARE_EXTRA_YAML_NEW`
 * are appended to each side's config (e.g. `recording: { enabled: true, path: ... }` on one side);
 * `LIP_COMPARE_ENV_BASE` / `_NEW` (`NAME=value,NAME=value`) add to each side's environment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, ROOT } from './lib-process.js';
import { percentiles, timedRequest } from './measure.js';
import { KIND_CLIENTS, startEmulators, type KindClient } from './real-path.js';

const roots = [resolve(process.argv[2] ?? ROOT), resolve(process.argv[3] ?? ROOT)];
const rounds = Number(process.argv[4] ?? 24);
const perRound = Number(process.argv[5] ?? 200);
const kinds = (process.argv[6] ?? KIND_CLIENTS.map((k) => k.kind).join(',')).split(',');

/** Beside the kinds: `embeddings`, an OpenAI client's embeddings request (two texts) to the openai-chat backend (not streamed). */
const EMBEDDINGS: KindClient = {
  kind: 'embeddings', id: 'oc', health: '/v1/models', basePath: '/v1',
  request: (origin, model) => ({ url: `${origin}/v1/embeddings`, body: JSON.stringify({ model, input: ['one text to embed', 'and another one'], encoding_format: 'float' }) }),
};

/** CPU time of every thread of a process so far, in milliseconds (nanosecond resolution). */
function cpuMs(child: ChildProcess): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${child.pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${child.pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return ns / 1e6;
}

/** `extra`: more config for this side (`LIP_COMPARE_EXTRA_YAML_BASE` / `_NEW`, e.g. the same build with recording off and on). */
async function startLip(root: string, rows: string, extra = '', env = ''): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const config = join(mkdtempSync(join(tmpdir(), 'lip-compare-')), 'lip.yaml');
  // An extra with a `server:` section of its own (`security_headers: false`) keeps it; the port is a flag.
  const server = /^server:/m.test(extra) ? '' : 'server: { host: 127.0.0.1 }\n';
  writeFileSync(config, `${server}logging: { level: info, format: json, access_log: true }\nbackends:\n${rows}\n${extra}\n`);
  const child = spawn(process.execPath, [join(root, 'bin/lip.js'), 'serve', '--config', config, '--port', String(port)], {
    stdio: ['ignore', openSync('/dev/null', 'w'), 'inherit'],
    env: { ...process.env, ...Object.fromEntries(env.split(',').filter((kv) => kv.includes('=')).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await fetch(`${url}/healthz`);
      return { child, url };
    } catch {
      if (i > 200) throw new Error(`lip from ${root} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function main(): Promise<void> {
  const emulators = await startEmulators();
  const lips = [
    await startLip(roots[0]!, emulators.rows, process.env.LIP_COMPARE_EXTRA_YAML_BASE, process.env.LIP_COMPARE_ENV_BASE),
    await startLip(roots[1]!, emulators.rows, process.env.LIP_COMPARE_EXTRA_YAML_NEW, process.env.LIP_COMPARE_ENV_NEW),
  ];
  const lines = [`| kind | mode | base CPU µs/req | new CPU µs/req | change | base p50 ms | new p50 ms |`, '|---|---|---:|---:|---:|---:|---:|'];
  try {
    for (const stream of [false, true]) {
      for (const name of kinds) {
        const k = name === EMBEDDINGS.kind ? EMBEDDINGS : KIND_CLIENTS.find((c) => c.kind === name);
        if (!k) throw new Error(`unknown kind ${name}`);
        if (k === EMBEDDINGS && stream) continue;
        const targets = lips.map((lip) => {
          const req = k.request(lip.url, 'bench', stream);
          return { agent: new Agent({ keepAlive: true, maxSockets: 1 }), target: { url: req.url, headers: { 'x-lip-route': `${k.id}:bench` } }, body: req.body };
        });
        for (const t of targets) for (let i = 0; i < 500; i++) await timedRequest(t.agent, t.target, t.body); // warm
        const cpu = [0, 0];
        const latency: number[][] = [[], []];
        for (let round = 0; round < rounds; round++) {
          for (const j of round % 2 === 0 ? [0, 1] : [1, 0]) {
            const t = targets[j]!;
            const before = cpuMs(lips[j]!.child);
            for (let i = 0; i < perRound; i++) latency[j]!.push((await timedRequest(t.agent, t.target, t.body))[stream ? 0 : 1]);
            cpu[j]! += cpuMs(lips[j]!.child) - before;
          }
        }
        for (const t of targets) t.agent.destroy();
        const us = cpu.map((ms) => (ms * 1000) / (rounds * perRound));
        const p50 = latency.map((l) => percentiles(l).p50.toFixed(3));
        lines.push(`| ${name} | ${stream ? 'streaming' : 'non-streaming'} | ${us[0]!.toFixed(0)} | ${us[1]!.toFixed(0)} | ${(((us[1]! - us[0]!) / us[0]!) * 100).toFixed(1)}% | ${p50[0]} | ${p50[1]} |`);
        process.stderr.write(`${lines[lines.length - 1]}\n`);
      }
    }
  } finally {
    for (const lip of lips) lip.child.kill('SIGTERM');
    await emulators.stop();
  }
  process.stdout.write(`base: ${roots[0]}\nnew:  ${roots[1]}\n${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`compare-builds failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
