import type { CollectedResponse } from './collect.js';
import type { Message, Part } from './call.js';

/**
 * Dialect given to reasoning blocks that the collected response left unlabelled (thinking text
 * with a signature) when the record did not say which backend dialect produced them. Backends
 * replay only their own dialect, so such a block is kept as history but never replayed verbatim.
 */
export const UNLABELED_REASONING_DIALECT = 'lip.unlabeled';

/**
 * The assistant message a collected response amounts to, block by block in output order: text
 * runs, reasoning (with its signature or opaque payload) and tool calls. Undefined when the
 * response produced nothing replayable (an empty answer adds no turn to the history).
 *
 * ```
 * blocks: [reasoning "plan" sig=s1] [text "Hi"] [tool_call get_weather {...}]
 * message: { role: assistant, parts: [reasoning, text, tool_call] }
 * ```
 * @see spec/continuity/rebuild-conversation.spec.ts
 */
export function assistantMessage(response: CollectedResponse, dialect: string = UNLABELED_REASONING_DIALECT): Message | undefined {
  const parts: Part[] = [];
  for (const block of response.blocks) {
    if (block.type === 'text') {
      if (block.text.length > 0) parts.push({ type: 'text', text: block.text });
    } else if (block.type === 'reasoning') {
      if (block.text.length === 0 && block.signature === undefined && block.opaque === undefined) continue;
      parts.push({
        type: 'reasoning',
        dialect: block.dialect ?? dialect,
        ...(block.text.length > 0 ? { text: block.text } : {}),
        ...(block.signature !== undefined ? { signature: block.signature } : {}),
        ...(block.opaque !== undefined ? { opaque: block.opaque } : {}),
        ...(block.id !== undefined ? { id: block.id } : {}),
      });
    } else if (block.type === 'web_search') {
      if (block.status === 'searching') continue; // never finished: nothing to send back
      parts.push({
        type: 'web_search', id: block.id, status: block.status,
        ...(block.query !== undefined ? { query: block.query } : {}),
        ...(block.results !== undefined ? { results: block.results } : {}),
        ...(block.error !== undefined ? { error: block.error } : {}),
        ...(block.dialect !== undefined ? { dialect: block.dialect } : {}),
      });
    } else if (block.type === 'hosted_tool') {
      // A record of the whole message (a container) is no part of the turn; a block never done has nothing to send back.
      if (block.scope === undefined && block.done) parts.push({ type: 'hosted_tool', dialect: block.dialect, block: block.block });
    } else {
      parts.push({
        type: 'tool_call', id: block.id, name: block.name, arguments: block.arguments,
        ...(block.signature !== undefined ? { signature: block.signature } : {}),
        ...(block.dialect !== undefined ? { dialect: block.dialect } : {}),
        ...(block.custom === true ? { custom: true } : {}),
        ...(block.caller !== undefined ? { caller: block.caller } : {}),
        ...(block.namespace !== undefined ? { namespace: block.namespace } : {}),
        ...(block.providerFields !== undefined ? { providerFields: block.providerFields } : {}),
        ...(block.toolset !== undefined ? { toolset: block.toolset } : {}),
      });
    }
  }
  return parts.length > 0 ? { role: 'assistant', parts } : undefined;
}
