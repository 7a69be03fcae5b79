import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { responsesWebSocket } from '../../lib/frontends/openai-responses/websocket.js';
import { testConfig } from '../helpers/config.js';
import { quietTurnsLogger, serveTurns, until } from '../helpers/websocket-turns-server.js';

const MAX_BUFFERED = 64 * 1024;

/** A masked client text frame (RFC 6455) of a short payload. */
function textFrame(payload: string): Buffer {
  const data = Buffer.from(payload);
  const mask = randomBytes(4);
  const frame = Buffer.alloc(6 + data.length);
  frame[0] = 0x81;
  frame[1] = 0x80 | data.length;
  mask.copy(frame, 2);
  for (let i = 0; i < data.length; i++) frame[6 + i] = data[i]! ^ mask[i % 4]!;
  return frame;
}

/** The text messages in a server's stream of frames (unmasked), as they complete. */
function textMessages(socket: Socket, onMessage: (text: string) => void): void {
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 2) return;
      let length = buffered[1]! & 0x7f;
      let header = 2;
      if (length === 126) [length, header] = [buffered.length < 4 ? Infinity : buffered.readUInt16BE(2), 4];
      else if (length === 127) [length, header] = [buffered.length < 10 ? Infinity : Number(buffered.readBigUInt64BE(2)), 10];
      if (buffered.length < header + length) return;
      if ((buffered[0]! & 0x0f) === 1) onMessage(buffered.subarray(header, header + length).toString());
      buffered = buffered.subarray(header + length);
    }
  });
}

/**
 * Found by the WebSocket probe: a client that writes without ever reading made lip's memory grow
 * without limit. Each of its messages (8 bytes: `[]`) was refused with an error message of about
 * 150 bytes, and nothing bounded the answers waiting unsent (a million messages: heap 25 to 277
 * MiB, still growing). lip now stops reading such a client while more than
 * server.max_buffered_bytes wait unsent to it, and answers nothing more until they drain.
 */
describe('server/WebSocketTurns: a client that writes without reading', function () {
  this.timeout(60_000);
  const config = testConfig('  - { id: stub, kind: localstub }', 'server: { host: 127.0.0.1, port: 0, max_buffered_bytes: 64KiB, keepalive_interval: 0ms }');
  let served: Awaited<ReturnType<typeof serveTurns>>;
  before(async () => {
    served = await serveTurns((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', response: { id: 'resp_1', store: false, output: [] } })}\n\n`);
    }, responsesWebSocket, quietTurnsLogger, () => config);
  });
  after(() => served.close());

  it('is not read while more than max_buffered_bytes wait unsent to it; lip holds no more, serves others, and answers all once it reads', async () => {
    const socket = connectTcp(served.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(`GET /v1/responses HTTP/1.1\r\nHost: 127.0.0.1:${served.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    const handshake = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
    expect(handshake.toString()).to.match(/^HTTP\/1\.1 101 /);
    socket.pause();
    const flooder = () => served.turns.held().find((h) => h.unsent > 0 || !h.reading) ?? served.turns.held()[0]!;

    // What lip holds unsent is looked at all along: at most max_buffered_bytes and the answer that passed it.
    let most = 0;
    let notRead = false;
    const look = setInterval(() => {
      for (const h of served.turns.held()) {
        most = Math.max(most, h.unsent);
        if (!h.reading) notRead = true;
      }
    }, 2);
    try {
      // 512 KiB of 8-byte messages, written without reading a byte of the answers.
      const count = 64 * 1024;
      const batch = Buffer.concat(Array.from({ length: 8 * 1024 }, () => textFrame('[]')));
      for (let sent = 0; sent < count; sent += 8 * 1024) {
        expect(most, 'characters held unsent').to.be.at.most(MAX_BUFFERED + 1024);
        if (!socket.write(batch)) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), until(() => !flooder().reading || most > MAX_BUFFERED + 1024)]);
      }
      await until(() => !flooder().reading || most > MAX_BUFFERED + 1024);
      expect(most, 'characters held unsent').to.be.at.most(MAX_BUFFERED + 1024);

      // Another client is served meanwhile.
      const other = new WebSocket(served.url);
      const answer = await new Promise<Record<string, unknown>>((resolve, reject) => {
        other.on('open', () => other.send(JSON.stringify({ type: 'response.create', model: 'm', input: 'hi' })));
        other.on('message', (data) => resolve(JSON.parse(String(data)) as Record<string, unknown>));
        other.on('error', reject);
      });
      other.close();
      expect(answer).to.include({ type: 'response.completed' });
      expect(flooder().reading).to.equal(false);

      // Once it reads, lip reads it again: every message is answered, in order, and no more was ever held.
      let answered = 0;
      let last = '';
      textMessages(socket, (text) => { answered++; last = text; });
      socket.resume();
      await until(() => answered === count);
      expect(JSON.parse(last)).to.deep.include({ type: 'error', status: 400 });
      expect(most, 'characters held unsent').to.be.at.most(MAX_BUFFERED + 1024);
      expect(notRead).to.equal(true);
    } finally {
      clearInterval(look);
      socket.destroy();
    }
  });
});
