import { expect } from 'chai';
import { WebSocket } from 'ws';
import type { WebSocketMode } from '../../lib/frontends/protocol.js';
import type { WebSocketTurns } from '../../lib/server/websocket-turns.js';
import { errorMessage, serveTurns } from '../helpers/websocket-turns-server.js';

/**
 * WebSocketTurns on its own, over an HTTP server that answers every turn with a fixed event
 * stream, and a WebSocket mode whose session cannot take the event named `boom` (nor serialise
 * the body of the message `unserialisable`).
 */
describe('server/WebSocketTurns', () => {
  let turns: WebSocketTurns;
  let url: string;
  const warnings: { message: string; meta?: Record<string, unknown> }[] = [];
  const mode: WebSocketMode = {
    maxQueuedTurns: 4,
    session: () => ({
      turn: (text) => ({
        // A body JSON cannot write (a BigInt): the turn cannot be started.
        body: text === 'unserialisable' ? { n: 1n } : {},
        event: (type, data) => {
          if (type === 'boom') throw new Error('this event cannot be taken');
          return data;
        },
        failed: () => undefined,
      }),
      errorMessage,
    }),
  };

  let served: Awaited<ReturnType<typeof serveTurns>>;
  before(async () => {
    served = await serveTurns((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'turn-1' });
      res.write('event: one\ndata: {"type":"one"}\n\n');
      res.write('event: boom\ndata: {"type":"boom"}\n\n');
      // The rest never comes: the turn is cut at the event it could not take.
    }, mode, { debug: () => undefined, warn: (message, meta) => void warnings.push({ message, meta }) });
    ({ url, turns } = served);
  });
  after(() => served.close());

  it('a turn cut short by an event it cannot take ends with an error message to the client, and is logged', async () => {
    const ws = new WebSocket(url);
    const messages: Record<string, unknown>[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => ws.send('{"type":"response.create"}'));
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as Record<string, unknown>;
        messages.push(message);
        if (message.type === 'error') resolve();
      });
      ws.on('close', () => reject(new Error('closed before the turn ended')));
    });
    ws.close();
    expect(messages.map((m) => m.type)).to.deep.equal(['one', 'error']);
    expect(messages[1]).to.include({ status: 500 });
    expect((messages[1]!.error as { code: string }).code).to.equal('LIP_ERR_SERVER_INTERNAL');
    expect(warnings).to.have.length(1);
    expect(warnings[0]!.message).to.equal('websocket turn cut short');
    expect(warnings[0]!.meta).to.include({ request_id: 'turn-1', code: 'LIP_ERR_SERVER_INTERNAL' });
  });

  // Found by the attack-surface probe: a turn whose run failed before its request (a body too deep
  // for JSON.stringify) was an unhandled rejection, and the client got no answer.
  it('a turn that cannot be started is refused with an error message, and the next turn runs', async () => {
    const ws = new WebSocket(url);
    const messages: Record<string, unknown>[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => {
        ws.send('unserialisable');
        ws.send('{"type":"response.create"}');
      });
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as Record<string, unknown>;
        messages.push(message);
        if (messages.filter((m) => m.type === 'error').length === 2) resolve();
      });
      ws.on('close', () => reject(new Error('closed before the turns ended')));
    });
    ws.close();
    expect(messages.map((m) => m.type)).to.deep.equal(['error', 'one', 'error']);
    expect(messages[0]).to.include({ status: 500 });
    expect((messages[0]!.error as { code: string }).code).to.equal('LIP_ERR_SERVER_INTERNAL');
  });
});

