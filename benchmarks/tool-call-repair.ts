/**
 * In-process cost of tool-call repair per request (execute -> localstub -> stages -> chat
 * encoder, compiled dist/): a request without tools with repair on (the default) and off, a
 * request whose answer is a valid tool call with repair on and off, and one whose tool call
 * needs repairs (truncated JSON plus a misnamed property). Interleaved rounds; medians.
 */
import { lastValueFrom, tap } from 'rxjs';

const { emptyCall } = await import('../dist/canonical/index.js' as string) as typeof import('../lib/canonical/index.js');
const { ChatStreamEncoder } = await import('../dist/frontends/openai-chat/index.js' as string) as typeof import('../lib/frontends/openai-chat/index.js');
const { parseConfig } = await import('../dist/config/index.js' as string) as typeof import('../lib/config/index.js');
const { LOAD_OPTIONS } = await import('../dist/cli/config-source.js' as string) as typeof import('../lib/cli/config-source.js');
const { createRuntime } = await import('../dist/core/runtime.js' as string) as typeof import('../lib/core/runtime.js');

const OFF = 'features: [{ id: tool-call-repair, enabled: false }]';
const TOOLS = [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { enum: ['c', 'f'] } }, required: ['city'], additionalProperties: false } }];
const stub = (tool?: string) => `  - { id: stub, kind: localstub, models: [bench], chunks: 8, text: "a short answer in eight chunks"${tool ? `, tool_name: get_weather, tool_args: ${JSON.stringify(tool)}` : ''} }`;
const VALID = '{"city":"Paris","unit":"c"}';
const BROKEN = '{"City":"Paris","unit":"c"';

const VARIANTS: { name: string; yaml: string; backend: string; tools: boolean }[] = [
  { name: 'no tools, repair off (enabled: false)', yaml: OFF, backend: stub(), tools: false },
  { name: 'no tools, repair on (the default)', yaml: '', backend: stub(), tools: false },
  { name: 'valid tool call, repair off', yaml: OFF, backend: stub(VALID), tools: true },
  { name: 'valid tool call, repair on', yaml: '', backend: stub(VALID), tools: true },
  { name: 'truncated + misnamed tool call, repair on (repaired)', yaml: '', backend: stub(BROKEN), tools: true },
];

/** Median microseconds per request for each variant, in VARIANTS order. */
export async function toolCallRepairUsPerRequest(rounds: number): Promise<{ name: string; us: number }[]> {
  const runners = VARIANTS.map((v) => {
    const config = parseConfig(`${v.yaml}\nbackends:\n${v.backend}\n`, 'bench', LOAD_OPTIONS);
    const runtime = createRuntime(config);
    const call = emptyCall({ model: 'bench', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], ...(v.tools ? { tools: TOOLS } : {}) });
    let lastArgs = '';
    const once = async () => {
      const encoder = new ChatStreamEncoder({ call, model: undefined, hints: {}, requestId: 'r', created: 1 });
      lastArgs = '';
      await lastValueFrom(runtime.executor.execute(call, { requestId: 'r', meta: {} }).pipe(tap((e) => { if (e.type === 'tool_call_delta') lastArgs += e.args; encoder.event(e); })));
    };
    return { name: v.name, once, samples: [] as number[], args: () => lastArgs };
  });
  for (let i = 0; i < 300; i++) for (const r of runners) await r.once();
  // The repaired variant must really have been repaired (and the valid ones left alone).
  if (runners[4]!.args() !== '{"city":"Paris","unit":"c"}') throw new Error(`the repair variant was not repaired: ${runners[4]!.args()}`);
  for (let round = 0; round < rounds; round++) {
    for (const r of runners) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < 100; i++) await r.once();
      r.samples.push(Number(process.hrtime.bigint() - start) / 100 / 1000);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return runners.map((r) => ({ name: r.name, us: [...r.samples].sort((a, b) => a - b)[Math.floor(r.samples.length / 2)]! }));
}
