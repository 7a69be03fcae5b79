import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectEvents, emptyCall } from '../../../lib/canonical/index.js';
import type { Runtime } from '../../../lib/core/runtime.js';
import { backendOf, drain, runtimeFor } from '../../helpers/emulators/index.js';

type Handler = (req: IncomingMessage, body: any, res: ServerResponse) => void;

/**
 * The whole-answer path of upstreamSource (readWholeResponse) against a bare node:http server:
 * what a non-streamed request accepts besides the provider's JSON, and what it refuses.
 */
describe('backends/http/read-whole-response', () => {
  let server: Server;
  let runtime: Runtime;
  let handler: Handler;
  let connections = 0;
  before(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => { raw += c.toString(); });
      req.on('end', () => handler(req, JSON.parse(raw || '{}'), res));
    });
    server.on('connection', () => { connections++; });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    runtime = runtimeFor(`  - { id: c, kind: openai-chat, base_url: "${url}", api_key: k-0123456789 }`);
  });
  after(async () => {
    await runtime.close();
    server.closeAllConnections();
    server.close();
  });
  const run = () => drain(backendOf(runtime, 'c').stream(
    emptyCall({ model: 'm', stream: false, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] }),
    { model: 'm', candidateKey: 'c:m', whole: true },
  ));
  const completion = { id: 'c1', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'whole' }, finish_reason: 'stop' }] };

  it('sends stream: false without stream_options, reads the JSON answer and keeps its connections for the next ones', async () => {
    const bodies: any[] = [];
    handler = (_req, body, res) => {
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion));
    };
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      const { events, error, violations } = await run();
      expect(error).to.equal(undefined);
      expect(violations).to.deep.equal([]);
      expect(collectEvents(events).blocks).to.deep.equal([{ type: 'text', text: 'whole' }]);
      seen.push(connections);
    }
    expect(bodies.map((b) => [b.stream, b.stream_options])).to.deep.equal(bodies.map(() => [false, undefined]));
    // A body read to its end leaves the connection in the pool: once warm, no new connections.
    expect(seen.slice(2), 'keep-alive connections reused').to.deep.equal([seen[2], seen[2], seen[2], seen[2]]);
  });

  it('reads an event stream when the upstream streams anyway', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify({ id: 'c2', choices: [{ index: 0, delta: { content: 'streamed' }, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
    };
    const { events, error } = await run();
    expect(error).to.equal(undefined);
    expect(collectEvents(events).blocks).to.deep.equal([{ type: 'text', text: 'streamed' }]);
  });

  it('refuses a 2xx body that is not JSON, or lacks the answer, as LIP_ERR_UPSTREAM_MALFORMED', async () => {
    handler = (_req, _body, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('sign in');
    const plain = await run();
    expect(plain.events).to.deep.equal([]);
    expect(plain.error).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED', retryable: false });
    expect(plain.error!.message).to.contain('not JSON');
    handler = (_req, _body, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[1,2]');
    expect((await run()).error).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
    handler = (_req, _body, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"c3","choices":[]}');
    expect((await run()).error!.message).to.contain('choices[0].message');
  });

  // Found by probing raw upstream wire formats: a 200 HTML page (a login portal, a gateway) and an
  // empty 200 body failed a non-streamed request as "the body is not JSON", not retryable, where a
  // streamed request answered so fails over.
  it('fails over on a 200 HTML page (named) or an empty body (LIP_ERR_UPSTREAM_EMPTY_STREAM)', async () => {
    handler = (_req, _body, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html>sign in</html>');
    const html = await run();
    expect(html.events).to.deep.equal([]);
    expect(html.error).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED', retryable: true });
    expect(html.error!.message).to.equal('backend "c": malformed upstream response: the upstream answered an HTML page (text/html; charset=utf-8) instead of a JSON answer');
    for (const body of ['', ' \r\n', '\ufeff']) {
      handler = (_req, _body, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      const empty = await run();
      expect(empty.events, JSON.stringify(body)).to.deep.equal([]);
      expect(empty.error, JSON.stringify(body)).to.include({ code: 'LIP_ERR_UPSTREAM_EMPTY_STREAM', retryable: true });
    }
  });

  // Found by probing odd upstream replies: a JSON answer after a UTF-8 byte order mark was "the
  // body is not JSON" (not retryable), where the providers' SDKs (Fetch's json()) skip the mark.
  it('reads a JSON answer that starts with a byte order mark', async () => {
    handler = (_req, _body, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(`\ufeff${JSON.stringify(completion)}`);
    const { events, error } = await run();
    expect(error).to.equal(undefined);
    expect(collectEvents(events).text).to.equal('whole');
  });

  it('waits for a whole answer\'s late headers up to body_timeout, where a streamed request would time out', async function () {
    this.timeout(30_000);
    // The upstream answers only after 3 s of "generation": past headers_timeout (1 s; undici's
    // timers are coarse, so it fires well before), well within body_timeout (30 s).
    const slow = runtimeFor(`  - { id: c, kind: openai-chat, base_url: "http://127.0.0.1:${(server.address() as AddressInfo).port}/v1", api_key: k-0123456789 }`,
      {}, 'http_client: { headers_timeout: 1s, body_timeout: 30s }');
    handler = (_req, body, res) => setTimeout(() => {
      if (body.stream) res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: [DONE]\n\n');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion));
    }, 3_000);
    const call = emptyCall({ model: 'm', stream: false, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
    try {
      const whole = await drain(backendOf(slow, 'c').stream(call, { model: 'm', candidateKey: 'c:m', whole: true }));
      expect(whole.error).to.equal(undefined);
      expect(collectEvents(whole.events).blocks).to.deep.equal([{ type: 'text', text: 'whole' }]);
      const streamed = await drain(backendOf(slow, 'c').stream(call, { model: 'm', candidateKey: 'c:m' }));
      expect(streamed.error).to.include({ code: 'LIP_ERR_UPSTREAM_HEADERS_TIMEOUT' });
    } finally {
      await slow.close();
    }
  });

  it('still classifies a non-2xx answer through the kind (status kept, retryable 5xx)', async () => {
    handler = (_req, _body, res) => res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"down","type":"server_error"}}');
    const { error } = await run();
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 503, retryable: true });
    expect(error!.message).to.contain('down');
  });
});
