import type { Message } from './call.js';

/**
 * What the routed model is asked, after the conversation, to compact it (lip's own compaction
 * for a Responses client, `/responses/compact`). The compaction-continuity feature recognises a
 * call ending with it as a compaction.
 */
export const COMPACTION_INSTRUCTION = [
  'Compact the conversation above into a summary that another turn of this conversation can continue from',
  'without the original turns. Keep the user\'s goals and constraints, decisions made, work done so far',
  '(files, commands, results and errors), open questions and the exact next steps. Be complete and',
  'concrete; do not address the user and do not call tools. Answer with the summary only.',
].join(' ');

/** What a conversation summary is introduced with when it comes back as the conversation's start. */
export const COMPACTION_PREAMBLE = 'Summary of the conversation so far (earlier turns were compacted into it):';

/**
 * A summary of earlier turns as the user message that stands for them at the conversation's
 * start: lip's own compaction for a Responses client (`/responses/compact`), or a provider's
 * compaction (HostedToolPart.compaction) on a backend of another provider.
 *
 * ```ts
 * compactionSummaryMessage('The user wants add() fixed.')
 * // { role: 'user', parts: [{ type: 'text', text: 'Summary of the conversation so far (earlier turns were compacted into it):\n\nThe user wants add() fixed.' }] }
 * ```
 */
export function compactionSummaryMessage(summary: string): Message {
  return { role: 'user', parts: [{ type: 'text', text: `${COMPACTION_PREAMBLE}\n\n${summary}` }] };
}
