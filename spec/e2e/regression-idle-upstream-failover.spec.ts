import { expect } from 'chai';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

// An upstream that answered 200 and then kept its connection alive without completing an event
// (keep-alive comments, a trickle of bytes) reset undici's body timer with every chunk: the
// request stayed open until the client left and the next candidate never ran. lip's own
// http_client.body_timeout (counted between decoded events) now ends the attempt, and before any
// output the selector's next candidate serves.

/** Answers every request with 200 and then, every 50 ms, `frame` (the connection stays open); records each close. */
function keepAliveUpstream(frame: (stream: boolean) => string, head: (stream: boolean) => string = () => '') {
  const closes: (() => void)[] = [];
  let closed = 0;
  const open = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => { raw += chunk.toString('utf8'); });
    req.on('end', () => {
      const stream = (JSON.parse(raw) as { stream?: boolean }).stream === true;
      res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
      res.write(head(stream));
      open.add(res);
      const timer = setInterval(() => res.write(frame(stream)), 50);
      res.on('close', () => {
        clearInterval(timer);
        open.delete(res);
        closed++;
        for (const resolve of closes.splice(0)) resolve();
      });
    });
  });
  return {
    server,
    get closed() { return closed; },
    /** Resolves once `count` responses have been closed. */
    closedCount(count: number): Promise<void> {
      return new Promise((resolve) => {
        const check = () => (closed >= count ? resolve() : closes.push(check));
        check();
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('e2e: an upstream that stays alive without yielding an event is timed out and failed over', function () {
  this.timeout(30_000);

  const cases: [string, Parameters<typeof keepAliveUpstream>][] = [
    // (a whole answer's keep-alive: whitespace before the JSON, as OpenRouter sends it)
    ['SSE keep-alive comments', [(stream) => (stream ? ': keepalive\n\n' : ' ')]],
    ['a trickle of bytes that never completes a frame or the JSON body', [() => 'x', (stream) => (stream ? 'data: {"pad":"' : '{"pad":"')]],
  ];
  for (const [what, args] of cases) {
    describe(what, () => {
      let upstream: ReturnType<typeof keepAliveUpstream>;
      let lip: RunningLip;
      before(async () => {
        upstream = keepAliveUpstream(...args);
        await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
        const base = `http://127.0.0.1:${(upstream.server.address() as AddressInfo).port}`;
        lip = await startLip(testConfig(
          `  - { id: oc, kind: openai-chat, base_url: "${base}/v1", api_key: k }\n  - { id: st, kind: localstub }`,
          'http_client: { headers_timeout: 5s, body_timeout: 1s }\nrouting: { default_route: "oc:m" }',
        ));
      });
      after(async () => {
        await lip.close();
        await upstream.close();
      });

      for (const stream of [true, false]) {
        it(`serves a ${stream ? 'streamed' : 'whole'} answer from the next candidate and closes the stalled upstream`, async () => {
          const before = upstream.closed;
          const res = await fetch(`${lip.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
            body: JSON.stringify({ model: 'oc:m|st:m', stream, messages: [{ role: 'user', content: 'hi' }] }),
          });
          const text = await res.text();
          expect(res.status).to.equal(200);
          expect(text).to.not.include('"error"');
          if (stream) expect(text).to.include('data: [DONE]');
          else expect((JSON.parse(text) as { choices: { finish_reason: string }[] }).choices[0]!.finish_reason).to.equal('stop');
          await upstream.closedCount(before + 1);
        });
      }
    });
  }
});
