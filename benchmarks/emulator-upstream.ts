/**
 * One provider emulator (spec/helpers/emulators) as a standalone upstream for the benchmark:
 * every request gets the benchmark reply (the same text in the same 50 chunks, with usage);
 * a request for a model whose name starts with `slow` gets it dripped, one chunk every 100 ms
 * (the slow-streams phase). Prints `listening PORT`. Its request log is trimmed every second so
 * that a long run does not grow it.
 * Run: node --import tsx benchmarks/emulator-upstream.ts [openai-chat|openai-responses|anthropic|gemini]
 */
import {
  startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator,
} from '../spec/helpers/emulators/index.js';
import { BENCH_CHUNKS, BENCH_TEXT } from './canned.js';

const STARTERS: Record<string, () => Promise<Emulator>> = {
  'openai-chat': startOpenAIChatEmulator,
  'openai-responses': startOpenAIResponsesEmulator,
  anthropic: startAnthropicEmulator,
  gemini: startGeminiEmulator,
};
const kind = process.argv[2] ?? 'openai-chat';
const start = STARTERS[kind];
if (!start) throw new Error(`unknown emulator kind ${kind}`);

const chars = Array.from(BENCH_TEXT);
const deltas = Array.from({ length: BENCH_CHUNKS }, (_, i) => chars.slice(Math.floor((i * chars.length) / BENCH_CHUNKS), Math.floor(((i + 1) * chars.length) / BENCH_CHUNKS)).join(''));
const emulator = await start();
emulator.defaultScript = { text: deltas, usage: { input: 12, output: 120 } };
const slow = { ...emulator.defaultScript, dripMs: 100 };
emulator.handler = (request) => (request.model?.startsWith('slow') ? slow : emulator.defaultScript);
setInterval(() => {
  emulator.requests.splice(0);
  emulator.closes.splice(0);
}, 1000).unref();
process.stdout.write(`listening ${emulator.port}\n`);
