import { expect } from 'chai';
import { WebSocket } from 'ws';
import type { WebSocketTurns } from '../../lib/server/websocket-turns.js';
import { testConfig } from '../helpers/config.js';
import { echoMode, holdingAnswer, quietTurnsLogger, serveTurns, until } from '../helpers/websocket-turns-server.js';

type Json = Record<string, any>;

/**
 * Found by the WebSocket probe: a message refused on arrival (a binary one, one past the turns a
 * connection may have waiting) was answered at once, in the middle of the running turn's events
 * or before them, where the client could not tell it from that turn's error; the mode promises
 * its turns are answered in the order sent. Every message is now answered in order, and a
 * connection with as many turns waiting as it may have is not read until one starts.
 */
describe('server/WebSocketTurns: answers in the order sent', function () {
  this.timeout(20_000);
  // Each turn's request: its events `start` and `end` naming the message; the turn named `hold` ends when the spec says.
  const held: (() => void)[] = [];
  const mode = echoMode(4);
  const answer = holdingAnswer((end) => held.push(end));
  const release = () => held.shift()!();

  let served: Awaited<ReturnType<typeof serveTurns>>;
  let turns: WebSocketTurns;
  before(async () => {
    served = await serveTurns(answer, mode, quietTurnsLogger);
    turns = served.turns;
  });
  after(() => served.close());

  const connect = async () => {
    const ws = new WebSocket(served.url);
    const messages: Json[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data)) as Json));
    await new Promise<void>((resolve, reject) => { ws.on('open', () => resolve()); ws.on('error', reject); });
    return { ws, messages };
  };
  const show = (m: Json) => (m.type === 'error' ? `error ${m.error.code}` : `${m.type} ${m.text}`);

  it('a binary message sent during a turn is answered after that turn, before the next one', async () => {
    const { ws, messages } = await connect();
    ws.send('hold');
    await until(() => messages.length === 1);
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    ws.send('after');
    // Both arrived (waiting behind the running turn), or the binary one was answered at once.
    await until(() => turns.held()[0]!.waiting === 2 || messages.length > 1);
    release();
    await until(() => messages.length >= 5);
    ws.close();
    expect(messages.map(show)).to.deep.equal(['start hold', 'end hold', 'error LIP_ERR_REQUEST_INVALID', 'start after', 'end after']);
  });

  it('turns sent past those that may wait are not refused: lip stops reading, and answers each in order', async () => {
    const { ws, messages } = await connect();
    ws.send('hold');
    await until(() => messages.length === 1);
    const sent = Array.from({ length: 12 }, (_, i) => `t${i}`);
    for (const text of sent) ws.send(text);
    // lip has read the turns it may hold, and no longer reads the socket (or it refused some).
    await until(() => turns.held()[0]!.reading === false || messages.length > 1);
    expect(messages.map(show)).to.deep.equal(['start hold']);
    expect(turns.held()[0]!.waiting).to.be.at.least(4);
    release();
    await until(() => messages.length >= 2 + 2 * sent.length);
    ws.close();
    expect(messages.map(show)).to.deep.equal(['start hold', 'end hold', ...sent.flatMap((t) => [`start ${t}`, `end ${t}`])]);
  });

  // Not reading the socket, lip does not read the client's pongs either: that is no reason to drop it.
  it('a connection not read while its turns wait is not taken for a dead one', async () => {
    const config = testConfig('  - { id: stub, kind: localstub }', 'server: { host: 127.0.0.1, port: 0, keepalive_interval: 50ms }');
    const pinging = await serveTurns(answer, mode, quietTurnsLogger, () => config);
    try {
      const ws = new WebSocket(pinging.url);
      const messages: Json[] = [];
      let pings = 0;
      let closed = false;
      ws.on('message', (data) => messages.push(JSON.parse(String(data)) as Json));
      ws.on('ping', () => { pings++; });
      ws.on('close', () => { closed = true; });
      await new Promise<void>((resolve) => ws.on('open', () => resolve()));
      ws.send('hold');
      await until(() => messages.length === 1);
      for (let i = 0; i < 6; i++) ws.send(`t${i}`);
      await until(() => pinging.turns.held()[0]?.reading === false || closed);
      // Pings go on; unread, the pongs answering them would have had the connection dropped by the second.
      const seen = pings;
      await until(() => pings >= seen + 4 || closed);
      expect(closed, 'dropped while not read').to.equal(false);
      release();
      await until(() => messages.length >= 2 + 12 || closed);
      expect(messages.at(-1)).to.deep.include({ type: 'end', text: 't5' });
      // Read again: its pongs count, and it stays.
      const after = pings;
      await until(() => pings >= after + 4 || closed);
      expect(closed).to.equal(false);
      ws.close();
    } finally {
      await pinging.close();
    }
  });
});
