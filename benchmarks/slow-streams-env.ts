/**
 * `node --import tsx benchmarks/slow-streams-env.ts [rounds] [NAME=value,NAME=value ...] [--warm N]`: the
 * 200-slow-streams measure of `npm run bench` alone, a fresh `lip serve` per round, alternating
 * between the default environment and each given one (e.g. `MALLOC_ARENA_MAX=2`), and prints
 * every round's peak RSS: to see what an environment or flag does to the memory of many
 * concurrent streams without the rest of the benchmark. `--warm N`: each lip first answers N
 * streamed requests one after another (what a lip that has served before meets).
 */
import { spawnLip } from './lib-process.js';
import { KIND_CLIENTS, realPathYaml, slowStreams, startEmulators } from './real-path.js';

const warmAt = process.argv.indexOf('--warm');
/** Requests (streamed, sequential) each lip answers before the 200 streams start at once. */
const warm = warmAt > 0 ? Number(process.argv[warmAt + 1]) : 0;
const argv = warmAt > 0 ? process.argv.filter((_, i) => i !== warmAt && i !== warmAt + 1) : process.argv;
const rounds = Number(argv[2] ?? 3);
const variants: [string, NodeJS.ProcessEnv][] = [['default', {}], ...argv.slice(3).map((v): [string, NodeJS.ProcessEnv] => [v, Object.fromEntries(v.split(',').map((kv) => kv.split('=') as [string, string]))])];
const emulators = await startEmulators();
const yaml = realPathYaml(emulators.rows);
const peaks = new Map<string, number[]>(variants.map(([name]) => [name, []]));
try {
  for (let round = 0; round < rounds; round++) {
    for (const [name, env] of round % 2 === 0 ? variants : [...variants].reverse()) {
      const lip = await spawnLip(yaml, env);
      const k = KIND_CLIENTS[0]!;
      for (let i = 0; i < warm; i++) {
        const { url, body } = k.request(lip.url, 'bench', true);
        await (await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-lip-route': `${k.id}:bench` } })).text();
      }
      const idle = lip.rssMiB();
      const slow = await slowStreams(emulators, lip, 200);
      await lip.stop();
      peaks.get(name)!.push(slow.peakRssMiB);
      console.log(`${name}: start ${idle.toFixed(1)} MiB, peak ${slow.peakRssMiB.toFixed(1)} MiB, ${slow.peakActive} active, ${slow.completed} completed`);
    }
  }
  for (const [name, p] of peaks) console.log(`${name}: peaks ${p.map((x) => x.toFixed(1)).join(', ')} MiB`);
} finally {
  await emulators.stop();
}
