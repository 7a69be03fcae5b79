import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { readBody } from '../../lib/wire/json-body.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';

const BODY = JSON.stringify({ model: 'stub:m', messages: [{ role: 'user', content: 'x' }] });

/** Sends a whole request for `key`, then closes the connection without waiting for the answer. */
function sendAndLeave(url: string, key: string): Promise<void> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`);
      setTimeout(() => { socket.destroy(); resolve(); }, 50);
    });
    socket.on('error', reject);
  });
}

/**
 * Found by probing for leaks: a client that left while lip waited on the Redis key-limit check
 * (a round trip; a slow or briefly stalled Redis) left a request that never ended. Its body was
 * read after the request was destroyed, which emits nothing more, so the read waited for ever,
 * holding its decode-admission ticket (32 such requests refused every generation with 429
 * LIP_ERR_SERVER_DECODE_ADMISSION for good), its key's Redis slot (renewed, so never expiring)
 * and its runtime.
 */
describe('regression: a client that leaves during the key-limit check leaves nothing held', function () {
  this.timeout(60_000);

  it('readBody of a request destroyed before it was read rejects at once', async () => {
    let server: Server | undefined;
    try {
      const outcome = await new Promise<string>((resolve) => {
        server = createServer((req) => {
          // The client sent its whole body and left; lip reads it only later.
          req.socket.once('close', () => setImmediate(() => readBody(req, 1 << 20).then(() => resolve('read'), (e: Error) => resolve(e.message))));
        });
        server.listen(0, '127.0.0.1', () => void sendAndLeave(`http://127.0.0.1:${(server!.address() as AddressInfo).port}`, 'k'));
      });
      expect(outcome).to.equal('the client aborted the request body');
    } finally {
      server?.closeAllConnections();
      server?.close();
    }
  });

  describe('through lip, with the key limits in a frozen redis-server', () => {
    let redis: RedisServer;
    let lip: RunningLip;
    before(async function () {
      redis = await requireRedisServer(this);
      lip = await startLip(testConfig('  - { id: stub, kind: localstub, models: [m] }', [
        'routing: { default_route: "stub:m" }',
        `redis: { url: "${redis.url}", key_prefix: "abort-admission:" }`,
        'server: { host: 127.0.0.1, port: 0, max_concurrent_decodes: 2 }',
        'auth: { limits_store: redis, api_keys: [{ id: one, key: "one-key-0123456789abcdef", max_concurrent_requests: 1 }, { id: other, key: "other-key-0123456789abcdef" }] }',
      ].join('\n')));
    });
    after(async () => {
      redis?.resume();
      await lip?.close();
      await redis?.close();
    });

    it('the requests end: the key and the decode tickets are free again once Redis answers', async () => {
      const ask = (key: string) => fetch(`${lip.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: BODY });
      expect((await ask('one-key-0123456789abcdef')).status).to.equal(200);
      // Redis is slow for a moment (under the check's 500 ms timeout): the key-limit checks are
      // answered, late, after their clients left.
      redis.pause();
      await Promise.all([0, 1, 2].map(() => sendAndLeave(lip.url, 'one-key-0123456789abcdef')));
      await new Promise((r) => setTimeout(r, 250));
      redis.resume();
      // Another key (no limits) is served: no decode ticket is held (max_concurrent_decodes: 2).
      let other = 0;
      for (let i = 0; i < 100 && other !== 200; i++) {
        other = (await ask('other-key-0123456789abcdef')).status;
        if (other !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(other).to.equal(200);
      // And the key with one concurrent request is not held by a request nobody waits for.
      let one = 0;
      for (let i = 0; i < 100 && one !== 200; i++) {
        one = (await ask('one-key-0123456789abcdef')).status;
        if (one !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(one).to.equal(200);
    });
  });
});
