import { LipError } from '../../errors/index.js';
import type { StoredResponseView } from '../protocol.js';

/** The echoed field of a stored response that holds items added to a conversation (its id), not a turn (conversation-record.ts). */
export const ADDED_ITEMS = 'conversation_items';

/** The conversation a stored response of added items belongs to; undefined for any other. */
export function conversationItemsOf(stored: Pick<StoredResponseView, 'echo'>): string | undefined {
  const id = stored.echo?.[ADDED_ITEMS];
  return typeof id === 'string' ? id : undefined;
}

/**
 * The conversation a stored response's items belong to: a turn run in it (its echoed
 * `conversation`), or items added to it; undefined for any other.
 */
export function conversationOf(echo: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const added = echo?.[ADDED_ITEMS];
  if (typeof added === 'string') return added;
  const turn = (echo?.conversation as { id?: unknown } | undefined)?.id;
  return typeof turn === 'string' ? turn : undefined;
}

/** The 404 of a stored response that is no response (a conversation's record, or items added to one). */
export function storedResponseMissing(id: string): LipError {
  return new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', `Response with id '${id}' not found.`);
}

/** The same, named by `previous_response_id`: the 404 of an id never stored (`previous_response_not_found`). */
export function previousResponseMissing(id: string): LipError {
  return new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', `Previous response with id '${id}' not found.`, { param: 'previous_response_id' });
}

/**
 * On a body whose conversation is resolved: the conversation, its newest stored response, and
 * how many of the leading `input` items are the conversation's (the rest are the request's own).
 * A symbol: nothing a client sends can set it, and a recording (JSON) leaves it out, so a replay
 * decodes the conversation's items as input items.
 */
export const CONVERSATION = Symbol('lip.responses.conversation');

export interface ResolvedConversation {
  readonly id: string;
  readonly head: string | undefined;
  readonly items: number;
}

