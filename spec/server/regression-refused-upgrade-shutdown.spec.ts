import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { testConfig } from '../helpers/config.js';
import { startLip } from '../helpers/lip.js';

/** Sends a WebSocket upgrade of `path`, resolves with the answer's first bytes (the socket left open). */
function refusedUpgrade(url: string, path: string): Promise<{ socket: Socket; answer: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    });
    // The client keeps its side open after the server's end (as a peer that goes on writing does).
    socket.allowHalfOpen = true;
    socket.once('data', (chunk) => resolve({ socket, answer: chunk.toString('latin1') }));
    socket.once('error', reject);
  });
}

/**
 * Found by probing the HTTP surface: a refused WebSocket upgrade (a path with no WebSocket
 * endpoint) whose client went on writing left a socket nothing read and the HTTP server no longer
 * tracked: the shutdown waited for it for ever.
 */
describe('regression: a refused WebSocket upgrade does not hold the shutdown', function () {
  this.timeout(30_000);

  it('a peer that keeps writing and never closes is cut at shutdown', async () => {
    const lip = await startLip(testConfig('  - { id: stub, kind: localstub, models: [m] }'));
    const { socket, answer } = await refusedUpgrade(lip.url, '/nope');
    expect(answer).to.match(/^HTTP\/1\.1 404 /);
    socket.write('more bytes after the refusal');
    // Resolves at all: before, it never did.
    await lip.server.shutdown(500);
    socket.destroy();
  });

  it('a peer that writes and then closes its side is seen to close (the server reads what it still sends)', async () => {
    const lip = await startLip(testConfig('  - { id: stub, kind: localstub, models: [m] }'));
    try {
      const { socket } = await refusedUpgrade(lip.url, '/nope');
      socket.end('more bytes, then the end');
      await new Promise<void>((resolve) => socket.once('close', () => resolve()));
      const count = () => new Promise<number>((resolve, reject) => (lip.server as unknown as { http: { getConnections(cb: (e: Error | null, n: number) => void): void } }).http.getConnections((e, n) => (e ? reject(e) : resolve(n))));
      let open = await count();
      for (let i = 0; i < 200 && open > 0; i++) {
        await new Promise((r) => setTimeout(r, 25));
        open = await count();
      }
      expect(open).to.equal(0);
    } finally {
      await lip.close();
    }
  });
});