// Found by the review of the loopback listener: any local process connecting to it was taken for
// a turn (no ingress check, a body up to max_inflight_decode_bytes); only lip's own turns are.
describe('server/WebSocketTurns: which requests are turns', () => {
  let turns: WebSocketTurns;
  let url: string;
  const seen: { turn: boolean; headers: string[]; port: number }[] = [];
  const mode: WebSocketMode = {
    maxQueuedTurns: 4,
    session: () => ({
      turn: () => ({ body: {}, event: (_type, data) => data, failed: () => undefined }),
      errorMessage,
    }),
  };

  let served: Awaited<ReturnType<typeof serveTurns>>;
  before(async () => {
    served = await serveTurns((req, res) => {
      seen.push({ turn: turns.carries(req), headers: Object.keys(req.headers), port: req.socket.localPort! });
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('event: done\ndata: {"type":"done"}\n\n');
    }, mode, { debug: () => undefined, warn: () => undefined });
    ({ url, turns } = served);
  });
  after(() => served.close());

  it("a turn's request is one, without the turn header; another local client of the loopback listener is not, whatever it sends", async () => {
    // The client's upgrade names the turn header too: it is not forwarded.
    const ws = new WebSocket(url, { headers: { 'x-lip-websocket-turn': 'guess' } });
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => ws.send('{"type":"response.create"}'));
      ws.on('message', () => resolve());
      ws.on('close', () => reject(new Error('closed before the turn ended')));
    });
    ws.close();
    expect(seen).to.have.length(1);
    expect(seen[0]!.turn).to.equal(true);
    expect(seen[0]!.headers).to.not.include('x-lip-websocket-turn');
    const loopback = seen[0]!.port;
    expect(loopback).to.not.equal(Number(new URL(url).port));
    for (const headers of [{}, { 'x-lip-websocket-turn': 'guess' }] as Record<string, string>[]) {
      const res = await fetch(`http://127.0.0.1:${loopback}/v1/responses`, { method: 'POST', headers, body: '{}' });
      await res.text();
    }
    expect(seen.slice(1).map((s) => s.turn)).to.deep.equal([false, false]);
    expect(seen[2]!.headers).to.not.include('x-lip-websocket-turn');
  });
});

// Found by the review of the lost-session retry (a turn refused for the session lip carried runs
// again without it): the retry had no catch (a turn that could not be started again was an
// unhandled rejection and the connection hung), and it counted the turn twice.
describe('server/WebSocketTurns: a turn run again for a lost session', () => {
  let turns: WebSocketTurns;
  let url: string;
  const logged: { message: string; meta?: Record<string, unknown> }[] = [];
  let closedLog: (meta: Record<string, unknown> | undefined) => void = () => undefined;
  const session = { 'x-lip-session-id': 's1', 'x-lip-resume-token': 't1' };
  const denied = JSON.stringify({ error: { message: 'session denied', type: 'invalid_request_error', param: null, code: 'LIP_ERR_SESSION_DENIED' } });
  // Each request's answer in turn: ok, denied (run again: ok), denied (run again: cannot be started).
  const answers = ['ok', 'denied', 'ok', 'denied'];
  const mode: WebSocketMode = {
    maxQueuedTurns: 4,
    session: () => ({
      turn: (text) => {
        // A body JSON writes once only: the turn cannot be started a second time.
        let written = 0;
        const body = text === 'once' ? { toJSON: () => { if (written++ > 0) throw new Error('not again'); return {}; } } : {};
        return { body, event: (_type, data) => data, failed: () => undefined };
      },
      errorMessage,
    }),
  };

  let served: Awaited<ReturnType<typeof serveTurns>>;
  before(async () => {
    served = await serveTurns((req, res) => {
      req.resume();
      if (answers.shift() === 'denied') {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(denied);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', ...session });
      res.end('event: done\ndata: {"type":"done"}\n\n');
    }, mode, { debug: (message, meta) => { if (message === 'websocket closed') closedLog(meta); }, warn: (message, meta) => void logged.push({ message, meta }) });
    ({ url, turns } = served);
  });
  after(() => served.close());

  it('runs once more, is refused with an error message when it cannot be started again, and counts once', async () => {
    const ws = new WebSocket(url);
    const messages: Record<string, unknown>[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => {
        ws.send('first');
        ws.send('second');
        ws.send('once');
      });
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as Record<string, unknown>;
        messages.push(message);
        if (message.type === 'error') resolve();
      });
      ws.on('close', () => reject(new Error('closed before the turns ended')));
    });
    const closed = new Promise<Record<string, unknown> | undefined>((resolve) => { closedLog = resolve; });
    ws.close();
    expect(messages.map((m) => m.type)).to.deep.equal(['done', 'done', 'error']);
    expect((messages[2]!.error as { code: string }).code).to.equal('LIP_ERR_SERVER_INTERNAL');
    expect(answers).to.deep.equal([]);
    expect(await closed).to.include({ turns: 3 });
  });
});
