import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { LipError } from '../errors/index.js';
import { encodeFlatError } from '../frontends/error-envelope.js';

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

/**
 * Node's `'clientError'`: a request the HTTP parser refused never reaches a handler, so the
 * answer is written to the socket directly, as the flat JSON envelope with `Connection: close`,
 * and only while nothing was written on that connection yet (never inside another response);
 * `headers` are the ones every response carries (responseIdentity).
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex & { bytesWritten?: number }, headers: readonly (readonly [string, string])[] = []): void {
  if (err.code === 'ECONNRESET' || !socket.writable || (socket.bytesWritten ?? 0) > 0) {
    socket.destroy();
    return;
  }
  const lip = clientErrorOf(err);
  answerOnSocket(socket, lip.status, encodeFlatError(lip).body, headers);
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
