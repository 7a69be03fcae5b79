import type { CollectedResponse } from '../../canonical/index.js';
import { hasUsage } from '../../canonical/index.js';
import type { EncodeContext } from '../protocol.js';
import { wireId } from '../protocol.js';
import { carriesAcross, wrapReasoning } from '../reasoning-envelope.js';
import { geminiUsage } from './encode-usage.js';
import { functionArgs } from './function-args.js';
import { mapFinishReason } from './map-finish-reason.js';

/**
 * A collected response as one GenerateContentResponse. Blocks keep their order: reasoning as a
 * thought part with its `thoughtSignature`, text as a text part, tool calls as `functionCall`
 * parts (with `id`, and the call's signature). Self-contained opaque reasoning of other providers
 * travels as an empty thought part whose signature wraps it (reasoning-envelope.ts). An empty answer still has
 * one empty text part, so that chat helpers accept the turn.
 */
export function encodeGenerateContentResponse(r: CollectedResponse, context: EncodeContext): Record<string, unknown> {
  const responseId = wireId(context, '', 22);
  const parts: Record<string, unknown>[] = [];
  for (const block of r.blocks) {
    if (block.type === 'text') parts.push({ text: block.text });
    else if (block.type === 'tool_call') {
      parts.push({ functionCall: { id: block.id, name: block.name, args: functionArgs(block.arguments) }, ...(block.signature ? { thoughtSignature: block.signature } : {}) });
    } else if (block.opaque === undefined) {
      parts.push({ text: block.text, thought: true, ...(block.signature ? { thoughtSignature: block.signature } : {}) });
    } else if (carriesAcross(block.dialect ?? '')) {
      parts.push({ text: '', thought: true, thoughtSignature: wrapReasoning({ dialect: block.dialect!, data: block.opaque, ...(block.id ? { id: block.id } : {}) }) });
    }
  }
  if (parts.length === 0) parts.push({ text: '' });
  return {
    candidates: [{ content: { parts, role: 'model' }, finishReason: mapFinishReason(r.finishReason, r.rawFinishReason), index: 0 }],
    ...(hasUsage(r.usage) ? { usageMetadata: geminiUsage(r.usage) } : {}),
    modelVersion: context.model ?? context.call.model,
    responseId,
  };
}
