import { expect } from 'chai';
import { WebSocket } from 'ws';
import type { Config } from '../../lib/config/index.js';
import { DecodeAdmission } from '../../lib/server/decode-admission.js';
import { testConfig } from '../helpers/config.js';
import { echoMode, quietTurnsLogger, serveTurns, until } from '../helpers/websocket-turns-server.js';

const KiB = 1024;

/**
 * Found by the WebSocket probe: a message still arriving was bound only by ws's `maxPayload`
 * (`max_inflight_decode_bytes`, per connection), held to `max_request_body_bytes` once whole,
 * charged to no decode admission and timed by nothing: 8 connections each stopping 60 MiB into a
 * fragmented message took lip from 76 to 567 MiB, and a message trickled a byte a second under
 * `read_timeout: 5s` was held for over 40 s. A message is now followed from its first byte.
 */
describe('server/WebSocketTurns: regression: messages still arriving', function () {
  this.timeout(20_000);
  const config = (server: string): (() => Config) => ((fixed) => () => fixed)(testConfig('  - { id: stub, kind: localstub }', `server: { host: 127.0.0.1, port: 0, ${server} }`));
  const answer = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('event: done\ndata: {"type":"done"}\n\n');
    });
  };
  let served: Awaited<ReturnType<typeof serveTurns>> | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  const open = async () => {
    const ws = new WebSocket(served!.url);
    ws.on('error', () => undefined);
    await new Promise<void>((resolve) => ws.on('open', () => resolve()));
    return ws;
  };
  const closed = (ws: WebSocket) => new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  /** Sends a fragment of a message (more to follow). */
  const fragment = (ws: WebSocket, bytes: number, first = false) => new Promise<void>((resolve, reject) => {
    ws.send(`${first ? '{"text":"' : ''}${'a'.repeat(bytes)}`, { fin: false }, (err) => (err ? reject(err) : resolve()));
  });

  it('a message past max_request_body_bytes closes its connection (1009) while it arrives, not once whole', async () => {
    served = await serveTurns(answer, echoMode(4), quietTurnsLogger, config('max_request_body_bytes: 64KiB'));
    const ws = await open();
    const close = closed(ws);
    for (let i = 0; i < 8 && ws.readyState === WebSocket.OPEN; i++) await fragment(ws, 16 * KiB, i === 0).catch(() => undefined);
    expect(await close).to.deep.equal({ code: 1009, reason: 'message too big' });
  });

  it('the bytes of messages arriving are held against max_inflight_decode_bytes (1013 beyond), until each is whole', async () => {
    const admission = new DecodeAdmission(4, 300 * KiB);
    served = await serveTurns(answer, echoMode(4), quietTurnsLogger, config('max_request_body_bytes: 256KiB'), admission);
    const a = await open();
    await fragment(a, 200 * KiB, true);
    await until(() => admission.inflight.bytes >= 200 * KiB);
    expect(admission.inflight.decodes).to.equal(0);
    // A second connection's message would take the budget past its end.
    const b = await open();
    const bClosed = closed(b);
    await fragment(b, 150 * KiB, true);
    expect((await bClosed).code).to.equal(1013);
    // A request's body meets the same budget meanwhile.
    expect(() => admission.enter().grow(150 * KiB)).to.throw(/max_inflight_decode_bytes/);
    // Whole, a's message lets its bytes go, and its turn runs.
    const answered = new Promise<string>((resolve) => a.once('message', (data) => resolve(String(data))));
    a.send('"}', { fin: true });
    expect(JSON.parse(await answered)).to.deep.equal({ type: 'done' });
    expect(admission.inflight.bytes).to.equal(0);
    // So does a connection that closes mid-message.
    const c = await open();
    await fragment(c, 150 * KiB, true);
    await until(() => admission.inflight.bytes >= 150 * KiB);
    c.terminate();
    await until(() => admission.inflight.bytes === 0);
    a.close();
  });

  it('a message arriving for longer than server.read_timeout closes its connection (1008), however it trickles', async () => {
    served = await serveTurns(answer, echoMode(4), quietTurnsLogger, config('read_timeout: 300ms'));
    const ws = await open();
    const close = closed(ws);
    await fragment(ws, 1, true);
    // The client keeps sending (and answers pings): the message still does not come whole.
    const trickle = setInterval(() => { if (ws.readyState === WebSocket.OPEN) ws.send('a', { fin: false }); }, 50);
    try {
      expect(await close).to.deep.equal({ code: 1008, reason: 'message not received within server.read_timeout' });
    } finally {
      clearInterval(trickle);
    }
  });

  it('a message whole within server.read_timeout is answered, and so is the next one', async () => {
    served = await serveTurns(answer, echoMode(4), quietTurnsLogger, config('read_timeout: 5s'));
    const ws = await open();
    const answers: string[] = [];
    ws.on('message', (data) => answers.push(String(data)));
    for (let i = 0; i < 2; i++) {
      await fragment(ws, 10, true);
      await fragment(ws, 10);
      ws.send('"}', { fin: true });
    }
    await until(() => answers.length === 2);
    expect(served.turns.held()[0]).to.include({ arriving: 0 });
    ws.close();
  });
});
