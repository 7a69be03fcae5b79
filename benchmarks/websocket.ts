import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { percentiles } from './measure.js';
import { spawnLip } from './lib-process.js';

/**
 * `node --import tsx benchmarks/websocket.ts [turns] [rounds]`: a Responses turn over the
 * WebSocket mode against the same streamed request over HTTP (keep-alive), on one `lip serve`
 * with a localstub backend (50 chunks), sequentially, interleaved in rounds. Prints the p50 time
 * to the last event and lip's CPU per turn for each (a turn is one of lip's requests, through its
 * in-process loopback listener: what that hop costs is the difference).
 */
const TURNS = Number(process.argv[2] ?? 300);
const ROUNDS = Number(process.argv[3] ?? 6);
const BODY = { model: 'stub:bench', input: 'hi' };

const lip = await spawnLip('server: { host: 127.0.0.1 }\nlogging: { access_log: false }\nbackends:\n  - { id: stub, kind: localstub, chunks: 50 }\n');
const agent = new Agent({ keepAlive: true });

function httpTurn(): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${lip.url}/v1/responses`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - start));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ ...BODY, stream: true }));
  });
}

const ws = new WebSocket(`${lip.url.replace('http', 'ws')}/v1/responses`);
await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
function wsTurn(): Promise<number> {
  const start = performance.now();
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const type = (JSON.parse(data.toString()) as { type: string }).type;
      if (type !== 'response.completed' && type !== 'error') return;
      ws.off('message', onMessage);
      resolve(performance.now() - start);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'response.create', ...BODY }));
  });
}

async function measure(turn: () => Promise<number>): Promise<{ ms: number[]; cpuUs: number }> {
  const cpu = lip.cpuMs();
  const ms: number[] = [];
  for (let i = 0; i < TURNS; i++) ms.push(await turn());
  return { ms, cpuUs: ((lip.cpuMs() - cpu) * 1000) / TURNS };
}

for (let i = 0; i < 200; i++) { await httpTurn(); await wsTurn(); }
const rows: Record<string, { ms: number[]; cpu: number[] }> = { http: { ms: [], cpu: [] }, websocket: { ms: [], cpu: [] } };
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, turn] of (r % 2 === 0 ? [['http', httpTurn], ['websocket', wsTurn]] : [['websocket', wsTurn], ['http', httpTurn]]) as [string, () => Promise<number>][]) {
    const { ms, cpuUs } = await measure(turn);
    rows[name]!.ms.push(...ms);
    rows[name]!.cpu.push(cpuUs);
  }
}
ws.close();
await lip.stop();
console.log('| transport | turns | p50 ms to the last event | p99 ms | lip CPU us per turn (median of rounds) |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, row] of Object.entries(rows)) {
  const p = percentiles(row.ms);
  const cpu = [...row.cpu].sort((a, b) => a - b)[Math.floor(row.cpu.length / 2)]!;
  console.log(`| ${name} | ${row.ms.length} | ${p.p50.toFixed(3)} | ${p.p99.toFixed(3)} | ${cpu.toFixed(0)} |`);
}
