import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { emptyCall } from '../../../lib/canonical/index.js';
import type { Runtime } from '../../../lib/core/runtime.js';
import { backendOf, drain, runtimeFor } from '../../helpers/emulators/index.js';

/**
 * Found by probing raw upstream wire formats: lip asks for `accept-encoding: identity` and
 * refused a compressed body before it looked at the status, so an upstream (or a gateway) that
 * compressed its error answer anyway lost the status: a gzipped 400 became a retryable 502
 * LIP_ERR_UPSTREAM_MALFORMED (resent to the next candidate), a gzipped 429 cooled no key down.
 * An error answer now keeps its status whatever its body: gzip, deflate and br are decoded (as
 * far as the error body is read) so that the provider's message is kept too; an encoding lip
 * cannot decode, or bytes that do not decode, only lose the message. A compressed 2xx body is
 * still refused (regression-upstream-replies.spec.ts).
 */
describe('regression: an upstream error answer with a compressed body keeps its status', function () {
  this.timeout(30_000);
  let server: Server;
  let runtime: Runtime;
  let answer: { status: number; encoding: string; body: Buffer; headers?: Record<string, string> };
  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(answer.status, { 'content-type': 'application/json', 'content-encoding': answer.encoding, ...answer.headers }).end(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    runtime = runtimeFor(`  - { id: b, kind: openai-chat, base_url: "http://127.0.0.1:${(server.address() as AddressInfo).port}/v1", api_key: k-0123456789 }`);
  });
  after(async () => {
    await runtime.close();
    server.closeAllConnections();
    server.close();
  });
  const run = (stream: boolean) => drain(backendOf(runtime, 'b').stream(
    emptyCall({ model: 'm', stream, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] }),
    { model: 'm', candidateKey: 'b:m', ...(stream ? {} : { whole: true }) },
  ));
  const refusal = Buffer.from(JSON.stringify({ error: { message: 'Unknown field foo.', type: 'invalid_request_error' } }));

  for (const [encoding, compress] of [['gzip', gzipSync], ['deflate', deflateSync], ['br', brotliCompressSync]] as const) {
    it(`a ${encoding} 400, streamed and whole: status 400, not retried, with the provider's message`, async () => {
      answer = { status: 400, encoding, body: compress(refusal) };
      for (const stream of [true, false]) {
        const { events, error } = await run(stream);
        expect(events).to.deep.equal([]);
        expect(error, `${stream}`).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 400, retryable: false });
        expect(error!.message).to.equal('backend "b": upstream status 400: Unknown field foo.');
      }
    });
  }

  it('an encoding lip cannot decode, or bytes that do not decode, keep the status and lose the message', async () => {
    for (const [encoding, body] of [['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0])], ['gzip', refusal], ['gzip', gzipSync(refusal).subarray(0, 20)]] as const) {
      answer = { status: 400, encoding, body };
      const { error } = await run(true);
      expect(error, encoding).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 400, retryable: false });
      expect(error!.message).to.match(/^backend "b": upstream status 400/);
    }
  });

  it('a gzipped 429 cools its key down for its Retry-After', async () => {
    answer = { status: 429, encoding: 'gzip', body: gzipSync(JSON.stringify({ error: { message: 'Slow down.', type: 'rate_limit_error' } })), headers: { 'retry-after': '7' } };
    const { error } = await run(true);
    // One key, cooled down by the 429's Retry-After: the client is told when it recovers.
    expect(error).to.include({ status: 429 });
    expect(error!.retryAfter).to.be.within(6, 7);
  });
});
