import { derivedId } from '../../wire/ids.js';

/** A response id lip made (`resp_` and 48 characters of [0-9A-Za-z]): the part its items' ids carry. */
const OWN_RESPONSE_ID = /^resp_([0-9A-Za-z]{48})$/;
/** An item id made by `storedItemId`: its prefix, the response's 48 characters, the list and the place. */
const OWN_ITEM_ID = /^[a-z]+_([0-9A-Za-z]{48})[oi][0-9a-z]{1,8}$/;

/**
 * The id of the item at `index` of a stored response's `output` or `input` list: the prefix of
 * its kind, the response id's own 48 characters, `o` or `i` and the place in base 36
 * (`msg_` + 48 + `o0`). The same on every encoding (streamed, answered, retrieved, listed), unique
 * per item, and it names the response it belongs to, which is how an `item_reference` finds it
 * (item-references.ts); OpenAI's item ids share a part with their response's id too. A response
 * id of another shape (none that lip makes) gives a digest of the three instead, which no
 * reference can resolve.
 */
export function storedItemId(prefix: string, responseId: string, list: 'output' | 'input', index: number): string {
  const own = OWN_RESPONSE_ID.exec(responseId);
  if (own === null) return derivedId(prefix, `${responseId}/${list}/${index}`);
  return `${prefix}${own[1]}${list === 'output' ? 'o' : 'i'}${index.toString(36)}`;
}

/** The response an id of `storedItemId` belongs to; undefined for any other id. */
export function itemOwner(id: string): string | undefined {
  const own = OWN_ITEM_ID.exec(id);
  return own === null ? undefined : `resp_${own[1]}`;
}
