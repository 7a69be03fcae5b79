import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiKeyConfig } from '../config/types.js';
import { LipError, toLipError } from '../errors/index.js';
import type { BatchRoutes, FileRoutes, FileUpload, Frontend } from '../frontends/protocol.js';
import { FORM_OVERHEAD, formParts, readBody, readJsonBody, type BodyWeigher } from '../wire/index.js';
import type { Batches, BatchCall } from './batches.js';
import { BatchFileStore } from './files.js';
import type { BatchAction, FileAction } from './route-table.js';
import { sendError, sendJson } from './send.js';
import { storedResponses } from './stored-responses.js';
import type { ContinuityStore } from '../continuity/index.js';

export interface BatchRequest extends Omit<BatchCall, 'origin'> {
  readonly action: BatchAction;
  readonly id: string;
  /** The create path's parameters (Gemini's model). */
  readonly params: Readonly<Record<string, string>>;
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
        const body = await readJsonBody(req, r.maxBodyBytes, r.weigher, 'server.max_batch_body_bytes');
        answer = await batches.create({ ...call, body, key: r.key, headers: req.headers, params: r.params });
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
    answerFailure(req, res, r.frontend, err, failed);
  }
}

/** A failure in the protocol's envelope; a response already under way is cut off. */
function answerFailure(req: IncomingMessage, res: ServerResponse, frontend: Frontend, err: unknown, failed: (code: string) => void): void {
  const lip = toLipError(err);
  failed(lip.code);
  req.resume();
  if (!res.headersSent) sendError(res, frontend, lip);
  else res.destroy();
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

export interface FileRequest {
  readonly action: FileAction;
  readonly id: string;
  readonly frontend: Frontend;
  readonly routes: BatchRoutes;
  readonly files: FileRoutes;
  readonly principal: string;
  readonly query: URLSearchParams;
  /** `server.max_batch_body_bytes` (an upload's file), and `continuity.ttl` (how long a file is kept at most). */
  readonly maxBytes: number;
  readonly retentionMs: number;
  readonly weigher?: BodyWeigher;
}

/**
 * A protocol's file endpoint (FileRoutes: OpenAI `/v1/files`), kept in the caller's stored
 * responses: an upload read as `multipart/form-data` within `server.max_batch_body_bytes` (plus
 * the form's own bytes), the answers as JSON, a file's content as sent (a batch's results'
 * files written from the batch's results), a failure in the protocol's envelope.
 * @see spec/e2e/openai-batches.spec.ts
 */
export async function handleFile(req: IncomingMessage, res: ServerResponse, r: FileRequest, continuity: ContinuityStore, batches: Batches, failed: (code: string) => void): Promise<void> {
  const responses = storedResponses(continuity, r.principal);
  const store = new BatchFileStore(r.files, responses);
  try {
    if (r.action !== 'upload') req.resume();
    let answer: unknown;
    switch (r.action) {
      case 'upload': {
        const raw = await readBody(req, r.maxBytes + FORM_OVERHEAD, r.weigher, 'server.max_batch_body_bytes, plus 64 KiB for the form');
        answer = await store.upload(formOf(req, raw), r.maxBytes, r.retentionMs);
        await continuity.persisted?.();
        break;
      }
      case 'list': answer = await store.list(r.query); break;
      case 'retrieve': answer = await store.retrieve(r.id); break;
      case 'delete':
        answer = await store.delete(r.id);
        await continuity.persisted?.();
        break;
      case 'content': {
        const content = await store.content(r.id);
        if ('text' in content || 'bytes' in content) {
          const body = 'text' in content ? Buffer.from(content.text) : content.bytes;
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.byteLength, 'cache-control': 'no-store' });
          res.end(body);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
        return await batches.writeFile(r.routes, responses, content.batch.id, content.batch.kind, res);
      }
    }
    sendJson(res, 200, answer, { 'cache-control': 'no-store' });
  } catch (err) {
    answerFailure(req, res, r.frontend, err, failed);
  }
}

/**
 * The fields and the file of a `multipart/form-data` body, the file's bytes a view of the body
 * read (formParts: not copied again); a 400 for another body.
 */
function formOf(req: IncomingMessage, raw: Buffer): FileUpload {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    throw new LipError('LIP_ERR_REQUEST_INVALID', `an upload is multipart/form-data with a part named file (got ${type === '' ? 'no content type' : type.split(';')[0]})`);
  }
  const fields: Record<string, string> = {};
  let file: FileUpload['file'];
  for (const part of formParts(raw, type)) {
    if (part.filename === undefined) fields[part.name] = part.body.toString('utf8');
    else if (part.name === 'file') file = { name: part.filename, bytes: part.body, type: part.type ?? '' };
  }
  return { fields, file };
}
