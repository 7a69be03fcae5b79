import type { Call, LipEvent } from '../../canonical/index.js';
import type { LocalstubOptions } from './options.js';

/** One step of a localstub reply: an event, emitted `delayMs` after the previous step. */
export interface Step {
  readonly delayMs: number;
  readonly event: LipEvent;
}

/** Splits text into `n` nearly equal deltas without cutting a surrogate pair. */
export function splitText(text: string, n: number): string[] {
  const chars = Array.from(text);
  const count = Math.max(1, Math.min(n, chars.length));
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const from = Math.floor((i * chars.length) / count);
    const to = Math.floor(((i + 1) * chars.length) / count);
    out.push(chars.slice(from, to).join(''));
  }
  return out;
}

/** The text of the last user message (for `echo: true`). */
export function lastUserText(call: Call): string {
  for (let i = call.messages.length - 1; i >= 0; i--) {
    const message = call.messages[i]!;
    if (message.role !== 'user') continue;
    return message.parts.filter((p) => p.type === 'text').map((p) => (p as { text: string }).text).join('\n');
  }
  return '';
}

/**
 * The reply as timed steps: lifecycle at once, then (after `first_token_delay`) reasoning,
 * text in `chunks` deltas and tool calls, `chunk_delay` apart, then usage and the finish.
 * Failures are applied by the source, not here. `textChunks` passes a precomputed split of the
 * configured text (the reply is the same for every request unless `echo` is on).
 */
export function buildScript(call: Call, o: LocalstubOptions, callIdPrefix: string, textChunks?: readonly string[]): Step[] {
  const steps: Step[] = [
    { delayMs: 0, event: { type: 'response_started' } },
    { delayMs: 0, event: { type: 'message_started' } },
  ];
  let outputIndex = 0;
  const output = (event: LipEvent) => {
    steps.push({ delayMs: outputIndex === 0 ? o.firstTokenDelayMs : o.chunkDelayMs, event });
    outputIndex++;
  };
  if (o.reasoning !== undefined) {
    output({ type: 'reasoning_delta', text: o.reasoning });
    if (o.reasoningSignature !== undefined) steps.push({ delayMs: 0, event: { type: 'reasoning_signature', signature: o.reasoningSignature } });
  }
  const text = o.echo ? lastUserText(call) : o.text;
  for (const delta of textChunks ?? (text ? splitText(text, o.chunks) : [])) output({ type: 'text_delta', text: delta });
  o.toolCalls.forEach((tool, i) => {
    const id = `${callIdPrefix}${i + 1}`;
    output({ type: 'tool_call_started', id, name: tool.name });
    if (tool.args.length > 0) steps.push({ delayMs: o.chunkDelayMs, event: { type: 'tool_call_delta', id, args: tool.args } });
    steps.push({ delayMs: 0, event: { type: 'tool_call_finished', id } });
  });
  steps.push({
    delayMs: 0,
    event: {
      type: 'usage',
      usage: {
        inputTokens: o.inputTokens,
        outputTokens: o.outputTokens,
        totalTokens: o.inputTokens + o.outputTokens,
        ...(o.cacheReadTokens !== undefined ? { cacheReadTokens: o.cacheReadTokens } : {}),
      },
    },
  });
  steps.push({ delayMs: 0, event: { type: 'response_finished', reason: o.finishReason ?? (o.toolCalls.length > 0 ? 'tool_calls' : 'stop') } });
  return steps;
}
