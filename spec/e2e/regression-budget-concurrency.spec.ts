import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * Regression: a key's budget did not hold against concurrent requests. Admission compared only
 * what had been charged, and a request is charged when it ends, so 20 requests sent at once
 * against a budget with room for two were all admitted (spent ended at 6.3 times max_cost, 4.6
 * times max_tokens). Requests in flight now reserve their estimate (input estimate plus
 * max_tokens, at the first candidate's price): the overrun is at most the one request that
 * crosses the limit.
 */
describe('regression: concurrent requests of a key overrun its budget by at most the request that crosses it', () => {
  let upstream: Emulator;
  let lip: RunningLip;
  const KEY = 'burst-key-0123456789';
  const auth = { authorization: `Bearer ${KEY}` };
  // About 1000 input tokens by lip's estimate (four characters a token), 100 asked for at most: what the upstream reports.
  const body = JSON.stringify({ model: 'oa:gpt-x', max_tokens: 100, messages: [{ role: 'user', content: 'abcd'.repeat(1000) }] });
  const send = () => fetch(`${lip.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body });
  const usage = { input: 1000, output: 100 };
  before(async () => {
    upstream = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`  - { id: oa, kind: openai-chat, base_url: "${upstream.url}", api_key: "k-0123456789" }`, [
      'diagnostics: { enabled: true }',
      'pricing: [{ backend: oa, input: 2, output: 10 }]', // 1000 in, 100 out: 0.003
      `auth: { api_keys: [{ id: burst, key: ${KEY}, budget: { max_cost: 0.01, max_tokens: 5000, period: day } }] }`,
    ].join('\n')));
  });
  after(async () => {
    await lip.close();
    await upstream.close();
  });

  it('20 at once against a slow upstream: the budget ends at most one request past its limits, the others are refused with Retry-After', async () => {
    upstream.enqueue({ text: ['ok'], usage });
    expect((await send()).status).to.equal(200);
    for (let i = 0; i < 20; i++) upstream.enqueue({ text: Array.from({ length: 10 }, (_, j) => `t${j} `), dripMs: 40, usage });
    const answers = await Promise.all(Array.from({ length: 20 }, async () => {
      const res = await send();
      return { status: res.status, retryAfter: res.headers.get('retry-after'), shouldRetry: res.headers.get('x-should-retry'), body: await res.json() as { error?: { type?: string; code?: string } } };
    }));
    const admitted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    expect(admitted.length).to.be.greaterThan(0);
    expect(refused.length).to.be.greaterThan(0);
    // While what is in flight fills the budget: a rate limit the SDKs retry a second later; once
    // what was spent reaches it (a late one, after the first ended): refused until the period ends.
    const kinds = refused.map((r) => {
      expect(r.status).to.equal(429);
      if (r.body.error?.type === 'rate_limit_error') {
        expect([r.retryAfter, r.shouldRetry]).to.deep.equal(['1', null]);
        return 'in flight';
      }
      expect([r.body.error?.type, r.shouldRetry]).to.deep.equal(['insufficient_quota', 'false']);
      expect(Number(r.retryAfter)).to.be.greaterThan(1);
      return 'spent';
    });
    expect(kinds).to.include('in flight');
    const view = (await (await fetch(`${lip.url}/admin/budgets`, { headers: auth })).json()) as { budgets: { spent_cost: number; spent_tokens: number }[] };
    const spent = view.budgets[0]!;
    expect(spent.spent_tokens).to.equal(1100 * (1 + admitted.length));
    expect(spent.spent_cost).to.be.at.most(0.01 + 0.003 + 1e-9);
    expect(spent.spent_tokens).to.be.at.most(5000 + 1100);
    // With nothing in flight and room left, the next one is admitted alone; past the limit, refused until the period ends.
    let next = await send();
    while (next.status === 200) next = await send();
    expect(next.status).to.equal(429);
    expect(Number(next.headers.get('retry-after'))).to.be.greaterThan(1);
    expect(next.headers.get('x-should-retry')).to.equal('false');
    expect(((await next.json()) as { error?: { type?: string } }).error?.type).to.equal('insufficient_quota');
  });
});
