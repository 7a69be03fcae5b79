import { expect } from 'chai';
import { Worker } from 'node:worker_threads';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { parseAnswer } from '../helpers/raw-http.js';

const STUB = '  - { id: s, kind: localstub, models: [m], text: "hi" }';
/** A body of some megabytes: far more than the socket buffers hold while the answer goes out. */
const BIG = 4_000_000;
const TIMES = 10;

/**
 * The client, run in a thread of its own (a server in the spec's thread then never waits for it
 * to yield the event loop, as in production, where the reset shows): `times` POSTs of `size`
 * bytes, each on a fresh connection, by Node's fetch (no `head`: a status each, or the error that
 * came instead) or on a raw socket (`head`, the request line and headers: what the server sent
 * before the connection ended, or the socket error that came instead of it).
 */
const CLIENT = String.raw`
  const { workerData: w, parentPort } = require('node:worker_threads');
  const net = require('node:net');
  const viaFetch = () => fetch(w.url, { method: 'POST', headers: { 'content-type': 'application/json', ...w.headers }, body: 'a'.repeat(w.size) })
    .then(async (res) => { await res.text(); return res.status; }, (err) => err.message + ': ' + (err.cause && (err.cause.code || err.cause.message)));
  const viaSocket = () => new Promise((resolve) => {
    const { hostname, port } = new URL(w.url);
    const socket = net.connect(Number(port), hostname);
    const chunks = [];
    let failure;
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (err) => { failure = err.code; });
    socket.on('close', () => {
      const got = Buffer.concat(chunks).toString('latin1');
      resolve(got.includes('\r\n\r\n') ? got : failure || 'closed after ' + got.length + ' bytes');
    });
    socket.write(w.head + '\r\nContent-Type: application/json\r\nContent-Length: ' + w.size + '\r\n\r\n');
    const block = Buffer.alloc(65536, 'a');
    let sent = 0;
    const pump = () => {
      while (sent < w.size && !socket.destroyed) {
        const n = Math.min(block.length, w.size - sent);
        sent += n;
        if (!socket.write(n === block.length ? block : block.subarray(0, n))) return void socket.once('drain', pump);
      }
    };
    pump();
  });
  (async () => {
    const out = [];
    for (let i = 0; i < w.times; i++) out.push(await (w.head === undefined ? viaFetch() : viaSocket()));
    parentPort.postMessage(out);
  })();
`;

interface ClientRun {
  readonly url: string;
  readonly times: number;
  readonly size?: number;
  readonly headers?: Record<string, string>;
  readonly head?: string;
}

/** What the client thread (CLIENT) got, one entry per request. */
async function inThread(run: ClientRun): Promise<(number | string)[]> {
  const worker = new Worker(CLIENT, { eval: true, workerData: { size: BIG, headers: {}, ...run } });
  try {
    return await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

/**
 * Regression (found by probing): a refusal lip answers before reading the body and that closes
 * its connection (a foreign page's 403, a request without Host, an address `access.geoip`
 * refuses, a server shutting down) was often lost. Node destroys the socket the moment such a
 * response ends; the client was still sending its body, so the kernel reset the connection and
 * the client read EPIPE / ECONNRESET instead of the answer (Node's fetch with a 4 MB body: the
 * 403 arrived 3 times in 10). The body is now read and dropped, as a 413's is, and the
 * connection closed once it has arrived.
 */
describe('server: a refusal that closes the connection before the body is read reaches the client (regression)', function () {
  this.timeout(60_000);
  let lip: RunningLip | undefined;
  afterEach(async () => {
    await lip?.close();
    lip = undefined;
  });

  it(`a foreign page's 403 with a ${BIG}-byte body, sent by fetch: received every time (${TIMES} times)`, async () => {
    lip = await startLip(testConfig(STUB));
    const statuses = await inThread({ url: `${lip.url}/v1/chat/completions`, headers: { origin: 'https://evil.example' }, times: TIMES });
    expect(statuses).to.deep.equal(new Array(TIMES).fill(403));
  });

  it(`a request without Host (HTTP/1.1) and a ${BIG}-byte body: its 400 received every time (${TIMES} times), then the connection closes`, async () => {
    lip = await startLip(testConfig(STUB));
    const answers = await inThread({ url: lip.url, head: 'POST /v1/messages HTTP/1.1', times: TIMES });
    for (const [i, answer] of answers.entries()) {
      expect(answer, `attempt ${i + 1}`).to.match(/^HTTP\/1\.1 /);
      const { status, headers, body } = parseAnswer(Buffer.from(answer as string, 'latin1'));
      expect([status, headers.connection, (JSON.parse(body) as { type: string }).type]).to.deep.equal([400, 'close', 'error']);
    }
  });

  it(`an address access.geoip refuses, with a ${BIG}-byte body sent by fetch: its 403 received every time (${TIMES} times)`, async () => {
    lip = await startLip(testConfig(STUB, 'access: { geoip: { enabled: true, order: deny_allow, deny: { cidrs: ["127.0.0.1/32"] } } }'));
    const statuses = await inThread({ url: `${lip.url}/v1/chat/completions`, times: TIMES });
    expect(statuses).to.deep.equal(new Array(TIMES).fill(403));
  });

  it('a small body is answered as before, and the connection closed after it', async () => {
    lip = await startLip(testConfig(STUB));
    const [answer] = await inThread({ url: lip.url, head: 'POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nOrigin: https://evil.example', times: 1, size: 10 });
    const { status, headers } = parseAnswer(Buffer.from(answer as string, 'latin1'));
    expect([status, headers.connection]).to.deep.equal([403, 'close']);
  });
});
