import type { IncomingHttpHeaders } from 'node:http';
import type { ServerConfig } from '../config/index.js';
import type { Frontend } from '../frontends/protocol.js';
import { FORM_OVERHEAD } from '../wire/index.js';
import { readsBody } from './handle-resource.js';
import type { RouteMatch } from './route-table.js';

/**
 * The body a route's handler reads: the most bytes it takes (the limit its `readBody` is given)
 * and the protocol that answers; undefined for a route that reads none (what a client sends
 * there is dropped).
 */
export function bodyReadBy(match: RouteMatch, server: ServerConfig): { readonly limit: number; readonly frontend: Frontend } | undefined {
  switch (match.kind) {
    case 'generate': case 'count_tokens': case 'embeddings':
      return { limit: server.max_request_body_bytes, frontend: match.frontend };
    case 'resource':
      if (!readsBody(match.route)) return undefined;
      return { limit: match.route.upload === true ? server.max_batch_body_bytes : server.max_request_body_bytes, frontend: match.frontend };
    case 'batch':
      return match.action === 'create' ? { limit: server.max_batch_body_bytes, frontend: match.frontend } : undefined;
    case 'file':
      return match.action === 'upload' ? { limit: server.max_batch_body_bytes + FORM_OVERHEAD, frontend: match.frontend } : undefined;
    default:
      return undefined;
  }
}

/**
 * Whether a body is refused by its declared length alone, as `readBody` refuses it (413 before a
 * byte is read): a `Content-Length` over `limit`, not compressed (a compressed body's limit
 * counts its decompressed bytes).
 */
export function declaredOver(headers: IncomingHttpHeaders, limit: number): boolean {
  const encoding = (headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const declared = Number(headers['content-length']);
  return (encoding === 'identity' || encoding === '') && Number.isFinite(declared) && declared > limit;
}
