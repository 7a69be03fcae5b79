import { expect } from 'chai';
import { startAnthropicEmulator, startGeminiEmulator, type Emulator } from '../helpers/emulators/index.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * Found by fuzzing: a `/v1/responses` tool schema nested ~4,500 levels (a 27 KB body) overflowed
 * the stack where the response object echoed the tools back, and the process ended. Client JSON
 * is now shape-checked before JSON.parse (depth 128, checkJsonShape), so every frontend answers
 * 400 LIP_ERR_REQUEST_LIMIT_EXCEEDED in its own envelope. JSON *text* inside the body (tool-call
 * arguments, tool results) is depth-checked where a backend parses it: also a 400 blamed on the
 * client, so three such requests do not open the circuit of a healthy backend.
 */
const DEPTH = 4_500;
const schemaText = '{"a":'.repeat(DEPTH) + '{}' + '}'.repeat(DEPTH);
const withSchema = (body: Record<string, unknown>) => JSON.stringify(body).replace('"@SCHEMA@"', schemaText);

const REQUESTS: { name: string; path: string; body: Record<string, unknown> }[] = [
  { name: 'openai-responses', path: '/v1/responses', body: { model: 'stub:m', input: 'hi', tools: [{ type: 'function', name: 'f', parameters: '@SCHEMA@' }] } },
  { name: 'openai-chat', path: '/v1/chat/completions', body: { model: 'stub:m', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'f', parameters: '@SCHEMA@' } }] } },
  { name: 'anthropic', path: '/v1/messages', body: { model: 'stub:m', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }], tools: [{ name: 'f', input_schema: '@SCHEMA@' }] } },
  { name: 'gemini', path: '/v1beta/models/stub:m:generateContent', body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], tools: [{ functionDeclarations: [{ name: 'f', parametersJsonSchema: '@SCHEMA@' }] }] } },
];

async function post(lip: RunningLip, path: string, body: string, stream = false): Promise<{ status: number; text: string }> {
  const url = `${lip.url}${stream ? path.replace(':generateContent', ':streamGenerateContent?alt=sse') : path}`;
  const text = stream && !path.includes(':') ? body.replace(/^\{/, '{"stream":true,') : body;
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
  return { status: res.status, text: await res.text() };
}

describe('regression: deep tool schema', () => {
  let lip: RunningLip;
  before(async () => { lip = await startLip(testConfig('  - { id: stub, kind: localstub }')); });
  after(async () => { await lip.close(); });

  for (const { name, path, body } of REQUESTS) {
    for (const stream of [false, true]) {
      it(`${name}${stream ? ' (stream)' : ''}: a ${DEPTH}-level tool schema is a 400 in the protocol's envelope, and the server answers the next request`, async () => {
        const text = withSchema(body);
        expect(text.length).to.be.within(27_000, 28_000);
        const res = await post(lip, path, text, stream);
        expect(res.status).to.equal(400);
        expect(res.text).to.include('nests deeper than 128 levels');
        if (name === 'anthropic') expect(JSON.parse(res.text)).to.deep.include({ type: 'error' });
        else if (name === 'gemini') expect(JSON.parse(res.text).error.details[0].reason).to.equal('LIP_ERR_REQUEST_LIMIT_EXCEEDED');
        else expect(JSON.parse(res.text).error.code).to.equal('LIP_ERR_REQUEST_LIMIT_EXCEEDED');
        const next = await post(lip, path, JSON.stringify(body).replace('"@SCHEMA@"', '{"type":"object"}'), stream);
        expect(next.status).to.equal(200);
      });
    }
  }

  it('a schema of 120 levels is accepted (the bound is 128 for the whole body)', async () => {
    const schema = '{"a":'.repeat(120) + '{}' + '}'.repeat(120);
    const res = await post(lip, '/v1/chat/completions', JSON.stringify(REQUESTS[1]!.body).replace('"@SCHEMA@"', schema));
    expect(res.status).to.equal(200);
  });
});

describe('regression: deep JSON text inside a request (tool-call arguments, tool results)', () => {
  let anthropic: Emulator;
  let gemini: Emulator;
  let lip: RunningLip;
  const deepArgs = '{"a":'.repeat(6_000) + '1' + '}'.repeat(6_000);
  const chatBody = (model: string, args: string) => JSON.stringify({
    model,
    messages: [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: args } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'ok' },
    ],
  });

  before(async () => {
    [anthropic, gemini] = await Promise.all([startAnthropicEmulator(), startGeminiEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: claude, kind: anthropic, base_url: "${anthropic.url}", api_key: ak-0123456789 }`,
      `  - { id: gem, kind: gemini, base_url: "${gemini.url}", api_key: gk-0123456789 }`,
    ].join('\n'), 'routing: { default_route: "claude:m", circuit_breaker: { enabled: true, failure_threshold: 2, open_for: 30s } }'));
  });
  after(async () => { await lip.close(); await Promise.all([anthropic.close(), gemini.close()]); });

  for (const backend of ['claude', 'gem']) {
    it(`${backend}: 6,000-level arguments are the client's 400, never sent upstream, and do not open the circuit`, async () => {
      const emulator = backend === 'claude' ? anthropic : gemini;
      emulator.reset();
      for (let i = 0; i < 3; i++) {
        const res = await post(lip, '/v1/chat/completions', chatBody(`${backend}:m`, deepArgs));
        expect(res.status).to.equal(400);
        // Refused as the Chat request is decoded, naming the field (spec/e2e/regression-request-error-messages.spec.ts).
        expect(JSON.parse(res.text).error).to.include({
          code: 'LIP_ERR_REQUEST_LIMIT_EXCEEDED', param: 'messages[1].tool_calls[0].function.arguments',
          message: "messages[1].tool_calls[0].function.arguments: a tool call's arguments nests deeper than 128 levels",
        });
      }
      expect(emulator.requests).to.have.length(0);
      const fine = await post(lip, '/v1/chat/completions', chatBody(`${backend}:m`, '{"a":[1]}'));
      expect(fine.status).to.equal(200);
      expect(emulator.requests).to.have.length(1);
    });
  }

  it('gem: a 6,000-level tool result is the client\'s 400 too', async () => {
    gemini.reset();
    const body = JSON.parse(chatBody('gem:m', '{}')) as { messages: { content: unknown }[] };
    body.messages[2]!.content = deepArgs;
    const res = await post(lip, '/v1/chat/completions', JSON.stringify(body));
    expect(res.status).to.equal(400);
    expect(JSON.parse(res.text).error.message).to.equal('a tool result nests deeper than 128 levels');
    expect(gemini.requests).to.have.length(0);
  });
});
