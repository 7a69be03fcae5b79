import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { parseAnswer, type RawAnswer } from '../helpers/raw-http.js';

const STUB = '  - { id: s, kind: localstub, models: [m], text: "hi" }';
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
const chat = JSON.stringify({ model: 's:m', messages: [{ role: 'user', content: 'x' }] });

/** A raw connection: what the server sent so far, and when it closed. */
interface Conversation {
  readonly socket: Socket;
  received(): string;
  /** Resolves once what was received includes `text`; rejects if the connection closes first. */
  until(text: string): Promise<void>;
  readonly closed: Promise<void>;
}

/** Opens a connection and sends `head` (request line and headers, CRLF-separated) and the blank line; no body. */
function sendHead(url: string, head: string): Conversation {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname, () => socket.write(`${head}\r\n\r\n`));
  let got = '';
  const waiters: (() => void)[] = [];
  socket.on('data', (c: Buffer) => {
    got += c.toString('latin1');
    for (const w of waiters.splice(0)) w();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => {
    resolve();
    for (const w of waiters.splice(0)) w();
  }));
  return {
    socket, closed, received: () => got,
    until: (text) => new Promise<void>((resolve, reject) => {
      const check = () => {
        if (got.includes(text)) resolve();
        else if (socket.destroyed) reject(new Error(`the connection closed before ${JSON.stringify(text)}; received ${JSON.stringify(got.slice(0, 300))}`));
        else waiters.push(check);
      };
      check();
    }),
  };
}

/** The final answer in what a connection received (after a 100 Continue, if one came first). */
function finalAnswer(received: string): RawAnswer {
  return parseAnswer(Buffer.from(received.startsWith(CONTINUE) ? received.slice(CONTINUE.length) : received, 'latin1'));
}

/**
 * Found by probing: lip had no 'checkContinue' handler, so Node answered `Expect: 100-continue`
 * with `100 Continue` before any check, and a client announcing a body far over the limit was
 * told to send it, which lip then read and dropped (up to 64 MiB) to answer 413. A request lip
 * refuses before reading its body (too large by its Content-Length, a missing key, a foreign
 * page) is now answered without `100 Continue`, and its connection closes; any other is told
 * to go on.
 */
describe('server: Expect: 100-continue', function () {
  this.timeout(30_000);
  let lip: RunningLip;
  let keyed: RunningLip;
  before(async () => {
    lip = await startLip(testConfig(STUB, 'server: { host: 127.0.0.1, port: 0, max_request_body_bytes: 1000000 }'));
    keyed = await startLip(testConfig(STUB, 'auth: { api_keys: [{ id: k, key: "key-0123456789abcdef" }] }'));
  });
  after(async () => {
    await lip?.close();
    await keyed?.close();
  });

  it('a declared body over server.max_request_body_bytes: 413 in the protocol\'s envelope without 100 Continue, then the connection closes', async () => {
    for (const [path, envelope] of [['/v1/chat/completions', 'openai'], ['/v1/messages', 'anthropic']] as const) {
      const c = sendHead(lip.url, `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\nExpect: 100-continue`);
      await c.until('\r\n\r\n');
      expect(c.received(), path).to.match(/^HTTP\/1\.1 413 /);
      await c.closed;
      expect(c.received()).to.not.include('100 Continue');
      const answer = parseAnswer(Buffer.from(c.received(), 'latin1'));
      expect(answer.headers.connection).to.equal('close');
      const body = JSON.parse(answer.body) as { type?: string; error: { code?: string; type: string } };
      if (envelope === 'openai') expect(body.error.code).to.equal('LIP_ERR_REQUEST_TOO_LARGE');
      else expect([body.type, body.error.type]).to.deep.equal(['error', 'request_too_large']);
    }
  });

  it('a small body: 100 Continue, then the body is read and answered', async () => {
    const c = sendHead(lip.url, `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(chat)}\r\nExpect: 100-continue\r\nConnection: close`);
    await c.until(CONTINUE);
    expect(c.received()).to.equal(CONTINUE);
    c.socket.write(chat);
    await c.closed;
    const answer = finalAnswer(c.received());
    expect(answer.status).to.equal(200);
    expect((JSON.parse(answer.body) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).to.equal('hi');
  });

  it('a file upload is held to server.max_batch_body_bytes, not max_request_body_bytes: 5 MB declared gets 100 Continue; 40 MB gets 413', async () => {
    const head = (length: number) => `POST /v1/files HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${length}\r\nExpect: 100-continue`;
    const within = sendHead(lip.url, head(5_000_000));
    await within.until('\r\n\r\n');
    expect(within.received()).to.equal(CONTINUE);
    within.socket.destroy();
    const over = sendHead(lip.url, head(40_000_000));
    await over.until('\r\n\r\n');
    expect(over.received()).to.match(/^HTTP\/1\.1 413 /);
    await over.closed;
  });

  it('with API keys, a request without a key: 401 without 100 Continue; with its key: 100 Continue', async () => {
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(chat)}\r\nExpect: 100-continue`;
    const refused = sendHead(keyed.url, head);
    await refused.until('\r\n\r\n');
    expect(refused.received()).to.match(/^HTTP\/1\.1 401 /);
    await refused.closed;
    const admitted = sendHead(keyed.url, `${head}\r\nAuthorization: Bearer key-0123456789abcdef\r\nConnection: close`);
    await admitted.until(CONTINUE);
    admitted.socket.write(chat);
    await admitted.closed;
    expect(finalAnswer(admitted.received()).status).to.equal(200);
  });

  it('a foreign page (keyless single-user): 403 without 100 Continue, then the connection closes', async () => {
    const c = sendHead(lip.url, `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nOrigin: https://evil.example\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(chat)}\r\nExpect: 100-continue`);
    await c.until('\r\n\r\n');
    expect(c.received()).to.match(/^HTTP\/1\.1 403 /);
    await c.closed;
  });
});
