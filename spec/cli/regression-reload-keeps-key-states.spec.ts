import { expect } from 'chai';
import OpenAI from 'openai';
import { Reloader } from '../../lib/cli/reloader.js';
import type { Config } from '../../lib/config/index.js';
import { createRuntime } from '../../lib/core/runtime.js';
import { createLogger } from '../../lib/observability/logger.js';
import { LipServer } from '../../lib/server/lip-server.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type RecordedRequest } from '../helpers/emulators/index.js';
import { redisPrefix } from '../helpers/lip.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';

const COOL = 'cool-0123456789';
const BAD = 'bad-0123456789';
const GOOD = 'good-0123456789';

interface KeysView { backends: { backend: string; usable: number; cooling: number; retired: number }[] }

/**
 * Regression (found by probing): any reload reset every backend's API key pool. A key cooling
 * down after a 429 (`Retry-After: 600`) was sent again right after an unrelated reload, and a
 * key a 401 had retired "for the life of the process" was tried again: `/admin/keys` went from
 * 1 usable, 1 cooling, 1 retired to 3 usable. A reload rebuilds every backend, and each pool
 * kept its keys' states to itself; the states are now carried into the new pools for the keys
 * still configured for the same upstream (backend id, kind and `base_url`), with the memory
 * circuit store and with the Redis one (which brought the cool-downs back, not the retirements).
 */
describe('regression: a reload keeps the API keys retired and cooling down', function () {
  this.timeout(30_000);
  let upstream: Emulator;

  before(async () => {
    upstream = await startOpenAIChatEmulator();
    upstream.handler = (req: RecordedRequest) => req.key === COOL ? { status: 429, error: { message: 'slow down' }, headers: { 'retry-after': '600' } }
      : req.key === BAD ? { status: 401, error: { message: 'no such key' } }
      : { text: `served with ${req.key}` };
  });
  after(async () => {
    await upstream?.close();
  });
  beforeEach(() => upstream.reset());

  /** Starts lip on `config(route)`, runs `check`, stops it. */
  async function withLip(config: (route: string, keys?: string) => Config, check: (lip: { url: string; reload(route: string, keys?: string): Promise<string> }) => Promise<void>): Promise<void> {
    const logger = createLogger({ level: 'error', format: 'json', stream: process.stderr });
    let next = config('pool:gpt-4o');
    const server = new LipServer(createRuntime(next, { logger }), logger);
    const reloader = new Reloader(server, () => next, logger);
    await server.listen('127.0.0.1', 0);
    try {
      await check({
        url: server.url,
        reload: async (route, keys) => {
          next = config(route, keys);
          return (await reloader.reload('signal')).status;
        },
      });
    } finally {
      await server.shutdown(1_000);
    }
  }

  const keys = async (url: string) => ((await (await fetch(`${url}/admin/keys`)).json()) as KeysView).backends.map(({ usable, cooling, retired }) => ({ usable, cooling, retired }));
  const ask = async (url: string) => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    return (await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] })).choices[0]!.message.content;
  };
  const row = (keyList = `"${COOL}", "${BAD}", "${GOOD}"`) => `  - { id: pool, kind: openai-chat, base_url: "${upstream.url}", api_keys: [${keyList}] }`;

  async function keepsStates(config: (route: string, keys?: string) => Config): Promise<void> {
    await withLip(config, async (lip) => {
      // One request: the first key is rate-limited, the second rejected, the third serves.
      expect(await ask(lip.url)).to.equal(`served with ${GOOD}`);
      expect(upstream.requests.map((r) => r.key)).to.deep.equal([COOL, BAD, GOOD]);
      expect(await keys(lip.url)).to.deep.equal([{ usable: 1, cooling: 1, retired: 1 }]);

      // A reload that changes something else: the pool is rebuilt, its keys' states are not.
      expect(await lip.reload('pool:gpt-4o-mini')).to.equal('reloaded');
      expect(await keys(lip.url)).to.deep.equal([{ usable: 1, cooling: 1, retired: 1 }]);
      upstream.reset();
      for (let i = 0; i < 3; i++) expect(await ask(lip.url)).to.equal(`served with ${GOOD}`);
      expect(upstream.requests.map((r) => r.key)).to.deep.equal([GOOD, GOOD, GOOD]);

      // A key removed by one reload and configured again by the next starts fresh.
      expect(await lip.reload('pool:gpt-4o-mini', `"${COOL}", "${GOOD}"`)).to.equal('reloaded');
      expect(await keys(lip.url)).to.deep.equal([{ usable: 1, cooling: 1, retired: 0 }]);
      expect(await lip.reload('pool:gpt-4o-mini')).to.equal('reloaded');
      expect(await keys(lip.url)).to.deep.equal([{ usable: 2, cooling: 1, retired: 0 }]);
    });
  }

  it('with the circuits in memory', async () => {
    await keepsStates((route, keyList) => testConfig(row(keyList), `routing: { default_route: "${route}", circuit_breaker: { enabled: true } }\ndiagnostics: { enabled: true }`));
  });

  describe('with the circuits in Redis', () => {
    let redis: RedisServer;
    before(async function () {
      redis = await requireRedisServer(this);
    });
    after(async () => {
      await redis?.close();
    });

    it('the retirements come back as well as the cool-downs', async () => {
      const prefix = redisPrefix('reload-keys');
      await keepsStates((route, keyList) => testConfig(row(keyList), `routing: { default_route: "${route}", circuit_breaker: { enabled: true, store: redis } }
diagnostics: { enabled: true }\nredis: { url: "${redis.url}", key_prefix: "${prefix}" }`));
    });
  });
});
