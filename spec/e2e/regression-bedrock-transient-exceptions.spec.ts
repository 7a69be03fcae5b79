import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const MODEL = 'br:anthropic.claude-sonnet-4-20250514-v1:0';
const SECOND = 'br:anthropic.claude-haiku-4-5-20251001-v1:0';
const messages = [{ role: 'user' as const, content: 'hi' }];

/**
 * Bedrock's transient model failures reached clients as their own mistakes: Bedrock answers
 * ModelErrorException and ModelStreamErrorException with 424 and ModelTimeoutException with 408,
 * and lip kept those statuses, so after output a `modelStreamErrorException` frame was an
 * `invalid_request_error` to Chat, Responses and Anthropic clients and `424 FAILED_PRECONDITION`
 * to a Gemini client (a `modelTimeoutException` a 408 alike), and a non-streamed
 * ModelErrorException a 424. They are the model's failures, not the request's: the client is now
 * told 502 (ModelError, ModelStreamError) or 504 (ModelTimeout), the AWS code kept as
 * `upstream_type`; the transient ones still fail over before output.
 */
describe('e2e regression: Bedrock\'s transient model exceptions are server errors to every client', function () {
  this.timeout(20_000);
  let bedrock: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let google: GoogleGenAI;
  before(async () => {
    bedrock = await startBedrockEmulator();
    lip = await startLip(testConfig(bedrockRow('br', bedrock)));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
    google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
  });
  after(async () => {
    await lip?.close();
    await bedrock?.close();
  });
  beforeEach(() => bedrock.reset());

  const CASES = [
    { exception: 'modelStreamErrorException', status: 502, type: 'api_error', rpc: 'INTERNAL' },
    { exception: 'modelTimeoutException', status: 504, type: 'timeout_error', rpc: 'DEADLINE_EXCEEDED' },
  ] as const;

  for (const c of CASES) {
    describe(`a ${c.exception} frame after output`, () => {
      beforeEach(() => bedrock.enqueue({ text: ['Hel', 'lo'], streamError: { type: c.exception, message: `the model broke (${c.exception})` } }));

      it(`reaches a Chat client in-band as ${c.type}`, async () => {
        let text = '';
        const err = await (async () => {
          for await (const chunk of await openai.chat.completions.create({ model: MODEL, messages, stream: true })) text += chunk.choices[0]?.delta.content ?? '';
        })().then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
        expect(text).to.equal('Hello');
        expect(err).to.be.instanceOf(OpenAI.APIError);
        expect(err!.error).to.deep.include({ type: c.type });
        expect(err!.message).to.include(`the model broke (${c.exception})`);
      });

      it(`reaches a Responses client in-band as ${c.type}`, async () => {
        let text = '';
        const err = await (async () => {
          for await (const event of await openai.responses.create({ model: MODEL, input: 'hi', stream: true })) if (event.type === 'response.output_text.delta') text += event.delta;
        })().then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
        expect(text).to.equal('Hello');
        expect(err).to.be.instanceOf(OpenAI.APIError);
        expect(err!.error).to.deep.include({ type: c.type, code: 'LIP_ERR_UPSTREAM_STREAM_ERROR' });
      });

      it(`reaches an Anthropic client in-band as ${c.type}`, async () => {
        let text = '';
        const stream = anthropic.messages.stream({ model: MODEL, max_tokens: 64, messages });
        stream.on('text', (delta) => { text += delta; });
        const err = await stream.finalMessage().then(() => undefined, (e: unknown) => e as InstanceType<typeof Anthropic.APIError>);
        expect(text).to.equal('Hello');
        expect(err).to.be.instanceOf(Anthropic.APIError);
        expect((err!.error as { error: { type: string } }).error.type).to.equal(c.type);
      });

      it(`reaches a Gemini client in-band as ${c.status} ${c.rpc}`, async () => {
        let text = '';
        const err = await (async () => {
          for await (const chunk of await google.models.generateContentStream({ model: MODEL, contents: 'hi' })) text += chunk.text ?? '';
        })().then(() => undefined, (e: unknown) => e as ApiError);
        expect(text).to.equal('Hello');
        expect(err).to.be.instanceOf(ApiError);
        expect(err!.status).to.equal(c.status);
        expect(err!.message).to.include(`"status":"${c.rpc}"`);
      });
    });
  }

  for (const c of CASES) {
    it(`a ${c.exception} frame before output still fails over to the next candidate`, async () => {
      bedrock.enqueue({ streamError: { type: c.exception, message: 'the model broke' } }, { text: 'from the second' });
      const answer = await openai.chat.completions.create({ model: `${MODEL}|${SECOND}`, messages, stream: true });
      let text = '';
      for await (const chunk of answer) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).to.equal('from the second');
      expect(bedrock.requests).to.have.length(2);
    });
  }

  it('a non-streamed 424 ModelErrorException is a 502 to the client (not retried: the model failed on this request)', async () => {
    bedrock.enqueue({ status: 424, error: { type: 'ModelErrorException', message: 'model failed' } });
    const err = await openai.chat.completions.create({ model: `${MODEL}|${SECOND}`, messages }).then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(err).to.be.instanceOf(OpenAI.APIError);
    expect(err!.status).to.equal(502);
    expect(err!.error).to.deep.include({ type: 'api_error', code: 'LIP_ERR_UPSTREAM_STATUS' });
    expect(err!.message).to.include('upstream status 424: model failed');
    expect(bedrock.requests).to.have.length(1);
  });

  it('a non-streamed 408 ModelTimeoutException still fails over', async () => {
    bedrock.enqueue({ status: 408, error: { type: 'ModelTimeoutException', message: 'model timed out' } }, { text: 'from the second' });
    const answer = await openai.chat.completions.create({ model: `${MODEL}|${SECOND}`, messages });
    expect(answer.choices[0]!.message.content).to.equal('from the second');
    expect(bedrock.requests).to.have.length(2);
  });
});
