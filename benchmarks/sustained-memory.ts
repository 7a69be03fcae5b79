/**
 * `node --import tsx benchmarks/sustained-memory.ts [rounds] [seconds] [YAML ...]`: what a
 * `lip serve` keeps under sustained load. One lip per variant (the default config, then each
 * YAML given, e.g. `"continuity: { lineage: conversations }"`), each driven at c=16 through its
 * openai-chat backend against the upstream emulator for `rounds` rounds of `seconds` (default
 * 6 × 8 s), alternating non-streaming and streaming; after every round it prints lip's RSS
 * and the requests answered so far, and at the end the continuity store's A-leg count (from
 * /readyz). `LIP_BENCH_KIND=openai-responses` (or another kind) drives that kind's backend
 * instead (a Responses client stores every turn by default).
 */
import { spawnLip } from './lib-process.js';
import { load } from './measure.js';
import { KIND_CLIENTS, realPathYaml, startEmulators } from './real-path.js';

const rounds = Number(process.argv[2] ?? 6);
const seconds = Number(process.argv[3] ?? 8);
const variants = ['', ...process.argv.slice(4)];
const emulators = await startEmulators();
try {
  for (const extra of variants) {
    const lip = await spawnLip(`${realPathYaml(emulators.rows)}\n${extra}\n`);
    const k = KIND_CLIENTS.find((c) => c.kind === (process.env.LIP_BENCH_KIND ?? 'openai-chat'))!;
    let done = 0;
    const line: string[] = [`start ${lip.rssMiB().toFixed(1)}`];
    for (let round = 0; round < rounds; round++) {
      const stream = round % 2 === 1;
      const { url, body } = k.request(lip.url, 'bench', stream);
      const result = await load(url, body, 16, seconds, { 'x-lip-route': `${k.id}:bench` });
      done += Math.round(result.rps * seconds);
      line.push(`${done}: ${lip.rssMiB().toFixed(1)}`);
    }
    const ready = await (await fetch(`${lip.url}/readyz`)).json() as { checks?: { continuity?: { legs?: number } } };
    const legs = ready.checks?.continuity?.legs ?? '?';
    await lip.stop();
    console.log(`${extra || 'default'}\n  RSS MiB after requests: ${line.join(', ')}\n  A-legs held: ${legs}`);
  }
} finally {
  await emulators.stop();
}
