import type { CollectedResponse } from '../../canonical/index.js';
import { CALLER_DIALECTS, HOSTED_DIALECTS, REASONING_DIALECTS, effectiveFinishReason } from '../../canonical/index.js';
import type { EncodeContext } from '../protocol.js';
import { wireId } from '../protocol.js';
import { callWireId, carryOpaque, carrySignature } from '../state-envelope.js';
import { jsonTextTooDeep, MAX_UPSTREAM_DEPTH } from '../../wire/index.js';
import { anthropicUsage } from './encode-usage.js';
import { messageFields } from './message-fields.js';
import { mapFinishReason } from './map-finish-reason.js';
import { citationLocation, searchResultBlock, serverToolUseBlock } from './web-search-blocks.js';
import { citingSearchResult, searchResultSources } from './search-result-sources.js';
import { isFetchedPage } from './hosted-tools.js';
import { declaredMembers, toolsetNameOf } from './toolsets.js';

/**
 * A collected response as one Messages object. Content blocks keep their order: reasoning as
 * `thinking` (with its signature; empty text with a signature is kept) or `redacted_thinking`,
 * text runs as `text`, tool calls as `tool_use` with the arguments parsed (invalid JSON, e.g.
 * cut off by a length stop, becomes `{}`). Other dialects' state travels sealed
 * (state-envelope.ts): signatures in `signature`, opaque reasoning as `redacted_thinking`, a
 * call's own signature in the tool_use `id`; a call's Anthropic `caller` (code execution, for a
 * programmatic call) is the block's `caller`, and a call of a toolset's member names its
 * `toolset_name`, whichever backend answered (toolsets.ts). A hosted web search that ran is a `server_tool_use`
 * and a `web_search_tool_result` block (web-search-blocks.ts; one still running when the response
 * ended is left out, as the stream leaves it out); a text block's citations are its `citations`
 * (`web_search_result_location`s), as a streaming client accumulates them from the
 * `citations_delta`s of the same block; a citation of a search result's source is a
 * `search_result_location` of it (search-result-sources.ts). Another server tool's blocks (code execution, web fetch,
 * tool search, the advisor: Anthropic's own, from an Anthropic backend) and a server-side
 * compaction's `compaction` block are in place as the upstream wrote them, once done (one the
 * answer ended inside is left out); the message's code execution `container` is the top-level
 * `container`, present only when the upstream reported one.
 */
export function encodeMessagesResponse(r: CollectedResponse, context: EncodeContext): Record<string, unknown> {
  const id = context.responseId ?? wireId(context, 'msg_');
  const content: Record<string, unknown>[] = [];
  let searches = 0;
  let fetches = 0;
  let container: Readonly<Record<string, unknown>> | undefined;
  // The cited span stands in for a cited text the provider did not give, as in the stream (which keeps the text only then).
  const sources = searchResultSources(context.call);
  const spans = sources !== undefined || context.call.tools.some((t) => t.kind === 'web_search');
  const members = declaredMembers(context.call.tools);
  for (const block of r.blocks) {
    if (block.type === 'text') {
      const citations = block.citations?.map((c) => citationLocation(citingSearchResult(c, sources), spans ? block.text.slice(c.start, c.end) : ''));
      content.push({ type: 'text', text: block.text, ...(citations ? { citations } : {}) });
    } else if (block.type === 'tool_call') {
      const caller = block.caller?.dialect === CALLER_DIALECTS.anthropic ? { caller: { ...block.caller.value } } : {};
      content.push({ type: 'tool_use', id: callWireId(block), name: block.name, input: parseInput(block.arguments), ...caller, ...toolsetNameOf(block, members) });
    }
    else if (block.type === 'web_search') {
      if (block.status === 'searching') continue;
      if (block.status === 'completed') searches++;
      content.push(serverToolUseBlock(block), searchResultBlock(block));
    } else if (block.type === 'hosted_tool') {
      if (block.dialect !== HOSTED_DIALECTS.anthropic) continue; // another provider's: no form in this protocol
      if (block.scope === 'message') container = block.block;
      else if (block.done) {
        if (isFetchedPage(block.block)) fetches++;
        content.push({ ...block.block });
      }
    } else if (block.opaque !== undefined) {
      content.push({ type: 'redacted_thinking', data: carryOpaque({ dialect: block.dialect ?? '', data: block.opaque, ...(block.id ? { id: block.id } : {}) }, REASONING_DIALECTS.anthropicRedacted) });
    } else {
      const signature = block.signature === undefined ? '' : carrySignature(block.signature, block.dialect, REASONING_DIALECTS.anthropicThinking);
      content.push({ type: 'thinking', thinking: block.text, signature });
    }
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
    ...messageFields(r.finishDetails),
    usage: anthropicUsage(r.usage, searches, fetches),
    ...(container !== undefined ? { container } : {}),
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
