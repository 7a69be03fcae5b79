import type { CollectedResponse } from '../../canonical/index.js';
import { REASONING_DIALECTS, effectiveFinishReason } from '../../canonical/index.js';
import type { EncodeContext } from '../protocol.js';
import { wireId } from '../protocol.js';
import { carriesAcross, wrapReasoning } from '../reasoning-envelope.js';
import { jsonTextTooDeep, MAX_UPSTREAM_DEPTH } from '../../wire/index.js';
import { anthropicUsage } from './encode-usage.js';
import { mapFinishReason } from './map-finish-reason.js';

/**
 * A collected response as one Messages object. Content blocks keep their order: reasoning as
 * `thinking` (with its signature; empty text with a signature is kept) or `redacted_thinking`,
 * text runs as `text`, tool calls as `tool_use` with the arguments parsed (invalid JSON, e.g.
 * cut off by a length stop, becomes `{}`). Self-contained opaque reasoning of other dialects
 * travels as a `redacted_thinking` block holding it wrapped (reasoning-envelope.ts).
 */
export function encodeMessagesResponse(r: CollectedResponse, context: EncodeContext): Record<string, unknown> {
  const id = wireId(context, 'msg_');
  const content: Record<string, unknown>[] = [];
  for (const block of r.blocks) {
    if (block.type === 'text') content.push({ type: 'text', text: block.text });
    else if (block.type === 'tool_call') content.push({ type: 'tool_use', id: block.id, name: block.name, input: parseInput(block.arguments) });
    else if (block.opaque !== undefined) {
      if (block.dialect === REASONING_DIALECTS.anthropicRedacted) content.push({ type: 'redacted_thinking', data: block.opaque });
      else if (carriesAcross(block.dialect ?? '')) {
        content.push({ type: 'redacted_thinking', data: wrapReasoning({ dialect: block.dialect!, data: block.opaque, ...(block.id ? { id: block.id } : {}) }) });
      }
    } else content.push({ type: 'thinking', thinking: block.text, signature: block.signature ?? '' });
  }
  const stopReason = mapFinishReason(effectiveFinishReason(r.finishReason, r.toolCalls.length > 0), r.rawFinishReason);
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: context.model ?? context.call.model,
    content,
    stop_reason: stopReason,
    stop_sequence: stopReason === 'stop_sequence' ? r.stopSequence ?? null : null,
    usage: anthropicUsage(r.usage),
  };
}

/** The arguments as an object; `{}` when they are not one (or nest deeper than MAX_UPSTREAM_DEPTH). */
function parseInput(args: string): unknown {
  if (args.trim().length === 0 || jsonTextTooDeep(args, MAX_UPSTREAM_DEPTH) >= 0) return {};
  try {
    const value: unknown = JSON.parse(args);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}
