import { expect } from 'chai';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testConfig } from '../helpers/config.js';
import { until } from '../helpers/hostile-rig.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'chat', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

/** A streamed request read as it arrives: its status and headers as soon as they come, then the body. */
function streamed(url: string, body: unknown) {
  const state: { status?: number; contentType?: string; body: string; ended: boolean } = { body: '', ended: false };
  const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
    state.status = res.statusCode;
    state.contentType = res.headers['content-type'];
    res.setEncoding('utf8');
    res.on('data', (d: string) => { state.body += d; });
    res.on('end', () => { state.ended = true; });
  });
  req.end(JSON.stringify(body));
  return state;
}

/**
 * Regression (found by probing): a Gemini `:streamGenerateContent` without `alt=sse` is one JSON
 * array, which no `: keepalive` comment may precede; but when its upstream request waited for a
 * connection (http_client.connections_per_origin), the wait sent the headers with an SSE
 * keepalive, so the body began `: keepalive\n\n[{"candidates":…` under `application/json` and no
 * client could parse it. A JSON array's wait now sends the headers alone.
 * (@google/genai always streams with `alt=sse`, so the array is read over plain HTTP.)
 */
describe('e2e: a Gemini JSON-array stream that waits for an upstream connection stays JSON (regression)', function () {
  this.timeout(30_000);
  let upstream: Server;
  let lip: RunningLip;
  /** Requests the upstream holds until the test answers them. */
  const held: ServerResponse[] = [];
  const answer = (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(chunk({ role: 'assistant', content: 'hello' }) + chunk({}, 'stop') + 'data: [DONE]\n\n');
  };

  before(async () => {
    upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => held.push(res));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "${url}", api_key: "k" }`, [
      'http_client: { connections_per_origin: 1 }',
      'server: { host: 127.0.0.1, port: 0, keepalive_interval: 60s }',
    ].join('\n')));
  });
  after(async () => {
    await lip?.close();
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
  });

  it('the queued request gets its headers at once and a body that parses as the JSON array, no keepalive before it', async () => {
    const first = streamed(`${lip.url}/v1/chat/completions`, { model: 'oc:chat', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    await until(() => held.length === 1, 'the first request holding the only upstream connection');
    const array = streamed(`${lip.url}/v1beta/models/oc:chat:streamGenerateContent`, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
    // It waits in lip's connection queue, and its client already has the response's headers.
    await until(() => array.status !== undefined, 'the queued request\'s headers');
    expect([array.status, array.contentType, held.length]).to.deep.equal([200, 'application/json; charset=UTF-8', 1]);

    answer(held.shift()!);
    await until(() => first.ended && held.length === 1, 'the queued request dispatched');
    answer(held.shift()!);
    await until(() => array.ended, 'the JSON array\'s end');
    expect(array.body.startsWith('[')).to.equal(true, JSON.stringify(array.body.slice(0, 40)));
    const elements = JSON.parse(array.body) as { candidates?: { content?: { parts?: { text?: string }[] } }[] }[];
    expect(elements.map((e) => e.candidates?.[0]?.content?.parts?.map((p) => p.text ?? '').join('') ?? '').join('')).to.equal('hello');
  });
});
