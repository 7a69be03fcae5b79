import { expect } from 'chai';
import OpenAI from 'openai';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { redisPrefix, startLipsOnRedis, type RunningLip } from '../helpers/lip.js';
import { openaiRejection as rejection } from '../helpers/openai-errors.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';

const ALICE = 'alice-key-0123456789';

/**
 * A background response cancelled by id (the API key alone, as OpenAI's SDK does) on another
 * instance than the one running it, while Redis cannot be reached: neither the relay nor the
 * stored record can say whether it exists. The cancel answered 401
 * `LIP_ERR_CANCEL_IDENTITY_MISSING` (no resume token), which the SDKs take for a bad key; found
 * by the multi-instance probe. It is the 503 `LIP_ERR_CONTINUITY_UNAVAILABLE` with
 * `Retry-After: 1` that a retrieval answers meanwhile, and once Redis is back the retried cancel
 * reaches the response.
 */
describe('e2e: a background response cancelled on another instance during a Redis outage', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let upstream: Emulator;
  const lips: RunningLip[] = [];

  before(async function () {
    redis = await requireRedisServer(this);
    upstream = await startOpenAIChatEmulator();
    lips.push(...await startLipsOnRedis(redis.url, redisPrefix('cancel-outage'), `  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: k-0123456789 }`,
      `auth: { api_keys: [ { id: alice, key: "${ALICE}" } ] }\ncontinuity: { store: redis }`));
  });
  after(async () => {
    for (const lip of lips) await lip.close();
    await upstream?.close();
    await redis?.close();
  });

  it('is a 503 with Retry-After: 1, not the 401 of a missing identity; retried once Redis is back, it cancels', async () => {
    const [here, there] = lips.map((lip) => new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 })) as [OpenAI, OpenAI];
    upstream.enqueue({ text: ['started ', 'never'], fault: { stall: 'after_output' } });
    const created = await there.responses.create({ model: 'up:m', input: 'Long job.', background: true });
    for (let i = 0; i < 500 && upstream.requests.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    await redis.stop('SIGKILL');

    const retrieved = await rejection(here.responses.retrieve(created.id));
    const cancel = await rejection(here.responses.cancel(created.id));
    for (const refused of [retrieved, cancel]) {
      expect([refused.status, refused.headers?.get('retry-after'), JSON.stringify(refused.error)]).to.deep.equal([503, '1', JSON.stringify(retrieved.error)]);
    }
    expect(JSON.stringify(cancel.error)).to.contain('LIP_ERR_CONTINUITY_UNAVAILABLE').and.not.contain('IDENTITY_MISSING');

    await redis.start();
    let cancelled: OpenAI.Responses.Response | undefined;
    for (let i = 0; i < 200 && cancelled === undefined; i++) {
      cancelled = await here.responses.cancel(created.id).catch(() => undefined);
      if (cancelled === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(cancelled).to.deep.include({ id: created.id, status: 'cancelled', background: true });
  });
});
