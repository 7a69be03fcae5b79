import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startHeldUpstream, streamedRequest as streamed, type HeldUpstream } from '../helpers/held-upstream.js';
import { until } from '../helpers/hostile-rig.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

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
  let upstream: HeldUpstream;
  let lip: RunningLip;

  before(async () => {
    upstream = await startHeldUpstream();
    lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "${upstream.url}", api_key: "k" }`, [
      'http_client: { connections_per_origin: 1 }',
      'server: { host: 127.0.0.1, port: 0, keepalive_interval: 60s }',
    ].join('\n')));
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
  });

  it('the queued request gets its headers at once and a body that parses as the JSON array, no keepalive before it', async () => {
    const first = streamed(`${lip.url}/v1/chat/completions`, { model: 'oc:chat', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    await until(() => upstream.held.length === 1, 'the first request holding the only upstream connection');
    const array = streamed(`${lip.url}/v1beta/models/oc:chat:streamGenerateContent`, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
    // It waits in lip's connection queue, and its client already has the response's headers.
    await until(() => array.status !== undefined, 'the queued request\'s headers');
    expect([array.status, array.contentType, upstream.held.length]).to.deep.equal([200, 'application/json; charset=UTF-8', 1]);

    upstream.answer(upstream.held.shift()!);
    await until(() => first.ended && upstream.held.length === 1, 'the queued request dispatched');
    upstream.answer(upstream.held.shift()!);
    await until(() => array.ended, 'the JSON array\'s end');
    expect(array.body.startsWith('[')).to.equal(true, JSON.stringify(array.body.slice(0, 40)));
    const elements = JSON.parse(array.body) as { candidates?: { content?: { parts?: { text?: string }[] } }[] }[];
    expect(elements.map((e) => e.candidates?.[0]?.content?.parts?.map((p) => p.text ?? '').join('') ?? '').join('')).to.equal('hello');
  });
});
