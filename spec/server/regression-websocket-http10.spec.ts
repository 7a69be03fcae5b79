import { expect } from 'chai';
import { connect } from 'node:net';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/** The answer to `request`: all of it when the server closes the connection, the head of a 101. */
const answer = (url: string, request: string) => new Promise<string>((resolve, reject) => {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  let got = '';
  socket.on('data', (c: Buffer) => {
    got += c.toString('latin1');
    if (got.startsWith('HTTP/1.1 101 ') && got.includes('\r\n\r\n')) socket.destroy();
  });
  socket.on('close', () => resolve(got));
  socket.on('error', reject);
  socket.write(request);
});

const upgrade = (version: string) => `GET /v1/responses HTTP/${version}\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;

/**
 * Regression (found by probing): a WebSocket upgrade in an HTTP/1.0 request was answered 101,
 * though the opening handshake is an HTTP/1.1 (or later) GET (RFC 6455 section 4.2.1). It is now a 400.
 */
describe('server: a WebSocket upgrade over HTTP/1.0 is refused (regression)', () => {
  let lip: RunningLip;
  before(async () => {
    lip = await startLip(testConfig('  - { id: stub, kind: localstub }'));
  });
  after(() => lip.close());

  it('HTTP/1.0: 400 in the protocol\'s envelope; HTTP/1.1: 101', async () => {
    const refused = await answer(lip.url, upgrade('1.0'));
    expect(refused).to.match(/^HTTP\/1\.1 400 /);
    const error = JSON.parse(refused.slice(refused.indexOf('\r\n\r\n') + 4)).error;
    expect(error).to.include({ code: 'LIP_ERR_REQUEST_INVALID' });
    expect(error.message).to.contain('HTTP/1.1');
    expect(await answer(lip.url, upgrade('1.1'))).to.match(/^HTTP\/1\.1 101 /);
  });
});
