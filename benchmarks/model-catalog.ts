/**
 * In-process cost of `model_catalog` (compiled dist/), medians of interleaved rounds: a request
 * through the executor (localstub, 8 chunks, chat encoder) with the catalog off and on (its
 * candidate listed, the request within its limits), for a text-only request and for one with
 * tools and an image (every check reads the request), and the time to read a snapshot of the size of models.dev's
 * (a synthetic one: 120 providers of 40 models each).
 *
 * ```sh
 * npm run build && node --import tsx benchmarks/model-catalog.ts [--quick]
 * ```
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import { interleaved, median } from './interleaved.js';

const { emptyCall } = await import('../dist/canonical/index.js' as string) as typeof import('../lib/canonical/index.js');
const { ChatStreamEncoder } = await import('../dist/frontends/openai-chat/index.js' as string) as typeof import('../lib/frontends/openai-chat/index.js');
const { parseConfig } = await import('../dist/config/index.js' as string) as typeof import('../lib/config/index.js');
const { LOAD_OPTIONS } = await import('../dist/cli/config-source.js' as string) as typeof import('../lib/cli/config-source.js');
const { createRuntime } = await import('../dist/core/runtime.js' as string) as typeof import('../lib/core/runtime.js');
const { CatalogSnapshot } = await import('../dist/core/model-catalog/index.js' as string) as typeof import('../lib/core/model-catalog/index.js');
type Call = import('../lib/canonical/index.js').Call;

const STUB = '  - { id: stub, kind: localstub, models: [bench], chunks: 8, text: "a short answer in eight chunks" }';

/** A catalog as large as models.dev's, with `bench` listed under provider `p0`. */
function syntheticCatalog(providers = 120, models = 40): string {
  const root: Record<string, unknown> = {};
  for (let p = 0; p < providers; p++) {
    const table: Record<string, unknown> = {};
    for (let m = 0; m < models; m++) {
      const id = p === 0 && m === 0 ? 'bench' : `vendor-${m % 17}/model-${p}-${m}`;
      table[id] = {
        id, name: `Model ${p}-${m}`, family: 'bench', attachment: true, reasoning: m % 2 === 0, tool_call: true, temperature: true,
        knowledge: '2025-01', release_date: '2025-06-01', last_updated: '2026-01-01', open_weights: false,
        modalities: { input: ['text', 'image', 'pdf'], output: ['text'] }, cost: { input: 1.25, output: 10, cache_read: 0.125 },
        limit: { context: 200_000 + m, output: 64_000 },
      };
    }
    root[`p${p}`] = { id: `p${p}`, name: `Provider ${p}`, env: [`P${p}_API_KEY`], npm: '@ai-sdk/openai-compatible', doc: 'https://example.com', models: table };
  }
  return JSON.stringify(root);
}

/** A request through the executor, catalog off and on: text only (the request asks nothing of the model), then with tools and an image. */
export async function catalogOffVsOn(rounds: number): Promise<{ name: string; us: number }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lip-bench-catalog-'));
  const path = join(dir, 'models.json');
  writeFileSync(path, syntheticCatalog());
  const text = emptyCall({ model: 'bench', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
  const rich: Call = { ...text, tools: [{ name: 'weather', description: 'The weather.', parameters: { type: 'object', properties: { city: { type: 'string' } } } }] as unknown as Call['tools'],
    messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }, { type: 'image', url: 'https://example.com/a.png' }] }] };
  const runners = [
    { name: 'request, model_catalog off', yaml: '', call: text },
    { name: 'request, on (the candidate listed; text only)', yaml: `model_catalog: { enabled: true, path: "${path}", backends: { stub: p0 } }`, call: text },
    { name: 'request with tools and an image, model_catalog off', yaml: '', call: rich },
    { name: 'request with tools and an image, on (every check reads the request)', yaml: `model_catalog: { enabled: true, path: "${path}", backends: { stub: p0 } }`, call: rich },
  ].map((v) => {
    const runtime = createRuntime(parseConfig(`${v.yaml}\nbackends:\n${STUB}\n`, 'bench', LOAD_OPTIONS));
    const once = async () => {
      const encoder = new ChatStreamEncoder({ call: v.call, model: undefined, hints: {}, requestId: 'r', created: 1 });
      await lastValueFrom(runtime.executor.execute(v.call, { requestId: 'r', meta: {} }).pipe(tap((e) => encoder.event(e))));
    };
    return { name: v.name, once, samples: [] as number[], runtime };
  });
  const rows = await interleaved(runners, rounds, 100);
  for (const r of runners) await r.runtime.close();
  return rows;
}

/** Reading a snapshot of models.dev's size (4,800 models), in milliseconds. */
export function snapshotReadMs(rounds: number): { name: string; ms: number; bytes: number } {
  const text = syntheticCatalog();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    new CatalogSnapshot(text);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { name: 'read a snapshot of 120 providers x 40 models', ms: median(samples), bytes: Buffer.byteLength(text) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  for (const r of await catalogOffVsOn(quick ? 10 : 40)) process.stdout.write(`${r.us.toFixed(2).padStart(8)} us  ${r.name}\n`);
  const read = snapshotReadMs(quick ? 5 : 20);
  process.stdout.write(`${read.ms.toFixed(1).padStart(8)} ms  ${read.name} (${(read.bytes / 1024 / 1024).toFixed(1)} MiB)\n`);
}
