import { expect } from 'chai';
import OpenAI from 'openai';
import { startOpenAIChatEmulator, type Emulator, type RecordedRequest } from '../helpers/emulators/index.js';
import { redisPrefix, startLipsOnRedis, type RunningLip } from '../helpers/lip.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';

interface KeysView { backends: { backend: string; keys: number; usable: number; cooling: number; retired: number; usable_in_ms: number | null; shared_cooldowns: boolean }[] }

/**
 * Upstream API key cool-downs shared by instances (`routing.circuit_breaker.store: redis`): a key
 * the upstream rate-limits on one lip is skipped by the other, which never sends it that key
 * until its Retry-After has passed; `GET /admin/keys` shows each instance's pool.
 */
describe('e2e: upstream key cool-downs shared by instances through Redis', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let upstream: Emulator;
  const lips: RunningLip[] = [];

  before(async function () {
    redis = await requireRedisServer(this);
    upstream = await startOpenAIChatEmulator();
    upstream.handler = (req: RecordedRequest) => req.key === 'limited-0123456789'
      ? { status: 429, error: { message: 'slow down' }, headers: { 'retry-after': '30' } }
      : { text: `served with ${req.key}` };
    lips.push(...await startLipsOnRedis(redis.url, redisPrefix('keycool'), `  - { id: pool, kind: openai-chat, base_url: "${upstream.url}", api_keys: ["limited-0123456789", "good-0123456789"] }`, `routing: { circuit_breaker: { enabled: true, store: redis } }
diagnostics: { enabled: true }`));
  });
  after(async () => {
    for (const lip of lips) await lip.close();
    await upstream?.close();
    await redis?.close();
  });

  const keys = async (lip: RunningLip) => (await (await fetch(`${lip.url}/admin/keys`)).json()) as KeysView;

  it('a 429 on one instance cools the key down on the other, which then sends only the other key', async () => {
    const [a, b] = lips.map((lip) => new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'unused', maxRetries: 0 })) as [OpenAI, OpenAI];
    expect((await keys(lips[1]!)).backends).to.deep.equal([{ backend: 'pool', keys: 2, usable: 2, cooling: 0, retired: 0, usable_in_ms: 0, shared_cooldowns: true }]);
    // a tries the first key, is rate-limited, and is served with the second.
    const first = await a.chat.completions.create({ model: 'pool:gpt-4o', messages: [{ role: 'user', content: 'Hi' }] });
    expect(first.choices[0]!.message.content).to.equal('served with good-0123456789');
    expect(upstream.requests.map((r) => r.key)).to.deep.equal(['limited-0123456789', 'good-0123456789']);
    // b learns of it from Redis without sending anything.
    const deadline = Date.now() + 10_000;
    let pool = (await keys(lips[1]!)).backends[0]!;
    while (pool.cooling === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      pool = (await keys(lips[1]!)).backends[0]!;
    }
    expect([pool.usable, pool.cooling]).to.deep.equal([1, 1]);
    upstream.reset();
    for (let i = 0; i < 3; i++) {
      const answer = await b.chat.completions.create({ model: 'pool:gpt-4o', messages: [{ role: 'user', content: 'Hi' }] });
      expect(answer.choices[0]!.message.content).to.equal('served with good-0123456789');
    }
    expect(upstream.requests.map((r) => r.key)).to.deep.equal(['good-0123456789', 'good-0123456789', 'good-0123456789']);
  });
});
