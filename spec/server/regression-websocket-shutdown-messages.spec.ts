import { expect } from 'chai';
import { WebSocket } from 'ws';
import { echoMode, holdingAnswer, quietTurnsLogger, serveTurns, until } from '../helpers/websocket-turns-server.js';

type Json = Record<string, any>;

/**
 * Found by the WebSocket probe: once shutdown began, a message sent on a connection whose turn
 * was still running got no answer at all, while the turns already waiting got
 * LIP_ERR_SERVER_SHUTTING_DOWN at once, before the running turn's last events. Each is now
 * answered in its place, after the running turn, then the connection closes (1001).
 */
describe('server/WebSocketTurns: messages during shutdown', function () {
  this.timeout(20_000);
  let release: () => void = () => undefined;
  const mode = echoMode(4);
  const answer = holdingAnswer((end) => { release = end; });

  it('the turns waiting and the messages sent after it began are each answered LIP_ERR_SERVER_SHUTTING_DOWN after the running turn, then 1001', async () => {
    const served = await serveTurns(answer, mode, quietTurnsLogger);
    try {
      const ws = new WebSocket(served.url);
      const messages: Json[] = [];
      ws.on('message', (data) => messages.push(JSON.parse(String(data)) as Json));
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      await new Promise<void>((resolve) => ws.on('open', () => resolve()));
      ws.send('hold');
      await until(() => messages.length === 1);
      ws.send('waiting');
      await until(() => served.turns.held()[0]!.waiting === 1);
      const shutdown = served.turns.close(10_000);
      ws.send('late');
      ws.send(Buffer.from([1]), { binary: true });
      // Both arrived (they wait behind the running turn), or something was answered before it ended.
      await until(() => served.turns.held()[0]!.waiting === 3 || messages.length > 1);
      release();
      expect(await closed).to.equal(1001);
      await shutdown;
      const show = (m: Json) => (m.type === 'error' ? `error ${m.error.code}` : `${m.type} ${m.text}`);
      expect(messages.map(show)).to.deep.equal([
        'start hold', 'end hold', 'error LIP_ERR_SERVER_SHUTTING_DOWN', 'error LIP_ERR_SERVER_SHUTTING_DOWN', 'error LIP_ERR_SERVER_SHUTTING_DOWN',
      ]);
    } finally {
      await served.close();
    }
  });

  it('an idle connection still closes at once (1001)', async () => {
    const served = await serveTurns(answer, mode, quietTurnsLogger);
    try {
      const ws = new WebSocket(served.url);
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      await new Promise<void>((resolve) => ws.on('open', () => resolve()));
      await served.turns.close(10_000);
      expect(await closed).to.equal(1001);
    } finally {
      await served.close();
    }
  });
});
