/**
 * In-process cost of compaction-continuity (compiled dist/), medians of interleaved rounds: a
 * request through the executor (localstub, 8 chunks, chat encoder) of a short conversation (4
 * messages) and a long one (200 messages, about 120 KiB), with the feature off (no row), on with
 * nothing kept for the conversation, and on with a kept state put into every request (the
 * extractor off: the state is the agent's own plan, so no model call runs in the loop).
 *
 * ```sh
 * npm run build && node --import tsx benchmarks/compaction-continuity.ts [--quick]
 * ```
 */
import { lastValueFrom, tap } from 'rxjs';
import { interleaved } from './interleaved.js';

const { emptyCall } = await import('../dist/canonical/index.js' as string) as typeof import('../lib/canonical/index.js');
const { ChatStreamEncoder } = await import('../dist/frontends/openai-chat/index.js' as string) as typeof import('../lib/frontends/openai-chat/index.js');
const { parseConfig } = await import('../dist/config/index.js' as string) as typeof import('../lib/config/index.js');
const { LOAD_OPTIONS } = await import('../dist/cli/config-source.js' as string) as typeof import('../lib/cli/config-source.js');
const { createRuntime } = await import('../dist/core/runtime.js' as string) as typeof import('../lib/core/runtime.js');
const continuity = await import('../dist/extensions/features/compaction-continuity/index.js' as string) as typeof import('../lib/extensions/features/compaction-continuity/index.js');
type Call = import('../lib/canonical/index.js').Call;
type Message = import('../lib/canonical/index.js').Message;

const STUB = '  - { id: stub, kind: localstub, models: [bench], chunks: 8, text: "a short answer in eight chunks" }';
const ON = 'features: [{ id: compaction-continuity, config: { extractor: { enabled: false } } }]';

function conversation(messages: number): Message[] {
  return Array.from({ length: messages }, (_, i): Message => (i % 2 === 0
    ? { role: 'user', parts: [{ type: 'text', text: `Question ${i}: ${'what about this part of the code? '.repeat(15)}` }] }
    : { role: 'assistant', parts: [{ type: 'text', text: `Answer ${i}: ${'it does what it says. '.repeat(30)}` }] }));
}

/** Requests through the executor: the feature off, on with nothing kept, on with a state put into each request. */
export async function continuityOffVsOn(rounds: number): Promise<{ name: string; us: number }[]> {
  continuity.CONTINUITY_BRANCHES.clear();
  const runners = [4, 200].flatMap((size) => [
    { name: `${size} messages, compaction-continuity off`, yaml: '', user: 'off', kept: false },
    { name: `${size} messages, on, the request names no conversation`, yaml: ON.replace('config: {', 'config: { branch: [session],'), user: `none-${size}`, kept: false },
    { name: `${size} messages, on, nothing kept for the conversation`, yaml: ON, user: `none-${size}`, kept: false },
    { name: `${size} messages, on, the kept state put into the request`, yaml: ON, user: `kept-${size}`, kept: true },
  ].map((v) => {
    const runtime = createRuntime(parseConfig(`${v.yaml}\nbackends:\n${STUB}\n`, 'bench', LOAD_OPTIONS));
    const call: Call = emptyCall({ model: 'bench', stream: true, user: v.user, messages: conversation(size) });
    const once = async () => {
      const encoder = new ChatStreamEncoder({ call, model: undefined, hints: {}, requestId: 'r', created: 1 });
      await lastValueFrom(runtime.executor.execute(call, { requestId: 'r', meta: {}, principal: 'bench' }).pipe(tap((e) => encoder.event(e))));
    };
    const setup = async () => {
      if (!v.kept) return;
      const plan = { role: 'assistant' as const, parts: [{ type: 'tool_call' as const, id: 'p', name: 'update_plan', arguments: JSON.stringify({ plan: [{ step: 'Port the parser', status: 'in_progress' }, { step: 'Write the tests', status: 'pending' }] }) }] };
      const compaction = emptyCall({ model: 'bench', user: v.user, messages: [...conversation(6), plan, { role: 'user', parts: [{ type: 'text', text: 'You are performing a CONTEXT CHECKPOINT COMPACTION.' }] }] });
      await lastValueFrom(runtime.executor.execute(compaction, { requestId: 'c', meta: {}, principal: 'bench' }));
    };
    return { name: v.name, once, setup, samples: [] as number[] };
  }));
  for (const r of runners) await r.setup();
  const rows = await interleaved(runners, rounds, 100);
  continuity.CONTINUITY_BRANCHES.clear();
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await continuityOffVsOn(process.argv.includes('--quick') ? 10 : 40);
  for (const r of rows) process.stdout.write(`${r.us.toFixed(2).padStart(8)} us  ${r.name}\n`);
}
