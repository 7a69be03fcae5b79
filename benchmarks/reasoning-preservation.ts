/**
 * In-process cost of reasoning-output-preservation (compiled dist/), medians of interleaved
 * rounds: a request through the executor (localstub, 8 chunks, chat encoder) with the feature
 * off (`enabled: false`) and on (the default: the candidate is outside the catalogue, so it is
 * left alone); then the feature's own two hooks on an eligible Chat candidate: keeping a
 * released turn (the final-stream observer over 60 events and its end) and restoring the turns
 * of a call whose assistant messages were sent back without reasoning (1, 10 and 50 of them).
 *
 * ```sh
 * npm run build && node --import tsx benchmarks/reasoning-preservation.ts [--quick]
 * ```
 */
import { lastValueFrom, tap } from 'rxjs';
import { interleaved } from './interleaved.js';

const { emptyCall, REASONING_DIALECTS } = await import('../dist/canonical/index.js' as string) as typeof import('../lib/canonical/index.js');
const { ChatStreamEncoder } = await import('../dist/frontends/openai-chat/index.js' as string) as typeof import('../lib/frontends/openai-chat/index.js');
const { parseConfig } = await import('../dist/config/index.js' as string) as typeof import('../lib/config/index.js');
const { LOAD_OPTIONS } = await import('../dist/cli/config-source.js' as string) as typeof import('../lib/cli/config-source.js');
const { createRuntime } = await import('../dist/core/runtime.js' as string) as typeof import('../lib/core/runtime.js');
const { chatReasoning } = await import('../dist/backends/reasoning-replay.js' as string) as typeof import('../lib/backends/reasoning-replay.js');
const preservation = await import('../dist/extensions/features/reasoning-output-preservation/index.js' as string) as typeof import('../lib/extensions/features/reasoning-output-preservation/index.js');
type Call = import('../lib/canonical/index.js').Call;
type LipEvent = import('../lib/canonical/index.js').LipEvent;
type Message = import('../lib/canonical/index.js').Message;
type HookContext = import('../lib/extensions/sdk.js').HookContext;
type StreamContext = import('../lib/extensions/sdk.js').StreamContext;

const STUB = '  - { id: stub, kind: localstub, models: [bench], chunks: 8, text: "a short answer in eight chunks" }';

/** A request through the executor with the feature off and on (its candidate outside the catalogue). */
export async function preservationOffVsOn(rounds: number): Promise<{ name: string; us: number }[]> {
  const runners = [
    { name: 'request, reasoning-output-preservation off (enabled: false)', yaml: 'features: [{ id: reasoning-output-preservation, enabled: false }]' },
    { name: 'request, on (the default; a candidate outside the catalogue)', yaml: '' },
  ].map((v) => {
    const runtime = createRuntime(parseConfig(`${v.yaml}\nbackends:\n${STUB}\n`, 'bench', LOAD_OPTIONS));
    const call = emptyCall({ model: 'bench', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
    const once = async () => {
      const encoder = new ChatStreamEncoder({ call, model: undefined, hints: {}, requestId: 'r', created: 1 });
      await lastValueFrom(runtime.executor.execute(call, { requestId: 'r', meta: {} }).pipe(tap((e) => encoder.event(e))));
    };
    return { name: v.name, once, samples: [] as number[] };
  });
  return interleaved(runners, rounds, 100);
}

/** The feature's hooks on an eligible Chat candidate. */
export async function preservationHooks(rounds: number): Promise<{ name: string; us: number }[]> {
  const bundle = preservation.reasoningOutputPreservation.create({}, { featureId: 'reasoning-output-preservation', state: undefined as never, logger: { warn() {}, info() {}, error() {} } });
  const observer = bundle.streamObservers![0]!;
  const restore = bundle.attemptTransforms![0]!;
  const target = { backendId: 'ds', candidateKey: 'ds:deepseek-chat', model: 'deepseek-chat', backendKind: 'openai-chat', reasoning: chatReasoning('reasoning_content') };
  const ctx = (principal: string) => ({ requestId: 'r', principal, depth: 0, target, state: () => undefined as never, auxiliary: undefined as never }) as unknown as StreamContext & HookContext;
  // A released turn: 40 reasoning deltas, a tool call in 10 deltas.
  const turnEvents = (n: number): LipEvent[] => [
    { type: 'response_started' }, { type: 'message_started' },
    ...Array.from({ length: 40 }, (_, i): LipEvent => ({ type: 'reasoning_delta', text: `step ${i} of the plan; ` })),
    { type: 'tool_call_started', id: `call_${n}`, name: 'read_file' },
    ...Array.from({ length: 10 }, (_, i): LipEvent => ({ type: 'tool_call_delta', id: `call_${n}`, args: i === 0 ? '{"path": "src/' : i === 9 ? `file${n}.ts"}` : 'x' })),
    { type: 'tool_call_finished', id: `call_${n}` }, { type: 'response_finished', reason: 'tool_calls' },
  ];
  const keep = (principal: string, n: number) => {
    const c = ctx(principal);
    for (const e of turnEvents(n)) observer.event!(e, c);
    observer.end!({ outcome: 'success' }, c);
  };
  preservation.PRESERVED_TURNS.clear();
  for (let n = 0; n < 50; n++) keep('p-restore', n);
  const history = (turns: number): Call => {
    const messages: Message[] = [{ role: 'user', parts: [{ type: 'text', text: 'go' }] }];
    for (let n = 0; n < turns; n++) {
      messages.push({ role: 'assistant', parts: [{ type: 'tool_call', id: `call_${n}`, name: 'read_file', arguments: `{"path":"src/${'x'.repeat(8)}file${n}.ts"}` }] });
      messages.push({ role: 'tool', parts: [{ type: 'tool_result', callId: `call_${n}`, content: 'contents' }] });
    }
    return emptyCall({ model: 'deepseek-chat', messages });
  };
  let kept = 0;
  const runners = [
    { name: 'keep a released turn (60 events through the observer, then its end)', once: () => keep('p-keep', kept++ % 1000) },
    ...[1, 10, 50].map((turns) => ({
      name: `restore a call of ${turns} assistant turn${turns > 1 ? 's' : ''} sent back without reasoning`,
      once: () => {
        const call = history(turns); // new message objects: the anchors are computed as for a new request
        const decision = restore.transform(call, target, ctx('p-restore'));
        if (decision.action !== 'continue' || decision.call === undefined) throw new Error('nothing was restored');
        const first = decision.call.messages[1]!.parts[0]!;
        if (first.type !== 'reasoning' || first.dialect !== REASONING_DIALECTS.openaiChat) throw new Error('restored the wrong part');
      },
    })),
  ].map((r) => ({ ...r, samples: [] as number[] }));
  const rows = await interleaved(runners, rounds, 200);
  preservation.PRESERVED_TURNS.clear();
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const rows = [...await preservationOffVsOn(quick ? 10 : 40), ...await preservationHooks(quick ? 10 : 40)];
  for (const r of rows) process.stdout.write(`${r.us.toFixed(2).padStart(8)} us  ${r.name}\n`);
}
