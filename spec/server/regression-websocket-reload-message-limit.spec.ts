import { expect } from 'chai';
import { WebSocket } from 'ws';
import type { Config } from '../../lib/config/index.js';
import type { WebSocketMode } from '../../lib/frontends/protocol.js';
import { testConfig } from '../helpers/config.js';
import { errorMessage, quietTurnsLogger, serveTurns } from '../helpers/websocket-turns-server.js';

const withLimit = (limit: string): Config => testConfig('  - { id: stub, kind: localstub }', `server: { host: 127.0.0.1, port: 0, max_request_body_bytes: ${limit} }`);

/**
 * Found by the WebSocket probe: a reload of server.max_request_body_bytes was never applied to
 * WebSocket messages: the bound of the WebSocketServer was the limit of the first upgrade's
 * config, for every connection after it. Each message is now held to the running config's limit,
 * on a connection opened before the reload too.
 */
describe('server/WebSocketTurns: a reload of max_request_body_bytes', function () {
  this.timeout(20_000);
  const mode: WebSocketMode = {
    maxQueuedTurns: 4,
    session: () => ({ turn: () => ({ body: {}, event: (_type, data) => data, failed: () => undefined }), errorMessage }),
  };
  let config: Config;
  let served: Awaited<ReturnType<typeof serveTurns>>;
  beforeEach(async () => {
    served = await serveTurns((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('event: done\ndata: {"type":"done"}\n\n');
    }, mode, quietTurnsLogger, () => config);
  });
  afterEach(() => served.close());

  const open = async () => {
    const ws = new WebSocket(served.url);
    ws.on('error', () => undefined);
    await new Promise<void>((resolve) => ws.on('open', () => resolve()));
    return ws;
  };
  /** How a message of `bytes` is taken: its turn's answer, or the connection's close code. */
  const send = (ws: WebSocket, bytes: number) => new Promise<string>((resolve) => {
    const onMessage = (data: unknown) => { ws.off('close', onClose); resolve(`answered ${(JSON.parse(String(data)) as { type: string }).type}`); };
    const onClose = (code: number) => { ws.off('message', onMessage); resolve(`closed ${code}`); };
    ws.once('message', onMessage);
    ws.once('close', onClose);
    ws.send('x'.repeat(bytes));
  });

  it('lowered: a larger message closes the connection (1009), on one opened before the reload too', async () => {
    config = withLimit('256KiB');
    const before = await open();
    expect(await send(before, 100_000)).to.equal('answered done');
    config = withLimit('64KiB');
    expect(await send(before, 100_000)).to.equal('closed 1009');
    expect(await send(await open(), 100_000)).to.equal('closed 1009');
    expect(await send(await open(), 60_000)).to.equal('answered done');
  });

  it('raised: a message up to the new limit is taken, on one opened before the reload too', async () => {
    config = withLimit('64KiB');
    const before = await open();
    expect(await send(before, 60_000)).to.equal('answered done');
    config = withLimit('256KiB');
    expect(await send(before, 100_000)).to.equal('answered done');
    expect(await send(await open(), 200_000)).to.equal('answered done');
    expect(await send(await open(), 300_000)).to.equal('closed 1009');
  });
});
