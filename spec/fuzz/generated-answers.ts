import fc from 'fast-check';
import type { FinishReason, LipEvent, Usage } from '../../lib/canonical/index.js';
import { TOOLS, type Expected } from '../conformance/scenarios.js';

/**
 * Canonical answers as upstreams give them, generated: reasoning with or without a signature,
 * text of any characters cut anywhere, groups of parallel tool calls whose argument deltas
 * interleave and cut their JSON anywhere, usage at the start or the end, any finish reason; each
 * with what a client must assemble from it (`expected`). Used by the properties that play them
 * through lip (sdk-answers, stored-answers).
 */

/** Text as upstreams send it: any graphemes, and the characters framing is made of. */
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('\n', '\r\n', '\n\n', 'data: ', '[DONE]', 'event: x', '\u2028', '"}', '\\', ' ', '\t', '🙂', 'é') },
);

/** A JSON text cut into one to four pieces anywhere. */
function pieces(json: string): fc.Arbitrary<string[]> {
  return fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, json.length - 1) }), { maxLength: 3 }).map((cuts) => {
    const at = [0, ...cuts.filter((c) => c < json.length).sort((a, b) => a - b), json.length];
    return at.slice(1).map((end, i) => json.slice(at[i], end)).filter((p, i, all) => p.length > 0 || all.length === 1);
  });
}

interface ToolCall { readonly id: string; readonly name: string; readonly json: string; readonly chunks: readonly string[] }

const toolCall = (index: number): fc.Arbitrary<ToolCall> => fc.record({
  name: fc.constantFrom(...TOOLS.map((t) => t.name)),
  args: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  suffix: fc.stringMatching(/^[A-Za-z0-9]{4,10}$/),
}).chain(({ name, args, suffix }) => {
  const json = JSON.stringify(args);
  return pieces(json).map((chunks): ToolCall => ({ id: `call_${index}${suffix}`, name, json, chunks }));
});

/** Parallel tool calls: each call's started, deltas and finished in its own order, the calls merged in any order. */
const toolGroup = (first: number): fc.Arbitrary<{ calls: ToolCall[]; events: LipEvent[] }> =>
  fc.integer({ min: 1, max: 3 }).chain((n) => fc.tuple(fc.tuple(...Array.from({ length: n }, (_, i) => toolCall(first + i))), fc.array(fc.nat(n - 1), { minLength: 40, maxLength: 40 })))
    .map(([calls, picks]) => {
      const queues = calls.map((c): LipEvent[] => [
        { type: 'tool_call_started', id: c.id, name: c.name },
        ...c.chunks.map((args): LipEvent => ({ type: 'tool_call_delta', id: c.id, args })),
        { type: 'tool_call_finished', id: c.id },
      ]);
      const events: LipEvent[] = [];
      let p = 0;
      while (queues.some((q) => q.length > 0)) {
        const open = queues.filter((q) => q.length > 0);
        events.push(open[(picks[p++ % picks.length] ?? 0) % open.length]!.shift()!);
      }
      const order = events.filter((e): e is LipEvent & { type: 'tool_call_started' } => e.type === 'tool_call_started').map((e) => e.id);
      return { calls: order.map((id) => calls.find((c) => c.id === id)!), events };
    });

type Block = { kind: 'text'; deltas: string[]; refusal: boolean } | { kind: 'tools'; calls: ToolCall[]; events: LipEvent[] };

const usage: fc.Arbitrary<Usage> = fc.record({
  input: fc.integer({ min: 1, max: 100_000 }),
  output: fc.integer({ min: 1, max: 100_000 }),
  cacheShare: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
  reasoningShare: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
}).map(({ input, output, cacheShare, reasoningShare }) => ({
  inputTokens: input,
  outputTokens: output,
  totalTokens: input + output,
  ...(cacheShare !== undefined ? { cacheReadTokens: Math.floor(input * cacheShare) } : {}),
  ...(reasoningShare !== undefined ? { reasoningTokens: Math.floor(output * reasoningShare) } : {}),
}));

export interface Answer {
  readonly events: LipEvent[];
  readonly expected: Expected;
  readonly reasoning: boolean;
  readonly tools: boolean;
}

export const answer: fc.Arbitrary<Answer> = fc.record({
  reasoning: fc.option(fc.record({ deltas: fc.array(text, { minLength: 1, maxLength: 4 }), signature: fc.option(fc.stringMatching(/^[A-Za-z0-9+/]{8,40}$/), { nil: undefined }) }), { nil: undefined }),
  kinds: fc.array(fc.constantFrom('text' as const, 'tools' as const), { minLength: 1, maxLength: 4 }),
  texts: fc.array(fc.array(text, { minLength: 1, maxLength: 5 }), { minLength: 4, maxLength: 4 }),
  // About one text block in five is the model's refusal (OpenAI's `refusal`).
  refusals: fc.array(fc.integer({ min: 0, max: 4 }).map((n) => n === 0), { minLength: 4, maxLength: 4 }),
  usage: fc.option(usage, { nil: undefined }),
  usageFirst: fc.boolean(),
  reason: fc.constantFrom<FinishReason>('stop', 'stop', 'length', 'tool_calls', 'content_filter'),
}).chain((a) => {
  const groups = a.kinds.map((kind, i) => (kind === 'text' ? fc.constant<Block>({ kind: 'text', deltas: a.texts[i]!, refusal: a.refusals[i]! }) : toolGroup(i * 3).map((g): Block => ({ kind: 'tools', ...g }))));
  return fc.tuple(...groups).map((blocks): Answer => {
    const calls = blocks.flatMap((b) => (b.kind === 'tools' ? b.calls : []));
    // Tool calls end with a tool-call stop in every protocol; without them, a tool-call stop is a plain one.
    const reason: FinishReason = calls.length > 0 ? 'tool_calls' : a.reason === 'tool_calls' ? 'stop' : a.reason;
    const events: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }];
    if (a.usage && a.usageFirst) events.push({ type: 'usage', usage: a.usage });
    if (a.reasoning) {
      for (const t of a.reasoning.deltas) events.push({ type: 'reasoning_delta', text: t });
      if (a.reasoning.signature) events.push({ type: 'reasoning_signature', signature: a.reasoning.signature });
    }
    for (const b of blocks) {
      if (b.kind === 'text') for (const t of b.deltas) events.push(b.refusal ? { type: 'text_delta', text: t, refusal: true } : { type: 'text_delta', text: t });
      else events.push(...b.events);
    }
    if (a.usage && !a.usageFirst) events.push({ type: 'usage', usage: a.usage });
    // Upstreams end tool calls with either reason.
    events.push({ type: 'response_finished', reason: calls.length > 0 ? (a.reason === 'tool_calls' ? 'tool_calls' : 'stop') : reason });
    return {
      events,
      reasoning: a.reasoning !== undefined,
      tools: calls.length > 0,
      expected: {
        text: blocks.flatMap((b) => (b.kind === 'text' ? b.deltas : [])).join(''),
        ...(blocks.some((b) => b.kind === 'text' && b.refusal) ? {
          refusal: {
            refusal: blocks.flatMap((b) => (b.kind === 'text' && b.refusal ? b.deltas : [])).join(''),
            text: blocks.flatMap((b) => (b.kind === 'text' && !b.refusal ? b.deltas : [])).join(''),
          },
        } : {}),
        reasoning: a.reasoning?.deltas.join('') ?? '',
        toolCalls: calls.map((c) => ({ id: c.id, name: c.name, args: JSON.parse(c.json) as unknown })),
        finishReason: reason,
        ...(a.usage ? { usage: a.usage } : {}),
      },
    };
  });
});
