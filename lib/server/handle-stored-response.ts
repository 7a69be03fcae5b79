import type { ServerResponse } from 'node:http';
import { storedResponseNotFound, type ContinuityStore } from '../continuity/index.js';
import { toLipError } from '../errors/index.js';
import type { Frontend, StoredResponseRoutes } from '../frontends/protocol.js';
import type { StoredResponseAction } from './route-table.js';
import { sendError, sendJson } from './send.js';

export interface StoredResponseRequest {
  readonly action: StoredResponseAction;
  /** The response id of the path. */
  readonly id: string;
  /** The caller's principal: only its own responses exist for it. */
  readonly principal: string;
  readonly query: URLSearchParams;
  readonly frontend: Frontend;
  readonly routes: StoredResponseRoutes;
}

/**
 * A stored response by id (`GET` / `DELETE /v1/responses/{id}`, `GET
 * /v1/responses/{id}/input_items`): the frontend checks the query (a 400 before any lookup),
 * the continuity store reads or deletes under the caller's principal (an id never stored, stored
 * with `store: false`, expired, deleted, another principal's or another protocol's is the same 404,
 * `LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND`), and the frontend writes the answer. Failures answer
 * in the protocol's envelope; answers are never cached (`cache-control: no-store`).
 * @see spec/e2e/stored-responses.spec.ts
 */
export async function handleStoredResponse(res: ServerResponse, request: StoredResponseRequest, continuity: ContinuityStore, failed: (code: string) => void): Promise<void> {
  const { id, principal, routes } = request;
  try {
    // Only this protocol's responses: an Anthropic thread's stored message (`msg_`) is not one.
    if (!id.startsWith(routes.idPrefix)) throw storedResponseNotFound(id);
    let body: unknown;
    if (request.action === 'delete') {
      await continuity.deleteResponse(id, principal);
      body = routes.deleted(id);
    } else {
      const encode = request.action === 'retrieve' ? routes.retrieve(request.query) : routes.inputItems(request.query);
      body = encode(await continuity.loadResponse(id, principal));
    }
    sendJson(res, 200, body, { 'cache-control': 'no-store' });
  } catch (err) {
    const lip = toLipError(err);
    failed(lip.code);
    sendError(res, request.frontend, lip);
  }
}
