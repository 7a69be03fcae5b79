import { collectEvents, type Message } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { randomId } from '../../wire/ids.js';
import type { StoredResponses, StoredResponseView } from '../protocol.js';
import { ADDED_ITEMS, conversationItemsOf, conversationOf } from './conversation-marks.js';
import { encodeInputItems } from './encode-input-items.js';
import { storedResponseObject } from './stored-response.js';

type Json = Record<string, unknown>;

/** A conversation id lip made: `conv_` and 48 characters of [0-9A-Za-z]. */
const OWN_CONVERSATION_ID = /^conv_[0-9A-Za-z]{48}$/;
/** The echoed field of a conversation's record. */
const RECORD = 'conversation_record';
/** The output of a record, and of items added to a conversation: nothing was generated. */
const NOTHING = collectEvents([]);

/**
 * A Responses conversation (`/v1/conversations`) as lip keeps it: no store of its own, but
 * stored responses. The record is a stored response under the conversation's id (`conv_...`)
 * with no input or output, whose echoed fields hold the conversation's creation time, metadata
 * and deleted item ids, and which continues (`previousResponseId`) the newest stored response
 * of the conversation: its `head`. The conversation's items are the input items and output items
 * of that response's chain, oldest first; each turn run in the conversation is a stored response
 * continuing the head, and items added directly are a stored response of their own (input only,
 * hidden from `/v1/responses/{id}`). So every continuity store keeps conversations as it keeps
 * responses, shared through Redis, retained for `continuity.ttl` after their last change (the
 * record is saved again with each one, and keeps its chain alive as any continuation does), and
 * their item ids name the response that holds them (item-ids.ts).
 */
export interface ConversationState {
  readonly id: string;
  /** Unix seconds. */
  readonly createdAt: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly deleted: readonly string[];
  readonly head: string | undefined;
}

/** The 404 of a conversation the caller has no record of. */
export function conversationNotFound(id: string, param: string): LipError {
  return new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', `Conversation with id '${id.slice(0, 128)}' not found.`, { param });
}

/** Whether `id` can name a conversation (one lip made); no other id is ever looked up. */
export function isConversationId(id: string): boolean {
  return OWN_CONVERSATION_ID.test(id);
}

/** A new conversation id. */
export function newConversationId(): string {
  return randomId('conv_', 48);
}

