/**
 * `npm run bench`: lip against a direct upstream, in the same run, on this machine.
 *   - added latency, non-streaming (sequential, warm, interleaved with the direct upstream)
 *   - added time to the first streamed byte (50-chunk stream)
 *   - requests/s and latency under load (autocannon) at several concurrencies
 *   - cost per translated stream event, in process
 *   - idle RSS of `lip serve`
 * `--quick` shortens every phase (for a smoke run).
 */
import { BENCH_CHUNKS, BENCH_TEXT } from './canned.js';
import { spawnLip, spawnScript, type Spawned } from './lib-process.js';
import { load, sequential, type LoadResult } from './measure.js';
import { encoderNsPerEvent, pipelineNsPerEvent, routingUsPerRequest } from './translate.js';

const quick = process.argv.includes('--quick');
const SAMPLES = quick ? 300 : 3_000;
const SECONDS = quick ? 2 : 6;
const CONCURRENCY = [1, 16, 64];

const lipConfig = `server: { host: 127.0.0.1, port: 0 }
logging: { level: info, format: json, access_log: true }
routing: { default_route: "stub:bench" }
backends:
  - { id: stub, kind: localstub, models: [bench], chunks: ${BENCH_CHUNKS}, input_tokens: 12, output_tokens: 120, text: ${JSON.stringify(BENCH_TEXT)} }
  - { id: stub2, kind: localstub, models: [bench], chunks: ${BENCH_CHUNKS}, text: ${JSON.stringify(BENCH_TEXT)} }
  - { id: stub3, kind: localstub, models: [bench], chunks: ${BENCH_CHUNKS}, text: ${JSON.stringify(BENCH_TEXT)} }
  - { id: down1, kind: localstub, fail: "before_output:503" }
  - { id: down2, kind: localstub, fail: "before_output:503" }
`;
/** Selectors whose cost is compared with a single leaf (sent as X-LIP-Route). */
const ROUTES: Record<string, string> = {
  'single leaf': 'stub:bench',
  '3-arm failover, first arm serves': 'stub:bench|stub2:bench|stub3:bench',
  '3-arm failover, two arms fail first': 'down1:bench|down2:bench|stub:bench',
  '3-leg race': 'stub:bench!stub2:bench!stub3:bench',
};
const chat = (stream: boolean) => JSON.stringify({ model: 'bench', stream, messages: [{ role: 'user', content: 'Say something about foxes.' }] });
const ms = (n: number) => n.toFixed(3);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const cells = rows.map((r) => r.map((c) => c.replace(/\|/g, '\\|')));
  const widths2 = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  void widths;
  return cells.map((r, j) => `| ${r.map((c, i) => c.padEnd(widths2[i]!)).join(' | ')} |${j === 0 ? `\n|${widths2.map((w) => '-'.repeat(w + 2)).join('|')}|` : ''}`).join('\n');
}

async function main(): Promise<void> {
  const out: string[] = [`# lip benchmark (${new Date().toISOString()}, node ${process.version}, ${quick ? 'quick' : 'full'} run)`];
  let lip: Spawned | undefined;
  let direct: Spawned | undefined;
  try {
    direct = await spawnScript('direct-upstream.ts');
    lip = await spawnLip(lipConfig);
    const idleRss = lip.rssMiB();
    const targets = { direct: `${direct.url}/v1/chat/completions`, lip: `${lip.url}/v1/chat/completions` };

    const plain = await sequential(targets, chat(false), SAMPLES);
    const streamed = await sequential(targets, chat(true), Math.round(SAMPLES / 2));
    out.push('\n## Added latency (sequential, warm, keep-alive; milliseconds)');
    out.push(table([
      ['measure', 'direct p50', 'lip p50', 'added p50', 'direct p99', 'lip p99'],
      ['non-streaming, whole response', ms(plain.direct!.total.p50), ms(plain.lip!.total.p50), ms(plain.lip!.total.p50 - plain.direct!.total.p50), ms(plain.direct!.total.p99), ms(plain.lip!.total.p99)],
      [`streaming (${BENCH_CHUNKS} chunks), first byte`, ms(streamed.direct!.firstByte.p50), ms(streamed.lip!.firstByte.p50), ms(streamed.lip!.firstByte.p50 - streamed.direct!.firstByte.p50), ms(streamed.direct!.firstByte.p99), ms(streamed.lip!.firstByte.p99)],
      [`streaming (${BENCH_CHUNKS} chunks), whole stream`, ms(streamed.direct!.total.p50), ms(streamed.lip!.total.p50), ms(streamed.lip!.total.p50 - streamed.direct!.total.p50), ms(streamed.direct!.total.p99), ms(streamed.lip!.total.p99)],
    ]));

    const routed = await sequential(Object.fromEntries(Object.entries(ROUTES).map(([name, route]) => [name, { url: targets.lip, headers: { 'x-lip-route': route } }])), chat(false), Math.round(SAMPLES / 2));
    const single = routed['single leaf']!.total.p50;
    out.push('\n## Routing overhead (non-streaming, sequential; milliseconds)');
    out.push(table([
      ['selector', 'p50', 'p99', 'added p50 vs single leaf'],
      ...Object.entries(ROUTES).map(([name, route]) => [`${name}: \`${route}\``, ms(routed[name]!.total.p50), ms(routed[name]!.total.p99), ms(routed[name]!.total.p50 - single)]),
    ]));

    const rows: string[][] = [['target', 'mode', 'connections', 'requests/s', 'p50 ms', 'p99 ms', 'errors']];
    const row = (name: string, mode: string, c: number, r: LoadResult) => rows.push([name, mode, String(c), r.rps.toFixed(0), String(r.p50), String(r.p99), String(r.errors + r.non2xx)]);
    for (const c of CONCURRENCY) {
      row('direct', 'non-streaming', c, await load(targets.direct, chat(false), c, SECONDS));
      row('lip', 'non-streaming', c, await load(targets.lip, chat(false), c, SECONDS));
    }
    row('direct', 'streaming', 16, await load(targets.direct, chat(true), 16, SECONDS));
    row('lip', 'streaming', 16, await load(targets.lip, chat(true), 16, SECONDS));
    out.push('\n## Under load (autocannon, one lip process)');
    out.push(table(rows));

    await new Promise((r) => setTimeout(r, 1_000));
    const afterRss = lip.rssMiB();
    out.push('\n## Translation cost (in process)');
    out.push(table([
      ['measure', 'per event'],
      ['chat encoder, one text delta', `${(encoderNsPerEvent(quick ? 100_000 : 1_000_000) / 1000).toFixed(3)} us`],
      [`whole pipeline (execute -> localstub -> gates -> encoder), ${BENCH_CHUNKS + 5} events per request`, `${((await pipelineNsPerEvent(quick ? 500 : 4_000)) / 1000).toFixed(3)} us`],
    ]));
    const perRoute = await routingUsPerRequest(Object.values(ROUTES), quick ? 1_000 : 5_000);
    out.push('\n## Routing cost per request (in process: execute -> plan -> localstub -> collect, no sockets)');
    out.push(table([
      ['selector', 'us per request', 'added vs single leaf'],
      ...Object.entries(ROUTES).map(([name, route], i) => [`${name}: \`${route}\``, perRoute[i]!.toFixed(1), (perRoute[i]! - perRoute[0]!).toFixed(1)]),
    ]));
    out.push('\n## Memory');
    out.push(table([['measure', 'RSS MiB'], ['lip serve, idle after start', idleRss.toFixed(1)], ['lip serve, idle after the load', afterRss.toFixed(1)]]));
  } finally {
    await lip?.stop();
    await direct?.stop();
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
