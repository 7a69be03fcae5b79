import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const SPENDER = 'spender-key-0123456789';
const TOKENS = 'tokens-key-01234567890';
const OTHER = 'other-key-0123456789ab';
const FREE = 'free-key-0123456789abc';
const EMBEDDER = 'embedder-key-0123456789';

/** A request body lip answers through the chat emulator. */
const ask = (model = 'oc:gpt-4o') => ({ model, messages: [{ role: 'user' as const, content: 'Hi' }] });

/**
 * Per-key budgets (`auth.api_keys[].budget`) through the official SDKs against a real lip: what
 * each request spent (by the pricing table, or in tokens) is charged when it ends, and the key's
 * next request after a limit is a 429 the SDKs do not retry. On SQLite the spending survives a
 * restart (the store's attempt rows); across instances on Redis: spec/e2e/key-budgets-redis.spec.ts.
 */
describe('e2e: per-key budgets', function () {
  this.timeout(20_000);
  let lip: RunningLip;
  let chat: Emulator;
  let claude: Emulator;
  let dir: string;
  const config = () => testConfig(`
  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }
  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789 }
`, `auth:
  api_keys:
    - { id: spender, key: "${SPENDER}", budget: { max_cost: 3, period: day } }
    - { id: tokens, key: "${TOKENS}", budget: { max_tokens: 150, period: month } }
    - { id: other, key: "${OTHER}", budget: { max_cost: 3, period: day } }
    - { id: free, key: "${FREE}" }
    - { id: embedder, key: "${EMBEDDER}", budget: { max_cost: 2, period: day } }
pricing:
  - { backend: oc, input: 1000, output: 1000 }
  - { backend: an, input: 1000, output: 1000 }
continuity: { store: sqlite, sqlite_path: "${join(dir, 'lip.db')}" }
diagnostics: { enabled: true }`);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-budgets-'));
    [chat, claude] = await Promise.all([startOpenAIChatEmulator(), startAnthropicEmulator()]);
    lip = await startLip(config());
  });
  after(async () => {
    await lip?.close();
    await Promise.all([chat?.close(), claude?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    chat.reset();
    claude.reset();
  });

  it('admits a key until its day has spent max_cost, then answers 429 with Retry-After to midnight UTC; the SDK does not retry it', async () => {
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: SPENDER, maxRetries: 2, fetch: counting });
    // 1,000 tokens in and out at 1,000 per million: 2 a request.
    chat.enqueue({ text: 'One.', usage: { input: 1_000, output: 1_000 } }, { text: 'Two.', usage: { input: 1_000, output: 1_000 } });
    const first = await openai.chat.completions.create(ask()).withResponse();
    expect(first.data.choices[0]!.message.content).to.equal('One.');
    // What was left when it was admitted: all of it.
    expect(first.response.headers.get('x-lip-budget-remaining-cost')).to.equal('3');
    expect(first.response.headers.get('x-lip-budget-renews-at')).to.match(/^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/);
    expect(first.response.headers.get('x-lip-budget-remaining-tokens')).to.equal(null);
    // 2 of 3 spent: admitted, and it finishes though it crosses the limit.
    let streamed = '';
    const stream = await openai.chat.completions.create({ ...ask(), stream: true }).withResponse();
    expect(stream.response.headers.get('x-lip-budget-remaining-cost')).to.equal('1');
    for await (const chunk of stream.data) streamed += chunk.choices[0]?.delta.content ?? '';
    expect(streamed).to.equal('Two.');
    calls = 0;
    const err = await openai.chat.completions.create(ask()).then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(err).to.be.instanceOf(OpenAI.APIError);
    expect(err!.status).to.equal(429);
    expect(calls).to.equal(1);
    expect(err!.message).to.match(/API key "spender" has spent 4 of its 3 cost for this day \(renewed at \d{4}-\d{2}-\d{2}T00:00:00\.000Z\)/);
    const retryAfter = Number(err!.headers?.get('retry-after'));
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    expect(retryAfter).to.be.within(1, Math.ceil((midnight.getTime() - Date.now()) / 1000) + 1);
    expect(err!.headers?.get('x-should-retry')).to.equal('false');
    // OpenAI's own answer to a spent quota, which clients (Codex, the SDKs' users) stop on.
    expect([err!.code, err!.type]).to.deep.equal(['insufficient_quota', 'insufficient_quota']);
    expect(chat.requests).to.have.length(2);

    // Another key with the same budget, and a key without one, go on.
    chat.enqueue({ text: 'Other.', usage: { input: 10, output: 10 } }, { text: 'Free.', usage: { input: 10_000, output: 10_000 } });
    expect((await new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: OTHER, maxRetries: 0 }).chat.completions.create(ask())).choices[0]!.message.content).to.equal('Other.');
    const free = await new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: FREE, maxRetries: 0 }).chat.completions.create(ask()).withResponse();
    expect(free.data.choices[0]!.message.content).to.equal('Free.');
    expect(free.response.headers.get('x-lip-budget-renews-at')).to.equal(null);
  });

  it('max_tokens counts input plus output tokens of every protocol; the refusal comes in the client\'s protocol', async () => {
    const anthropic = new Anthropic({ baseURL: lip.url, apiKey: TOKENS, maxRetries: 0, openTelemetry: false } as never);
    claude.enqueue({ text: 'A.', usage: { input: 60, output: 40 } }, { text: 'B.', usage: { input: 40, output: 20 } });
    const first = await anthropic.messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    expect(first.data.content[0]).to.include({ text: 'A.' });
    expect(first.response.headers.get('x-lip-budget-remaining-tokens')).to.equal('150');
    const stream = anthropic.messages.stream({ model: 'an:claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] });
    expect((await stream.finalMessage()).content[0]).to.include({ text: 'B.' });
    const err = await anthropic.messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] })
      .then(() => undefined, (e: unknown) => e as InstanceType<typeof Anthropic.APIError>);
    expect(err).to.be.instanceOf(Anthropic.APIError);
    expect(err!.status).to.equal(429);
    expect((err!.error as { error: { type: string; message: string } }).error.message).to.match(/^API key "tokens" has spent 160 of its 150 tokens for this month/);
    expect(claude.requests).to.have.length(2);
  });

  it('embeddings spend from a key\'s budget (their input tokens at the input price), and are refused once it is spent', async () => {
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: EMBEDDER, maxRetries: 0 });
    // 1,000 input tokens at 1,000 per million: 1 a request.
    chat.enqueue({ usage: { input: 1_000, output: 0 } }, { usage: { input: 1_000, output: 0 } });
    const first = await openai.embeddings.create({ model: 'oc:text-embedding-3-small', input: 'alpha' }).withResponse();
    expect(first.response.headers.get('x-lip-budget-remaining-cost')).to.equal('2');
    const second = await openai.embeddings.create({ model: 'oc:text-embedding-3-small', input: ['beta', 'gamma'] }).withResponse();
    expect(second.response.headers.get('x-lip-budget-remaining-cost')).to.equal('1');
    const err = await openai.embeddings.create({ model: 'oc:text-embedding-3-small', input: 'delta' }).then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(err!.status).to.equal(429);
    expect(err!.headers?.get('x-should-retry')).to.equal('false');
    expect(err!.message).to.contain('API key "embedder" has spent 2 of its 2 cost for this day');
    expect(chat.requests.filter((r) => r.path === '/v1/embeddings')).to.have.length(2);
    // A generation of the same key is refused too: one budget.
    const chatErr = await openai.chat.completions.create(ask()).then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(chatErr!.status).to.equal(429);
    const budgets = JSON.parse((await httpRequest(`${lip.url}/admin/budgets`, { method: 'GET', headers: { authorization: `Bearer ${EMBEDDER}` } })).body) as { budgets: Record<string, unknown>[] };
    expect(budgets.budgets.find((b) => b.key_id === 'embedder')).to.deep.include({ spent_cost: 2, spent_tokens: 2_000, exceeded: true });
  });

  it('GET /admin/usage?group_by=key sums each key\'s spending', async () => {
    await lip.server.runtimeNow.continuity.flush();
    const res = await httpRequest(`${lip.url}/admin/usage?group_by=key`, { method: 'GET', headers: { authorization: `Bearer ${FREE}` } });
    expect(res.status).to.equal(200);
    const groups = (JSON.parse(res.body) as { groups: { group: string; cost: number | null; input_tokens: number; output_tokens: number }[] }).groups;
    const of = (id: string) => groups.find((g) => g.group === id);
    expect(of('spender')).to.include({ cost: 4, input_tokens: 2_000, output_tokens: 2_000 });
    expect(of('tokens')).to.include({ input_tokens: 100, output_tokens: 60 });
    // The embeddings: an attempt row each, with their input tokens and cost.
    expect(of('embedder')).to.include({ attempts: 2, cost: 2, input_tokens: 2_000, output_tokens: 0 });
  });

  it('GET /admin/budgets shows each key\'s budget and what it spent in its period', async () => {
    const res = await httpRequest(`${lip.url}/admin/budgets`, { method: 'GET', headers: { authorization: `Bearer ${FREE}` } });
    expect(res.status).to.equal(200);
    const rows = (JSON.parse(res.body) as { budgets: Record<string, unknown>[] }).budgets;
    expect(rows.map((r) => r.key_id)).to.deep.equal(['spender', 'tokens', 'other', 'embedder']);
    const day = new Date();
    day.setUTCHours(0, 0, 0, 0);
    expect(rows[0]).to.deep.equal({
      key_id: 'spender', principal: 'spender', period: 'day', period_start: day.toISOString(), period_end: new Date(day.getTime() + 86_400_000).toISOString(),
      max_cost: 3, max_tokens: null, spent_cost: 4, spent_tokens: 4_000, exceeded: true,
    });
    expect(rows[1]).to.include({ key_id: 'tokens', spent_tokens: 160, max_tokens: 150, exceeded: true });
    expect(rows[2]).to.include({ key_id: 'other', exceeded: false });
  });

  it('what a key spent survives a restart on SQLite (its attempt rows count again before the server listens)', async () => {
    await lip.close();
    lip = await startLip(config());
    const err = await new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: SPENDER, maxRetries: 0 }).chat.completions.create(ask())
      .then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(err?.status).to.equal(429);
    // Embeddings' spending too: their attempt rows are counted again.
    const embedErr = await new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: EMBEDDER, maxRetries: 0 }).embeddings.create({ model: 'oc:text-embedding-3-small', input: 'epsilon' })
      .then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(embedErr?.status).to.equal(429);
    expect(embedErr!.message).to.contain('API key "embedder" has spent 2 of its 2 cost for this day');
    expect(chat.requests).to.have.length(0);
  });
});
