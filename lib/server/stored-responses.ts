import { DELETED_RESPONSE, isDeletedResponse, storedResponseNotFound, type ContinuityStore, type StoredResponse } from '../continuity/index.js';
import type { StoredResponses } from '../frontends/protocol.js';
import { FRONTENDS } from '../frontends/registry.js';
import { BatchFileStore } from './files.js';

/** The caller's stored responses, as a protocol reads and keeps them (its item references, its conversations). */
export function storedResponses(continuity: ContinuityStore, principal: string): StoredResponses {
  const responses: StoredResponses = {
    principal,
    load: (id) => continuity.loadResponse(id, principal),
    chain: (id) => continuity.loadChain(id, principal),
    save: (draft) => continuity.saveResponse({ ...draft, principal }),
    delete: (id) => continuity.deleteResponse(id, principal),
    tombstone: async (id) => {
      const stored = await liveStoredResponse(continuity, id, principal);
      // Whole (the store keeps more than a protocol sees, such as the reasoning dialect), but marked.
      continuity.saveResponse({ ...stored, echo: { ...stored.echo, [DELETED_RESPONSE]: true } });
    },
    exclusive: (key, change) => continuity.exclusive(key, change),
    // The caller's uploaded files (OpenAI's and Anthropic's Files APIs, held by lip), as requests name them by id.
    file: (id) => {
      const routes = FILES.find((f) => id.startsWith(f.idPrefix));
      return routes === undefined ? Promise.resolve(undefined) : new BatchFileStore(routes, responses).inline(id);
    },
  };
  return responses;
}

/**
 * `principal`'s stored response `id`; a tombstone (deleted, kept for what reads through it) is
 * none: the 404 LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND, as for an id never stored.
 */
export async function liveStoredResponse(continuity: ContinuityStore, id: string, principal: string): Promise<StoredResponse> {
  const stored = await continuity.loadResponse(id, principal);
  if (isDeletedResponse(stored)) throw storedResponseNotFound(id);
  return stored;
}

/** The files lip holds (OpenAI's and Anthropic's Files APIs), told apart by their id prefixes. */
const FILES = Object.values(FRONTENDS).flatMap((f) => (f.batchRoutes?.files !== undefined ? [f.batchRoutes.files] : []));
