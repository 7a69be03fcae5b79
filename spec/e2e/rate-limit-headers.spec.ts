import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const LIMITED = 'limited-key-0123456789';
const FREE = 'free-key-0123456789ab';

/**
 * A key with per-minute limits sees them on every answer, in the headers of the protocol it
 * speaks, as a provider's own answers carry theirs: OpenAI clients `x-ratelimit-*` (reset as a
 * duration), Anthropic clients `anthropic-ratelimit-*` (reset as an RFC 3339 time); a key
 * without limits gets none.
 */
describe('e2e: rate-limit headers of a key with per-minute limits', function () {
  this.timeout(30_000);
  let chat: Emulator;
  let claude: Emulator;
  let lip: RunningLip;

  before(async () => {
    [chat, claude] = await Promise.all([startOpenAIChatEmulator(), startAnthropicEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`,
      `  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789 }`,
    ].join('\n'), `auth:
  api_keys:
    - { id: limited, key: "${LIMITED}", requests_per_minute: 5, tokens_per_minute: 1000 }
    - { id: free, key: "${FREE}" }`));
  });
  after(async () => {
    await lip?.close();
    await chat?.close();
    await claude?.close();
  });

  it('OpenAI: x-ratelimit-{limit,remaining,reset}-{requests,tokens}, the tokens counting what earlier requests spent', async () => {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: LIMITED, maxRetries: 0 });
    const ask = () => client.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    chat.enqueue({ text: 'One.', usage: { input: 300, output: 100 } }, { text: 'Two.', usage: { input: 10, output: 10 } });
    const first = (await ask()).response.headers;
    expect(Object.fromEntries(['limit-requests', 'remaining-requests', 'reset-requests', 'limit-tokens', 'remaining-tokens', 'reset-tokens'].map((h) => [h, first.get(`x-ratelimit-${h}`)])))
      .to.deep.equal({ 'limit-requests': '5', 'remaining-requests': '4', 'reset-requests': '1m0s', 'limit-tokens': '1000', 'remaining-tokens': '1000', 'reset-tokens': '0s' });
    const second = (await ask()).response.headers;
    expect([second.get('x-ratelimit-remaining-requests'), second.get('x-ratelimit-remaining-tokens')]).to.deep.equal(['3', '600']);
    expect(second.get('x-ratelimit-reset-tokens')).to.match(/^(1m0s|[1-5]?\d(\.\d)?s)$/);
    // Streamed: the same headers, at the start of the stream.
    const stream = await client.chat.completions.create({ model: 'oc:gpt-4o', stream: true, messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    expect(stream.response.headers.get('x-ratelimit-remaining-requests')).to.equal('2');
    for await (const _ of stream.data) { /* drain */ }
  });

  it('Anthropic: anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}, reset an RFC 3339 time', async () => {
    const client = new Anthropic({ baseURL: lip.url, apiKey: LIMITED, maxRetries: 0 });
    const { response } = await client.messages.create({ model: 'an:claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    expect(response.headers.get('anthropic-ratelimit-requests-limit')).to.equal('5');
    expect(Number(response.headers.get('anthropic-ratelimit-requests-remaining'))).to.be.within(0, 4);
    const reset = response.headers.get('anthropic-ratelimit-requests-reset')!;
    expect(reset).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(reset) - Date.now()).to.be.within(30_000, 62_000);
    expect(response.headers.get('anthropic-ratelimit-tokens-limit')).to.equal('1000');
    expect(response.headers.get('x-ratelimit-limit-requests')).to.equal(null);
  });

  it('a key without limits gets no rate-limit headers', async () => {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: FREE, maxRetries: 0 });
    const { response } = await client.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    expect([...response.headers.keys()].filter((h) => h.includes('ratelimit'))).to.deep.equal([]);
  });

  // Found by probing: a key's own 429 carried none of them, where a provider's 429 says how the windows stand.
  it('the 429 of a key at its request limit carries its windows too: nothing remaining, reset when Retry-After ends', async () => {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: LIMITED, maxRetries: 0 });
    let refusal: InstanceType<typeof OpenAI.APIError> | undefined;
    for (let i = 0; i < 6 && refusal === undefined; i++) {
      chat.enqueue({ text: 'More.', usage: { input: 1, output: 1 } });
      refusal = await client.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'Hi' }] })
        .then(() => undefined, (err: unknown) => err as InstanceType<typeof OpenAI.APIError>);
    }
    expect(refusal?.status).to.equal(429);
    expect((refusal!.error as { code?: string }).code).to.equal('LIP_ERR_AUTH_KEY_LIMITED');
    const h = refusal!.headers!;
    expect([h.get('x-ratelimit-limit-requests'), h.get('x-ratelimit-remaining-requests')]).to.deep.equal(['5', '0']);
    const reset = h.get('x-ratelimit-reset-requests')!;
    expect(reset).to.match(/^(1m0s|[1-5]?\d(\.\d)?s|\d+ms)$/);
    expect(Number(h.get('retry-after'))).to.be.within(1, 60);
  });
});
