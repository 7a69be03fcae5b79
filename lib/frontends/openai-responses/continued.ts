import type { Message, ToolDefinition } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import type { ContinuedConversation, StoredResponses } from '../protocol.js';
import { conversationItemsOf, previousResponseMissing } from './conversation-marks.js';
import { deletedItems, itemsOfStored } from './conversation-record.js';
import { conversationMessages } from './decode-request.js';
import { itemOwner } from './item-ids.js';

type Json = Record<string, unknown>;

/**
 * A stored conversation continued by `previous_response_id` (Frontend.continued):
 *
 * * the stored response that holds items added to a conversation (conversation-record.ts) is
 *   no response, hidden from `GET /v1/responses/{id}`: naming it is the 404 of an id never
 *   stored (`previous_response_not_found`), and nothing is sent upstream.
 * * a background response that ended cancelled or failed (its echoed `ended`) is not continued:
 *   its output was cut off, and would reach the model as a complete assistant turn. A 400 naming
 *   `previous_response_id`; a completed or incomplete one is continued as any.
 * * items deleted from a [conversation](conversation-record.ts) stay deleted when the chain of
 *   one of its turns is continued by id (the turn continues the conversation's items, its chain
 *   the conversation's as stored): the chain is read again as the conversation lists its items,
 *   without the deleted ones, and decoded as its turns (the request's tools decide how a call
 *   item reads, as for a turn run in the conversation). Deletions after the turn apply too: the
 *   conversation's record is read now. A chain with no turn of a conversation is not touched
 *   (no read); one with nothing deleted from its responses keeps its stored messages.
 * @see spec/e2e/conversation-item-deleted.spec.ts
 * @see spec/e2e/regression-continue-added-items.spec.ts
 */
export async function continuedResponse(conversation: ContinuedConversation, responses: StoredResponses, tools: readonly ToolDefinition[]): Promise<readonly Message[] | undefined> {
  if (conversationItemsOf({ echo: conversation.echoes.at(-1) }) !== undefined) throw previousResponseMissing(conversation.responseId);
  const ended = conversation.echoes.at(-1)?.ended as { status?: unknown } | undefined;
  if (ended !== undefined) {
    const status = typeof ended.status === 'string' ? ended.status : 'failed';
    throw new LipError('LIP_ERR_REQUEST_INVALID', `Response with id '${conversation.responseId}' ended with status ${status} and cannot be continued: continue from an earlier response, or send the turns again.`, { param: 'previous_response_id' });
  }
  const deleted = await deletedItems(responses, conversation.echoes);
  if (deleted.size === 0) return undefined;
  const chain = await responses.chain(conversation.responseId);
  const owners = new Set(chain.map((stored) => stored.id));
  if (![...deleted].some((id) => owners.has(itemOwner(id) ?? ''))) return undefined;
  const items: Json[] = [];
  for (const stored of chain) for (const item of itemsOfStored(stored)) if (!deleted.has(String(item.id))) items.push(item);
  return conversationMessages(items, tools);
}
