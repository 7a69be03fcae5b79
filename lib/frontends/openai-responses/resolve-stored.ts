import type { ResolveReferences } from '../protocol.js';
import { CONVERSATION, type ResolvedConversation } from './conversation-marks.js';
import { conversationItems, readConversation } from './conversation-record.js';
import { badField } from './decode-input.js';
import { resolveItemReferences } from './item-references.js';
import { bothResolved, resolveResponsesFiles } from '../file-references.js';

type Json = Record<string, unknown>;

/**
 * What a Responses body names instead of carrying, from the caller's stored responses, before
 * it is decoded: `item_reference` items (item-references.ts), and a `conversation` (`"conv_..."`
 * or `{id}`), whose items are put before the request's own `input` (conversation-record.ts), the
 * conversation named on the body under CONVERSATION and `conversation` itself taken off. A
 * conversation with `previous_response_id` is a 400; one the caller has no record of the 404
 * naming `conversation`. Bodies that name neither are not touched (no promise, no lookup).
 * @see spec/e2e/conversations.spec.ts
 */
export const resolveStoredItems: ResolveReferences = (body, responses) => {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const named = (body as Json).conversation;
  const references = resolveItemReferences(body, responses);
  if (named === undefined || named === null) return references;
  const id = typeof named === 'string' ? named : typeof named === 'object' && typeof (named as Json).id === 'string' ? (named as Json).id as string : undefined;
  if (id === undefined) throw badField('conversation', 'must be a conversation id, or an object with its id');
  return (async () => {
    const b = (references === undefined ? body : await references) as Json;
    if (b.previous_response_id !== undefined && b.previous_response_id !== null) throw badField('previous_response_id', 'cannot be used together with conversation');
    const conversation = await readConversation(responses, id, 'conversation');
    const history = await conversationItems(responses, conversation, 'conversation');
    const own = b.input === undefined ? [] : typeof b.input === 'string' ? [{ role: 'user', content: b.input }] : b.input;
    // Not a list: the decoder names what is wrong with it.
    if (!Array.isArray(own)) return b;
    const { conversation: _named, ...rest } = b;
    const resolved: ResolvedConversation = { id, head: conversation.head, items: history.length };
    return { ...rest, input: [...history, ...own], [CONVERSATION]: resolved };
  })();
};

/** What a Responses body names instead of carrying: stored items and conversations, then uploaded files (file-references.ts). */
export const resolveStoredInput: ResolveReferences = bothResolved(resolveStoredItems, resolveResponsesFiles);

