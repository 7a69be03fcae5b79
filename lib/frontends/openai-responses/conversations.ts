import type { Message } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import type { ContinuationConversation, ResourceRequest, ResourceRoute, StoredResponses } from '../protocol.js';
import {
  conversationItems, isConversationId, itemsOfStored, linkToConversation, newConversationId, readConversation, saveAddedItems, writeConversation, type ConversationState,
} from './conversation-record.js';
import { badField } from './decode-input.js';
import { decodeResponsesRequest } from './decode-request.js';
import { resolveItemReferences } from './item-references.js';
import { itemPage, pageOf } from '../item-pages.js';
import { checkMetadata } from '../metadata.js';

type Json = Record<string, unknown>;

/** Items one request may add (OpenAI's bound). */
const MAX_ADDED_ITEMS = 20;

const PATH = '/v1/conversations';

/**
 * OpenAI's Conversations API, as the official SDK calls it (`client.conversations`, the Agents
 * SDK's `OpenAIConversationsSession`), kept in the caller's stored responses
 * (conversation-record.ts): create (with up to 20 first items and metadata), retrieve, update
 * the metadata, delete; add items (up to 20 a request, `item_reference` allowed), list them
 * (`order`, `limit`, `after`, as `input_items` pages), retrieve and delete one. A turn runs in a
 * conversation with `conversation` on `POST /v1/responses` (resolve-stored.ts): its items come
 * first, and the turn's input and output items are added once it is stored
 * (`appendTurn`). Another principal's conversation, a deleted or expired one, is the 404 naming
 * `conversation_id`.
 * @see spec/e2e/conversations.spec.ts
 */
export const conversationRoutes: readonly ResourceRoute[] = [
  { method: 'POST', path: PATH, handle: create },
  { method: 'GET', path: `${PATH}/{conversation_id}`, handle: async (r) => conversationObject(await read(r)) },
  { method: 'POST', path: `${PATH}/{conversation_id}`, handle: update },
  { method: 'DELETE', path: `${PATH}/{conversation_id}`, handle: remove },
  { method: 'POST', path: `${PATH}/{conversation_id}/items`, handle: addItems },
  { method: 'GET', path: `${PATH}/{conversation_id}/items`, handle: listItems },
  { method: 'GET', path: `${PATH}/{conversation_id}/items/{item_id}`, handle: retrieveItem },
  { method: 'DELETE', path: `${PATH}/{conversation_id}/items/{item_id}`, handle: deleteItem },
];

/** A turn run in a conversation, once stored: its items follow the conversation's (GenerateRoute.appendToConversation). */
export function appendTurn(conversation: ContinuationConversation, responseId: string, responses: StoredResponses): Promise<void> {
  return linkToConversation(responses, conversation.id, conversation.head, responseId);
}

async function create({ body, responses }: ResourceRequest): Promise<Json> {
  const b = objectBody(body);
  const metadata = checkMetadata(b.metadata) ?? {};
  const id = newConversationId();
  const first = b.items === undefined || b.items === null ? undefined : await added(responses, id, undefined, b.items);
  const conversation: ConversationState = { id, createdAt: Math.floor(Date.now() / 1000), metadata, deleted: [], head: first?.head };
  writeConversation(responses, conversation);
  return conversationObject(conversation);
}

async function update(request: ResourceRequest): Promise<Json> {
  const b = objectBody(request.body);
  if (b.metadata === undefined) throw badField('metadata', 'is required');
  const metadata = checkMetadata(b.metadata) ?? {};
  return changeRecord(request, async () => {
    const conversation = { ...(await read(request)), metadata };
    writeConversation(request.responses, conversation);
    return conversationObject(conversation);
  });
}

function remove(request: ResourceRequest): Promise<Json> {
  return changeRecord(request, async () => {
    const conversation = await read(request);
    // The record goes; the stored responses of its items stay until they expire, as OpenAI keeps the items.
    await request.responses.delete(conversation.id);
    return { id: conversation.id, object: 'conversation.deleted', deleted: true };
  });
}

