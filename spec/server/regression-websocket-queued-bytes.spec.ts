import { expect } from 'chai';
import { WebSocket } from 'ws';
import { testConfig } from '../helpers/config.js';
import { echoMode, holdingAnswer, quietTurnsLogger, serveTurns, until } from '../helpers/websocket-turns-server.js';

type Json = Record<string, any>;

const MAX_BODY = 64 * 1024;

/**
 * Found by the WebSocket probe: the turns waiting behind the running one were bounded by count
 * only (16), each up to server.max_request_body_bytes, and outside server.max_inflight_decode_bytes:
 * 16 waiting messages of 8 MiB on each of 4 connections took 512 MiB of heap where decode
 * admission allows 64 MiB. The turns a connection has waiting are now held to
 * max_request_body_bytes: past it, lip stops reading the connection until one starts.
 */
describe('server/WebSocketTurns: the bytes of the turns waiting', function () {
  this.timeout(30_000);
  const config = testConfig('  - { id: stub, kind: localstub }', `server: { host: 127.0.0.1, port: 0, max_request_body_bytes: ${MAX_BODY} }`);
  // Each turn's request: its events `start` and `end` naming the message's first characters; `hold` ends when the spec says.
  let release: () => void = () => undefined;
  const mode = echoMode(16, 8);
  const answer = holdingAnswer((end) => { release = end; });

  let served: Awaited<ReturnType<typeof serveTurns>>;
  before(async () => { served = await serveTurns(answer, mode, quietTurnsLogger, () => config); });
  after(() => served.close());

  it('past max_request_body_bytes of turns waiting, lip stops reading the connection; all are answered in order once they run', async () => {
    const ws = new WebSocket(served.url);
    const messages: Json[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data)) as Json));
    await new Promise<void>((resolve) => ws.on('open', () => resolve()));
    ws.send('hold');
    await until(() => messages.length === 1);
    // Ten turns of 40,000 characters (well under the limit each, 400,000 together), fewer than maxQueuedTurns.
    const sent = Array.from({ length: 10 }, (_, i) => `t${i}`.padEnd(8, '.'));
    for (const head of sent) ws.send(head + 'x'.repeat(40_000 - head.length));
    const held = () => served.turns.held()[0]!;
    await until(() => !held().reading || held().waiting === sent.length);
    // At most the limit, the turn that passed it, and what the socket's last read held (64 KiB).
    expect(held().waitingSize).to.be.at.most(MAX_BODY + 40_000 + 64 * 1024);
    expect(held().reading).to.equal(false);
    release();
    await until(() => messages.length >= 2 + 2 * sent.length);
    ws.close();
    expect(messages.map((m) => `${m.type} ${m.text}`)).to.deep.equal(['start hold', 'end hold', ...sent.flatMap((t) => [`start ${t}`, `end ${t}`])]);
  });
});
