import { expect } from 'chai';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { BUDGET_REFRESH_MS, periodWindow } from '../../lib/server/key-budgets.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { redisPrefix, startLipsOnRedis, type RunningLip } from '../helpers/lip.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';

const TEAM = 'team-key-0123456789ab';

/**
 * Per-key budgets across instances: two lip servers on one real redis-server
 * (`continuity.store: redis`) add to one total per key and period, so a key spends its budget
 * once, wherever its requests land.
 */
describe('e2e: per-key budgets shared by instances through Redis', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let chat: Emulator;
  const lips: RunningLip[] = [];

  before(async function () {
    redis = await requireRedisServer(this);
    chat = await startOpenAIChatEmulator();
    lips.push(...await startLipsOnRedis(redis.url, redisPrefix('budget'), `  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`, `auth: { api_keys: [ { id: team, key: "${TEAM}", budget: { max_tokens: 1000, period: day } } ] }
continuity: { store: redis }`));
  });
  after(async () => {
    for (const lip of lips) await lip.close();
    await chat?.close();
    await redis?.close();
  });

  it('tokens spent on one instance count on the other: the one that answered refuses once its charge is answered, the other within its refresh', async () => {
    const [a, b] = lips.map((lip) => new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: TEAM, maxRetries: 0 })) as [OpenAI, OpenAI];
    const ask = (client: OpenAI) => client.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'Hi' }] });
    const status = (client: OpenAI) => ask(client).then(() => 200, (e: unknown) => (e as InstanceType<typeof OpenAI.APIError>).status);
    /** The client's status once it is a 429 (or the last one at the deadline); what is admitted meanwhile spends nothing. */
    const refusedWithin = async (client: OpenAI, ms: number) => {
      const deadline = Date.now() + ms;
      let seen = await status(client);
      while (seen !== 429 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        seen = await status(client);
      }
      return seen;
    };
    chat.enqueue({ text: 'B.', usage: { input: 300, output: 200 } }, { text: 'A.', usage: { input: 300, output: 200 } });
    expect((await ask(b)).choices[0]!.message.content).to.equal('B.'); // b counts the key from now on (500 of 1,000)
    expect((await ask(a)).choices[0]!.message.content).to.equal('A.'); // a adds 500 when the answer ends: Redis answers the total, 1,000
    chat.defaultScript = { text: 'Free.', usage: { input: 0, output: 0 } };
    // a learns the total from its own charge's answer (one Redis round trip after its answer ended), long before any refresh.
    expect(await refusedWithin(a, BUDGET_REFRESH_MS / 2)).to.equal(429);
    // b learns the shared total by its next refresh (every BUDGET_REFRESH_MS).
    expect(await refusedWithin(b, BUDGET_REFRESH_MS * 4)).to.equal(429);
  });
});

/**
 * The multi-instance probe's case: a key capped at 300 tokens spent 480, because what one
 * instance charged while Redis was down never reached the shared total. Now it is added once
 * Redis is back (at the instance's next refresh), and the other instance refuses in time.
 */
describe('e2e: per-key budgets: what an instance spent during a Redis outage reaches the shared total', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let chat: Emulator;
  const prefix = redisPrefix('budget-outage');
  const lips: RunningLip[] = [];

  before(async function () {
    redis = await requireRedisServer(this);
    chat = await startOpenAIChatEmulator();
    chat.defaultScript = { text: 'Hi.', usage: { input: 10, output: 20 } };
    lips.push(...await startLipsOnRedis(redis.url, prefix, `  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`, `auth: { api_keys: [ { id: team, key: "${TEAM}", budget: { max_tokens: 300, period: day } } ] }
continuity: { store: redis }`));
  });
  after(async () => {
    for (const lip of lips) await lip.close();
    await chat?.close();
    await redis?.close();
  });

  it('150 tokens spent on one instance while Redis was down: once it is back, the other admits 150 more, not 300', async () => {
    const [a, b] = lips.map((lip) => new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: TEAM, maxRetries: 0 })) as [OpenAI, OpenAI];
    const status = (client: OpenAI): Promise<number> => client.chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'Hi' }] })
      .then(() => 200, (e: unknown) => (e as InstanceType<typeof OpenAI.APIError>).status ?? 0);
    await redis.stop('SIGKILL');
    const during: number[] = [];
    for (let i = 0; i < 5; i++) during.push(await status(a));
    expect(during).to.deep.equal([200, 200, 200, 200, 200]);
    await redis.start();
    const raw = new Redis(redis.url);
    try {
      const total = `${prefix}budget:team:${periodWindow('day', Date.now()).start}`;
      const deadline = Date.now() + BUDGET_REFRESH_MS * 4;
      while (Number(await raw.hget(total, 'tokens')) < 150 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(Number(await raw.hget(total, 'tokens'))).to.equal(150);
      const after: number[] = [];
      while (after.length < 12 && after.at(-1) !== 429) after.push(await status(b));
      expect(after).to.deep.equal([200, 200, 200, 200, 200, 429]);
      expect(Number(await raw.hget(total, 'tokens'))).to.equal(300);
    } finally {
      raw.disconnect();
    }
  });
});
