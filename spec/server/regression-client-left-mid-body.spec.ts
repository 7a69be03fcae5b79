import { expect } from 'chai';
import { connect } from 'node:net';
import { testConfig } from '../helpers/config.js';
import { until } from '../helpers/hostile-rig.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * Found by the chaos probe: a client that left part-way through its request body was logged and
 * counted as a 400 `LIP_ERR_REQUEST_INVALID` (a bad request), not as the 499 abort it is. Its
 * closing the connection came to Node's HTTP parser as the end of the input in the middle of a
 * message (HPE_INVALID_EOF_STATE), which lip answered with a 400 on the socket the client had
 * left: the access line took that status, and `lip_client_aborts_total` never heard of it.
 */
describe('regression: a client that leaves part-way through its request body is a 499 abort, on every route that reads a body', () => {
  let lip: RunningLip;
  before(async () => {
    lip = await startLip(testConfig('  - { id: stub, kind: localstub }', 'logging: { access_log: true }\nobservability: { metrics: { enabled: true } }'));
  });
  after(() => lip.close());

  /**
   * Sends the head and part of the body, then leaves: `close` ends its side of the connection
   * (FIN, as a closing client does; this one still reads, to see what lip writes), `reset`
   * resets it (RST). The access line of the request.
   */
  async function leaveMidBody(path: string, id: string, how: 'close' | 'reset', type = 'application/json', framing = 'Content-Length: 1000'): Promise<Record<string, unknown>> {
    const { port } = new URL(lip.url);
    const socket = connect(Number(port), '127.0.0.1');
    let answered = '';
    socket.on('data', (chunk: Buffer) => { answered += chunk.toString('latin1'); });
    socket.on('error', () => undefined);
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: ${type}\r\n${framing}\r\nX-Request-Id: ${id}\r\n\r\n${framing.startsWith('Transfer') ? '14\r\n' : ''}{"model":"stub`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (how === 'close') socket.end();
    else socket.resetAndDestroy();
    await closed;
    const line = () => lip.logs.find((l) => l.message === 'request' && l.request_id === id);
    await until(() => line() !== undefined, `the access line of ${id}`);
    expect(answered, 'nothing is written to a client that left').to.equal('');
    return line()!;
  }

  const aborts = async (route: string) => {
    const text = await (await fetch(`${lip.url}/metrics`)).text();
    const row = text.split('\n').find((l) => l.startsWith(`lip_client_aborts_total{route="${route}"}`));
    return row === undefined ? 0 : Number(row.slice(row.lastIndexOf(' ') + 1));
  };

  const routes = [
    { name: 'a generation', path: '/v1/chat/completions', route: '/v1/chat/completions' },
    { name: 'embeddings', path: '/v1/embeddings', route: '/v1/embeddings' },
    { name: 'a token count', path: '/v1/messages/count_tokens', route: '/v1/messages/count_tokens' },
    { name: 'a batch create', path: '/v1/batches', route: '/v1/batches' },
    { name: 'a file upload', path: '/v1/files', route: '/v1/files', type: 'multipart/form-data; boundary=b' },
    { name: 'a conversation create', path: '/v1/conversations', route: '/v1/conversations' },
    { name: 'a Gemini file upload', path: '/upload/v1beta/files', route: '/upload/v1beta/files', type: 'application/octet-stream' },
  ];
  for (const r of routes) {
    it(`${r.name} (${r.path}): logged 499, aborted, with no error code, and counted as a client abort, whether the client closes or resets`, async () => {
      for (const how of ['close', 'reset'] as const) {
        const before = await aborts(r.route);
        const line = await leaveMidBody(r.path, `left-${how}-${r.route.replace(/\W/g, '')}`, how, r.type);
        expect([line.route, line.status, line.aborted, line.error], how).to.deep.equal([r.route, 499, true, undefined]);
        expect(await aborts(r.route), how).to.equal(before + 1);
      }
    });
  }

  it('a chunked body cut off in a chunk: the same', async () => {
    for (const how of ['close', 'reset'] as const) {
      const line = await leaveMidBody('/v1/chat/completions', `left-chunked-${how}`, how, 'application/json', 'Transfer-Encoding: chunked');
      expect([line.status, line.aborted, line.error], how).to.deep.equal([499, true, undefined]);
    }
  });

  it('a body that stops arriving (the client still there) is still answered 408 and logged so', async () => {
    const slow = await startLip(testConfig('  - { id: stub, kind: localstub }', 'server: { host: 127.0.0.1, port: 0, read_timeout: 1s }\nlogging: { access_log: true }'));
    try {
      const { port } = new URL(slow.url);
      const socket = connect(Number(port), '127.0.0.1');
      let answered = '';
      socket.on('data', (chunk: Buffer) => { answered += chunk.toString('latin1'); });
      const closed = new Promise((resolve) => socket.on('close', resolve));
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nX-Request-Id: stalled\r\n\r\n{"model":"stub`);
      await closed;
      expect(answered).to.match(/^HTTP\/1\.1 408 /);
      await until(() => slow.logs.some((l) => l.message === 'request' && l.request_id === 'stalled'), 'the access line');
      const line = slow.logs.find((l) => l.message === 'request' && l.request_id === 'stalled')!;
      expect([line.status, line.error, line.aborted]).to.deep.equal([408, 'LIP_ERR_REQUEST_TIMEOUT', undefined]);
    } finally {
      await slow.close();
    }
  });
});
