import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiKeyConfig } from '../config/types.js';
import { toLipError } from '../errors/index.js';
import { readJsonBody, type BodyWeigher } from '../wire/index.js';
import type { Batches, BatchCall } from './batches.js';
import type { BatchAction } from './route-table.js';
import { sendError, sendJson } from './send.js';

export interface BatchRequest extends Omit<BatchCall, 'origin'> {
  readonly action: BatchAction;
  readonly id: string;
  readonly query: URLSearchParams;
  readonly key: ApiKeyConfig | undefined;
  /** `server.max_batch_body_bytes`. */
  readonly maxBodyBytes: number;
  /** The decode admission's weigher for a create's body. */
  readonly weigher?: BodyWeigher;
}

/**
 * A protocol's batch endpoint (BatchRoutes), answered by `batches`: a create's body read within
 * `server.max_batch_body_bytes`, the answers as JSON (`cache-control: no-store`), the results as
 * the protocol's JSON lines, a failure in the protocol's envelope.
 * @see spec/e2e/message-batches.spec.ts
 */
export async function handleBatch(req: IncomingMessage, res: ServerResponse, r: BatchRequest, batches: Batches, failed: (code: string) => void): Promise<void> {
  const call: BatchCall = { frontend: r.frontend, routes: r.routes, principal: r.principal, origin: originOf(req) };
  try {
    if (r.action !== 'create') req.resume();
    let answer: unknown;
    switch (r.action) {
      case 'create': {
        const body = await readJsonBody(req, r.maxBodyBytes, r.weigher);
        answer = await batches.create({ ...call, body, key: r.key, headers: req.headers });
        break;
      }
      case 'list': answer = await batches.list(call, r.query); break;
      case 'retrieve': answer = await batches.retrieve(call, r.id); break;
      case 'cancel': answer = await batches.cancel(call, r.id); break;
      case 'delete': answer = await batches.delete(call, r.id); break;
      case 'results': return await batches.results(call, r.id, res);
    }
    sendJson(res, 200, answer, { 'cache-control': 'no-store' });
  } catch (err) {
    const lip = toLipError(err);
    failed(lip.code);
    req.resume();
    if (!res.headersSent) sendError(res, r.frontend, lip);
    else res.destroy();
  }
}

/**
 * Where the client reached this server (for a batch's `results_url`): the forwarding proxy's
 * `X-Forwarded-Proto` and `X-Forwarded-Host` when it sent them, else this connection's scheme
 * and the `Host` header. Only the client that asked sees it.
 */
export function originOf(req: IncomingMessage): string {
  const forwarded = (name: string) => {
    const value = req.headers[name];
    const first = (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim();
    return first === undefined || first === '' ? undefined : first;
  };
  const proto = forwarded('x-forwarded-proto') ?? ((req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http');
  const host = forwarded('x-forwarded-host') ?? req.headers.host ?? `${req.socket.localAddress ?? '127.0.0.1'}:${req.socket.localPort ?? ''}`;
  return `${proto === 'https' ? 'https' : 'http'}://${host}`;
}
