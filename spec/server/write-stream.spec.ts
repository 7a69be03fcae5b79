import { expect } from 'chai';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Observable, of, type Subscription } from 'rxjs';
import type { LipEvent } from '../../lib/canonical/index.js';
import type { LipError } from '../../lib/errors/index.js';
import type { StreamEncoder } from '../../lib/frontends/protocol.js';
import { writeStream, type StreamOptions } from '../../lib/server/write-stream.js';
import { FlowGate } from '../../lib/wire/index.js';
import { httpRequest } from '../helpers/sse-client.js';

const text = (t: string): LipEvent => ({ type: 'text_delta', text: t });
const encoder = (fail?: (e: LipEvent) => boolean): StreamEncoder => ({
  event: (e) => {
    if (fail?.(e)) throw new TypeError('encoder bug');
    return e.type === 'text_delta' ? `data: ${e.text}\n\n` : '';
  },
  error: (err) => `data: error ${err.code}\n\n`,
  end: () => 'data: [DONE]\n\n',
});

/** A server whose every request is answered by `handle` with writeStream. */
async function serve(handle: (res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => { req.resume(); handle(res); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function options(over: Partial<StreamOptions> & { failures?: [string, boolean][] } = {}): StreamOptions {
  return {
    requestId: 'r1', contentType: 'text/event-stream', keepaliveMs: 0, maxBufferedBytes: 1 << 20,
    headers: () => ({ 'x-lip-backend': 'stub:m' }),
    encodeError: (err: LipError) => ({ status: err.status, body: { error: { code: err.code } } }),
    onFailure: (err, after) => over.failures?.push([err.code, after]),
    onDone: () => undefined,
    ...over,
  };
}

describe('server/writeStream', () => {
  let server: Server | undefined;
  afterEach(() => { server?.closeAllConnections(); server?.close(); server = undefined; });

  it('a throw while encoding after output becomes the in-band error and ends the stream', async () => {
    const failures: [string, boolean][] = [];
    const s = await serve((res) => writeStream(res, of(text('a'), text('boom'), text('c')), encoder((e) => e.type === 'text_delta' && e.text === 'boom'), options({ failures })));
    server = s.server;
    const res = await httpRequest(s.url);
    expect(res.status).to.equal(200);
    expect(res.body).to.equal('data: a\n\ndata: error LIP_ERR_SERVER_INTERNAL\n\n');
    expect(failures).to.deep.equal([['LIP_ERR_SERVER_INTERNAL', true]]);
  });

  it('the headers and the first event leave in one socket write at once, before the rest of a burst is encoded', async () => {
    let sentBeforeSecond = -1;
    let sentAfterFirst = -1;
    const s = await serve((res) => {
      const enc = encoder();
      writeStream(res, of(text('a'), text('b'), text('c')), {
        ...enc,
        event: (e) => {
          if (e.type === 'text_delta' && e.text === 'b') sentBeforeSecond = res.socket!.bytesWritten;
          if (e.type === 'text_delta' && e.text === 'c') sentAfterFirst = res.socket!.bytesWritten;
          return enc.event(e);
        },
      }, options());
    });
    server = s.server;
    const res = await httpRequest(s.url);
    expect(res.body).to.equal('data: a\n\ndata: b\n\ndata: c\n\ndata: [DONE]\n\n');
    // Headers plus the first chunk were on the socket while 'b' was encoded; 'b' waits for the tick's end.
    expect(sentBeforeSecond).to.be.greaterThan('data: a\n\n'.length);
    expect(sentAfterFirst).to.equal(sentBeforeSecond);
  });

  it('a throw before output is a 500 in the protocol envelope', async () => {
    const s = await serve((res) => writeStream(res, of(text('boom')), encoder(() => true), options()));
    server = s.server;
    const res = await httpRequest(s.url);
    expect([res.status, JSON.parse(res.body)]).to.deep.equal([500, { error: { code: 'LIP_ERR_SERVER_INTERNAL' } }]);
  });

  it('headers that cannot be written: 500 without them, never an uncaught throw', async () => {
    const s = await serve((res) => writeStream(res, of(text('a')), encoder(), options({ headers: () => ({ 'x-lip-backend': 'bad\nvalue' }) })));
    server = s.server;
    const res = await httpRequest(s.url);
    expect([res.status, res.headers['x-lip-backend']]).to.deep.equal([500, undefined]);
  });

  it('closes the flow gate when the socket is full and opens it when the client drains it', async () => {
    const gate = new FlowGate();
    const states: boolean[] = [];
    let sub: Subscription | undefined;
    const big = 'x'.repeat(64 * 1024);
    // A source that respects the gate, as an HTTP backend does: it pauses while closed.
    const source = new Observable<LipEvent>((s) => {
      let sent = 0;
      const pump = () => {
        while (!s.closed && sent < 64) {
          s.next(text(big));
          sent++;
          if (gate.closed) { states.push(true); return void gate.onOpen(() => { states.push(false); pump(); }); }
        }
        s.complete();
      };
      pump();
    });
    const s = await serve((res) => { sub = writeStream(res, source, encoder(), options({ flow: gate, maxBufferedBytes: 8 << 20 })).subscription; });
    server = s.server;
    const body = await new Promise<number>((resolve, reject) => {
      const req = request(s.url, { method: 'POST', agent: false }, (res) => {
        let bytes = 0;
        res.socket.pause();
        res.on('data', (c: Buffer) => { bytes += c.length; });
        res.on('end', () => resolve(bytes));
        setImmediate(() => res.socket.resume());
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).to.equal(64 * (big.length + 8) + 'data: [DONE]\n\n'.length);
    expect(states.filter((c) => c).length).to.be.greaterThan(0);
    expect(states.filter((c) => !c).length).to.equal(states.filter((c) => c).length);
    expect(sub?.closed).to.equal(true);
  });

  it('a source that cannot pause is failed as LIP_ERR_SERVER_CLIENT_TOO_SLOW past max_buffered_bytes, and unsubscribed', async () => {
    const failures: [string, boolean][] = [];
    let emitted = 0;
    let tornDown = false;
    const chunk = 'y'.repeat(16 * 1024);
    const flood = new Observable<LipEvent>((s) => {
      for (let i = 0; i < 10_000 && !s.closed; i++) { emitted++; s.next(text(chunk)); }
      s.complete();
      return () => { tornDown = true; };
    });
    let socket: Socket | undefined;
    const done = new Promise<void>((resolve) => {
      void serve((res) => writeStream(res, flood, encoder(), options({ failures, maxBufferedBytes: 256 * 1024, onDone: resolve }))).then((s) => {
        server = s.server;
        const req = request(s.url, { method: 'POST', agent: false }, (res) => { socket = res.socket; res.socket.pause(); });
        req.end();
      });
    });
    await done;
    socket?.destroy();
    expect(failures).to.deep.equal([['LIP_ERR_SERVER_CLIENT_TOO_SLOW', true]]);
    expect(tornDown).to.equal(true);
    expect(emitted).to.be.lessThan(10_000);
  });

  it('a burst of one tick over max_buffered_bytes goes to a client that reads; what then waits from earlier ticks is what fails a client that does not', async () => {
    const chunk = 'z'.repeat(1024);
    // One tick: 2 MiB of events (a tool call held whole, released at once), max 256 KiB.
    const burst = new Observable<LipEvent>((s) => {
      for (let i = 0; i < 2048; i++) s.next(text(chunk));
      s.complete();
    });
    const failures: [string, boolean][] = [];
    const s1 = await serve((res) => writeStream(res, burst, encoder(), options({ failures, maxBufferedBytes: 256 * 1024 })));
    server = s1.server;
    const read = await httpRequest(s1.url);
    expect(failures).to.deep.equal([]);
    expect(read.body.length).to.equal(2048 * (chunk.length + 8) + 'data: [DONE]\n\n'.length);
    server.closeAllConnections();
    server.close();
    // Tick after tick (64 KiB each) to a client that reads nothing: failed once 256 KiB waited from an earlier tick.
    const slowFailures: [string, boolean][] = [];
    let ticks = 0;
    const trickle = new Observable<LipEvent>((s) => {
      let timer: NodeJS.Timeout | undefined;
      const next = () => {
        if (s.closed) return;
        ticks++;
        for (let i = 0; i < 64; i++) s.next(text(chunk));
        timer = setTimeout(next, 1);
      };
      next();
      return () => clearTimeout(timer);
    });
    let socket: Socket | undefined;
    const done = new Promise<void>((resolve) => {
      void serve((res) => writeStream(res, trickle, encoder(), options({ failures: slowFailures, maxBufferedBytes: 256 * 1024, onDone: resolve }))).then((s2) => {
        server = s2.server;
        const req = request(s2.url, { method: 'POST', agent: false }, (res) => { socket = res.socket; res.socket.pause(); });
        req.end();
      });
    });
    await done;
    socket?.destroy();
    expect(slowFailures).to.deep.equal([['LIP_ERR_SERVER_CLIENT_TOO_SLOW', true]]);
    // An endless source, stopped once the socket's buffers (the kernel's, a few MiB here) and then
    // max_buffered_bytes filled: bounded, whatever the machine's buffer sizes.
    expect(ticks * 64 * 1024).to.be.lessThan(64 * 1024 * 1024);
  });
});
