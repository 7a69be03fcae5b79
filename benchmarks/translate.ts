/**
 * In-process cost per translated event: the chat encoder alone, and the whole pipeline
 * (execute -> localstub -> commit gate -> attempt wrapper -> encoder) amortised per event.
 */
import { lastValueFrom, tap } from 'rxjs';
import { emptyCall, type LipEvent } from '../lib/canonical/index.js';
import { ChatStreamEncoder } from '../lib/frontends/openai-chat/index.js';
import { parseConfig } from '../lib/config/index.js';
import { LOAD_OPTIONS } from '../lib/cli/config-source.js';
import { createRuntime } from '../lib/core/runtime.js';
import { BENCH_CHUNKS, BENCH_TEXT } from './canned.js';

const call = emptyCall({ model: 'bench', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });

export function encoderNsPerEvent(events = 500_000): number {
  const encoder = new ChatStreamEncoder({ call, hints: {}, requestId: 'r', created: 1 });
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
    const encoder = new ChatStreamEncoder({ call, hints: {}, requestId: 'r', created: 1 });
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
