/**
 * `node --import tsx benchmarks/slow-streams-env.ts [rounds] [NAME=value,NAME=value ...]`: the
 * 200-slow-streams measure of `npm run bench` alone, a fresh `lip serve` per round, alternating
 * between the default environment and each given one (e.g. `MALLOC_ARENA_MAX=2`), and prints
 * every round's peak RSS: to see what an environment or flag does to the memory of many
 * concurrent streams without the rest of the benchmark.
 */
import { spawnLip } from './lib-process.js';
import { slowStreams, startEmulators } from './real-path.js';

const rounds = Number(process.argv[2] ?? 3);
const variants: [string, NodeJS.ProcessEnv][] = [['default', {}], ...process.argv.slice(3).map((v): [string, NodeJS.ProcessEnv] => [v, Object.fromEntries(v.split(',').map((kv) => kv.split('=') as [string, string]))])];
const emulators = await startEmulators();
const yaml = `server: { host: 127.0.0.1, port: 0 }
logging: { level: info, format: json, access_log: true }
routing: { default_route: "oc:bench" }
backends:
${emulators.rows}
`;
const peaks = new Map<string, number[]>(variants.map(([name]) => [name, []]));
try {
  for (let round = 0; round < rounds; round++) {
    for (const [name, env] of round % 2 === 0 ? variants : [...variants].reverse()) {
      const lip = await spawnLip(yaml, env);
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
