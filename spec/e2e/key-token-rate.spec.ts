import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { openaiRejection as rejection } from '../helpers/openai-errors.js';

const METERED = 'metered-key-0123456789';
const FREE = 'free-key-0123456789abc';

/**
 * `auth.api_keys[].tokens_per_minute` through the OpenAI SDK against a real lip: a key's
 * generations and embeddings count their tokens in a sliding minute; past the limit the next
 * request is a 429 `LIP_ERR_AUTH_KEY_LIMITED` with `Retry-After`, before any upstream call; other
 * keys are not affected.
 */
describe('e2e: tokens per minute per API key', function () {
  this.timeout(20_000);
  let chat: Emulator;
  let lip: RunningLip;
  before(async () => {
    chat = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`,
      // No access log, no metrics, no attempt rows: the limit alone has the executor count each request's tokens.
      `auth: { api_keys: [ { id: metered, key: "${METERED}", tokens_per_minute: 100 }, { id: free, key: "${FREE}" } ] }\ncontinuity: { lineage: conversations }`));
  });
  after(async () => {
    await lip?.close();
    await chat?.close();
  });

  it('the request that crosses the limit finishes; the next is a 429 with Retry-After (embeddings count too); another key goes on', async () => {
    const metered = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: METERED, maxRetries: 0 });
    chat.enqueue({ text: 'one', usage: { input: 30, output: 20 } }, { usage: { input: 40, output: 0 } }, { text: 'two', usage: { input: 30, output: 10 } });
    await metered.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'a' }] }); // 50
    await metered.embeddings.create({ model: 'oc:text-embedding-3-small', input: 'b' }); // 90
    const crossing = await metered.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'c' }] }); // 130: admitted at 90
    expect(crossing.choices[0]!.message.content).to.equal('two');
    const before = chat.requests.length;
    const err = await rejection(metered.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'd' }] }));
    expect(err.status).to.equal(429);
    expect((err.error as { code: string }).code).to.equal('LIP_ERR_AUTH_KEY_LIMITED');
    expect(err.message).to.contain('API key "metered" is over its limit of 100 tokens per minute (130 in the last minute)');
    expect(Number(err.headers?.get('retry-after'))).to.be.within(1, 60);
    const embedErr = await rejection(metered.embeddings.create({ model: 'oc:text-embedding-3-small', input: 'e' }));
    expect([embedErr.status, (embedErr.error as { code: string }).code]).to.deep.equal([429, 'LIP_ERR_AUTH_KEY_LIMITED']);
    expect(chat.requests.length).to.equal(before);
    chat.enqueue({ text: 'free', usage: { input: 500, output: 500 } });
    const free = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: FREE, maxRetries: 0 });
    expect((await free.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'f' }] })).choices[0]!.message.content).to.equal('free');
  });
});
