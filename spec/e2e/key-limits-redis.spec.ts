import { expect } from 'chai';
import OpenAI from 'openai';
import { Redis } from 'ioredis';
import { createRuntime } from '../../lib/core/runtime.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { redisPrefix, startLip, startLipsOnRedis, type RunningLip } from '../helpers/lip.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';

const TEAM = 'team-key-0123456789ab';
const SOLO = 'solo-key-0123456789ab';

/**
 * Per-key rate limits across instances (`auth.limits_store: redis`): two lip servers on one real
 * redis-server count one window and one set of slots per key, whichever instance a request
 * reaches; the OpenAI SDK sees the 429 as its RateLimitError, with Retry-After.
 */
describe('e2e: per-key rate limits shared by instances through Redis', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let chat: Emulator;
  const lips: RunningLip[] = [];

  before(async function () {
    redis = await requireRedisServer(this);
    chat = await startOpenAIChatEmulator();
    lips.push(...await startLipsOnRedis(redis.url, redisPrefix('limits'), `  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`, `auth:
  limits_store: redis
  api_keys:
    - { id: team, key: "${TEAM}", requests_per_minute: 2 }
    - { id: solo, key: "${SOLO}", max_concurrent_requests: 1 }
diagnostics: { enabled: true }
observability: { metrics: { enabled: true } }`));
  });
  after(async () => {
    for (const lip of lips) await lip.close();
    await chat?.close();
    await redis?.close();
  });
  beforeEach(() => chat.reset());

  const clients = (key: string) => lips.map((lip) => new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: key, maxRetries: 0 })) as [OpenAI, OpenAI];

  it('requests_per_minute: two requests on one instance use up the key on the other', async () => {
    const [a, b] = clients(TEAM);
    const ask = (client: OpenAI) => client.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'Hi' }] });
    chat.defaultScript = { text: 'Fine.' };
    const answered = await a.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    expect([answered.data.choices[0]!.message.content, answered.response.headers.get('x-ratelimit-remaining-requests')]).to.deep.equal(['Fine.', '1']);
    // A model list counts too (any request of the key).
    expect((await a.models.list()).data.length).to.be.greaterThan(0);
    const err = await ask(b).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.RateLimitError);
    const limited = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(limited.message).to.include('over its limit of 2 requests per minute');
    expect(Number(limited.headers?.get('retry-after'))).to.be.within(1, 60);
    expect(chat.requests).to.have.length(1); // the refused one never reached the upstream
    const metrics = await (await fetch(`${lips[1]!.url}/metrics`, { headers: { authorization: `Bearer ${TEAM}` } })).text();
    expect(metrics).to.include('lip_key_refusals_total{key="team",reason="rate_limited"} 1');
    // Either instance's /admin/limits shows the shared window (the refused request is not in it).
    const view = await (await fetch(`${lips[1]!.url}/admin/limits`, { headers: { authorization: `Bearer ${TEAM}` } })).json() as { store: string; limits: Record<string, unknown>[] };
    expect(view.store).to.equal('redis');
    expect(view.limits.find((l) => l.key_id === 'team')).to.deep.equal({
      key_id: 'team', principal: 'team', requests_per_minute: 2, requests_in_window: 2, max_concurrent_requests: null, in_flight: null,
      tokens_per_minute: null, tokens_in_window: null, limited: true,
    });
  });

  it('a reload turns the shared limits on and off (auth.limits_store), the key\'s window in Redis only while it is on', async () => {
    const prefix = `lip-e2e-limits-reload-${process.pid}-${Date.now()}:`;
    const config = (store: string) => testConfig(`  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`, `auth:
  limits_store: ${store}
  api_keys: [ { id: team, key: "${TEAM}", requests_per_minute: 100 } ]
diagnostics: { enabled: true }
redis: { url: "${redis.url}", key_prefix: "${prefix}" }`);
    const lip = await startLip(config('memory'));
    const probe = new Redis(redis.url);
    try {
      const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: TEAM, maxRetries: 0 });
      const ask = () => client.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'Hi' }] });
      const window = () => probe.zcard(`${prefix}limits:{team}:requests`);
      await ask();
      expect(await window()).to.equal(0);
      const view = await (await fetch(`${lip.url}/admin/limits`, { headers: { authorization: `Bearer ${TEAM}` } })).json() as { store: string; limits: { requests_in_window: number }[] };
      expect([view.store, view.limits[0]!.requests_in_window]).to.deep.equal(['memory', 1]);
      await lip.server.reload(createRuntime(config('redis')));
      await ask();
      await ask();
      expect(await window()).to.equal(2);
      await lip.server.reload(createRuntime(config('memory')));
      await ask();
      expect(await window()).to.equal(2);
    } finally {
      probe.disconnect();
      await lip.close();
    }
  });

  it('max_concurrent_requests: a stream in flight on one instance holds the key\'s one slot on the other until it ends', async () => {
    const [a, b] = clients(SOLO);
    chat.enqueue({ text: 'Held open.', fault: { stall: 'after_output' } });
    const controller = new AbortController();
    const stream = await a.chat.completions.create({ model: 'oc:gpt-4o', stream: true, messages: [{ role: 'user', content: 'Hold' }] }, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next(); // the stream is running: its slot is taken
    const err = await b.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.RateLimitError);
    expect((err as Error).message).to.include('at its limit of 1 concurrent requests');
    controller.abort(); // the client goes away: lip ends the request and gives the slot back
    await iterator.next().catch(() => undefined);
    chat.defaultScript = { text: 'Now.' };
    const deadline = Date.now() + 10_000;
    let answer: string | null | undefined;
    while (answer === undefined && Date.now() < deadline) {
      answer = await b.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'Hi' }] })
        .then((r) => r.choices[0]!.message.content, () => new Promise<undefined>((r) => setTimeout(() => r(undefined), 50)));
    }
    expect(answer).to.equal('Now.');
  });
});
