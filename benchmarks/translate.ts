/**
 * In-process cost per translated event: the chat encoder alone, and the whole pipeline
 * (execute -> localstub -> commit gate -> attempt wrapper -> encoder) amortised per event.
 * The code under test is the compiled dist/ (what `lip serve` runs), not lib/ through tsx.
 */
import { lastValueFrom, tap } from 'rxjs';
import type { LipEvent } from '../lib/canonical/index.js';
import { BENCH_CHUNKS, BENCH_TEXT } from './canned.js';

const { collect, emptyCall } = await import('../dist/canonical/index.js' as string) as typeof import('../lib/canonical/index.js');
const { ChatStreamEncoder } = await import('../dist/frontends/openai-chat/index.js' as string) as typeof import('../lib/frontends/openai-chat/index.js');
const { parseConfig } = await import('../dist/config/index.js' as string) as typeof import('../lib/config/index.js');
const { LOAD_OPTIONS } = await import('../dist/cli/config-source.js' as string) as typeof import('../lib/cli/config-source.js');
const { createRuntime } = await import('../dist/core/runtime.js' as string) as typeof import('../lib/core/runtime.js');

const call = emptyCall({ model: 'bench', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });

export function encoderNsPerEvent(events = 500_000): number {
  const encoder = new ChatStreamEncoder({ call, model: undefined, hints: {}, requestId: 'r', created: 1 });
  const deltas: LipEvent[] = Array.from({ length: 64 }, (_, i) => ({ type: 'text_delta', text: `token ${i} ` }));
  let bytes = 0;
  for (let i = 0; i < 20_000; i++) bytes += encoder.event(deltas[i & 63]!).length; // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < events; i++) bytes += encoder.event(deltas[i & 63]!).length;
  const ns = Number(process.hrtime.bigint() - start) / events;
  if (bytes === 0) throw new Error('nothing encoded');
  return ns;
}

export async function pipelineNsPerEvent(requests = 4_000): Promise<number> {
  const config = parseConfig(`backends:\n  - { id: stub, kind: localstub, models: [bench], chunks: ${BENCH_CHUNKS}, text: ${JSON.stringify(BENCH_TEXT)} }\n`, 'bench', LOAD_OPTIONS);
  const runtime = createRuntime(config);
  const once = async () => {
    const encoder = new ChatStreamEncoder({ call, model: undefined, hints: {}, requestId: 'r', created: 1 });
    let events = 0;
    let bytes = 0;
    await lastValueFrom(runtime.executor.execute(call, { requestId: 'r', meta: {} }).pipe(tap((e) => {
      events++;
      bytes += encoder.event(e).length;
    })));
    return events + (bytes > 0 ? 0 : NaN);
  };
  for (let i = 0; i < 500; i++) await once();
  let events = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < requests; i++) events += await once();
  return Number(process.hrtime.bigint() - start) / events;
}

/** Microseconds per non-streaming request through the executor for each selector (in order). */
export async function routingUsPerRequest(selectors: readonly string[], requests: number): Promise<number[]> {
  const config = parseConfig(`backends:
  - { id: stub, kind: localstub, models: [bench], chunks: ${BENCH_CHUNKS}, text: ${JSON.stringify(BENCH_TEXT)} }
  - { id: stub2, kind: localstub, models: [bench], chunks: ${BENCH_CHUNKS}, text: ${JSON.stringify(BENCH_TEXT)} }
  - { id: stub3, kind: localstub, models: [bench], chunks: ${BENCH_CHUNKS}, text: ${JSON.stringify(BENCH_TEXT)} }
  - { id: down1, kind: localstub, fail: "before_output:503" }
  - { id: down2, kind: localstub, fail: "before_output:503" }
`, 'bench', LOAD_OPTIONS);
  const runtime = createRuntime(config);
  const plain = { ...call, stream: false };
  const once = (routeHeader: string) => lastValueFrom(runtime.executor.execute(plain, { requestId: 'r', routeHeader, meta: {} }).pipe(collect()));
  // Warm every path up first, then interleave the selectors in rounds so that drift and
  // machine noise hit all of them alike.
  for (let i = 0; i < 500; i++) for (const selector of selectors) await once(selector);
  const totals = selectors.map(() => 0n);
  const rounds = Math.max(1, Math.floor(requests / 100));
  for (let round = 0; round < rounds; round++) {
    for (let j = 0; j < selectors.length; j++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < 100; i++) await once(selectors[j]!);
      totals[j]! += process.hrtime.bigint() - start;
    }
  }
  const results = totals.map((t) => Number(t) / (rounds * 100) / 1000);
  return results;
}
