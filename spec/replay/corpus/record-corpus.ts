import { GoogleGenAI } from '@google/genai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { CLIENT_DRIVERS, type ClientRequest } from '../../helpers/clients/index.js';
import { configFrom } from '../../helpers/config.js';
import { startOpenAIChatEmulator, type RecordedRequest, type Script } from '../../helpers/emulators/index.js';
import { startLip } from '../../helpers/lip.js';

export const CORPUS_DIR = fileURLToPath(new URL('../../../testdata/replay/', import.meta.url));

/** What the emulated upstream answers, by the model lip sends it. */
export const UPSTREAM: Record<string, Script> = {
  fast: { text: ['Hello ', 'there'], usage: { input: 7, output: 2 } },
  busy: { status: 503, error: { message: 'overloaded' } },
  slow: { text: 'too late', fault: { stall: 'before_first_token' } },
  slowish: { text: ['one ', 'two ', 'three'], dripMs: 120, usage: { input: 7, output: 3 } },
  cut: { text: ['partial ', 'answer', ' never'], fault: { reset: 'after_output' } },
  tool: { toolCalls: [{ id: 'call_w', name: 'get_weather', args: ['{"city":', '"Paris"}'] }], usage: { input: 9, output: 6 } },
};

const TOOLS = [{ name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];

/** The corpus: [client protocol, request] in recording order. */
export const SCENARIOS: readonly (readonly [string, ClientRequest])[] = [
  ...Object.keys(CLIENT_DRIVERS).flatMap((id) => [true, false].map((stream) => [id, { model: 'up:fast', stream, messages: [{ role: 'user', text: `plain ${id}` }] }] as const)),
  ['openai-chat', { model: 'corpus-failover', stream: true, messages: [{ role: 'user', text: 'failover' }] }],
  ['openai-chat', { model: 'corpus-race', stream: true, messages: [{ role: 'user', text: 'race with a handicap' }] }],
  ['anthropic', { model: 'corpus-ttft', stream: true, messages: [{ role: 'user', text: 'ttft expiry' }] }],
  ['openai-chat', { model: 'up:cut', stream: true, messages: [{ role: 'user', text: 'error after output' }] }],
  ['anthropic', { model: 'up:tool', stream: true, messages: [{ role: 'user', text: 'weather in Paris?' }], tools: TOOLS }],
  ['openai-responses', { model: 'up:tool', stream: false, messages: [{ role: 'user', text: 'weather in Paris?' }], tools: TOOLS }],
  ['gemini', { model: 'corpus-slowish', stream: true, messages: [{ role: 'user', text: 'slow drip' }] }],
];

/** The embeddings requests of the corpus: [client SDK, model, texts], recorded after SCENARIOS. */
export const EMBEDDING_SCENARIOS: readonly (readonly ['openai' | 'gemini', string, readonly string[]])[] = [
  ['openai', 'corpus-embed-failover', ['first text', 'second text']],
  ['gemini', 'up:fast', ['a gemini text']],
];

/**
 * Records the corpus: lip (config testdata/replay/lip.yaml, its backend pointed at an emulator)
 * serves every scenario through the official SDKs and records to testdata/replay/corpus.jsonl.
 */
export async function recordCorpus(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'lip-corpus-'));
  const file = join(dir, 'corpus.jsonl');
  const upstream = await startOpenAIChatEmulator();
  upstream.handler = (req: RecordedRequest) => UPSTREAM[req.model ?? ''] ?? { text: 'unexpected model' };
  const yaml = readFileSync(join(CORPUS_DIR, 'lip.yaml'), 'utf8').replace('http://127.0.0.1:9', upstream.url);
  const lip = await startLip(configFrom(`${yaml}\nrecording: { enabled: true, path: "${file}" }\n`));
  try {
    for (const [id, request] of SCENARIOS) await CLIENT_DRIVERS[id]!.run(lip.url, request);
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
    for (const [sdk, model, input] of EMBEDDING_SCENARIOS) {
      if (sdk === 'openai') await openai.embeddings.create({ model, input: [...input], encoding_format: 'float' });
      else await google.models.embedContent({ model, contents: [...input] });
    }
  } finally {
    await lip.close();
    await upstream.close();
  }
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  writeFileSync(join(CORPUS_DIR, 'corpus.jsonl'), `${lines.join('\n')}\n`);
  rmSync(dir, { recursive: true, force: true });
  return lines.length;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  recordCorpus().then((n) => console.log(`recorded ${n} exchanges into ${join(CORPUS_DIR, 'corpus.jsonl')}`), (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
