import { expect } from 'chai';
import { connect } from 'node:net';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { keptAliveExchange, parseAnswer, rawExchange } from '../helpers/raw-http.js';

/**
 * Regression (found by probing): lip listens for `'upgrade'`, so Node handed it every request
 * with `Connection: Upgrade`, and it refused all but WebSocket with 400 "only WebSocket upgrades
 * are served". An h2c upgrade is an offer the server may ignore (RFC 9110 section 7.8); `curl
 * --http2 http://…` sends one with its first request, which therefore failed on every endpoint.
 * Such a request is now served as HTTP/1.1 (WebSocketUpgradeMessage).
 */
describe('server: a non-WebSocket Upgrade is ignored and the request served as HTTP/1.1 (regression)', () => {
  const h2c = 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA';
  const body = JSON.stringify({ model: 'stub:m', messages: [{ role: 'user', content: 'hi' }] });
  let lip: RunningLip;
  before(async () => {
    lip = await startLip(testConfig('  - { id: stub, kind: localstub }'));
  });
  after(() => lip.close());

  it('a POST offering h2c, with a body: the normal 200 answer', async () => {
    const res = await rawExchange(lip.url, `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${h2c}`, body);
    expect(res.status).to.equal(200);
    expect((JSON.parse(res.body) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).to.be.a('string').and.not.equal('');
  });

  it('a GET offering h2c (curl --http2), then another request on the same kept-alive connection', async () => {
    const served = `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const { first, then } = await keptAliveExchange(lip.url, `GET /v1/models HTTP/1.1\r\nHost: localhost\r\n${h2c}\r\n\r\n`, `${served.replace('Host: localhost', 'Host: localhost\r\nConnection: close')}`);
    expect(first.status).to.equal(200);
    expect((JSON.parse(first.body) as { data: unknown[] }).data).to.be.an('array');
    expect(parseAnswer(then).status).to.equal(200);
  });

  it('a WebSocket upgrade still leaves HTTP: 101 from the Responses WebSocket mode', async () => {
    const u = new URL(lip.url);
    const head = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(u.port), u.hostname);
      let got = '';
      socket.on('data', (c: Buffer) => {
        got += c.toString('latin1');
        if (got.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(got.slice(0, got.indexOf('\r\n\r\n')));
        }
      });
      socket.on('error', reject);
      socket.write('GET /v1/responses HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    });
    expect(head).to.match(/^HTTP\/1\.1 101 /);
    expect(head.toLowerCase()).to.include('upgrade: websocket');
  });
});
