import type { CollectedResponse } from '../../canonical/index.js';
import { REASONING_DIALECTS, hasUsage } from '../../canonical/index.js';
import type { EncodeContext } from '../protocol.js';
import { wireId } from '../protocol.js';
import { mapFinishReason } from './map-finish-reason.js';
import { ResponseShell, functionCallItem, messageItem, reasoningItem } from './response-object.js';

/**
 * A collected response as one Response object. Content blocks become output items in their
 * order: text runs `message` items, reasoning `reasoning` items (an OpenAI encrypted block right
 * after reasoning text joins that item), tool calls `function_call` items. Signatures and
 * opaque reasoning of other dialects (Anthropic redacted thinking, which must return whole with
 * its signed thinking) have no place here and are left out.
 */
export function encodeResponsesResponse(r: CollectedResponse, context: EncodeContext): Record<string, unknown> {
  const shell = new ResponseShell(context);
  const ending = mapFinishReason(r.finishReason);
  const itemStatus = ending.status === 'completed' ? 'completed' : 'incomplete';
  const output: Record<string, unknown>[] = [];
  let openReasoning: { index: number; id: string; text: string } | undefined;
  for (const block of r.blocks) {
    if (block.type === 'reasoning' && block.opaque !== undefined) {
      if (block.dialect !== REASONING_DIALECTS.openaiResponses) continue;
      if (openReasoning) output[openReasoning.index] = reasoningItem(openReasoning.id, openReasoning.text, block.opaque);
      else output.push(reasoningItem(wireId(context, 'rs_'), undefined, block.opaque));
      openReasoning = undefined;
      continue;
    }
    openReasoning = undefined;
    if (block.type === 'reasoning') {
      if (block.text.length === 0) continue;
      const id = wireId(context, 'rs_');
      openReasoning = { index: output.length, id, text: block.text };
      output.push(reasoningItem(id, block.text, undefined));
    } else if (block.type === 'text') {
      output.push(messageItem(wireId(context, 'msg_'), block.text, itemStatus));
    } else {
      output.push(functionCallItem(wireId(context, 'fc_'), block.id, block.name, block.arguments, 'completed'));
    }
  }
  return shell.build({
    status: ending.status,
    output,
    ...(hasUsage(r.usage) ? { usage: r.usage } : {}),
    ...(ending.incompleteReason ? { incompleteReason: ending.incompleteReason } : {}),
  });
}
