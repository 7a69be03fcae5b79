import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { UpstreamClient, DEFAULT_HTTP_SETTINGS } from '../../../lib/backends/http/index.js';
import { emptyCall } from '../../../lib/canonical/index.js';
import type { Runtime } from '../../../lib/core/runtime.js';
import { backendOf, drain, runtimeFor } from '../../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../../helpers/lip.js';
import { testConfig } from '../../helpers/config.js';

// An upstream that closes an idle keep-alive connection (FIN or RST) just as lip sends the next
// request on it: the request failed (502, or a failover) and counted as the candidate's failure,
// since undici never resends a POST. lip now resends such a request once, on a new connection,
// when the close came before any byte of its answer on a connection that had carried a request
// before; a fresh connection's failure, or one after the answer began, is still the upstream's.

type Close = 'fin' | 'rst' | 'answer-begun';

/**
 * An upstream that answers the first request of each connection and meets the next one on the
 * same connection with `close` (`closeAll`: every request after the very first one).
 */
class ClosingUpstream {
  readonly server: Server;
  connections = 0;
  requests = 0;
  close: Close = 'fin';
  closeAll = false;
  private readonly perSocket = new WeakMap<Socket, number>();
  constructor(private readonly answer: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => { body += chunk; });
      req.on('end', () => {
        this.requests++;
        const socket = req.socket;
        const n = (this.perSocket.get(socket) ?? 0) + 1;
        this.perSocket.set(socket, n);
        if (n === 1 && !(this.closeAll && this.requests > 1)) return this.answer(req, res, body);
        if (this.close === 'rst') return void socket.resetAndDestroy();
        if (this.close === 'answer-begun') return void socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n');
        socket.destroy();
      });
    });
    this.server.on('connection', () => { this.connections++; });
  }
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  reset(): void {
    this.connections = 0;
    this.requests = 0;
    this.close = 'fin';
    this.closeAll = false;
  }
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

/** Chat Completions (streamed or whole) and Anthropic's token count. */
function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
  if (req.url?.endsWith('/count_tokens')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify({ input_tokens: 7 }));
  }
  const parsed = JSON.parse(body || '{}') as { stream?: boolean };
  if (parsed.stream === false) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(`${chunk({ role: 'assistant', content: '' })}${chunk({ content: 'fine' })}${chunk({}, 'stop')}data: [DONE]\n\n`);
}

describe('backends/http: a request on a keep-alive connection the upstream just closed (regression)', () => {
  let up: ClosingUpstream;
  let url: string;
  before(async () => {
    up = new ClosingUpstream(answer);
    url = await up.listen();
  });
  beforeEach(() => up.reset());
  after(() => up.stop());

  describe('UpstreamClient.open', () => {
    let client: UpstreamClient;
    beforeEach(() => { client = new UpstreamClient(DEFAULT_HTTP_SETTINGS); });
    afterEach(() => client.close(0));

    const post = async () => {
      // The previous answer's connection is back in the pool once undici has finished with it.
      await new Promise((resolve) => setImmediate(resolve));
      const response = await client.open({ method: 'POST', url: `${url}/v1/chat/completions`, headers: { 'content-type': 'application/json' }, body: '{"stream":false}' }, new AbortController().signal);
      return { status: response.statusCode, text: await response.body.text() };
    };

    for (const close of ['fin', 'rst'] as const) {
      it(`resends once on a new connection when the upstream closes a reused one (${close}) before answering`, async () => {
        up.close = close;
        expect((await post()).status).to.equal(200);
        const second = await post();
        expect(second.status).to.equal(200);
        expect(second.text).to.contain('fine');
        expect(up.requests, 'the first, the one met with a close, its resend').to.equal(3);
        expect(up.connections).to.equal(2);
      });
    }

    it('does not resend a request whose answer had begun', async () => {
      up.close = 'answer-begun';
      await post();
      const failed = await post().then(() => undefined, (err: unknown) => err);
      expect(failed, 'the cut answer fails').to.be.instanceOf(Error);
      expect(up.requests).to.equal(2);
    });

    it('resends only once: a new connection closed before its answer fails', async () => {
      up.closeAll = true;
      await post();
      const failed = await post().then(() => undefined, (err: unknown) => err);
      expect(failed).to.be.instanceOf(Error);
      expect(up.requests, 'the first, the closed one, its one resend').to.equal(3);
    });

    it('does not resend on a fresh connection closed before its answer', async () => {
      up.closeAll = true;
      up.requests = 1; // every request is met with a close, the very first one too
      const failed = await post().then(() => undefined, (err: unknown) => err);
      expect(failed).to.be.instanceOf(Error);
      expect(up.requests - 1).to.equal(1);
    });

    it('does not resend a request its caller aborted', async () => {
      up.close = 'rst';
      await post();
      const caller = new AbortController();
      const sent = client.open({ method: 'POST', url: `${url}/v1/chat/completions`, headers: {}, body: '{"stream":false}' }, caller.signal);
      caller.abort();
      const failed = await sent.then(() => undefined, (err: unknown) => err);
      expect(failed).to.be.instanceOf(Error);
      expect(up.requests).to.be.at.most(2);
    });
  });

  describe('the backends: a generation and a token count', () => {
    let runtime: Runtime;
    beforeEach(() => {
      runtime = runtimeFor([
        `  - { id: chat, kind: openai-chat, base_url: "${url}/v1", api_key: k-0123456789 }`,
        `  - { id: anth, kind: anthropic, base_url: "${url}", api_key: k-0123456789 }`,
      ].join('\n'));
    });
    afterEach(() => runtime.close());
    const idle = () => new Promise((resolve) => setImmediate(resolve));
    const call = emptyCall({ model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });

    it('a streamed generation on a connection the upstream closed is resent, not failed', async () => {
      const backend = backendOf(runtime, 'chat');
      expect((await drain(backend.stream(call, { model: 'm', candidateKey: 'chat:m' }))).error).to.equal(undefined);
      await idle();
      const second = await drain(backend.stream(call, { model: 'm', candidateKey: 'chat:m' }));
      expect(second.error).to.equal(undefined);
      expect(up.requests).to.equal(3);
    });

    it('a token count on a connection the upstream closed is resent, not failed', async () => {
      up.close = 'rst';
      const backend = backendOf(runtime, 'anth');
      expect(await backend.countTokens!(call, 'm', new AbortController().signal)).to.equal(7);
      await idle();
      expect(await backend.countTokens!(call, 'm', new AbortController().signal)).to.equal(7);
      expect(up.requests).to.equal(3);
    });
  });

  describe('through lip', () => {
    let lip: RunningLip;
    before(async () => {
      lip = await startLip(testConfig(`  - { id: up, kind: openai-chat, base_url: "${url}/v1", api_key: k-0123456789 }`, [
        'routing: { default_route: "up:m", circuit_breaker: { enabled: true, failure_threshold: 1, open_for: 60s } }',
        'diagnostics: { enabled: true }',
      ].join('\n')));
    });
    after(() => lip.close());

    it('answers every request and counts no circuit failure', async () => {
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${lip.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'up:m', stream: i % 2 === 0, messages: [{ role: 'user', content: 'hi' }] }) });
        expect(res.status, `request ${i}`).to.equal(200);
        expect(await res.text()).to.contain('fine');
      }
      const circuits = await (await fetch(`${lip.url}/admin/circuits`)).json() as { circuits: { key: string; failures: number }[] };
      expect(circuits.circuits.filter((c) => c.failures > 0)).to.deep.equal([]);
    });
  });
});
