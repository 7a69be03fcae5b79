import type { CollectedResponse } from '../../canonical/index.js';
import { effectiveFinishReason } from '../../canonical/index.js';
import { finishedArguments } from '../function-arguments.js';
import { wireLogprobs } from '../logprobs.js';
import type { EncodeContext } from '../protocol.js';
import { chatUsage } from './encode-usage.js';
import { completionId } from './ids.js';
import { urlCitation } from './encode-stream.js';
import { mapFinishReason } from './map-finish-reason.js';
import { collectedCallIds } from './turn-state.js';

/**
 * A collected response as one `chat.completion` object; tool-call ids carry the turn's provider
 * state (turn-state.ts), blank arguments are `{}` (function-arguments.ts). A custom tool's call is
 * `{type: "custom", custom: {name, input}}`.
 * The text's citations are the message's `url_citation` annotations (offsets in `content`, which
 * is the response's text); hosted web searches have no form here. `usage` is always there (zero
 * counts when the upstream reported none).
 */
export function encodeChatResponse(r: CollectedResponse, context: EncodeContext): Record<string, unknown> {
  const ids = r.toolCalls.length > 0 ? collectedCallIds(r.blocks) : undefined;
  const toolCalls = r.toolCalls.map((c) => (c.custom === true
    ? { id: ids?.get(c.id) ?? c.id, type: 'custom', custom: { name: c.name, input: c.arguments } }
    : { id: ids?.get(c.id) ?? c.id, type: 'function', function: { name: c.name, arguments: finishedArguments(c.arguments) } }));
  // A refusal is `refusal`, with `content` null when it is all there is (the SDK's parse() reads
  // it so, instead of taking the refusal for JSON to parse).
  const text = r.refusal === undefined ? r.text : r.blocks.filter((b) => b.type === 'text' && b.refusal !== true).map((b) => (b as { text: string }).text).join('');
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: text.length > 0 || (toolCalls.length === 0 && r.refusal === undefined) ? text : null,
    refusal: r.refusal ?? null,
    ...(r.reasoningText ? { reasoning_content: r.reasoningText } : {}),
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    ...(r.citations?.some((c) => c.url !== undefined) ? { annotations: r.citations.filter((c) => c.url !== undefined).map(urlCitation) } : {}),
  };
  return {
    id: context.responseId ?? completionId(context),
    object: 'chat.completion',
    created: context.created,
    model: context.model ?? context.call.model,
    choices: [{ index: 0, message, logprobs: r.logprobs && context.call.options.logprobs !== undefined ? { content: wireLogprobs(r.logprobs), refusal: null } : null, finish_reason: mapFinishReason(effectiveFinishReason(r.finishReason, toolCalls.length > 0)) }],
    // Always there, as OpenAI sends it (zero counts when the upstream reported none), and so the
    // same as the usage chunk of a stream the client asked usage of.
    usage: chatUsage(r.usage),
  };
}
