import { expect } from 'chai';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VirtualTimeScheduler, type Subscription } from 'rxjs';
import type { Backend } from '../../../lib/backends/backend.js';
import { emptyCall, type LipEvent } from '../../../lib/canonical/index.js';
import type { Runtime } from '../../../lib/core/runtime.js';
import { toLipError, type LipError } from '../../../lib/errors/index.js';
import { backendOf, runtimeFor } from '../../helpers/emulators/index.js';

// An upstream that keeps its connection alive but never completes an event (SSE comments,
// Anthropic pings, a repeated empty role chunk, a trickle of bytes) reset undici's body timer with
// every chunk, so the attempt stayed open until the client left and never failed over. lip now
// counts http_client.body_timeout between the canonical events a body yields, on the injected
// scheduler: these run it in virtual time (undici's own timer, 60 s of real time, never fires here).

const BODY_TIMEOUT = 60_000;
const call = emptyCall({ model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });

const chatChunk = (delta: Record<string, unknown>) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
const ROLE_CHUNK = chatChunk({ role: 'assistant', content: '' });
const MESSAGE_START = `event: message_start\ndata: ${JSON.stringify({
  type: 'message_start',
  message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } },
})}\n\n`;
const PING = 'event: ping\ndata: {"type":"ping"}\n\n';

/** A raw upstream: each request's response is handed to the test, which writes what it wants. */
class RawUpstream {
  readonly server: Server;
  private waiting: ((res: ServerResponse) => void)[] = [];
  constructor() {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => this.waiting.shift()?.(res));
    });
  }
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  /** The next request's response. */
  next(): Promise<ServerResponse> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** One subscribed attempt: its events as they come, its error, and when its response headers were read. */
class Attempt {
  readonly events: LipEvent[] = [];
  error: LipError | undefined;
  private readonly subscription: Subscription;
  private listeners: (() => void)[] = [];
  readonly opened: Promise<void>;
  constructor(backend: Backend, whole = false) {
    let open!: () => void;
    this.opened = new Promise((resolve) => { open = resolve; });
    this.subscription = backend.stream(call, { model: 'm', candidateKey: 'b:m', ...(whole ? { whole: true } : {}), onUpstreamResponse: () => open() }).subscribe({
      next: (event) => { this.events.push(event); this.notify(); },
      error: (err) => { this.error = toLipError(err); this.notify(); },
    });
  }
  /** Resolves once an event of `type` has come. */
  until(type: LipEvent['type']): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!this.events.some((e) => e.type === type)) return;
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve();
      };
      this.listeners.push(check);
      check();
    });
  }
  unsubscribe(): void {
    this.subscription.unsubscribe();
  }
  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

describe('backends/http: an upstream that stays alive but yields no event fails after http_client.body_timeout', () => {
  let upstream: RawUpstream;
  let url: string;
  let clock: VirtualTimeScheduler;
  let runtime: Runtime | undefined;
  let attempt: Attempt | undefined;
  before(async () => {
    upstream = new RawUpstream();
    url = await upstream.listen();
  });
  beforeEach(() => {
    clock = new VirtualTimeScheduler();
  });
  afterEach(async () => {
    attempt?.unsubscribe();
    await runtime?.close();
  });
  after(() => upstream.close());

  const backend = (kind: 'openai-chat' | 'anthropic') => {
    runtime = runtimeFor(`  - { id: b, kind: ${kind}, base_url: "${url}${kind === 'openai-chat' ? '/v1' : ''}", api_key: k }`, {}, `http_client: { body_timeout: ${BODY_TIMEOUT}ms }`, clock);
    return backendOf(runtime, 'b');
  };
  /** Runs the virtual clock's timers due by `frame`, then leaves the clock at `frame`. */
  const advanceTo = (frame: number) => {
    clock.maxFrames = frame;
    clock.flush();
    clock.frame = frame;
  };
  /** Starts an attempt whose upstream answered 200 with `type`; resolves with the response once lip read its headers. */
  const open = async (kind: 'openai-chat' | 'anthropic', type: string, whole = false) => {
    const answered = upstream.next();
    attempt = new Attempt(backend(kind), whole);
    const res = await answered;
    res.writeHead(200, { 'content-type': type });
    res.flushHeaders();
    await attempt.opened;
    return res;
  };
  const closed = (res: ServerResponse) => new Promise<void>((resolve) => { if (res.destroyed) resolve(); else res.once('close', () => resolve()); });
  const expectTimedOut = async (res: ServerResponse, output: boolean) => {
    expect(attempt!.error).to.include({ code: 'LIP_ERR_UPSTREAM_BODY_TIMEOUT', retryable: true });
    expect(attempt!.events.some((e) => e.type === 'text_delta')).to.equal(output);
    await closed(res); // the upstream connection was closed
  };

  const keepAlives: [string, 'openai-chat' | 'anthropic', string, string][] = [
    ['SSE comments (": keepalive")', 'openai-chat', ROLE_CHUNK, ': keepalive\n\n'],
    ["OpenRouter's processing comments", 'openai-chat', ROLE_CHUNK, ': OPENROUTER PROCESSING\n\n'],
    ['Anthropic ping frames', 'anthropic', MESSAGE_START, PING],
    ['a repeated empty role chunk', 'openai-chat', ROLE_CHUNK, ROLE_CHUNK],
    ['a trickle of bytes that never completes a frame', 'openai-chat', `${ROLE_CHUNK}data: {"pad":"`, 'x'],
  ];
  for (const [what, kind, first, again] of keepAlives) {
    it(`times out a stream that then sends only ${what}`, async () => {
      const res = await open(kind, 'text/event-stream');
      res.write(first);
      await attempt!.until('response_started');
      for (let i = 0; i < 5; i++) res.write(again);
      advanceTo(BODY_TIMEOUT - 1);
      expect(attempt!.error).to.equal(undefined);
      for (let i = 0; i < 5; i++) res.write(again);
      advanceTo(BODY_TIMEOUT);
      await expectTimedOut(res, false);
    });
  }

  it('counts from the last event that carried something: a text delta starts it over', async () => {
    const res = await open('openai-chat', 'text/event-stream');
    res.write(ROLE_CHUNK);
    await attempt!.until('response_started');
    advanceTo(40_000);
    res.write(chatChunk({ content: 'Hel' }));
    await attempt!.until('text_delta');
    res.write(': keepalive\n\n');
    advanceTo(40_000 + BODY_TIMEOUT - 1);
    expect(attempt!.error).to.equal(undefined);
    res.write(': keepalive\n\n');
    advanceTo(40_000 + BODY_TIMEOUT);
    await expectTimedOut(res, true);
  });

  it('times out a whole (non-streamed) answer whose JSON body trickles and never completes', async () => {
    const res = await open('openai-chat', 'application/json', true);
    res.write('{"id":"c1","pad":"');
    for (let i = 0; i < 5; i++) res.write('x');
    advanceTo(BODY_TIMEOUT - 1);
    expect(attempt!.error).to.equal(undefined);
    advanceTo(BODY_TIMEOUT);
    await expectTimedOut(res, false);
  });

  it('leaves a stream that ends in time alone (its check is cancelled)', async () => {
    const res = await open('openai-chat', 'text/event-stream');
    res.write(ROLE_CHUNK);
    res.write(chatChunk({ content: 'Hello' }));
    res.end(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
    await attempt!.until('response_finished');
    expect(clock.actions).to.have.length(0);
    advanceTo(10 * BODY_TIMEOUT);
    expect(attempt!.error).to.equal(undefined);
  });
});