/** The caller's conversation `id`; the 404 naming `param` when it has none. */
export async function readConversation(responses: StoredResponses, id: string, param: string): Promise<ConversationState> {
  if (!isConversationId(id)) throw conversationNotFound(id, param);
  let row: StoredResponseView;
  try {
    row = await responses.load(id);
  } catch (err) {
    if (err instanceof LipError && err.code === 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND') throw conversationNotFound(id, param);
    throw err;
  }
  const record = row.echo?.[RECORD] as { created_at?: unknown; metadata?: unknown; deleted?: unknown } | undefined;
  if (record === undefined || typeof record !== 'object') throw conversationNotFound(id, param);
  return {
    id,
    createdAt: typeof record.created_at === 'number' ? record.created_at : Math.floor(row.createdAt / 1000),
    metadata: (record.metadata ?? {}) as Record<string, string>,
    deleted: Array.isArray(record.deleted) ? record.deleted as string[] : [],
    head: row.previousResponseId,
  };
}

/** Keeps the record (again): its retention counts from now. */
export function writeConversation(responses: StoredResponses, c: ConversationState): void {
  responses.save({
    id: c.id, ...(c.head !== undefined ? { previousResponseId: c.head } : {}), input: [], output: NOTHING,
    echo: { [RECORD]: { created_at: c.createdAt, metadata: c.metadata, deleted: c.deleted } },
  });
}

/** Keeps items added to conversation `conversationId` after `head`, as a stored response of their own; answers its id. */
export function saveAddedItems(responses: StoredResponses, conversationId: string, head: string | undefined, input: readonly Message[]): string {
  const id = randomId('resp_', 48);
  responses.save({ id, ...(head !== undefined ? { previousResponseId: head } : {}), input, output: NOTHING, echo: { [ADDED_ITEMS]: conversationId } });
  return id;
}

/** A stored response's items as a conversation lists them: its input items, then (a turn's) output items. */
export function itemsOfStored(stored: StoredResponseView): Json[] {
  const items: Json[] = encodeInputItems(stored.id, stored.input);
  if (conversationItemsOf(stored) === undefined) items.push(...(storedResponseObject(stored, false).output as Json[]));
  return items;
}

/**
 * The items of a conversation, oldest first, its deleted ones left out. A conversation whose
 * earlier responses are no longer stored (the memory store's budget dropped them) cannot be
 * listed or continued: a 404 naming `param` that says so.
 */
export async function conversationItems(responses: StoredResponses, c: ConversationState, param: string): Promise<Json[]> {
  if (c.head === undefined) return [];
  let chain: readonly StoredResponseView[];
  try {
    chain = await responses.chain(c.head);
  } catch (err) {
    if (!(err instanceof LipError) || err.code !== 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND') throw err;
    throw new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', `Conversation with id '${c.id}' can no longer be read: its earlier items are no longer stored.`, { param });
  }
  const deleted = new Set(c.deleted);
  const items: Json[] = [];
  for (const stored of chain) for (const item of itemsOfStored(stored)) if (!deleted.has(String(item.id))) items.push(item);
  return items;
}

/**
 * Makes the stored response `responseId` (a turn, or added items, saved continuing `head`) the
 * conversation's newest. When another one became the newest meanwhile (a turn that finished
 * first), this one is saved again continuing it: items follow in the order they were stored. A
 * conversation deleted meanwhile is left alone (the response stays stored on its own). Runs while
 * no other change of the record does (`exclusive`, across instances with a shared store), so two
 * turns that finish together on different instances are both kept.
 */
export function linkToConversation(responses: StoredResponses, conversationId: string, head: string | undefined, responseId: string): Promise<void> {
  return responses.exclusive(conversationId, async () => {
    let c: ConversationState;
    try {
      c = await readConversation(responses, conversationId, 'conversation');
    } catch (err) {
      if (err instanceof LipError && err.code === 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND') return;
      throw err;
    }
    if (c.head !== head && c.head !== undefined && c.head !== responseId) {
      const own = await responses.load(responseId);
      responses.save({
        id: own.id, previousResponseId: c.head, input: own.input, output: own.output, createdAt: own.createdAt,
        ...(own.model !== undefined ? { model: own.model } : {}), ...(own.echo !== undefined ? { echo: own.echo } : {}),
        ...(own.aLegId !== undefined ? { aLegId: own.aLegId } : {}), ...(own.sessionId !== undefined ? { sessionId: own.sessionId } : {}),
      });
    }
    writeConversation(responses, { ...c, head: responseId });
  });
}

/**
 * Deletes the turn `id` of conversation `conversationId` as a response while its items stay the
 * conversation's (OpenAI keeps a conversation's items apart from its responses): it is kept as a
 * tombstone (`StoredResponses.tombstone`), which the conversation's items are still read
 * through, and which is a 404 to retrieve, list the input items of, delete again or continue
 * from. A turn of a conversation deleted since is deleted outright. Runs as the record's other
 * changes do (`exclusive`), so a turn saved again by `linkToConversation` keeps its mark.
 */
export function deleteConversationTurn(responses: StoredResponses, conversationId: string, id: string): Promise<void> {
  return responses.exclusive(conversationId, async () => {
    try {
      await readConversation(responses, conversationId, 'conversation');
    } catch (err) {
      if (err instanceof LipError && err.code === 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND') return responses.delete(id);
      throw err;
    }
    await responses.tombstone(id);
  });
}

/**
 * The ids of the items deleted from the conversations that stored responses with these echoed
 * fields belong to (conversationOf), read from their records now: an item deleted from a
 * conversation stays deleted wherever its stored response is read again (a chain continued by
 * `previous_response_id`, an `item_reference`), whenever it was deleted. A conversation deleted
 * since has none. Empty, with no read, when none of them belongs to a conversation.
 */
export async function deletedItems(responses: StoredResponses, echoes: Iterable<Readonly<Record<string, unknown>> | undefined>): Promise<ReadonlySet<string>> {
  const conversations = new Set<string>();
  for (const echo of echoes) {
    const id = conversationOf(echo);
    if (id !== undefined) conversations.add(id);
  }
  const deleted = new Set<string>();
  for (const id of conversations) {
    try {
      for (const item of (await readConversation(responses, id, 'conversation')).deleted) deleted.add(item);
    } catch (err) {
      if (!(err instanceof LipError) || err.code !== 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND') throw err;
    }
  }
  return deleted;
}
