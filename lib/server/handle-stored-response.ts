import type { ServerResponse } from 'node:http';
import { storedResponseNotFound, type ContinuityStore } from '../continuity/index.js';
import { LipError, toLipError } from '../errors/index.js';
import type { Frontend, StoredResponseRoutes } from '../frontends/protocol.js';
import type { StoredResponseAction } from './route-table.js';
import { sendError, sendJson } from './send.js';
import { liveStoredResponse, storedResponses } from './stored-responses.js';
import { BACKGROUND_RETENTION_MS, followElsewhere, followRun, type BackgroundRuns, type FollowOptions } from './background-runs.js';
import type { CancelRelay } from './cancel-relay.js';

/** Background responses (`background: true`) as a retrieval sees them: this instance's runs, and others' through the relay. */
export interface BackgroundView {
  readonly runs: BackgroundRuns;
  readonly relay: CancelRelay | undefined;
  /** How a resumed stream is written (its content type is the frontend's). */
  readonly follow: Omit<FollowOptions, 'contentType' | 'headers'>;
}

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
 * `LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND`; so is a tombstone, deleted but kept for what reads through
 * it), and the frontend writes the answer. A protocol may delete its own way
 * (`StoredResponseRoutes.deleteStored`: a Responses conversation's turn is kept as a tombstone); a deletion is
 * answered once the store has written it (`ContinuityStore.persisted`). Failures answer
 * in the protocol's envelope; answers are never cached (`cache-control: no-store`).
 *
 * With `background`, a background response is answered while it runs (not stored yet): its
 * object and input items from its run, here or through the relay on the instance running it,
 * and `?stream=true` follows its kept stream (after `starting_after`) wherever it is kept (a
 * `starting_after` before the frames its run still keeps is a 400 naming it); any other
 * response has no stream to follow (400 naming `stream`). A deleted one is the 404 there too:
 * its deletion forgets its kept stream here, or on the instance keeping it through the relay,
 * and a stream is followed after its run ended only while the store still has the response.
 * @see spec/e2e/stored-responses.spec.ts
 * @see spec/e2e/background-responses.spec.ts
 * @see spec/e2e/regression-background-endless-stream.spec.ts
 */
export async function handleStoredResponse(res: ServerResponse, request: StoredResponseRequest, continuity: ContinuityStore, failed: (code: string) => void, background?: BackgroundView): Promise<void> {
  const { id, principal, routes } = request;
  const load = () => liveStoredResponse(continuity, id, principal);
  try {
    // Only this protocol's responses: an Anthropic thread's stored message (`msg_`) is not one.
    if (!id.startsWith(routes.idPrefix)) throw storedResponseNotFound(id);
    let body: unknown;
    if (request.action === 'retrieve' && background !== undefined) {
      routes.retrieve(request.query); // its 400s first
      const after = routes.streamAfter?.(request.query);
      const run = background.runs.find(id, principal);
      if (after !== undefined) {
        const options = { ...background.follow, contentType: request.frontend.streamContentType, headers: { 'cache-control': 'no-store' } };
        // Its stream, kept here or by the instance running it (continuity shared through Redis).
        if (run?.frames !== undefined) {
          // Ended, its record is written: deleted since (on another instance), it is the 404.
          if (run.endedAt !== undefined) await load();
          if (!run.keeps(after)) throw new LipError('LIP_ERR_REQUEST_INVALID', `response '${id}' no longer keeps the events of its stream up to sequence number ${run.first - 1} (it keeps its newest only): resume after a later one, or retrieve it without stream`, { param: 'starting_after' });
          return await followRun(res, run, after, options);
        }
        if (background.relay !== undefined && await followElsewhere(res, background.relay, { principal, responseId: id, after }, options)) return;
        // Known (or the 404), but with no stream kept.
        await load();
        throw new LipError('LIP_ERR_REQUEST_INVALID', `response '${id}' has no stream to resume: only a background response created with stream: true is streamed again, until ${BACKGROUND_RETENTION_MS / 60_000} minutes after it ended, and only from the events it still keeps (its newest); retrieve it without stream`, { param: 'stream' });
      }
      if (run !== undefined && run.endedAt === undefined) return sendJson(res, 200, run.running(), { 'cache-control': 'no-store' });
    }
    if (request.action === 'input_items' && background !== undefined) {
      routes.inputItems(request.query); // its 400s first
      const run = background.runs.find(id, principal);
      if (run?.items !== undefined && run.endedAt === undefined) return sendJson(res, 200, run.items(request.query), { 'cache-control': 'no-store' });
    }
    if (request.action === 'delete') {
      const stored = await load();
      if (routes.deleteStored !== undefined) await routes.deleteStored(stored, storedResponses(continuity, principal));
      else await continuity.deleteResponse(id, principal);
      // Answered once the deletion is written: a crash right after it cannot bring the response back.
      await continuity.persisted?.();
      // A background response's stream goes with it, here or on the instance keeping it.
      if (background !== undefined && routes.backgroundObject?.(stored) !== undefined) await forgetRun(background, id, principal);
      body = routes.deleted(id);
    } else {
      const encode = request.action === 'retrieve' ? routes.retrieve(request.query) : routes.inputItems(request.query);
      try {
        body = encode(await load());
      } catch (err) {
        // A background response running on another instance is stored once it ends.
        const missing = err instanceof LipError && err.code === 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND';
        const running = background !== undefined && missing ? await runningElsewhere(background, id, principal, request.action === 'input_items' ? request.query : undefined) : undefined;
        if (running === undefined) throw err;
        body = running;
      }
    }
    sendJson(res, 200, body, { 'cache-control': 'no-store' });
  } catch (err) {
    const lip = toLipError(err);
    failed(lip.code);
    sendError(res, request.frontend, lip);
  }
}

/** `principal`'s background response `id` was deleted: its run is forgotten where it is kept, here or (relay) on another instance. */
async function forgetRun(background: BackgroundView, id: string, principal: string): Promise<void> {
  if (background.runs.drop(id, principal) || background.relay === undefined) return;
  await background.relay.ask({ principal, responseId: id, background: true, deleted: true, path: '' });
}

/**
 * The object of `principal`'s background response `id` while it runs on another instance (the
 * relay's peek), or with `items` a page of its input items; undefined when none runs it.
 */
async function runningElsewhere(background: BackgroundView, id: string, principal: string, items?: URLSearchParams): Promise<unknown> {
  if (background.relay === undefined) return undefined;
  const answers = await background.relay.ask({ principal, responseId: id, background: true, peek: true, path: '', ...(items !== undefined ? { items: items.toString() } : {}) });
  return answers.find((a) => a.found)?.body;
}
