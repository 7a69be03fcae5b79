import type { ServerResponse } from 'node:http';
import type { LipError } from '../errors/index.js';
import type { Frontend } from '../frontends/protocol.js';

/** Writes a complete JSON response (no-op when the headers already went out). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Writes `err` as a complete response in the frontend's error envelope (its status and headers after `headers`). */
export function sendError(res: ServerResponse, frontend: Pick<Frontend, 'encodeError'>, err: LipError, headers: Readonly<Record<string, string>> = {}): void {
  const response = frontend.encodeError(err, answeredRequestId(res));
  sendJson(res, response.status, response.body, { ...headers, ...response.headers });
}

/**
 * The request id an answer names: its `x-request-id`, which the server sets on every response
 * when the request arrives (the id as the client sent it). Envelopes that carry the id take it
 * from here (Anthropic's `request_id`), so that body and headers always agree.
 */
export function answeredRequestId(res: ServerResponse): string | undefined {
  const id = res.getHeader('x-request-id');
  return typeof id === 'string' ? id : undefined;
}
