import type { CollectedResponse } from '../../canonical/index.js';
import { REASONING_DIALECTS, hasUsage } from '../../canonical/index.js';
import { finishedArguments } from '../function-arguments.js';
import type { EncodeContext } from '../protocol.js';
import { mapFinishReason } from './map-finish-reason.js';
import { ResponseShell, callItem, callItemPrefix, callerForm, isToolSearchCall, messageItem, outputItemId, reasoningItem, refusalItem, type CallForm } from './response-object.js';
import { callWireId, carryOpaque, sealState } from '../state-envelope.js';
import type { ResponsesHints } from './decode-request.js';
import { urlCitation, webSearchCallItem, webSearchItemId } from './web-search-call.js';
import { ownHostedItem } from './hosted-tools.js';
import { clientToolOf, ownCallFields } from './client-tools.js';
import { withAddedTools } from './additional-tools.js';

/**
 * A collected response as one Response object. Content blocks become output items in their
 * order: text runs `message` items, reasoning `reasoning` items (an OpenAI encrypted block right
 * after reasoning text joins that item), tool calls `function_call` items (`custom_tool_call`
 * items for custom tools, with the `namespace` of a namespaced tool; `tool_search_call` items for
 * the client's tool search; the `caller` of a program's call), hosted web searches `web_search_call` items (web-search-call.ts; sources
 * when the client's `include` asked for them), OpenAI's hosted tools' items (code interpreter,
 * image generation, MCP, programs, ...; and OpenAI's compaction items) as the provider wrote them (hosted-tools.ts; another provider's
 * hosted blocks have no form here and are left out), and a text's citations `url_citation` annotations
 * of its output_text. Provider state
 * travels sealed (state-envelope.ts): another dialect's signature or opaque reasoning, and
 * OpenAI's own with its upstream item id, in a reasoning item's `encrypted_content`; a call's
 * own signature in its `call_id`. Item ids are derived from the response id and the item's
 * place (`outputItemId`): the stream of the same response names the same ids.
 */
export function encodeResponsesResponse(r: CollectedResponse, context: EncodeContext): Record<string, unknown> {
  const shell = new ResponseShell(context);
  const ending = mapFinishReason(r.finishReason);
  const itemStatus = ending.status === 'completed' ? 'completed' : 'incomplete';
  const output: Record<string, unknown>[] = [];
  const nextId = (prefix: string) => outputItemId(context, prefix, output.length);
  const sources = (context.hints as Partial<ResponsesHints>).includeSearchSources === true;
  const call = withAddedTools(context.call);
  let openReasoning: { index: number; id: string; text: string } | undefined;
  const closeWith = (encrypted: string) => {
    if (openReasoning) output[openReasoning.index] = reasoningItem(openReasoning.id, openReasoning.text, encrypted);
    else output.push(reasoningItem(nextId('rs_'), undefined, encrypted));
    openReasoning = undefined;
  };
  for (const [at, block] of r.blocks.entries()) {
    // A message or call another item follows was complete (the stream closed it so); only the last takes the answer's status.
    const status = at === r.blocks.length - 1 ? itemStatus : 'completed';
    if (block.type === 'reasoning' && block.opaque !== undefined) {
      closeWith(carryOpaque({ dialect: block.dialect ?? '', data: block.opaque, ...(block.id ? { id: block.id } : {}) }, REASONING_DIALECTS.openaiResponses));
      continue;
    }
    openReasoning = undefined;
    if (block.type === 'reasoning') {
      if (block.text.length > 0) {
        const id = nextId('rs_');
        openReasoning = { index: output.length, id, text: block.text };
        output.push(reasoningItem(id, block.text, undefined));
      }
      if (block.signature !== undefined && block.dialect !== undefined) closeWith(sealState({ dialect: block.dialect, signature: block.signature }));
    } else if (block.type === 'text' && block.refusal === true) {
      output.push(refusalItem(nextId('msg_'), block.text, status));
    } else if (block.type === 'text') {
      const annotations = block.citations?.filter((c) => c.url !== undefined).map((c) => urlCitation(c, c.start, c.end));
      output.push(messageItem(nextId('msg_'), block.text, status, context.call.options.logprobs !== undefined ? block.logprobs : undefined, annotations));
    } else if (block.type === 'web_search') {
      // A search the response ended before it ran is failed (the item has no incomplete status).
      output.push(webSearchCallItem(webSearchItemId(block), block.status === 'searching' ? 'failed' : block.status, block.status === 'searching' ? undefined : block, sources));
    } else if (block.type === 'hosted_tool') {
      if (ownHostedItem(block)) output.push({ ...block.block });
    } else {
      const client = clientToolOf(call, block.name, block.namespace);
      const form: CallForm = {
        custom: block.custom === true, namespace: block.namespace, toolSearch: isToolSearchCall(call, block.name, block.namespace),
        ...(client !== undefined ? { client, ...ownCallFields(block.providerFields) } : {}), ...callerForm(block.caller),
      };
      // Blank arguments are `{}` (function-arguments.ts); a custom tool's input is raw text, blank or not.
      const args = form.custom === true ? block.arguments : finishedArguments(block.arguments);
      output.push(callItem(nextId(callItemPrefix(form)), callWireId(block), block.name, args, status, form));
    }
  }
  return shell.build({
    status: ending.status,
    output,
    ...(hasUsage(r.usage) ? { usage: r.usage } : {}),
    ...(ending.incompleteReason ? { incompleteReason: ending.incompleteReason } : {}),
  });
}
