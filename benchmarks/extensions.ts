/**
 * In-process cost of the extension platform per event (execute -> localstub -> stages -> chat
 * encoder, compiled dist/): no host at all, the default config (tool-call-repair on), the three
 * no-op plugins on every bus, one request hook with the observation plane inactive, and the
 * same plus one traffic observer. Interleaved in rounds so machine noise hits every variant
 * alike; medians of the rounds.
 */
import { lastValueFrom, tap } from 'rxjs';
import { BENCH_CHUNKS, BENCH_TEXT } from './canned.js';

const { emptyCall } = await import('../dist/canonical/index.js' as string) as typeof import('../lib/canonical/index.js');
const { ChatStreamEncoder } = await import('../dist/frontends/openai-chat/index.js' as string) as typeof import('../lib/frontends/openai-chat/index.js');
const { parseConfig } = await import('../dist/config/index.js' as string) as typeof import('../lib/config/index.js');
const { LOAD_OPTIONS } = await import('../dist/cli/config-source.js' as string) as typeof import('../lib/cli/config-source.js');
const { createRuntime } = await import('../dist/core/runtime.js' as string) as typeof import('../lib/core/runtime.js');
const { registerFeature } = await import('../dist/extensions/registry.js' as string) as typeof import('../lib/extensions/registry.js');

let observed = 0;
registerFeature({ id: 'bench-observer', description: 'counts observations', configSchema: { type: 'object' }, create: () => ({ trafficObservers: [{ id: 'count', observe: (batch) => { observed += batch.length; } }] }) });

const VARIANTS: Record<string, string> = {
  'no extension host (tool-call-repair disabled, no other feature)': 'features: [{ id: tool-call-repair, enabled: false }]',
  'default config (tool-call-repair on; no tools, so none of its hooks runs)': '',
  'submit-noop + parts-noop + tool-reactor-noop (every bus occupied, idle)': 'features: [{ id: submit-noop }, { id: parts-noop }, { id: tool-reactor-noop }]',
  'request-tag: 1 request hook, observation plane inactive': 'features: [{ id: request-tag, config: { tags: { team: bench } } }]',
  'request-tag + 1 traffic observer (4 legs)': 'features: [{ id: request-tag, config: { tags: { team: bench } } }, { id: bench-observer }]',
};

/** Median microseconds per event for each variant, in VARIANTS order. */
export async function extensionsUsPerEvent(rounds: number): Promise<{ name: string; us: number }[]> {
  const call = emptyCall({ model: 'bench', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
  const runners = Object.entries(VARIANTS).map(([name, yaml]) => {
    const config = parseConfig(`${yaml}\nbackends:\n  - { id: stub, kind: localstub, models: [bench], chunks: ${BENCH_CHUNKS}, text: ${JSON.stringify(BENCH_TEXT)} }\n`, 'bench', LOAD_OPTIONS);
    const runtime = createRuntime(config);
    const once = async () => {
      const encoder = new ChatStreamEncoder({ call, model: undefined, hints: {}, requestId: 'r', created: 1 });
      let events = 0;
      await lastValueFrom(runtime.executor.execute(call, { requestId: 'r', meta: {} }).pipe(tap((e) => { events++; encoder.event(e); })));
      return events;
    };
    return { name, once, samples: [] as number[] };
  });
  const yieldToIo = () => new Promise((resolve) => setImmediate(resolve)); // lets observer batches run, as I/O would
  for (let i = 0; i < 300; i++) for (const r of runners) { await r.once(); if (i % 50 === 0) await yieldToIo(); }
  for (let round = 0; round < rounds; round++) {
    for (const r of runners) {
      let events = 0;
      const start = process.hrtime.bigint();
      for (let i = 0; i < 100; i++) events += await r.once();
      r.samples.push(Number(process.hrtime.bigint() - start) / events / 1000);
      await yieldToIo();
    }
  }
  if (observed === 0) throw new Error('the observer variant delivered no observations');
  return runners.map((r) => ({ name: r.name, us: [...r.samples].sort((a, b) => a - b)[Math.floor(r.samples.length / 2)]! }));
}