async function addItems(request: ResourceRequest): Promise<Json> {
  const b = objectBody(request.body);
  if (b.items === undefined) throw badField('items', 'is required');
  const conversation = await read(request);
  const kept = await added(request.responses, conversation.id, conversation.head, b.items);
  if (kept !== undefined) await linkToConversation(request.responses, conversation.id, conversation.head, kept.head);
  const items = kept?.items ?? [];
  return { object: 'list', data: items, first_id: items[0]?.id ?? null, last_id: items[items.length - 1]?.id ?? null, has_more: false };
}

async function listItems(request: ResourceRequest): Promise<Json> {
  const page = pageOf(request.query);
  const conversation = await read(request);
  return itemPage(await conversationItems(request.responses, conversation, 'conversation_id'), page, `item of conversation '${conversation.id}'`);
}

async function retrieveItem(request: ResourceRequest): Promise<Json> {
  const conversation = await read(request);
  const id = request.params.item_id!;
  const item = (await conversationItems(request.responses, conversation, 'conversation_id')).find((i) => i.id === id);
  if (item === undefined) throw itemNotFound(id);
  return item;
}

function deleteItem(request: ResourceRequest): Promise<Json> {
  return changeRecord(request, async () => {
    const conversation = await read(request);
    const id = request.params.item_id!;
    if (!(await conversationItems(request.responses, conversation, 'conversation_id')).some((i) => i.id === id)) throw itemNotFound(id);
    const kept = { ...conversation, deleted: [...conversation.deleted, id] };
    writeConversation(request.responses, kept);
    return conversationObject(kept);
  });
}

/** The conversation of the path, the caller's. */
function read(request: ResourceRequest): Promise<ConversationState> {
  return readConversation(request.responses, request.params.conversation_id!, 'conversation_id');
}

/**
 * A read, change and save of the conversation's record, while no other change of it runs (a
 * turn being added, items deleted, its metadata: each saves the whole record, and one that read
 * it before another saved would undo that one).
 */
function changeRecord(request: ResourceRequest, change: () => Promise<Json>): Promise<Json> {
  const id = request.params.conversation_id!;
  // An id that names no conversation is the 404 of `read`, without a lock named after it.
  return isConversationId(id) ? request.responses.exclusive(id, change) : change();
}

function conversationObject(c: ConversationState): Json {
  return { id: c.id, object: 'conversation', created_at: c.createdAt, metadata: c.metadata };
}

function itemNotFound(id: string): LipError {
  return new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', `Item with id '${id.slice(0, 128)}' not found.`, { param: 'item_id' });
}

/**
 * Items added to a conversation after `head`: checked and decoded as Responses input items (their
 * errors name `items[i]`, references resolved first), kept as a stored response of their own;
 * answers its id and the items as the conversation lists them (none kept for none given).
 */
async function added(responses: StoredResponses, conversationId: string, head: string | undefined, raw: unknown): Promise<{ head: string; items: Json[] } | undefined> {
  if (!Array.isArray(raw)) throw badField('items', 'must be an array of items');
  if (raw.length > MAX_ADDED_ITEMS) throw badField('items', `at most ${MAX_ADDED_ITEMS} items can be added in one request`);
  if (raw.length === 0) return undefined;
  let input: readonly Message[];
  try {
    const resolving = resolveItemReferences({ input: raw }, responses);
    const body = (resolving === undefined ? { input: raw } : await resolving) as Json;
    const decoded = decodeResponsesRequest({ model: 'conversation', input: body.input });
    input = decoded.continuation?.input ?? decoded.call.messages;
  } catch (err) {
    throw asItems(err);
  }
  const id = saveAddedItems(responses, conversationId, head, input);
  return { head: id, items: itemsOfStored(await responses.load(id)) };
}

/** A decoder's error about `input` as the client's `items`. */
function asItems(err: unknown): unknown {
  if (!(err instanceof LipError) || err.param === undefined || !err.param.startsWith('input')) return err;
  const param = `items${err.param.slice('input'.length)}`;
  const message = err.message.startsWith('input') ? `items${err.message.slice('input'.length)}` : err.message;
  return new LipError(err.code, message, { status: err.status, retryable: err.retryable, param, ...(err.detail ? { detail: err.detail } : {}) });
}

function objectBody(body: unknown): Json {
  if (body === undefined) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badField('body', 'must be a JSON object');
  return body as Json;
}
