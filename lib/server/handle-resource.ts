import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiKeyConfig } from '../config/index.js';
import type { ContinuityStore } from '../continuity/index.js';
import { toLipError } from '../errors/index.js';
import { ResourceAnswer, type Frontend, type ResourceRoute } from '../frontends/protocol.js';
import { parseJson, readBody, type BodyWeigher } from '../wire/index.js';
import { originOf } from './handle-batch.js';
import { sendError, sendJson } from './send.js';
import { storedResponses } from './stored-responses.js';
import { urlGrants } from './url-grants.js';

export interface ResourceCall {
  readonly frontend: Frontend;
  readonly route: ResourceRoute;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The caller's principal: its stored responses are the only ones the resource reads and keeps. */
  readonly principal: string;
  /** The caller's API key (none without keys): what the URL grants the route gives out stand for. */
  readonly key?: ApiKeyConfig;
  /** `server.max_request_body_bytes`. */
  readonly maxBodyBytes: number;
  /** `continuity.ttl`. */
  readonly retentionMs: number;
  /** `server.max_batch_body_bytes`: an upload's limit. */
  readonly maxFileBytes: number;
  /** The decode admission's ticket of a body read (an upload, a POST, a PATCH): its bytes weigh as a generation body's. */
  readonly weigher?: BodyWeigher;
}

/** Whether a resource route reads its request's body: an upload's bytes, a POST's or a PATCH's JSON (any other body is discarded). */
export function readsBody(route: ResourceRoute): boolean {
  return route.upload === true || route.method === 'POST' || route.method === 'PATCH';
}

/**
 * A protocol's own resource (`ResourceRoute`: Responses conversations, Gemini cached contents): the body of a POST or PATCH read
 * within the body limit and parsed (an empty one is none), the route's answer sent as JSON
 * (`cache-control: no-store`), a change's (POST, PATCH, DELETE) once a store that writes behind (Redis, SQLite) has written what it kept,
 * a failure in the protocol's envelope.
 * @see spec/e2e/conversations.spec.ts
 */
export async function handleResource(req: IncomingMessage, res: ServerResponse, call: ResourceCall, continuity: ContinuityStore, failed: (code: string) => void): Promise<void> {
  try {
    let body: unknown;
    let bytes: Buffer | undefined;
    if (!readsBody(call.route)) {
      req.resume();
    } else if (call.route.upload === true) {
      bytes = await readBody(req, call.maxFileBytes, call.weigher, 'server.max_batch_body_bytes');
    } else {
      const raw = await readBody(req, call.maxBodyBytes, call.weigher);
      if (raw.length > 0) body = parseJson(raw);
    }
    const answer = await call.route.handle({
      params: call.params, query: call.query, body, ...(bytes !== undefined ? { bytes } : {}), headers: req.headers, origin: originOf(req),
      responses: storedResponses(continuity, call.principal), retentionMs: call.retentionMs, maxFileBytes: call.maxFileBytes,
      // Without keys every request is the local user's: a URL needs no grant to be theirs.
      ...(call.route.grantedBy !== undefined && call.key !== undefined ? { grants: urlGrants(continuity, call.route, { principal: call.principal, key: call.key }) } : {}),
    });
    // What a POST, PATCH or DELETE kept is written before the answer (read on any instance, kept through a crash); a read waits for nothing.
    if (call.route.method !== 'GET') await continuity.persisted?.();
    if (!(answer instanceof ResourceAnswer)) sendJson(res, 200, answer, { 'cache-control': 'no-store' });
    else if (answer.body !== undefined) sendJson(res, 200, answer.body, { 'cache-control': 'no-store', ...answer.headers });
    else if (!res.headersSent) res.writeHead(200, { 'cache-control': 'no-store', ...answer.headers, 'content-length': 0 }).end();
  } catch (err) {
    const lip = toLipError(err);
    failed(lip.code);
    req.resume();
    if (!res.headersSent) sendError(res, call.frontend, lip);
  }
}
