import type { ContinuityStore } from '../continuity/index.js';
import type { StoredResponses } from '../frontends/protocol.js';

/** The caller's stored responses, as a protocol reads and keeps them (its item references, its conversations). */
export function storedResponses(continuity: ContinuityStore, principal: string): StoredResponses {
  return {
    principal,
    load: (id) => continuity.loadResponse(id, principal),
    chain: (id) => continuity.loadChain(id, principal),
    save: (draft) => continuity.saveResponse({ ...draft, principal }),
    delete: (id) => continuity.deleteResponse(id, principal),
    exclusive: (key, change) => continuity.exclusive(key, change),
  };
}
