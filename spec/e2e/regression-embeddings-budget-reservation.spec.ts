import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const TOKENS = 'tokens-key-0123456789ab';
const COST = 'cost-key-0123456789abcd';

/**
 * Regression: embeddings skipped the in-flight budget reservation that generations make, so a
 * key's concurrent embeddings requests were all admitted against what had been charged alone
 * (20 at once on a key with a 100-token daily budget spent 122,880 tokens). An embeddings
 * request now reserves lip's estimate of its input tokens (priced at the input price of its
 * route's first candidate) once decoded, released when it is charged, and is refused with the
 * 429 `LIP_ERR_AUTH_KEY_BUDGET_RESERVED` when that estimate would carry spent plus reserved past
 * a limit while others of the key are in flight. A request is held in flight by an upstream that
 * stalls until its client leaves; nothing waits on time.
 */
describe('regression: embeddings reserve from a key\'s budget while in flight', function () {
  this.timeout(20_000);
  let chat: Emulator;
  let lip: RunningLip;
  const embed = (key: string, input: string | string[], signal?: AbortSignal) => fetch(`${lip.url}/v1/embeddings`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'oc:text-embedding-3-small', input }), ...(signal ? { signal } : {}),
  });
  before(async () => {
    chat = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`, [
      'auth:',
      '  api_keys:',
      `    - { id: tokens, key: "${TOKENS}", budget: { max_tokens: 100, period: day } }`,
      `    - { id: cost, key: "${COST}", budget: { max_cost: 1, period: day } }`,
      'pricing: [{ backend: oc, input: 1000, output: 0 }]', // a token costs 0.001
      'diagnostics: { enabled: true }',
    ].join('\n')));
  });
  after(async () => {
    await lip?.close();
    await chat?.close();
  });
  beforeEach(() => {
    chat.reset();
    chat.handler = undefined;
  });

  /** Sends a request of `key` whose upstream call stalls; resolves once the upstream holds it, with the way to let it go. */
  async function heldInFlight(key: string, input: string): Promise<{ release(): Promise<void> }> {
    let seen!: () => void;
    const held = new Promise<void>((resolve) => { seen = resolve; });
    chat.handler = () => {
      chat.handler = undefined;
      seen();
      return { fault: { stall: 'before_headers' } };
    };
    const client = new AbortController();
    const answered = embed(key, input, client.signal).catch(() => undefined);
    await held;
    return {
      async release() {
        const closed = chat.nextClose();
        client.abort();
        await answered;
        await closed;
      },
    };
  }

  it('20 at once beside one in flight on a 100-token budget: every one is refused with the in-flight 429 and nothing more is sent', async () => {
    // 40 characters: about 10 tokens reserved, under the limit; each of the others about 200.
    const first = await heldInFlight(TOKENS, 'abcd'.repeat(10));
    const answers = await Promise.all(Array.from({ length: 20 }, async () => {
      const res = await embed(TOKENS, 'abcd'.repeat(200));
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() as { error?: { code?: string; message?: string } } };
    }));
    expect(answers.map((a) => a.status)).to.deep.equal(new Array(20).fill(429));
    for (const a of answers) {
      expect(a.body.error?.code).to.equal('LIP_ERR_AUTH_KEY_BUDGET_RESERVED');
      expect(a.retryAfter).to.equal('1');
    }
    expect(answers[0]!.body.error?.message).to.match(/API key "tokens" has spent 0 of its 100 tokens, 10 reserved by 1 in flight and about 200 for this one/);
    expect(chat.requests, 'only the request in flight reached the upstream').to.have.length(1);
    // Once it has ended (its client left: nothing spent), its reservation is released: the next one alone is admitted.
    await first.release();
    const alone = await embed(TOKENS, 'abcd'.repeat(200));
    expect(alone.status).to.equal(200);
  });

  it('the estimate is priced at the input price of the route\'s first candidate: one that would pass max_cost beside another in flight is refused, a cheap one is admitted', async () => {
    // 10 tokens in flight: 0.01 reserved of a max_cost of 1.
    const first = await heldInFlight(COST, 'abcd'.repeat(10));
    // 2,000 tokens: about 2, past the limit beside the one in flight.
    const dear = await embed(COST, 'abcd'.repeat(2_000));
    expect(dear.status).to.equal(429);
    expect(((await dear.json()) as { error?: { code?: string } }).error?.code).to.equal('LIP_ERR_AUTH_KEY_BUDGET_RESERVED');
    // 100 tokens: about 0.1, within it.
    const cheap = await embed(COST, 'abcd'.repeat(100));
    expect(cheap.status).to.equal(200);
    await first.release();
  });
});
