import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LipError } from '../errors/index.js';
import type { Frontend } from '../frontends/protocol.js';
import { drainBody } from '../wire/index.js';

/** Writes a complete JSON response (no-op when the headers already went out). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * As sendJson, for an answer that closes its connection given before the request's body was read
 * (a refusal: a foreign page, no Host, a server shutting down): see endAfterBody.
 */
export function sendJsonAndClose(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' });
  endAfterBody(req, res, text);
}

/**
 * Writes `last` (the rest of an answer that closes its connection, its head written) at once, and
 * ends `res` once `req`'s body has arrived. Node destroys the socket the moment such a response
 * ends, and a client still sending its body was then reset (EPIPE, ECONNRESET) before it read the
 * answer. The body is read and dropped as a 413's is (drainBody: one far beyond the limit gets its
 * connection destroyed); a client that goes away ends the wait.
 */
export function endAfterBody(req: IncomingMessage, res: ServerResponse, last: string): void {
  res.write(last);
  const end = () => {
    if (!res.writableEnded && !res.destroyed) res.end();
  };
  // A client told not to send its body (withholdContinue) sends none to wait for.
  if (req.readableEnded || withheld.has(res)) return end();
  req.once('end', end);
  req.once('close', end);
  drainBody(req);
}

/** Responses to requests that asked `Expect: 100-continue` and were not told to go on. */
const withheld = new WeakSet<ServerResponse>();

/**
 * A request that asked `Expect: 100-continue` is not told to send its body (RFC 9110 section
 * 10.1.1): lip answers it without reading one. Its response closes the connection, on which
 * the body it did not send could not be told from a next request.
 */
export function withholdContinue(res: ServerResponse): void {
  withheld.add(res);
  res.shouldKeepAlive = false;
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
