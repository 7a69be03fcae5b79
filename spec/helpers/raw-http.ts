import { connect, type Socket } from 'node:net';
import { request } from 'node:http';

/** An HTTP/1.1 answer read off a raw socket. */
export interface RawAnswer {
  readonly status: number;
  /** Lower-case names; a repeated header keeps its last value. */
  readonly headers: Record<string, string>;
  /** The header names in the order received (to spot injected ones). */
  readonly headerNames: string[];
  readonly body: string;
}

function originOf(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

/** Parses the bytes of one `Connection: close` answer (identity or chunked body). */
export function parseAnswer(bytes: Buffer): RawAnswer {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete answer head in ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}`);
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
  const headers: Record<string, string> = {};
  const headerNames: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    headerNames.push(name);
    headers[name] = line.slice(colon + 1).trim();
  }
  let body = bytes.subarray(end + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const eol = body.indexOf('\r\n', at);
      if (eol < 0) break;
      const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
      if (!(size > 0)) break;
      parts.push(body.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  }
  return { status, headers, headerNames, body: body.toString('utf8') };
}

/**
 * Sends `head` (the request line and headers, CRLF-separated, without the blank line; bytes
 * are sent as given, so header values may hold UTF-8 or control characters) and `body` on a
 * fresh socket with `Connection: close`, and reads the whole answer.
 */
export function rawExchange(url: string, head: string | Buffer, body: string | Buffer = '', timeoutMs = 20_000): Promise<RawAnswer> {
  const { host, port } = originOf(url);
  const headBytes = typeof head === 'string' ? Buffer.from(head, 'utf8') : head;
  const bodyBytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no complete answer within ${timeoutMs} ms`)); }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) => { clearTimeout(timer); reject(err); });
    socket.on('close', () => {
      clearTimeout(timer);
      try { resolve(parseAnswer(Buffer.concat(chunks))); } catch (err) { reject(err); }
    });
    socket.write(Buffer.concat([headBytes, Buffer.from(`\r\nConnection: close\r\nContent-Length: ${bodyBytes.length}\r\n\r\n`), bodyBytes]));
  });
}

/** A request whose body never ends: the head and part of the body are sent, then nothing. */
export interface StalledRequest {
  readonly socket: Socket;
  /** Resolves once the server has closed the connection or `close()` was called. */
  readonly closed: Promise<void>;
  /** What the server sent so far. */
  received(): string;
  close(): void;
}

/** POSTs `partial` of a body declared as `declared` bytes long (`headers`: more header lines), and stalls. */
export function stalledRequest(url: string, path: string, declared: number, partial: string, headers = ''): Promise<StalledRequest> {
  const { host, port } = originOf(url);
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n${headers ? `${headers}\r\n` : ''}\r\n${partial}`, () => resolve({
        socket, closed, received: () => Buffer.concat(chunks).toString('utf8'), close: () => socket.destroy(),
      }));
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.once('error', reject);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
  });
}

/**
 * POSTs `body` and reads the answer until at least `bytes` bytes of body arrived, then destroys
 * the connection. Resolves with the status and what was read.
 */
export function readSomeThenAbort(url: string, body: string, bytes: number, headers: Record<string, string> = {}, timeoutMs = 20_000): Promise<{ status: number; read: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let read = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        read += c;
        if (read.length >= bytes) {
          clearTimeout(timer);
          req.destroy();
          resolve({ status: res.statusCode ?? 0, read });
        }
      });
      res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, read }); });
      res.on('error', () => undefined);
    });
    const timer = setTimeout(() => { req.destroy(); reject(new Error(`fewer than ${bytes} bytes within ${timeoutMs} ms`)); }, timeoutMs);
    req.on('error', (err) => { clearTimeout(timer); reject(err); });
    req.end(body);
  });
}

/** POSTs `body`, waits `ms`, and destroys the request whether or not an answer began. */
export function abandonAfter(url: string, body: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => res.resume());
    req.on('error', () => undefined);
    req.end(body);
    setTimeout(() => { req.destroy(); resolve(); }, ms);
  });
}

/** Where the first complete answer in `bytes` ends (a Content-Length or chunked body), or -1. */
function answerEnd(bytes: Buffer): number {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return -1;
  const head = bytes.subarray(0, end).toString('latin1');
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) return bytes.length >= end + 4 + Number(length[1]) ? end + 4 + Number(length[1]) : -1;
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    const last = bytes.indexOf('\r\n0\r\n\r\n', end);
    return last < 0 ? -1 : last + 7;
  }
  return -1;
}

/**
 * Two requests on one kept-alive connection: sends `first` (whole request bytes), reads its
 * complete answer, then sends `second` and reads until the server closes the connection.
 * `then` is what came after the first answer (empty when the connection closed silently).
 */
export function keptAliveExchange(url: string, first: string | Buffer, second: string | Buffer, timeoutMs = 20_000): Promise<{ first: RawAnswer; then: Buffer }> {
  const { host, port } = originOf(url);
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let received = Buffer.alloc(0);
    let firstAnswer: RawAnswer | undefined;
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`the connection did not close within ${timeoutMs} ms`)); }, timeoutMs);
    socket.on('data', (c: Buffer) => {
      received = Buffer.concat([received, c]);
      if (firstAnswer !== undefined) return;
      const end = answerEnd(received);
      if (end < 0) return;
      firstAnswer = parseAnswer(received.subarray(0, end));
      received = received.subarray(end);
      socket.write(second);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      if (firstAnswer === undefined) reject(new Error(`the connection closed before the first answer: ${JSON.stringify(received.toString('latin1').slice(0, 200))}`));
      else resolve({ first: firstAnswer, then: received });
    });
    socket.write(first);
  });
}
