import { LipError } from '../../errors/index.js';
import type { ResolveReferences, StoredResponses, StoredResponseView } from '../protocol.js';
import { deletedItems } from './conversation-record.js';
import { badField } from './decode-input.js';
import { encodeInputItems } from './encode-input-items.js';
import { itemOwner } from './item-ids.js';
import { storedResponseObject } from './stored-response.js';

type Json = Record<string, unknown>;

/**
 * Stored responses one request may reference: each is read and encoded again whole, so a short
 * reference can stand for a large response; the bound keeps that work proportionate to a request.
 */
export const MAX_REFERENCED_RESPONSES = 64;

/**
 * Responses `item_reference` (`{type: "item_reference", id}`, or `{id}` alone as OpenAI's SDK
 * types it): an item of one of the caller's stored responses, named by its id instead of sent
 * again. Each is replaced by the item it names, as `GET /v1/responses/{id}` shows it (an output
 * item) or `GET /v1/responses/{id}/input_items` lists it (an input item), and the body is then
 * decoded as if the client had sent that item: a reasoning item with the state it sealed, a
 * function call with its call id, a message with its content. Items lip named (item-ids.ts) say
 * which response holds them, so each referenced response is read once, under the caller's
 * principal. A reference to an item of no stored response of the caller (another principal's,
 * one stored with `store: false`, expired or deleted, an item deleted from the conversation its
 * response belongs to, or an id lip did not make) is the 404
 * `LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND` naming `input[i].id`, as OpenAI answers "Item with id
 * ... not found"; items of more than MAX_REFERENCED_RESPONSES responses in one request are a 400.
 * Bodies without references are not touched (no promise, no lookup).
 * @see spec/e2e/item-references.spec.ts
 */
export const resolveItemReferences: ResolveReferences = (body, responses) => {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const input = (body as Json).input;
  if (!Array.isArray(input) || !input.some(isReference)) return undefined;
  return (async () => {
    const items = new Map<string, Promise<ReadonlyMap<string, Json> | undefined>>();
    const resolved: unknown[] = [];
    for (let i = 0; i < input.length; i++) {
      const item: unknown = input[i];
      if (!isReference(item)) {
        resolved.push(item);
        continue;
      }
      const path = `input[${i}].id`;
      const id = item.id;
      if (typeof id !== 'string' || id.length === 0) throw badField(path, 'an item reference needs the id of an item of a stored response');
      const owner = itemOwner(id);
      let byId = owner === undefined ? undefined : items.get(owner);
      if (owner !== undefined && byId === undefined) {
        if (items.size === MAX_REFERENCED_RESPONSES) throw badField(path, `item references may name items of at most ${MAX_REFERENCED_RESPONSES} stored responses in one request`);
        items.set(owner, (byId = itemsOf(owner, responses)));
      }
      const found = (await byId)?.get(id);
      if (found === undefined) throw new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', `Item with id '${id.slice(0, 128)}' not found.`, { param: path });
      resolved.push(found);
    }
    return { ...(body as Json), input: resolved };
  })();
};

/** An input item that is a reference: its type says so, or it has an id and nothing of a message (no type, role or content). */
function isReference(item: unknown): item is Json {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return false;
  const { type, role, content } = item as Json;
  if (type === 'item_reference') return true;
  return (type === undefined || type === null) && role === undefined && content === undefined && 'id' in item;
}

/** The items of a stored response by id, its output's and its input's; undefined when the caller has no such response. */
async function itemsOf(responseId: string, responses: StoredResponses): Promise<ReadonlyMap<string, Json> | undefined> {
  let stored: StoredResponseView;
  try {
    stored = await responses.load(responseId);
  } catch (err) {
    if (err instanceof LipError && err.code === 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND') return undefined;
    throw err;
  }
  const byId = new Map<string, Json>();
  for (const item of encodeInputItems(stored.id, stored.input)) if (typeof item.id === 'string') byId.set(item.id, item);
  const output = storedResponseObject(stored, false).output;
  if (Array.isArray(output)) for (const item of output as Json[]) if (typeof item.id === 'string') byId.set(item.id, item);
  // An item deleted from the conversation its response belongs to is no longer there to name.
  for (const id of await deletedItems(responses, [stored.echo])) byId.delete(id);
  return byId;
}
