import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { loadRedis } from '../../lib/circuit/redis/redis-client.js';
import { until } from '../helpers/batches.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { redisPrefix, startLip, startLipsOnRedis, type RunningLip } from '../helpers/lip.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { httpRequest } from '../helpers/sse-client.js';

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-0123456789ab';
const SECRET = 'diagnostics-secret-0123456789';
const admin = (lip: RunningLip, method: 'GET' | 'POST', path: string) =>
  httpRequest(`${lip.url}${path}`, { method, headers: { 'x-lip-diagnostics-secret': SECRET }, ...(method === 'POST' ? { body: '' } : {}) });

/** `GET /metrics`, one sample's value (0 when absent). */
async function metric(lip: RunningLip, sample: string): Promise<number> {
  const body = await (await fetch(`${lip.url}/metrics`, { headers: { 'x-lip-diagnostics-secret': SECRET } })).text();
  const escaped = sample.replace(/[{}"\\]/g, (c) => `\\${c}`);
  const m = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(body);
  return m === null ? 0 : Number(m[1]);
}

/**
 * The response cache (`cache:`) through the official SDKs against a real lip and an upstream
 * emulator: a repeated request is answered without an upstream call, streamed or not, in the
 * client's protocol; per principal; `Cache-Control` skips or refreshes it; a hit charges no budget
 * and shows in the headers, the access log and the metrics; with Redis, instances share answers.
 */
describe('e2e: response cache', function () {
  this.timeout(30_000);
  let chat: Emulator;
  let lip: RunningLip;
  let alice: OpenAI;
  before(async () => {
    chat = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`, `cache: { enabled: true, ttl: 10m }
auth: { api_keys: [ { id: alice, key: "${ALICE}", budget: { max_tokens: 1000, period: day } }, { id: bob, key: "${BOB}" } ] }
logging: { access_log: true }
observability: { metrics: { enabled: true } }
diagnostics: { enabled: true, shared_secret: "${SECRET}" }`));
    alice = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await chat?.close();
  });
  beforeEach(() => chat.reset());

  it('a repeated request is answered from the cache: no upstream call, the same answer, streamed or not; no budget spent', async () => {
    chat.enqueue({ text: 'Forty-two.', usage: { input: 11, output: 3 } });
    const body = { model: 'oc:gpt-4o', messages: [{ role: 'user' as const, content: 'The answer?' }], max_tokens: 32 };
    const first = await alice.chat.completions.create(body).withResponse();
    expect(first.response.headers.get('x-lip-cache')).to.equal('miss');
    expect(first.response.headers.get('x-lip-budget-remaining-tokens')).to.equal('1000');
    const second = await alice.chat.completions.create(body).withResponse();
    expect(second.response.headers.get('x-lip-cache')).to.equal('hit');
    expect(second.response.headers.get('age')).to.match(/^\d+$/);
    expect(second.response.headers.get('x-lip-backend')).to.equal('oc:gpt-4o');
    expect(second.data.choices).to.deep.equal(first.data.choices);
    expect(second.data.usage).to.deep.equal(first.data.usage);
    // The first request's 14 tokens were charged; the hit charged none.
    expect(second.response.headers.get('x-lip-budget-remaining-tokens')).to.equal('986');
    const stream = await alice.chat.completions.create({ ...body, stream: true }).withResponse();
    expect(stream.response.headers.get('x-lip-cache')).to.equal('hit');
    let text = '';
    for await (const chunk of stream.data) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).to.equal('Forty-two.');
    expect(chat.requests).to.have.length(1);
    const third = await alice.chat.completions.create(body).withResponse();
    expect(third.response.headers.get('x-lip-budget-remaining-tokens')).to.equal('986');
  });

  it('answers each principal from its own answers (scope: principal)', async () => {
    chat.enqueue({ text: 'for alice' }, { text: 'for bob' });
    const body = { model: 'oc:gpt-4o', messages: [{ role: 'user' as const, content: 'Whose?' }] };
    const bob = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: BOB, maxRetries: 0 });
    expect((await alice.chat.completions.create(body)).choices[0]!.message.content).to.equal('for alice');
    expect((await bob.chat.completions.create(body)).choices[0]!.message.content).to.equal('for bob');
    expect((await alice.chat.completions.create(body)).choices[0]!.message.content).to.equal('for alice');
    expect((await bob.chat.completions.create(body)).choices[0]!.message.content).to.equal('for bob');
    expect(chat.requests).to.have.length(2);
  });

  it('an Anthropic client asking what an OpenAI client asked gets the kept answer in its own protocol', async () => {
    chat.enqueue({ text: 'Shared across protocols.', usage: { input: 6, output: 4 } });
    const asked = await alice.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'Same question' }], max_tokens: 64 });
    expect(asked.choices[0]!.message.content).to.equal('Shared across protocols.');
    const anthropic = new Anthropic({ baseURL: lip.url, apiKey: ALICE, maxRetries: 0 });
    const { data, response } = await anthropic.messages.create({ model: 'oc:gpt-4o', max_tokens: 64, messages: [{ role: 'user', content: 'Same question' }] }).withResponse();
    expect(response.headers.get('x-lip-cache')).to.equal('hit');
    expect(data.content.map((b) => (b.type === 'text' ? b.text : b.type))).to.deep.equal(['Shared across protocols.']);
    expect(data.stop_reason).to.equal('end_turn');
    expect(chat.requests).to.have.length(1);
  });

  it('Cache-Control: no-store goes upstream and keeps nothing; no-cache goes upstream and keeps the new answer', async () => {
    chat.enqueue({ text: 'one' }, { text: 'two' }, { text: 'three' });
    const body = { model: 'oc:gpt-4o', messages: [{ role: 'user' as const, content: 'Count' }] };
    const skip = await alice.chat.completions.create(body, { headers: { 'cache-control': 'no-store' } }).withResponse();
    expect([skip.response.headers.get('x-lip-cache'), skip.data.choices[0]!.message.content]).to.deep.equal(['bypass', 'one']);
    const miss = await alice.chat.completions.create(body).withResponse();
    expect([miss.response.headers.get('x-lip-cache'), miss.data.choices[0]!.message.content]).to.deep.equal(['miss', 'two']);
    const refresh = await alice.chat.completions.create(body, { headers: { 'cache-control': 'no-cache' } }).withResponse();
    expect([refresh.response.headers.get('x-lip-cache'), refresh.data.choices[0]!.message.content]).to.deep.equal(['refresh', 'three']);
    const hit = await alice.chat.completions.create(body).withResponse();
    expect([hit.response.headers.get('x-lip-cache'), hit.data.choices[0]!.message.content]).to.deep.equal(['hit', 'three']);
    expect(chat.requests).to.have.length(3);
  });

  it('a failed answer is not kept: the request is tried upstream again', async () => {
    chat.enqueue({ status: 500, error: { message: 'boom' } }, { text: 'recovered' });
    const body = { model: 'oc:gpt-4o', messages: [{ role: 'user' as const, content: 'Flaky' }] };
    const err = await alice.chat.completions.create(body).then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(err?.status).to.be.at.least(500);
    expect((await alice.chat.completions.create(body)).choices[0]!.message.content).to.equal('recovered');
    expect(chat.requests).to.have.length(2);
  });

  it('the access line says cache hit with no attempt; lip_cache_lookups_total counts by result', async () => {
    const hitsBefore = await metric(lip, 'lip_cache_lookups_total{result="hit"}');
    const missesBefore = await metric(lip, 'lip_cache_lookups_total{result="miss"}');
    chat.enqueue({ text: 'logged' });
    const body = { model: 'oc:gpt-4o', messages: [{ role: 'user' as const, content: 'Log me' }] };
    await alice.chat.completions.create(body);
    const { response } = await alice.chat.completions.create(body).withResponse();
    const requestId = response.headers.get('x-request-id');
    await until(() => lip.logs.some((l) => l.request_id === requestId), 'the access line');
    const line = lip.logs.find((l) => l.request_id === requestId)!;
    expect(line).to.include({ cache: 'hit', attempts: 0, backend: 'oc:gpt-4o', status: 200 });
    expect(line.input_tokens).to.equal(undefined);
    expect(await metric(lip, 'lip_cache_lookups_total{result="hit"}')).to.equal(hitsBefore + 1);
    expect(await metric(lip, 'lip_cache_lookups_total{result="miss"}')).to.equal(missesBefore + 1);
  });

  it('embeddings too: the same texts again are answered from the cache, with no call and nothing spent; other dimensions miss', async () => {
    chat.enqueue({ usage: { input: 40, output: 0 } }, { usage: { input: 40, output: 0 } });
    const ask = (dimensions?: number) => alice.embeddings.create({ model: 'oc:text-embedding-3-small', input: ['alpha', 'beta'], ...(dimensions ? { dimensions } : {}) }).withResponse();
    const first = await ask();
    const spentBefore = Number(first.response.headers.get('x-lip-budget-remaining-tokens'));
    expect(first.response.headers.get('x-lip-cache')).to.equal('miss');
    const second = await ask();
    expect(second.response.headers.get('x-lip-cache')).to.equal('hit');
    expect(second.response.headers.get('x-lip-backend')).to.equal('oc:text-embedding-3-small');
    expect(second.data.data.map((d) => d.embedding)).to.deep.equal(first.data.data.map((d) => d.embedding));
    expect(second.data.usage).to.deep.equal(first.data.usage);
    // The miss spent its 40 tokens (seen by the next request); the hit spent none.
    const third = await ask();
    expect(Number(third.response.headers.get('x-lip-budget-remaining-tokens'))).to.equal(spentBefore - 40);
    expect(chat.requests.filter((r) => r.path === '/v1/embeddings')).to.have.length(1);
    expect((await ask(8)).response.headers.get('x-lip-cache')).to.equal('miss');
    expect(chat.requests.filter((r) => r.path === '/v1/embeddings')).to.have.length(2);
    const skipped = await alice.embeddings.create({ model: 'oc:text-embedding-3-small', input: ['alpha', 'beta'] }, { headers: { 'cache-control': 'no-store' } }).withResponse();
    expect(skipped.response.headers.get('x-lip-cache')).to.equal('bypass');
    expect(chat.requests.filter((r) => r.path === '/v1/embeddings')).to.have.length(3);
  });

  it('GET /admin/cache shows what it holds; POST /admin/cache/clear forgets it all (operator only)', async () => {
    chat.enqueue({ text: 'before clear' }, { text: 'after clear' });
    const body = { model: 'oc:gpt-4o', messages: [{ role: 'user' as const, content: 'Clear me' }] };
    await alice.chat.completions.create(body);
    const status = JSON.parse((await admin(lip, 'GET', '/admin/cache')).body) as Record<string, number | string>;
    expect(status).to.include({ store: 'memory', ttl_ms: 600_000, scope: 'principal', max_bytes: 64 * 1024 * 1024, max_entry_bytes: 1024 * 1024 });
    expect(status.entries).to.be.at.least(1);
    expect(status.bytes).to.be.greaterThan(0);
    expect((await httpRequest(`${lip.url}/admin/cache/clear`, { method: 'POST', body: '', headers: { authorization: `Bearer ${ALICE}` } })).status).to.equal(403);
    expect((await admin(lip, 'GET', '/admin/cache/clear')).status).to.equal(405);
    const cleared = JSON.parse((await admin(lip, 'POST', '/admin/cache/clear')).body) as { cleared: number };
    expect(cleared.cleared).to.equal(status.entries);
    expect(JSON.parse((await admin(lip, 'GET', '/admin/cache')).body)).to.include({ entries: 0, bytes: 0 });
    const again = await alice.chat.completions.create(body).withResponse();
    expect([again.response.headers.get('x-lip-cache'), again.data.choices[0]!.message.content]).to.deep.equal(['miss', 'after clear']);
  });

  it('shared through Redis (store: redis): an answer kept by one instance is given by another', async function () {
    const redis: RedisServer = await requireRedisServer(this);
    const prefix = redisPrefix('cache');
    const lips: RunningLip[] = [];
    try {
      lips.push(...await startLipsOnRedis(redis.url, prefix, `  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`, `cache: { enabled: true, store: redis }\ndiagnostics: { enabled: true, shared_secret: "${SECRET}" }`));
      const [a, b] = lips.map((l) => new OpenAI({ baseURL: `${l.url}/v1`, apiKey: 'k', maxRetries: 0 })) as [OpenAI, OpenAI];
      chat.enqueue({ text: 'from redis' });
      const body = { model: 'oc:gpt-4o', messages: [{ role: 'user' as const, content: 'Shared?' }] };
      const first = await a.chat.completions.create(body).withResponse();
      expect(first.response.headers.get('x-lip-cache')).to.equal('miss');
      // The write is not awaited by the answer: wait until it is in Redis, then ask the other instance.
      const probe = new (loadRedis())(redis.url);
      try {
        await until(async () => (await probe.keys(`${prefix}cache:*`)).length === 1, 'the answer in Redis', 10_000);
      } finally {
        probe.disconnect();
      }
      const second = await b.chat.completions.create(body).withResponse();
      expect(second.response.headers.get('x-lip-cache')).to.equal('hit');
      expect(second.data.choices[0]!.message.content).to.equal('from redis');
      expect(chat.requests).to.have.length(1);
      const res = await httpRequest(`${lips[1]!.url}/v1/chat/completions`, { body: JSON.stringify(body) });
      expect(JSON.parse(res.body).choices[0].message.content).to.equal('from redis');
      // Cleared on one instance, gone for both (they share the keys).
      const cleared = JSON.parse((await admin(lips[0]!, 'POST', '/admin/cache/clear')).body) as { cleared: number };
      expect(cleared.cleared).to.equal(1);
      chat.enqueue({ text: 'fresh' });
      const after = await b.chat.completions.create(body).withResponse();
      expect([after.response.headers.get('x-lip-cache'), after.data.choices[0]!.message.content]).to.deep.equal(['miss', 'fresh']);
    } finally {
      for (const l of lips) await l.close();
      await redis.close();
    }
  });
});
