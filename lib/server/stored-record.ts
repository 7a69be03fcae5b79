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
