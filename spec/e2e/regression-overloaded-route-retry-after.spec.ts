import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

/**
 * A route whose every candidate answered overloaded (Anthropic's 529 `overloaded_error`, a 503)
 * with a Retry-After was answered 502 `api_error` "every candidate failed", without
 * Retry-After: the Anthropic SDK then backed off 0.5-8 s instead of the 11 s asked. Such a route
 * now answers 503 in the protocol's overloaded / unavailable words, with the earliest
 * Retry-After an upstream gave.
 */
describe('e2e regression: a route of overloaded candidates answers 503 with Retry-After', function () {
  this.timeout(30_000);
  let anthropic: Emulator;
  let anthropicLater: Emulator;
  let chat: Emulator;
  let gemini: Emulator;
  let lip: RunningLip;

  before(async () => {
    [anthropic, anthropicLater, chat, gemini] = await Promise.all([startAnthropicEmulator(), startAnthropicEmulator(), startOpenAIChatEmulator(), startGeminiEmulator()]);
    anthropic.handler = () => ({ status: 529, error: { message: 'Overloaded' }, headers: { 'retry-after': '11' } });
    anthropicLater.handler = () => ({ status: 529, error: { message: 'Overloaded' }, headers: { 'retry-after': '20' } });
    chat.handler = (req) => (req.body?.model === 'bare'
      ? { status: 503, error: { message: 'unavailable' } }
      : req.body?.model === 'broken' ? { status: 502, error: { message: 'bad gateway' } } : { status: 503, error: { message: 'unavailable' }, headers: { 'retry-after': '7' } });
    gemini.handler = () => ({ status: 503, error: { message: 'The model is overloaded. Please try again later.' } });
    lip = await startLip(testConfig([
      `  - { id: an, kind: anthropic, base_url: "${anthropic.url}", api_key: "ak-aaaaaaaaaaaaaaaa" }`,
      `  - { id: an2, kind: anthropic, base_url: "${anthropicLater.url}", api_key: "ak-bbbbbbbbbbbbbbbb" }`,
      `  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: "ok-aaaaaaaaaaaaaaaa" }`,
      `  - { id: gem, kind: gemini, base_url: "${gemini.url}", api_key: "gk-aaaaaaaaaaaaaaaa" }`,
    ].join('\n'), 'routing: { default_route: "an:m" }'));
  });
  after(async () => {
    await lip?.close();
    for (const e of [anthropic, anthropicLater, chat, gemini]) await e?.close();
  });

  const anthropicError = async (model: string) => {
    const client = new Anthropic({ baseURL: lip.url, apiKey: 'unused', maxRetries: 0 });
    const err = await client.messages.create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.APIError);
    return err as InstanceType<typeof Anthropic.APIError>;
  };

  it('an Anthropic client gets 503 overloaded_error with the earliest Retry-After of its 529s', async () => {
    const err = await anthropicError('an:m|an2:m');
    expect(err.status).to.equal(503);
    expect(err.headers?.get('retry-after')).to.equal('11');
    expect((err.error as { error: { type: string; message: string } }).error.type).to.equal('overloaded_error');
    expect((err.error as { error: { message: string } }).error.message).to.contain('every candidate is overloaded or unavailable');
  });

  it('one candidate alone: its 529 becomes a 503 with its Retry-After, not a 502', async () => {
    const err = await anthropicError('an:m');
    expect(err.status).to.equal(503);
    expect(err.headers?.get('retry-after')).to.equal('11');
  });

  it('an OpenAI client gets 503 LIP_ERR_ROUTE_OVERLOADED across kinds; without any Retry-After none is made up', async () => {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const err = await client.chat.completions.create({ model: 'gem:m|oc:m|an:m', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).to.equal(503);
    expect(err.code).to.equal('LIP_ERR_ROUTE_OVERLOADED');
    expect(err.type).to.equal('overloaded_error');
    expect(err.headers?.get('retry-after')).to.equal('7');

    const bare = await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'gem:m|oc:bare', messages: [{ role: 'user', content: 'x' }] }) });
    expect(bare.status).to.equal(503);
    expect(JSON.parse(bare.body).error.code).to.equal('LIP_ERR_ROUTE_OVERLOADED');
    expect(bare.headers['retry-after']).to.equal(undefined);
  });

  it('a Gemini client gets 503 UNAVAILABLE', async () => {
    const res = await httpRequest(`${lip.url}/v1beta/models/an:m:generateContent`, { body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }) });
    expect(res.status).to.equal(503);
    expect(JSON.parse(res.body).error.status).to.equal('UNAVAILABLE');
    expect(res.headers['retry-after']).to.equal('11');
  });

  it('another failure among them keeps the 502 naming each failure', async () => {
    const res = await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'an:m|oc:broken', messages: [{ role: 'user', content: 'x' }] }) });
    expect(res.status).to.equal(502);
    expect(JSON.parse(res.body).error.code).to.equal('LIP_ERR_ROUTE_ALL_FAILED');
  });
});
