import type { ContinuityStore } from '../continuity/index.js';
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
    exclusive: (key, change) => continuity.exclusive(key, change),
    // The caller's uploaded files (OpenAI's Files API, held by lip), as requests name them by id.
    file: (id) => (FILES === undefined ? Promise.resolve(undefined) : new BatchFileStore(FILES, responses).inline(id)),
  };
  return responses;
}

/** The files lip holds (OpenAI's Files API). */
const FILES = Object.values(FRONTENDS).find((f) => f.batchRoutes?.files !== undefined)?.batchRoutes?.files;
