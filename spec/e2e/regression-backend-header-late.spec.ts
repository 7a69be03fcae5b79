import { expect } from 'chai';
import { request, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { testConfig } from '../helpers/config.js';
import { chatChunk, startHeldUpstream, type HeldUpstream } from '../helpers/held-upstream.js';
import { until } from '../helpers/hostile-rig.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

// A streamed answer commits its headers with the first keepalive, or at once when its upstream
// request waits for a connection (connections_per_origin): before any candidate served, so
// X-LIP-Backend was missing from every such response. It is now declared in `Trailer` and sent
// as a trailer at the end of the (chunked) response.

/** A streamed request read with node:http: status and headers as they come, the body, and the trailers at the end. */
function rawStream(url: string, model: string) {
  const state = { status: 0, headers: {} as IncomingHttpHeaders, body: '', trailers: {} as NodeJS.Dict<string> };
  let bodyListener: (() => void) | undefined;
  const ended = new Promise<typeof state>((resolve, reject) => {
    const req = request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      state.status = res.statusCode ?? 0;
      state.headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        state.body += d;
        bodyListener?.();
      });
      res.on('end', () => {
        state.trailers = res.trailers;
        resolve(state);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] }));
  });
  /** Resolves once the body holds `text`. */
  const bodyHas = (text: string) => new Promise<void>((resolve) => {
    const check = () => { if (state.body.includes(text)) resolve(); };
    const previous = bodyListener;
    bodyListener = () => { previous?.(); check(); };
    check();
  });
  return { state, ended, bodyHas };
}

/** Resolves once the upstream holds `count` requests. */
const heldCount = (upstream: HeldUpstream, count: number) => until(() => upstream.held.length >= count, `${count} request(s) held upstream`);

const LATE = 'x-lip-backend';

describe('e2e: X-LIP-Backend of a stream whose headers went out before a candidate served', function () {
  this.timeout(30_000);

  describe('the first output comes after server.keepalive_interval', () => {
    let upstream: HeldUpstream;
    let lip: RunningLip;
    before(async () => {
      upstream = await startHeldUpstream();
      lip = await startLip(testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "k" }`,
        'server: { host: 127.0.0.1, port: 0, keepalive_interval: 50ms }\nrouting: { default_route: "up:chat" }'));
    });
    afterEach(() => {
      for (const held of upstream.held.splice(0)) held.destroy(); // what a failed test left waiting
    });
    after(async () => {
      await lip?.close();
      await upstream?.close();
    });

    it('declares X-LIP-Backend in Trailer and sends it as a trailer', async () => {
      const stream = rawStream(lip.url, 'up:chat');
      await stream.bodyHas(': keepalive');
      expect(stream.state.status).to.equal(200);
      expect(stream.state.headers[LATE]).to.equal(undefined);
      expect(stream.state.headers.trailer).to.equal('x-lip-backend');
      await heldCount(upstream, 1);
      upstream.answer(upstream.held.shift()!);
      const done = await stream.ended;
      expect(done.body).to.include('"content":"hello"').and.include('data: [DONE]');
      expect(done.trailers).to.deep.equal({ [LATE]: 'up:chat' });
    });

    it('sends the trailer after an in-band error too, once a candidate had served', async () => {
      const stream = rawStream(lip.url, 'up:chat');
      await stream.bodyHas(': keepalive');
      await heldCount(upstream, 1);
      const held: ServerResponse = upstream.held.shift()!;
      held.writeHead(200, { 'content-type': 'text/event-stream' });
      held.write(chatChunk({ role: 'assistant', content: 'hel' }));
      await stream.bodyHas('"content":"hel"');
      held.destroy();
      const done = await stream.ended;
      expect(done.body).to.include('"error"');
      expect(done.trailers).to.deep.equal({ [LATE]: 'up:chat' });
    });

    it('to an HTTP/1.0 client (no chunked encoding, so no trailers) declares none and still streams', async () => {
      const socket = connect(Number(new URL(lip.url).port), '127.0.0.1');
      const body = JSON.stringify({ model: 'up:chat', stream: true, messages: [{ role: 'user', content: 'hi' }] });
      let raw = '';
      const keepalive = new Promise<void>((resolve) => socket.on('data', (d: Buffer) => {
        raw += d.toString('utf8');
        if (raw.includes(': keepalive')) resolve();
      }));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(`POST /v1/chat/completions HTTP/1.0\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      await keepalive;
      await heldCount(upstream, 1);
      upstream.answer(upstream.held.shift()!);
      await closed;
      const head = raw.slice(0, raw.indexOf('\r\n\r\n')).toLowerCase();
      expect(head).to.match(/^http\/1\.1 200/);
      expect(head).to.not.include('trailer:');
      expect(raw).to.include('"content":"hello"').and.include('data: [DONE]');
    });
  });

  describe('the upstream request waits in the connections_per_origin queue', () => {
    let upstream: HeldUpstream;
    let lip: RunningLip;
    before(async () => {
      upstream = await startHeldUpstream();
      lip = await startLip(testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "k" }`,
        'http_client: { connections_per_origin: 1 }\nserver: { host: 127.0.0.1, port: 0, keepalive_interval: 60s }\nrouting: { default_route: "up:chat" }'));
    });
    afterEach(() => {
      for (const held of upstream.held.splice(0)) held.destroy(); // what a failed test left waiting
    });
    after(async () => {
      await lip?.close();
      await upstream?.close();
    });

    it('sends X-LIP-Backend as a header when the candidate is known at the first write, as a trailer when queued', async () => {
      const first = rawStream(lip.url, 'up:chat');
      await heldCount(upstream, 1);
      const second = rawStream(lip.url, 'up:chat');
      await second.bodyHas(': keepalive'); // queued: its headers went out at once
      expect(second.state.headers[LATE]).to.equal(undefined);
      expect(second.state.headers.trailer).to.equal('x-lip-backend');

      upstream.answer(upstream.held.shift()!);
      const one = await first.ended;
      expect(one.headers[LATE]).to.equal('up:chat');
      expect(one.headers.trailer).to.equal(undefined);
      expect(one.trailers).to.deep.equal({});

      await heldCount(upstream, 1);
      upstream.answer(upstream.held.shift()!);
      const two = await second.ended;
      expect(two.body).to.include('data: [DONE]');
      expect(two.trailers).to.deep.equal({ [LATE]: 'up:chat' });
    });
  });
});
