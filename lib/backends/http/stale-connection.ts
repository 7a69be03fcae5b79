import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

/** Sockets that have carried a request (undici's requests are sent one at a time on each). */
const used = new WeakSet<Socket>();
/** A request sent on a socket that had carried one before: that socket and how much of it had been read then. */
const sentOnReused = new WeakMap<object, { readonly socket: Socket; readonly readBefore: number }>();
/** The errors of such requests that the connection's close caused before any byte of their answer. */
const stale = new WeakSet<object>();

/** The errors of a connection that the peer closed or reset (undici's "other side closed", a reset, a broken pipe). */
const CLOSED = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

let watching = false;

/**
 * Starts watching undici's diagnostics channels (once per process) so that `isStaleConnection`
 * can tell a request that met a keep-alive connection the upstream had just closed:
 * `undici:client:sendHeaders` says which socket each request goes out on (and whether that socket
 * carried one before), `undici:request:error` how it ended. Nothing is kept per socket or request
 * beyond their lives (weak maps).
 */
export function watchConnectionReuse(): void {
  if (watching) return;
  watching = true;
  subscribe('undici:client:sendHeaders', onSendHeaders);
  subscribe('undici:request:error', onRequestError);
}

function onSendHeaders(message: unknown): void {
  const { request, socket } = message as { request: object; socket: Socket };
  if (used.has(socket)) sentOnReused.set(request, { socket, readBefore: socket.bytesRead });
  else used.add(socket);
}

function onRequestError(message: unknown): void {
  const { request, error } = message as { request: object; error: unknown };
  const sent = sentOnReused.get(request);
  if (sent === undefined) return;
  sentOnReused.delete(request);
  // Not a byte of the answer read (a TLS socket counts its clear text: a close_notify is no byte).
  if (sent.socket.bytesRead === sent.readBefore && closedConnection(error) && typeof error === 'object' && error !== null) stale.add(error);
}

function closedConnection(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 3 && current instanceof Error; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && CLOSED.has(code)) return true;
    current = (current as Error & { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Whether `err` ended a request that went out on a reused keep-alive connection which the
 * upstream closed or reset before sending any byte of the answer: the upstream closed the idle
 * connection as lip reused it (its keep-alive timeout, a restart), and most likely never saw the
 * request. Such a request may be sent once more, on a new connection. Always false before
 * `watchConnectionReuse()`.
 *
 * ```ts
 * watchConnectionReuse();
 * const response = await send().catch((err) => (isStaleConnection(err) ? sendOnNewConnection() : Promise.reject(err)));
 * ```
 * @see spec/backends/http/regression-stale-keepalive-connection.spec.ts
 */
export function isStaleConnection(err: unknown): boolean {
  return typeof err === 'object' && err !== null && stale.has(err);
}
