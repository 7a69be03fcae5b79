import { expect } from 'chai';
import { request, type ServerResponse } from 'node:http';
import { testConfig } from '../helpers/config.js';
import { chatChunk as chunk, startHeldUpstream, streamedRequest, type HeldUpstream } from '../helpers/held-upstream.js';
import { until } from '../helpers/hostile-rig.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const streamRequest = (url: string) => streamedRequest(`${url}/v1/chat/completions`, { model: 'chat', stream: true, messages: [{ role: 'user', content: 'hi' }] });

describe('e2e: http_client.connections_per_origin (lip\'s connection queue)', function () {
  this.timeout(30_000);
  let upstream: HeldUpstream;
  let lip: RunningLip;
  /** Requests the upstream holds before answering (released by the test). */
  let held: ServerResponse[];
  const received = () => upstream.received();
  const answer = (res: ServerResponse) => upstream.answer(res);

  before(async () => {
    upstream = await startHeldUpstream();
    held = upstream.held;
    lip = await startLip(testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "k" }`, [
      'http_client: { connections_per_origin: 1 }',
      'routing: { default_route: "up:chat", circuit_breaker: { enabled: true, failure_threshold: 1, open_for: 60s } }',
      'observability: { metrics: { enabled: true, path: /metrics } }',
      'diagnostics: { enabled: true }',
      'server: { host: 127.0.0.1, port: 0, keepalive_interval: 60s }',
    ].join('\n')));
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
  });

  it('queues the request over the cap, answers its client\'s headers at once, counts the depth, and dispatches it when the slot frees', async () => {
    const first = streamRequest(lip.url);
    await until(() => received() === 1, 'the first request upstream');
    const second = streamRequest(lip.url);
    // The second waits in lip's queue, not upstream; its client already has a live response.
    await until(() => second.status !== undefined && second.body.includes(': keepalive'), 'the queued client\'s headers and keepalive');
    expect(second.status).to.equal(200);
    expect(received()).to.equal(1);
    const metrics = (await httpRequest(`${lip.url}/metrics`, { method: 'GET' })).body;
    expect(metrics).to.match(/^lip_upstream_queue_depth\{backend="up"\} 1$/m);

    answer(held.shift()!);
    await until(() => first.ended, 'the first answer');
    await until(() => received() === 2, 'the second request dispatched');
    answer(held.shift()!);
    await until(() => second.ended, 'the second answer');
    for (const r of [first, second]) {
      expect(r.body).to.contain('"content":"hello"');
      expect(r.body).to.contain('data: [DONE]');
    }
    expect((await httpRequest(`${lip.url}/metrics`, { method: 'GET' })).body).not.to.match(/^lip_upstream_queue_depth\{backend="up"\} [1-9]/m);
    // The wait was never an upstream failure: the circuit stayed closed.
    const circuits = JSON.parse((await httpRequest(`${lip.url}/admin/circuits`, { method: 'GET' })).body) as { circuits: { key: string; state: string }[] };
    expect(circuits.circuits.filter((c) => c.state !== 'closed')).to.deep.equal([]);
  });

  it('a queued request whose client leaves is dropped from the queue and never reaches the upstream', async () => {
    const first = streamRequest(lip.url);
    await until(() => held.length === 1, 'the first request upstream');
    const before = received();
    const req = request(`${lip.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('error', () => undefined);
    req.end(JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'bye' }] }));
    await until(async () => /^lip_upstream_queue_depth\{backend="up"\} 1$/m.test((await httpRequest(`${lip.url}/metrics`, { method: 'GET' })).body), 'the second request queued');
    req.destroy();
    await until(async () => !/^lip_upstream_queue_depth\{backend="up"\} [1-9]/m.test((await httpRequest(`${lip.url}/metrics`, { method: 'GET' })).body), 'the queue emptied');
    answer(held.shift()!);
    await until(() => first.ended, 'the first answer');
    // A third request goes straight through: the abandoned one never took the slot.
    const third = streamRequest(lip.url);
    await until(() => held.length === 1, 'the third request upstream');
    answer(held.shift()!);
    await until(() => third.ended, 'the third answer');
    expect(received()).to.equal(before + 1);
  });

  // Found by probing odd upstream replies: an upstream that sent its whole stream, [DONE] included,
  // and then kept the response open (or sent keep-alive comments) held the connection, and so the
  // origin's only slot, until it hung up: the client had its answer, and every later request
  // waited in the queue. The drain after the terminal frame now lasts at most a second.
  it('frees the slot of an answer whose upstream keeps the response open after its terminal frame', async () => {
    const lingering: { res: ServerResponse; closed: boolean }[] = [];
    const linger = (res: ServerResponse) => {
      const entry = { res, closed: false };
      lingering.push(entry);
      res.on('close', () => { entry.closed = true; });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ role: 'assistant', content: 'hello' }) + chunk({}, 'stop') + 'data: [DONE]\n\n');
      res.write(': still here\n\n');
    };
    const before = received();
    const first = streamRequest(lip.url);
    await until(() => held.length === 1, 'the first request upstream');
    linger(held.shift()!);
    await until(() => first.ended, 'the first answer');
    const second = streamRequest(lip.url);
    await until(() => held.length === 1, 'the second request dispatched once lip let the lingering answer go');
    expect(lingering[0]!.closed).to.equal(true);
    answer(held.shift()!);
    await until(() => second.ended, 'the second answer');
    expect(received()).to.equal(before + 2);
    for (const r of [first, second]) expect(r.body).to.contain('"content":"hello"').and.to.contain('data: [DONE]');
  });
});

