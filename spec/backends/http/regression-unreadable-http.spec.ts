import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { emptyCall } from '../../../lib/canonical/index.js';
import type { Runtime } from '../../../lib/core/runtime.js';
import { backendOf, drain, runtimeFor } from '../../helpers/emulators/index.js';

/**
 * Found by probing odd upstream replies: an upstream that answered, but with headers past
 * undici's 16 KiB or a status line or header the HTTP parser refuses (LF-only line ends, a
 * control character in a header name, no `HTTP/` at all), failed as LIP_ERR_UPSTREAM_CONNECT
 * "could not reach the upstream", which docs/backends/overview.md keeps for hosts that cannot be
 * reached (or as RESET "closed the connection" for an HPE_ code). It is now MALFORMED, saying
 * what was wrong, and still retryable: another candidate may answer. A connection closed in the
 * middle of the headers stays a reset.
 */
describe('regression: an upstream answer HTTP cannot read is named as such', function () {
  this.timeout(30_000);
  const answers: Record<string, string> = {
    'LF-only line ends': 'HTTP/1.1 400 Bad Request\nContent-Type: application/json\nContent-Length: 2\n\n{}',
    'a 20 KB header': `HTTP/1.1 429 Too Many Requests\r\nX-Big: ${'a'.repeat(20_000)}\r\nContent-Length: 2\r\n\r\n{}`,
    'no status line': 'HELLO THERE\r\n\r\n',
    'a control character in a header name': 'HTTP/1.1 200 OK\r\nX-A\x01: b\r\nContent-Length: 2\r\n\r\n{}',
    'headers cut by a close': 'HTTP/1.1 200 OK\r\nContent-Ty',
  };
  let server: Server;
  let runtime: Runtime;
  let answer = '';
  before(async () => {
    server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end(answer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    runtime = runtimeFor(`  - { id: b, kind: openai-chat, base_url: "http://127.0.0.1:${(server.address() as AddressInfo).port}/v1", api_key: k-0123456789 }`);
  });
  after(async () => {
    await runtime.close();
    server.close();
  });
  const run = () => drain(backendOf(runtime, 'b').stream(
    emptyCall({ model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] }),
    { model: 'm', candidateKey: 'b:m' },
  ));

  for (const [name, text] of Object.entries(answers)) {
    it(name, async () => {
      answer = text;
      const { error } = await run();
      if (name === 'headers cut by a close') {
        expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_RESET', retryable: true });
        return;
      }
      expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED', retryable: true });
      expect(error!.message).to.match(name === 'a 20 KB header'
        ? /^backend "b": the upstream answered with response headers larger than lip reads \(16 KiB\) \(UND_ERR_HEADERS_OVERFLOW\)$/
        : /^backend "b": the upstream answered with a response that is not valid HTTP: Response does not match the HTTP\/1\.1 protocol \(.+\)/);
    });
  }
});
