import { LipError } from '../errors/index.js';
import type { StoredResponses, StoredResponseView } from '../frontends/protocol.js';

/** The caller's record `id`, or undefined when there is none (a store failure rejects). */
export async function loaded(responses: StoredResponses, id: string): Promise<StoredResponseView | undefined> {
  try {
    return await responses.load(id);
  } catch (err) {
    if (err instanceof LipError && err.code === 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND') return undefined;
    throw err;
  }
}

/** A delete of a record that may be gone already. */
export async function dropped(deleting: Promise<void>): Promise<void> {
  await deleting.catch((err: unknown) => {
    if (!(err instanceof LipError && err.code === 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND')) throw err;
  });
}

/**
 * The entries of a newest-first list from a cursor: after `afterId` (older ones), or the `limit`
 * entries just before `beforeId` (newer ones); all without a cursor, none for a cursor the list
 * does not hold. `newerLeft` says, for a `beforeId` page, whether entries newer than it remain
 * (a page before the cursor has more in that direction).
 */
export function fromCursor<T extends { readonly id: string }>(entries: readonly T[], cursor: { readonly afterId?: string; readonly beforeId?: string; readonly limit: number }): { readonly entries: readonly T[]; readonly newerLeft?: boolean } {
  if (cursor.afterId !== undefined) {
    const at = entries.findIndex((e) => e.id === cursor.afterId);
    return { entries: at === -1 ? [] : entries.slice(at + 1) };
  }
  if (cursor.beforeId !== undefined) {
    const at = entries.findIndex((e) => e.id === cursor.beforeId);
    return at === -1 ? { entries: [], newerLeft: false } : { entries: entries.slice(Math.max(0, at - cursor.limit), at), newerLeft: at > cursor.limit };
  }
  return { entries };
}
