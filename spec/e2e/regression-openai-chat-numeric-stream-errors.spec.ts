import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const frame = (body: unknown) => `data: ${JSON.stringify(body)}\n\n`;
/** OpenRouter's error before any output: 200, then a chunk with a numeric `code` and `finish_reason: "error"`. */
const openrouterError = (code: number, message: string) => frame({
  id: 'gen-1', object: 'chat.completion.chunk', created: 1, model: 'x', provider: 'Anthropic',
  error: { code, message, metadata: { raw: 'overloaded', provider_name: 'Anthropic' } },
  choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
});
/** vLLM's internal generation failure inside its stream. */
const vllmError = frame({ error: { message: 'Internal server error', type: 'InternalServerError', param: null, code: 500 } });

/**
 * Found by a probe of the presets: OpenRouter reports a provider's failure inside its 200 stream
 * (or as a 200 JSON body) with a numeric `code` (502, 429), vLLM with `code: 500` and type
 * `InternalServerError`; only string types were read, so none was retryable and a route
 * `or:m|fb:m` answered 502 without trying `fb`. The numeric code now decides as an HTTP status
 * would (408, 409, 429, 5xx fail over) and is the error's status; OpenRouter's provider and its
 * raw words are in the message.
 */
describe('e2e regression: numeric in-stream error codes of OpenRouter and vLLM', function () {
  this.timeout(20_000);
  let up: Emulator;
  let fb: Emulator;
  let lip: RunningLip;
  let client: OpenAI;
  before(async () => {
    [up, fb] = await Promise.all([startOpenAIChatEmulator(), startOpenAIChatEmulator()]);
    lip = await startLip(testConfig(`  - { id: or, kind: openrouter, base_url: "${up.url}", api_key: "k-0123456789" }
  - { id: v, kind: vllm, base_url: "${up.url}" }
  - { id: fb, kind: vllm, base_url: "${fb.url}" }`));
    client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([up?.close(), fb?.close()]);
  });
  beforeEach(() => {
    up.reset();
    fb.reset();
  });
  const ask = (model: string) => client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const text = async (model: string): Promise<string> => {
    let out = '';
    for await (const chunk of await ask(model)) out += chunk.choices[0]?.delta?.content ?? '';
    return out;
  };

  // (A whole answer's error body goes through the same classifier: spec/backends/openai-chat/classify-error.spec.ts.)
  const cases: [string, string, () => void][] = [
    ['an OpenRouter in-stream 502', 'or:m|fb:m', () => up.enqueue({ rawFrames: [': OPENROUTER PROCESSING\n\n', openrouterError(502, 'Provider returned error')] })],
    ['an OpenRouter in-stream 429', 'or:m|fb:m', () => up.enqueue({ rawFrames: [frame({ error: { code: 429, message: 'Rate limit exceeded upstream', metadata: {} } })] })],
    ['an OpenRouter 200 JSON body with code 502', 'or:m|fb:m', () => up.enqueue({ headers: { 'content-type': 'application/json' }, rawFrames: [JSON.stringify({ error: { code: 502, message: 'Provider returned error' } })] })],
    ['a vLLM in-stream InternalServerError', 'v:m|fb:m', () => up.enqueue({ rawFrames: [frame({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }), vllmError, 'data: [DONE]\n\n'] })],
  ];
  for (const [what, model, enqueue] of cases) {
    it(`${what} before output fails over to the next candidate`, async () => {
      enqueue();
      fb.enqueue({ text: 'from the fallback' });
      expect(await text(model)).to.equal('from the fallback');
      expect(up.requests).to.have.length(1);
      expect(fb.requests).to.have.length(1);
    });
  }

  it('alone, an in-stream 429 is the route\'s rate limit, a 400 the client\'s 400, and OpenRouter\'s provider is named', async () => {
    up.enqueue({ rawFrames: [frame({ error: { code: 429, message: 'Rate limit exceeded upstream', metadata: {} } })] });
    const limited = await ask('or:m').then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(limited).to.be.instanceOf(OpenAI.APIError);
    expect(limited!.status).to.equal(429);

    up.enqueue({ rawFrames: [frame({ error: { code: 400, message: 'Input required: specify "prompt" or "messages"', metadata: {} } })] });
    const bad = await ask('or:m|fb:m').then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(bad!.status).to.equal(400);
    expect(fb.requests).to.have.length(0);

    up.enqueue({ rawFrames: [openrouterError(502, 'Provider returned error')] });
    const failed = await ask('or:m').then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(failed!.message).to.include('Provider returned error (Anthropic: overloaded)');
  });
});
