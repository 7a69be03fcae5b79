/**
 * The OpenAI chat emulator (spec/helpers/emulators) as a standalone upstream for the benchmark:
 * every request gets the benchmark reply (the same text in the same 50 chunks, with usage).
 * Prints `listening PORT`. Its request log is trimmed every second so that a long run does not
 * grow it. Run: node --import tsx benchmarks/emulator-upstream.ts
 */
import { startOpenAIChatEmulator } from '../spec/helpers/emulators/index.js';
import { BENCH_CHUNKS, BENCH_TEXT } from './canned.js';

const chars = Array.from(BENCH_TEXT);
const deltas = Array.from({ length: BENCH_CHUNKS }, (_, i) => chars.slice(Math.floor((i * chars.length) / BENCH_CHUNKS), Math.floor(((i + 1) * chars.length) / BENCH_CHUNKS)).join(''));
const emulator = await startOpenAIChatEmulator();
emulator.defaultScript = { text: deltas, usage: { input: 12, output: 120 } };
setInterval(() => {
  emulator.requests.splice(0);
  emulator.closes.splice(0);
}, 1000).unref();
process.stdout.write(`listening ${emulator.port}\n`);
