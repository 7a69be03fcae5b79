import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startGeminiEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/** A Gemini SSE chunk of text, as the API streams it. */
const geminiText = (text: string) => `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0 }], modelVersion: 'gemini-x' })}\r\n\r\n`;
/** An error Gemini reports inside its stream (google.rpc status). */
const geminiError = (code: number, status: string, message: string) => `data: ${JSON.stringify({ error: { code, message, status } })}\r\n\r\n`;

/**
 * A provider's own error inside its stream kept its type only in lip's logs: an Anthropic
 * upstream's `event: error` of type `overloaded_error` after output reached an Anthropic client
 * as `api_error`, a Gemini upstream's `{code: 503, status: "UNAVAILABLE"}` reached a Gemini
 * client as `{code: 502, status: "INTERNAL"}`; and before any output an in-stream
 * `invalid_request_error` was an HTTP 502, which the SDKs retry. The error now keeps the status
 * the provider's type stands for (overloaded 529, rate limit 429, invalid request 400,
 * UNAVAILABLE 503, ...), so each client reads it in its own vocabulary, and before output a
 * request error is the 400 it is.
 */
describe('e2e regression: a provider\'s in-stream error keeps its type', function () {
  this.timeout(20_000);
  let claude: Emulator;
  let gemini: Emulator;
  let lip: RunningLip;
  let anthropic: Anthropic;
  let google: GoogleGenAI;
  /** HTTP calls the Anthropic SDK made (its fetch). */
  let calls = 0;
  const counting: typeof fetch = (input, init) => {
    calls++;
    return fetch(input, init);
  };
  const ask = { model: 'an:claude', max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }] };
  const contents = [{ role: 'user', parts: [{ text: 'hi' }] }];

  before(async () => {
    [claude, gemini] = await Promise.all([startAnthropicEmulator(), startGeminiEmulator()]);
    lip = await startLip(testConfig(`  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: "k-0123456789" }
  - { id: gem, kind: gemini, base_url: "${gemini.url}", api_key: "k-0123456789" }`, 'routing: { default_route: "an:claude" }'));
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', fetch: counting, openTelemetry: false } as never);
    google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([claude?.close(), gemini?.close()]);
  });
  beforeEach(() => {
    claude.reset();
    gemini.reset();
    calls = 0;
  });

  /** What a Gemini client's stream yielded (its text) and the error that ended it. */
  const geminiStream = async (model: string) => {
    let text = '';
    try {
      for await (const chunk of await google.models.generateContentStream({ model, contents })) text += chunk.text ?? '';
    } catch (err) {
      return { text, err: err as ApiError };
    }
    return { text, err: undefined };
  };

  for (const type of ['overloaded_error', 'rate_limit_error', 'invalid_request_error']) {
    it(`an Anthropic upstream's ${type} after output reaches an Anthropic client as ${type}`, async () => {
      claude.enqueue({ text: ['Hel', 'lo'], streamError: { type, message: `upstream says ${type}` } });
      let text = '';
      const stream = anthropic.messages.stream(ask);
      stream.on('text', (delta) => { text += delta; });
      const err = await stream.finalMessage().then(() => undefined, (e: unknown) => e as InstanceType<typeof Anthropic.APIError>);
      expect(text).to.equal('Hello');
      expect(err).to.be.instanceOf(Anthropic.APIError);
      expect(err!.error).to.deep.include({ type: 'error' });
      expect((err!.error as { error: { type: string; message: string } }).error).to.deep.include({ type });
      expect((err!.error as { error: { message: string } }).error.message).to.include(`upstream says ${type}`);
    });
  }

  it('a Gemini upstream\'s in-stream UNAVAILABLE after output reaches a Gemini client as 503 UNAVAILABLE', async () => {
    gemini.enqueue({ rawFrames: [geminiText('Hel'), geminiText('lo'), geminiError(503, 'UNAVAILABLE', 'The model is overloaded.')] });
    const { text, err } = await geminiStream('gem:gemini-x');
    expect(text).to.equal('Hello');
    expect(err).to.be.instanceOf(ApiError);
    expect(err!.status).to.equal(503);
    expect(err!.message).to.include('"status":"UNAVAILABLE"').and.to.include('The model is overloaded.');
  });

  it('a Gemini upstream\'s in-stream status without a numeric code: the status its name stands for (RESOURCE_EXHAUSTED 429)', async () => {
    gemini.enqueue({ rawFrames: [geminiText('Hi'), `data: ${JSON.stringify({ error: { message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED' } })}\r\n\r\n`] });
    const { err } = await geminiStream('gem:gemini-x');
    expect(err!.status).to.equal(429);
    expect(err!.message).to.include('"status":"RESOURCE_EXHAUSTED"');
  });

  it('before any output, an Anthropic upstream\'s in-stream invalid_request_error is an HTTP 400 the SDK does not retry', async () => {
    claude.enqueue({ streamError: { type: 'invalid_request_error', message: 'messages: bad turn' } });
    const err = await anthropic.messages.create({ ...ask, stream: true }).then(() => undefined, (e: unknown) => e as InstanceType<typeof Anthropic.APIError>);
    expect(err).to.be.instanceOf(Anthropic.APIError);
    expect(err!.status).to.equal(400);
    expect((err!.error as { error: { type: string; message: string } }).error.type).to.equal('invalid_request_error');
    expect((err!.error as { error: { message: string } }).error.message).to.include('messages: bad turn');
    expect(calls).to.equal(1);
    expect(claude.requests).to.have.length(1);
  });

  it('before any output, a Gemini upstream\'s in-stream INVALID_ARGUMENT is an HTTP 400 INVALID_ARGUMENT', async () => {
    gemini.enqueue({ rawFrames: [geminiError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.')] });
    const { text, err } = await geminiStream('gem:gemini-x');
    expect(text).to.equal('');
    expect(err).to.be.instanceOf(ApiError);
    expect(err!.status).to.equal(400);
    expect(err!.message).to.include('INVALID_ARGUMENT');
    expect(gemini.requests).to.have.length(1);
  });

  it('before any output, an in-stream overloaded_error still fails over to the next candidate', async () => {
    claude.enqueue({ streamError: { type: 'overloaded_error', message: 'Overloaded' } }, { text: 'from the second' });
    const message = await anthropic.messages.create({ ...ask, model: 'an:claude|an:claude-b' });
    expect(message.content[0]).to.include({ type: 'text', text: 'from the second' });
    expect(calls).to.equal(1);
    expect(claude.requests.map((r) => r.model)).to.deep.equal(['claude', 'claude-b']);
  });
});