// Found by probing: a request over connections_per_origin waited without limit, even when its route
// had a healthy alternative (`up|other`): it sat behind streams that could run for minutes.
// http_client.queue_timeout now turns it away with the retryable LIP_ERR_UPSTREAM_QUEUE_TIMEOUT,
// which no circuit counts: failover moves on, and a route with nothing left answers 503.
describe('e2e: http_client.queue_timeout (a request waits for a connection only so long)', function () {
  this.timeout(30_000);
  let upstream: HeldUpstream;
  let other: HeldUpstream;
  let lip: RunningLip;
  const whole = (route: string) => fetch(`${lip.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-lip-route': route }, body: JSON.stringify({ model: 'chat', stream: false, messages: [{ role: 'user', content: 'hi' }] }),
  });

  before(async () => {
    upstream = await startHeldUpstream();
    other = await startHeldUpstream();
    lip = await startLip(testConfig([
      `  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "k" }`,
      `  - { id: other, kind: openai-chat, base_url: "${other.url}", api_key: "k" }`,
      `  - { id: up2, kind: openai-chat, base_url: "${upstream.url}", api_key: "k" }`,
    ].join('\n'), [
      'http_client: { connections_per_origin: 1, queue_timeout: 300ms }',
      'routing: { default_route: "up:chat", circuit_breaker: { enabled: true, failure_threshold: 1, open_for: 60s } }',
      'diagnostics: { enabled: true }',
    ].join('\n')));
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
    await other?.close();
  });

  /** Holds up's one connection with a stream that does not end until `release()`. */
  const occupy = async () => {
    const first = streamRequest(lip.url);
    await until(() => upstream.held.length === 1, 'the first request upstream');
    return async () => {
      upstream.answer(upstream.held.shift()!);
      await until(() => first.ended, 'the first answer');
    };
  };

  it('moves on to the next arm of `|` when the wait for a connection passes queue_timeout, and no circuit counts it', async () => {
    const release = await occupy();
    const before = upstream.received();
    const answer = whole('up:chat|other:chat');
    await until(() => other.held.length === 1, 'the request failed over to other');
    other.answer(other.held.shift()!);
    const res = await answer;
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-lip-backend')).to.equal('other:chat');
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).to.equal('hello');
    expect(upstream.received(), 'the queued request never reached up').to.equal(before);
    await release();
    const circuits = (await (await fetch(`${lip.url}/admin/circuits`)).json()) as { circuits: { key: string; state: string; failures: number }[] };
    expect(circuits.circuits.filter((c) => c.state !== 'closed' || c.failures > 0)).to.deep.equal([]);
  });

  // docs/configuration.md (http_client.connections_per_origin): the cap is per backend row, not per origin.
  it('counts the cap per backend row: another row with the same origin has its own', async () => {
    const release = await occupy();
    const second = whole('up2:chat');
    await until(() => upstream.held.length === 2, 'the other row\'s request upstream beside the first');
    upstream.answer(upstream.held.pop()!);
    expect((await second).status).to.equal(200);
    await release();
  });

  it('answers 503 with Retry-After when the route has nothing else, in the client\'s protocol', async () => {
    const release = await occupy();
    const res = await whole('up:chat');
    expect(res.status).to.equal(503);
    expect(res.headers.get('retry-after')).to.equal('1');
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).to.equal('LIP_ERR_ROUTE_OVERLOADED');
    expect(body.error.message).to.contain('queue_timeout');
    await release();
    // The slot it never took: the next request goes straight through.
    const next = whole('up:chat');
    await until(() => upstream.held.length === 1, 'the next request upstream');
    upstream.answer(upstream.held.shift()!);
    expect((await next).status).to.equal(200);
  });
});
