import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startGeminiEmulator, startOpenAIChatEmulator, type Emulator, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const SPENT_1 = 'k-spent-one-0123456789';
const SPENT_2 = 'k-spent-two-0123456789';
const GOOD = 'k-good-0123456789';

/** OpenAI's answer to a key whose account has no quota left: a 429 without Retry-After. */
const insufficientQuota: Script = {
  status: 429,
  error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', code: 'insufficient_quota' },
};

/** Gemini's answer to a key whose per-day quota is spent (its RetryInfo says a few seconds all the same). */
const perDayQuota: Script = {
  status: 429,
  error: {
    message: 'You exceeded your current quota, please check your plan and billing details.',
    fields: {
      details: [
        { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier', quotaValue: '250' }] },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '43s' },
      ],
    },
  },
};

interface KeysView { backends: { backend: string; keys: number; usable: number; cooling: number; retired: number; usable_in_ms: number | null }[] }

type ApiError = InstanceType<typeof OpenAI.APIError>;

/**
 * OpenAI's `insufficient_quota` 429 (the account has no credit left; it gives no Retry-After) was
 * taken for a short rate limit: the key cooled for 60 s and the client got 429
 * `rate_limit_error` / LIP_ERR_ROUTE_RATE_LIMITED with `Retry-After: 60` and no
 * `x-should-retry`, so the OpenAI SDK (maxRetries 2) waited two minutes and sent the request
 * twice more, each time to every key. A spent quota now takes the key out of use for an hour,
 * the request still tries the next key and the next candidate, and when every candidate's quota
 * is spent the client gets OpenAI's own 429 `insufficient_quota` with `x-should-retry: false`
 * and no Retry-After. Gemini's per-day quota (a QuotaFailure naming a per-day quota) is the same.
 */
describe('e2e regression: an upstream quota that is spent is no short rate limit', function () {
  this.timeout(30_000);
  let chat: Emulator;
  let gemini: Emulator;
  let lip: RunningLip;
  let pending: AbortController;

  before(async () => {
    [chat, gemini] = await Promise.all([startOpenAIChatEmulator(), startGeminiEmulator()]);
    chat.handler = (req) => (req.key === GOOD ? chat.defaultScript : insufficientQuota);
    gemini.handler = () => perDayQuota;
    lip = await startLip(testConfig(
      [
        `  - { id: spent, kind: openai-chat, base_url: "${chat.url}", api_keys: [${SPENT_1}, ${SPENT_2}] }`,
        `  - { id: spent2, kind: openai-chat, base_url: "${chat.url}", api_keys: [${SPENT_1}, ${SPENT_2}] }`,
        `  - { id: good, kind: openai-chat, base_url: "${chat.url}", api_keys: [${GOOD}] }`,
        `  - { id: gemday, kind: gemini, base_url: "${gemini.url}", api_keys: [${SPENT_1}, ${SPENT_2}] }`,
      ].join('\n'),
      'routing: { default_route: "spent:m" }\ndiagnostics: { enabled: true }',
    ));
  });
  beforeEach(() => {
    chat.reset();
    gemini.reset();
    pending = new AbortController();
  });
  // A retry the SDK would still be waiting for (before the fix: 60 s) goes nowhere.
  afterEach(() => pending.abort());
  after(async () => {
    await lip?.close();
    await Promise.all([chat?.close(), gemini?.close()]);
  });

  const pool = async (backend: string) =>
    ((await (await fetch(`${lip.url}/admin/keys`)).json()) as KeysView).backends.find((b) => b.backend === backend);
  const openai = () => new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 2 });
  const create = (model: string) => openai().chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }, { signal: pending.signal });

  const expectInsufficientQuota = (err: unknown) => {
    expect(err).to.be.instanceOf(OpenAI.APIError);
    const e = err as ApiError;
    expect({ status: e.status, code: e.code, type: e.type }).to.deep.equal({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota' });
    expect(e.headers?.get('x-should-retry')).to.equal('false');
    expect(e.headers?.get('retry-after')).to.equal(null);
  };

  it('answers the OpenAI SDK (maxRetries 2) at once with insufficient_quota and x-should-retry: false, one upstream call per key', async function () {
    this.timeout(10_000);
    const err = await create('spent:m').catch((e: unknown) => e);
    expectInsufficientQuota(err);
    expect(chat.requests.map((r) => r.key)).to.deep.equal([SPENT_1, SPENT_2]);
  });

  it('takes the keys out of use for an hour: the next request sends nothing upstream and gets the same answer, in every protocol', async function () {
    this.timeout(10_000);
    expect(await pool('spent')).to.include({ keys: 2, usable: 0, cooling: 2, retired: 0 });
    expect((await pool('spent'))!.usable_in_ms).to.be.above(59 * 60_000);
    expectInsufficientQuota(await create('spent:m').catch((e: unknown) => e));
    const anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 2 });
    const refused = await anthropic.messages.create({ model: 'spent:m', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, { signal: pending.signal }).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(Anthropic.APIError);
    expect((refused as InstanceType<typeof Anthropic.APIError>).status).to.equal(429);
    expect((refused as InstanceType<typeof Anthropic.APIError>).headers?.get('x-should-retry')).to.equal('false');
    expect(chat.requests).to.have.length(0);
  });

  it('still tries the other candidates', async () => {
    const res = await create('spent2:m|good:m');
    expect(res.choices[0]!.message.content).to.equal('Hello from the emulator.');
    expect(chat.requests.map((r) => r.key)).to.deep.equal([SPENT_1, SPENT_2, GOOD]);
  });

  it("takes a Gemini per-day quota (QuotaFailure) for a spent quota, whatever its RetryInfo says", async function () {
    this.timeout(10_000);
    expectInsufficientQuota(await create('gemday:m').catch((e: unknown) => e));
    expect(gemini.requests.map((r) => r.key)).to.deep.equal([SPENT_1, SPENT_2]);
    expect((await pool('gemday'))!.usable_in_ms).to.be.above(59 * 60_000);
  });
});
