/**
 * Recording and replay costs: requests/s of lip + localstub with `recording.enabled` off and on
 * (each in its own process, alternated so machine noise hits both alike), and the substitute
 * replay speed of the regression corpus in exchanges/s. Run: node --import tsx benchmarks/recording.ts [--quick]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../lib/config/index.js';
import { LOAD_OPTIONS } from '../lib/cli/config-source.js';
import { readRecording } from '../lib/replay/read-recording.js';
import { replayExchange } from '../lib/replay/replay-exchange.js';
import { BENCH_CHUNKS, BENCH_TEXT } from './canned.js';
import { spawnListening } from './lib-process.js';
import { load, type LoadResult } from './measure.js';

const quick = process.argv.includes('--quick');
const SECONDS = quick ? 2 : 6;
const ROUNDS = quick ? 1 : 2;
const dir = mkdtempSync(join(tmpdir(), 'lip-bench-rec-'));
const yaml = (recording: boolean) => `server: { host: 127.0.0.1, port: 0 }
logging: { access_log: false }
routing: { default_route: "stub:bench" }
${recording ? `recording: { enabled: true, path: "${join(dir, 'traffic.jsonl')}", max_file_bytes: 50MiB, max_files: 2 }` : ''}
backends:
  - { id: stub, kind: localstub, models: [bench], chunks: ${BENCH_CHUNKS}, input_tokens: 12, output_tokens: 120, text: ${JSON.stringify(BENCH_TEXT)} }
`;
const chat = (stream: boolean) => JSON.stringify({ model: 'bench', stream, messages: [{ role: 'user', content: 'Say something about foxes.' }] });

async function measure(recording: boolean, stream: boolean): Promise<LoadResult> {
  const config = join(dir, `lip-${recording}.yaml`);
  writeFileSync(config, yaml(recording));
  process.env.LIP_BENCH_CONFIG = config;
  const lip = await spawnListening('recording-lip.ts', '/healthz');
  try {
    await load(`${lip.url}/v1/chat/completions`, chat(stream), 16, 1); // warm-up
    return await load(`${lip.url}/v1/chat/completions`, chat(stream), 16, SECONDS);
  } finally {
    await lip.stop();
  }
}

const rows: string[] = ['| mode | recording | req/s | p50 ms | p99 ms | errors |', '|---|---|---|---|---|---|'];
for (const stream of [false, true]) {
  const sums = { off: 0, on: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    for (const on of [false, true]) {
      const r = await measure(on, stream);
      sums[on ? 'on' : 'off'] += r.rps / ROUNDS;
      rows.push(`| ${stream ? `streaming, ${BENCH_CHUNKS} chunks` : 'non-streaming'} | ${on ? 'on' : 'off'} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors + r.non2xx} |`);
    }
  }
  rows.push(`| ${stream ? 'streaming' : 'non-streaming'} | on vs off | ${((sums.on / sums.off - 1) * 100).toFixed(1)}% | | | |`);
}
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
