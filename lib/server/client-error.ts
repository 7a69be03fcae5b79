import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { LipError } from '../errors/index.js';
import { encodeFlatError } from '../frontends/error-envelope.js';
import type { ErrorResponse } from '../frontends/protocol.js';
import { sendJson } from './send.js';

/** What Node's HTTP parser (or its request timeout) refused, as lip's error. */
export function clientErrorOf(err: NodeJS.ErrnoException): LipError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new LipError('LIP_ERR_REQUEST_LIMIT_EXCEEDED', 'the request line and headers exceed the server\'s limit (16 KiB)', { status: 431 });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      // Node reports both timeouts alike: the message names both settings.
      return new LipError('LIP_ERR_REQUEST_TIMEOUT', 'the request did not arrive in time: its line and headers must arrive within server.read_header_timeout, all of it (headers and body) within server.read_timeout');
    case 'HPE_INVALID_METHOD':
      return new LipError('LIP_ERR_REQUEST_INVALID', 'the HTTP method is not one this server knows');
    case 'HPE_INVALID_HEADER_TOKEN':
      return new LipError('LIP_ERR_REQUEST_INVALID', 'a request header name or value holds a character HTTP does not allow (a control character, CR or LF)');
    default:
      return new LipError('LIP_ERR_REQUEST_INVALID', `the HTTP request is malformed (${err.code ?? 'parse error'})`);
  }
}

/** The refusals answered in a request's own response (its body or its read_timeout), for its access line. */
const refusals = new WeakMap<ServerResponse, LipError>();

/** The refusal `answerClientError` answered in `res`, if it did. */
export function refusalOf(res: ServerResponse): LipError | undefined {
  return refusals.get(res);
}

/**
 * Node's `'clientError'`: a request the HTTP parser refused never reaches a handler, so the
 * answer is the flat JSON envelope with `Connection: close`, written on the socket directly
 * when no response is in progress on it (a fresh connection, or a kept-alive one between
 * requests). A request refused part-way through its own body, or cut off by read_timeout, has
 * a response that has not begun: the answer goes out in it (the access line shows the status).
 * A response that has begun is never interrupted: the connection is destroyed, as Node does.
 * One that has not begun while a later pipelined request was refused closes the connection
 * after it; the client sends that request again on a new one. `headers` are the ones every
 * response carries (responseIdentity). `encode` words the answer in a request's response: the
 * envelope of the protocol its path belongs to (flat when none owns it). A client that closed
 * its side of the connection before its request was whole (the parser meets the end of the
 * input in a message, HPE_INVALID_EOF_STATE) has left, as one that reset it: nothing is
 * answered, the connection is destroyed (the access line says 499, aborted).
 */
export function answerClientError(
  err: NodeJS.ErrnoException,
  socket: Duplex & { _httpMessage?: ServerResponse | null },
  headers: readonly (readonly [string, string])[] = [],
  encode: (err: LipError, res: ServerResponse) => ErrorResponse = encodeFlatError,
): void {
  const inProgress = socket._httpMessage ?? undefined;
  if (err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE' || !socket.writable || inProgress?.headersSent === true) {
    socket.destroy();
    return;
  }
  const lip = clientErrorOf(err);
  if (inProgress === undefined) return answerOnSocket(socket, lip.status, encodeFlatError(lip).body, headers);
  inProgress.shouldKeepAlive = false;
  if (inProgress.req.complete) return;
  refusals.set(inProgress, lip);
  const response = encode(lip, inProgress);
  sendJson(inProgress, response.status, response.body, response.headers);
  // Node forgets a request once its response has finished: its body's reader (still waiting)
  // learns it was cut off only when the request is destroyed, after the answer has gone out.
  const req = inProgress.req;
  socket.once('close', () => req.destroy());
}

/**
 * A whole HTTP answer written on a socket no ServerResponse owns (a refused request, a refused
 * WebSocket upgrade): the JSON `body` with `headers` and `Connection: close`; the socket ends after it.
 */
export function answerOnSocket(socket: Duplex, status: number, body: unknown, headers: readonly (readonly [string, string])[] = []): void {
  const text = JSON.stringify(body);
  let head = '';
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${head}content-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
}
