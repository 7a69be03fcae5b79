import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import OpenAI from 'openai';
import { Reloader } from '../../lib/cli/reloader.js';
import type { CircuitRow } from '../../lib/circuit/types.js';
import type { Config } from '../../lib/config/index.js';
import { createRuntime } from '../../lib/core/runtime.js';
import { createLogger } from '../../lib/observability/logger.js';
import { LipServer } from '../../lib/server/lip-server.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { until } from '../helpers/hostile-rig.js';
import { redisPrefix } from '../helpers/lip.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';

/** A lip server and its reloader: reloaded to the config given, asked through the OpenAI SDK (a refusal answers `status code`). */
interface Lip {
  readonly url: string;
  reload(config: Config): Promise<string>;
  circuits(): Promise<string[]>;
  ask(model: string): Promise<string>;
  close(): Promise<void>;
}

async function startLip(config: Config): Promise<Lip> {
  const logger = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
  let next = config;
  const server = new LipServer(createRuntime(next, { logger }), logger);
  const reloader = new Reloader(server, () => next, logger);
  await server.listen('127.0.0.1', 0);
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  return {
    url: server.url,
    reload: async (changed) => {
      next = changed;
      return (await reloader.reload('signal')).status;
    },
    circuits: async () => ((await (await fetch(`${server.url}/admin/circuits`)).json()) as { circuits: CircuitRow[] }).circuits.map((r) => `${r.key} ${r.state}`),
    ask: async (model) => {
      try {
        return (await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] })).choices[0]!.message.content ?? '';
      } catch (err) {
        return `${(err as InstanceType<typeof OpenAI.APIError>).status} ${((err as InstanceType<typeof OpenAI.APIError>).error as { code?: string }).code}`;
      }
    },
    close: async () => { await server.shutdown(1_000); },
  };
}

/**
 * Regression (found by probing): an open circuit survived a reload that pointed its backend at
 * another upstream. `up`'s upstream failed, its circuit `up:m` opened; the operator moved `up`'s
 * `base_url` to a healthy upstream and reloaded; every request to `up:m` was still refused
 * (503 `LIP_ERR_ROUTE_ALL_FAILED`, the new upstream never called) until `open_for` passed. The
 * reload kept the breaker whole, while the API keys' states are forgotten for a backend whose id,
 * kind or `base_url` changed. The circuits of such a backend, and of one the reload removed, are
 * now closed by the reload; the others' are kept. With the circuits in Redis they are closed in
 * the store, for every instance.
 */
describe('regression: a reload closes the circuits of backends it points elsewhere or removes', function () {
  this.timeout(30_000);
  let bad: Emulator;
  let good: Emulator;
  const lips: Lip[] = [];

  before(async () => {
    bad = await startOpenAIChatEmulator();
    bad.handler = () => ({ status: 503, error: { message: 'down' } });
    good = await startOpenAIChatEmulator();
    good.handler = () => ({ text: 'good' });
  });
  after(async () => {
    await bad?.close();
    await good?.close();
  });
  afterEach(async () => {
    for (const lip of lips.splice(0)) await lip.close();
  });

  /** Backends `up` at `upUrl` (kind `upKind`) and, unless left out, `other` at the failing upstream; circuits open after two failures. */
  const config = (o: { upUrl: string; upKind?: string; other?: boolean; attempts?: number }) => testConfig([
    `  - { id: up, kind: ${o.upKind ?? 'openai-chat'}, base_url: "${o.upUrl}", api_key: k-0123456789 }`,
    ...(o.other === false ? [] : [`  - { id: other, kind: openai-chat, base_url: "${bad.url}", api_key: k-0123456789 }`]),
  ].join('\n'), `routing:\n  max_attempts: ${o.attempts ?? 1}\n  circuit_breaker: { enabled: true, failure_threshold: 2, open_for: 60s }\ndiagnostics: { enabled: true }`);

  async function openBoth(lip: Lip): Promise<void> {
    for (const model of ['up:m', 'up:m', 'other:m', 'other:m']) expect(await lip.ask(model)).to.match(/^503 /);
    expect(await lip.circuits()).to.deep.equal(['other:m open', 'up:m open']);
  }

  it('another base_url: its circuits close and its new upstream is called; another backend\'s stay open', async () => {
    const lip = await startLip(config({ upUrl: bad.url }));
    lips.push(lip);
    await openBoth(lip);
    expect(await lip.reload(config({ upUrl: good.url }))).to.equal('reloaded');
    expect(await lip.circuits()).to.deep.equal(['other:m open']);
    expect(await lip.ask('up:m')).to.equal('good');
  });

  it('another kind, or the row removed: its circuits close; a reload that changes neither keeps them', async () => {
    const lip = await startLip(config({ upUrl: bad.url }));
    lips.push(lip);
    await openBoth(lip);
    expect(await lip.reload(config({ upUrl: bad.url, attempts: 2 }))).to.equal('reloaded');
    expect(await lip.circuits()).to.deep.equal(['other:m open', 'up:m open']);
    expect(await lip.reload(config({ upUrl: bad.url, upKind: 'openai-responses' }))).to.equal('reloaded');
    expect(await lip.circuits()).to.deep.equal(['other:m open']);
    expect(await lip.reload(config({ upUrl: bad.url, upKind: 'openai-responses', other: false }))).to.equal('reloaded');
    expect(await lip.circuits()).to.deep.equal([]);
  });

  describe('with the circuits in Redis', () => {
    let redis: RedisServer;
    before(async function () {
      redis = await requireRedisServer(this);
    });
    after(async () => {
      await redis?.close();
    });

    it('the reload closes them in the store: another instance, not reloaded, sees them closed too', async () => {
      const prefix = redisPrefix('reload-circuits');
      const onRedis = (upUrl: string) => testConfig([
        `  - { id: up, kind: openai-chat, base_url: "${upUrl}", api_key: k-0123456789 }`,
        `  - { id: other, kind: openai-chat, base_url: "${bad.url}", api_key: k-0123456789 }`,
      ].join('\n'), `routing:\n  max_attempts: 1\n  circuit_breaker: { enabled: true, failure_threshold: 2, open_for: 60s, store: redis }
diagnostics: { enabled: true }\nredis: { url: "${redis.url}", key_prefix: "${prefix}" }`);
      const a = await startLip(onRedis(bad.url));
      lips.push(a);
      const b = await startLip(onRedis(bad.url));
      lips.push(b);
      await openBoth(a);
      await until(async () => (await b.circuits()).length === 2, 'the other instance learns of the open circuits');
      expect(await a.reload(onRedis(good.url))).to.equal('reloaded');
      expect(await a.circuits()).to.deep.equal(['other:m open']);
      await until(async () => (await b.circuits()).join() === 'other:m open', 'the other instance learns that up:m closed');
      expect(await a.ask('up:m')).to.equal('good');
    });
  });
});
