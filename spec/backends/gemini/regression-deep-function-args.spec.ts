import { expect } from 'chai';
import { startGeminiEmulator, type Emulator } from '../../helpers/emulators/index.js';
import { testConfig } from '../../helpers/config.js';
import { startLip, type RunningLip } from '../../helpers/lip.js';

/**
 * Found by hostile upstreams: Gemini sends function-call arguments as objects, and arguments
 * nested ~6,000 levels ended the process on the Gemini endpoints (serialising them overflowed
 * the stack). The decoder now refuses args deeper than 256 levels inside the attempt (a frame of
 * 4 KiB or more deeper than 272 is refused before it is even parsed): a
 * retryable LIP_ERR_UPSTREAM_LIMIT_EXCEEDED before any output, so failover serves the request
 * from the next arm, and without another arm the client gets a 502 in its protocol's envelope.
 */
const deep = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
/** A streamed Gemini answer whose only part is a function call with `args`, as raw wire text. */
const deepFrames = (depth: number) => [
  `data: {"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"f","args":${deep(depth)}}}]},"finishReason":"STOP","index":0}],"modelVersion":"g","responseId":"r"}\r\n\r\n`,
];

const CLIENTS: { name: string; path: (model: string, stream: boolean) => string; body: (model: string, stream: boolean) => Record<string, unknown> }[] = [
  { name: 'gemini', path: (m, s) => `/v1beta/models/${m}:${s ? 'streamGenerateContent?alt=sse' : 'generateContent'}`, body: () => ({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }) },
  { name: 'openai-chat', path: () => '/v1/chat/completions', body: (m, s) => ({ model: m, stream: s, messages: [{ role: 'user', content: 'hi' }] }) },
  { name: 'anthropic', path: () => '/v1/messages', body: (m, s) => ({ model: m, stream: s, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }) },
  { name: 'openai-responses', path: () => '/v1/responses', body: (m, s) => ({ model: m, stream: s, input: 'hi' }) },
];

describe('regression: deep Gemini function-call args', () => {
  let gemini: Emulator;
  let lip: RunningLip;
  before(async () => {
    gemini = await startGeminiEmulator();
    lip = await startLip(testConfig([
      `  - { id: gem, kind: gemini, base_url: "${gemini.url}", api_key: gk-0123456789 }`,
      '  - { id: stub, kind: localstub, text: "from the stub" }',
    ].join('\n')));
  });
  after(async () => { await lip.close(); await gemini.close(); });

  async function call(client: (typeof CLIENTS)[number], model: string, stream: boolean): Promise<{ status: number; text: string }> {
    const res = await fetch(lip.url + client.path(model, stream), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(client.body(model, stream)) });
    return { status: res.status, text: await res.text() };
  }

  for (const client of CLIENTS) {
    it(`${client.name} (stream): 6,000-level args fail the attempt before output; failover serves the next arm`, async () => {
      gemini.reset();
      gemini.enqueue({ rawFrames: deepFrames(6_000) });
      const res = await call(client, 'gem:g|stub:m', true);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('from the stub');
      expect(gemini.requests).to.have.length(1);
    });

    it(`${client.name} (stream): without another arm the client gets a 502 naming the limit, and lip serves the next request`, async () => {
      gemini.enqueue({ rawFrames: deepFrames(6_000) });
      const res = await call(client, 'gem:g', true);
      expect(res.status).to.equal(502);
      expect(res.text).to.match(/nests deeper than (256|272) levels/);
      gemini.enqueue({ text: 'fine' });
      const next = await call(client, 'gem:g', true);
      expect(next.status).to.equal(200);
      expect(next.text).to.include('fine');
    });

    it(`${client.name}: whole answers are bounded the same way (3,000 levels, as deep as the emulator can serialise)`, async () => {
      gemini.enqueue({ toolCalls: [{ name: 'f', args: deep(3_000) }] });
      const res = await call(client, 'gem:g', false);
      expect(res.status).to.equal(502);
      expect(res.text).to.match(/nests deeper than (256|272) levels/);
      gemini.enqueue({ toolCalls: [{ name: 'f', args: deep(3_000) }] });
      expect((await call(client, 'gem:g|stub:m', false)).text).to.include('from the stub');
    });
  }

  it('args of 200 levels still reach the client whole', async () => {
    gemini.enqueue({ toolCalls: [{ name: 'f', args: deep(200) }] });
    const res = await call(CLIENTS[1]!, 'gem:g', false);
    expect(res.status).to.equal(200);
    const args = JSON.parse(res.text).choices[0].message.tool_calls[0].function.arguments as string;
    expect(args).to.equal(deep(200));
  });
});
