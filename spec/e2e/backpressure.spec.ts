import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveLip, type LipProcess } from '../helpers/spawn-lip.js';

/** One Chat Completions chunk of about 1 KiB of text, as OpenAI frames it. */
const FRAME = `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'x'.repeat(1000) }, finish_reason: null }] })}\n\n`;

/**
 * A fast Chat Completions upstream that sends up to `total` bytes, honouring its own socket's
 * backpressure (so a paused reader at the other end shows up as a stall here).
 */
function floodUpstream(total: number) {
  const state = { written: 0, closed: false };
  const server: Server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.once('close', () => { state.closed = true; });
    const pump = () => {
      while (state.written < total && !res.destroyed) {
        state.written += FRAME.length;
        if (!res.write(FRAME)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end('data: [DONE]\n\n');
    };
    pump();
  });
  return { server, state };
}

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** Resolves when `value()` has not changed for `quietMs` (checked every 100 ms), or rejects after `timeoutMs`. */
async function settled(value: () => number, quietMs = 600, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  let last = value();
  let since = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const now = value();
    if (now !== last) { last = now; since = Date.now(); }
    else if (Date.now() - since >= quietMs) return now;
    if (Date.now() - started > timeoutMs) throw new Error(`still changing after ${timeoutMs} ms (at ${now})`);
  }
}

/** Resolves when `check()` holds (polled every 20 ms); rejects after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('e2e: backpressure from a slow client to the upstream', function () {
  this.timeout(90_000);
  const TOTAL = 200 * 1024 * 1024;
  let upstream: ReturnType<typeof floodUpstream>;
  let lip: LipProcess & { url: string };

  before(async () => {
    upstream = floodUpstream(TOTAL);
    await new Promise<void>((r) => upstream.server.listen(0, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'lip-bp-'));
    const config = join(dir, 'lip.yaml');
    writeFileSync(config, [
      'server: { host: 127.0.0.1, port: 0, keepalive_interval: 0ms }',
      'logging: { access_log: false }',
      'backends:',
      `  - { id: up, kind: openai-chat, base_url: "http://127.0.0.1:${(upstream.server.address() as AddressInfo).port}/v1", api_key: "k" }`,
      'routing: { default_route: "up:m" }',
    ].join('\n'));
    lip = await serveLip(['--config', config]);
  });
  after(async () => {
    lip.proc.kill('SIGKILL');
    upstream.server.closeAllConnections();
    upstream.server.close();
  });

  it('a client that stops reading pauses the upstream instead of filling lip\'s memory; reading again resumes it', async () => {
    const rssBefore = rssOf(lip.proc.pid!);
    let received = 0;
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(`${lip.url}/v1/chat/completions`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, resolve);
      req.on('error', reject);
      req.end(JSON.stringify({ model: 'up:m', stream: true, messages: [{ role: 'user', content: 'flood me' }] }));
    });
    expect(response.statusCode).to.equal(200);
    response.on('data', (c: Buffer) => { received += c.length; });
    response.pause();
    response.socket.pause();

    // The upstream stalls well short of what it wants to send: lip stopped reading it.
    const stalledAt = await settled(() => upstream.state.written);
    expect(stalledAt).to.be.lessThan(32 * 1024 * 1024);
    const grown = rssOf(lip.proc.pid!) - rssBefore;
    expect(grown, `lip grew by ${(grown / 1048576).toFixed(1)} MiB`).to.be.lessThan(48 * 1024 * 1024);

    // Reading again moves the upstream on; pausing again stalls it again.
    response.socket.resume();
    response.resume();
    const target = received + 8 * 1024 * 1024;
    await until(() => received >= target);
    response.pause();
    response.socket.pause();
    const stalledAgain = await settled(() => upstream.state.written);
    expect(stalledAgain).to.be.greaterThan(stalledAt);
    expect(upstream.state.closed).to.equal(false);

    // Going away closes the upstream connection.
    response.socket.destroy();
    await until(() => upstream.state.closed);
    expect(upstream.state.written).to.be.lessThan(TOTAL);
  });
});
