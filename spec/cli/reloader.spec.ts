import { expect } from 'chai';
import { Redis } from 'ioredis';
import { PassThrough } from 'node:stream';
import { Reloader } from '../../lib/cli/reloader.js';
import { LipError } from '../../lib/errors/index.js';
import type { Config } from '../../lib/config/index.js';
import { createRuntime } from '../../lib/core/runtime.js';
import { createLogger } from '../../lib/observability/logger.js';
import type { ConfigControl } from '../../lib/server/config-control.js';
import { LipServer } from '../../lib/server/lip-server.js';
import { testConfig } from '../helpers/config.js';
import { httpRequest } from '../helpers/sse-client.js';
import { requireRedisServer } from '../helpers/redis-server.js';

const SECRET = 'reload-secret-0123456789';
const config = (text: string, extra = '') => testConfig(`  - { id: s, kind: localstub, models: [m], text: "${text}" }`,
  `diagnostics: { enabled: true, shared_secret: "${SECRET}" }\nrouting: { default_route: "s:m" }\n${extra}`);

/**
 * The reload function behind SIGHUP and `/admin/config/*`, on a real server: what the file
 * says is applied (or kept, for restart-only fields), a bad file keeps the running config.
 * @see spec/cli/serve-workers.spec.ts for the same across the workers of `--workers`
 */
describe('Reloader and /admin/config/* (in process)', () => {
  let server: LipServer;
  let url: string;
  let next: () => Config;
  const logs: Record<string, unknown>[] = [];

  before(async () => {
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => c.toString('utf8').split('\n').filter(Boolean).forEach((l) => logs.push(JSON.parse(l) as Record<string, unknown>)));
    const logger = createLogger({ level: 'info', format: 'json', stream });
    let reloader: Reloader | undefined;
    const control: ConfigControl = { reload: (t) => reloader!.reload(t), status: () => reloader!.status() };
    const first = config('before');
    server = new LipServer(createRuntime(first, { logger }), logger, { control });
    reloader = new Reloader(server, () => next(), logger);
    await server.listen('127.0.0.1', 0);
    url = server.url;
  });
  after(() => server.shutdown(1_000));

  const admin = (method: 'GET' | 'POST', path: string, secret: string | null = SECRET) =>
    httpRequest(`${url}${path}`, { method, ...(secret ? { headers: { 'x-lip-diagnostics-secret': secret } } : {}), ...(method === 'POST' ? { body: '' } : {}) });
  const ask = async () => JSON.parse((await httpRequest(`${url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) })).body).choices[0].message.content as string;

  it('is protected like every /admin endpoint (the shared secret), and POST only for reload', async () => {
    next = () => config('before');
    expect((await admin('POST', '/admin/config/reload', null)).status).to.equal(403);
    expect((await admin('POST', '/admin/config/reload', 'wrong-secret-0123456789')).status).to.equal(403);
    expect((await admin('GET', '/admin/config/status', null)).status).to.equal(403);
    const get = await admin('GET', '/admin/config/reload');
    expect([get.status, get.headers.allow]).to.deep.equal([405, 'POST']);
  });

  it('answers unchanged for the same file, then applies a change and names it', async () => {
    const same = await admin('POST', '/admin/config/reload');
    expect([same.status, JSON.parse(same.body).status]).to.deep.equal([200, 'unchanged']);
    next = () => config('after');
    const res = await admin('POST', '/admin/config/reload');
    const body = JSON.parse(res.body);
    expect(res.status).to.equal(200);
    expect(body).to.deep.include({ status: 'reloaded', trigger: 'api', changed: ['backends[s]'], restart_required: [] });
    expect(await ask()).to.equal('after');
    expect(logs.some((l) => l.message === 'configuration reloaded' && l.trigger === 'api')).to.equal(true);
  });

  it('keeps the logger settings at their running values and lists them; status shows them pending', async () => {
    next = () => config('again', 'logging: { level: debug, access_log: false }\nserver: { host: 127.0.0.1, port: 0, read_timeout: 5s }');
    const body = JSON.parse((await admin('POST', '/admin/config/reload')).body);
    expect(body.status).to.equal('reloaded');
    expect(body.changed).to.have.members(['backends[s]', 'server.read_timeout']);
    expect(body.restart_required).to.deep.equal(['logging.level']);
    expect([server.config.server.read_timeout, server.config.logging.level]).to.deep.equal([5_000, 'info']);
    expect(await ask()).to.equal('again');
    const status = JSON.parse((await admin('GET', '/admin/config/status')).body);
    expect(status.pending_restart).to.deep.equal(['logging.level']);
    expect(status.last_reload.status).to.equal('reloaded');
    expect(status.config).to.equal('test.yaml');
  });

  it('refuses a listener change whole (422, the field named) and keeps serving as before', async () => {
    next = () => config('not applied', 'logging: { level: debug, access_log: false }\nserver: { host: 127.0.0.1, port: 1, read_timeout: 5s }');
    const res = await admin('POST', '/admin/config/reload');
    const body = JSON.parse(res.body);
    expect([res.status, body.error.code]).to.deep.equal([422, 'LIP_ERR_ADMIN_RELOAD_FAILED']);
    expect(body.error.message).to.contain('server.port changed: this needs a restart');
    expect(await ask()).to.equal('again');
    const status = JSON.parse((await admin('GET', '/admin/config/status')).body);
    expect(status.last_reload.status).to.equal('failed');
    expect(status.last_reload.restart_required).to.have.members(['server.port', 'logging.level']);
    expect(logs.some((l) => l.message === 'reload refused; keeping the running configuration')).to.equal(true);
  });

  it('a bad file: 422 LIP_ERR_ADMIN_RELOAD_FAILED with the reason, and the running config keeps serving', async () => {
    next = () => { throw new LipError('LIP_ERR_CONFIG_INVALID', 'lip.yaml:2:3: server.prot: unknown key "prot"'); };
    const res = await admin('POST', '/admin/config/reload');
    const body = JSON.parse(res.body);
    expect(res.status).to.equal(422);
    expect(body.error.code).to.equal('LIP_ERR_ADMIN_RELOAD_FAILED');
    expect(body.error.message).to.contain('the running configuration is kept').and.to.contain('unknown key "prot"');
    expect(await ask()).to.equal('again');
    const status = JSON.parse((await admin('GET', '/admin/config/status')).body);
    expect([status.last_reload.status, status.last_reload.error]).to.deep.equal(['failed', 'lip.yaml:2:3: server.prot: unknown key "prot"']);
  });

  it('runs overlapping reloads one at a time, in order', async () => {
    const order: string[] = [];
    let n = 0;
    next = () => { order.push(`load ${++n}`); return config(`text ${n}`); };
    const [a, b] = await Promise.all([admin('POST', '/admin/config/reload'), admin('POST', '/admin/config/reload')]);
    expect([JSON.parse(a.body).status, JSON.parse(b.body).status]).to.deep.equal(['reloaded', 'reloaded']);
    expect(order).to.deep.equal(['load 1', 'load 2']);
    expect(await ask()).to.equal('text 2');
  });

  it('switches continuity.lineage without reopening the store: earlier sessions resume, one-shot requests stop leaving records', async () => {
    const send = (headers: Record<string, string> = {}) => httpRequest(`${url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), headers });
    next = () => config('lineage');
    await admin('POST', '/admin/config/reload');
    const first = await send();
    const store = server.runtimeNow.continuity;
    const legs = store.status().legs;
    next = () => config('lineage', 'continuity: { lineage: conversations }');
    const body = JSON.parse((await admin('POST', '/admin/config/reload')).body);
    expect([body.status, body.changed]).to.deep.equal(['reloaded', ['continuity.lineage']]);
    expect(server.runtimeNow.continuity).to.equal(store);
    expect((await send()).status).to.equal(200);
    expect(store.status().legs).to.equal(legs);
    const resumed = await send({ 'x-lip-resume-token': first.headers['x-lip-resume-token'] as string });
    expect([resumed.status, resumed.headers['x-lip-a-leg-id']]).to.deep.equal([200, first.headers['x-lip-a-leg-id']]);
  });

  it('keeps the response cache and its answers through a reload that leaves cache alone; a changed cache setting starts an empty one', async () => {
    next = () => config('cached', 'cache: { enabled: true }');
    await admin('POST', '/admin/config/reload');
    const send = () => httpRequest(`${url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'cache me' }] }) });
    expect((await send()).headers['x-lip-cache']).to.equal('miss');
    const cache = server.runtimeNow.cache;
    next = () => config('cached', 'cache: { enabled: true }\npricing: [{ backend: s, input: 1, output: 1 }]');
    expect(JSON.parse((await admin('POST', '/admin/config/reload')).body).changed).to.deep.equal(['pricing']);
    expect(server.runtimeNow.cache).to.equal(cache);
    expect((await send()).headers['x-lip-cache']).to.equal('hit');
    next = () => config('cached', 'cache: { enabled: true, ttl: 2h }\npricing: [{ backend: s, input: 1, output: 1 }]');
    await admin('POST', '/admin/config/reload');
    expect(server.runtimeNow.cache).to.not.equal(cache);
    expect((await send()).headers['x-lip-cache']).to.equal('miss');
    next = () => config('after');
    await admin('POST', '/admin/config/reload');
    expect(server.runtimeNow.cache).to.equal(undefined);
    expect((await send()).headers['x-lip-cache']).to.equal(undefined);
  });

  // Found by probing the operator side: a reload that changed only redis settings replaced a memory
  // circuit breaker too, and so forgot its open circuits (the next request hit the failing backend).
  it('keeps a memory circuit breaker through a change of the redis settings; a redis one is replaced', async function () {
    const redis = await requireRedisServer(this);
    const withRedis = (prefix: string, store: 'memory' | 'redis') => testConfig('  - { id: s, kind: localstub, models: [m], text: "circuits" }',
      `diagnostics: { enabled: true, shared_secret: "${SECRET}" }\nredis: { url: "${redis.url}", key_prefix: "${prefix}" }\nrouting: { default_route: "s:m", circuit_breaker: { enabled: true, store: ${store} } }`);
    next = () => withRedis('reload-cb-a:', 'memory');
    await admin('POST', '/admin/config/reload');
    const memory = server.runtimeNow.breaker;
    next = () => withRedis('reload-cb-b:', 'memory');
    const body = (await admin('POST', '/admin/config/reload')).body;
    expect(JSON.parse(body).changed, body).to.deep.equal(['redis.key_prefix']);
    expect(server.runtimeNow.breaker).to.equal(memory);
    next = () => withRedis('reload-cb-b:', 'redis');
    await admin('POST', '/admin/config/reload');
    const shared = server.runtimeNow.breaker;
    expect(shared).to.not.equal(memory);
    next = () => withRedis('reload-cb-c:', 'redis');
    await admin('POST', '/admin/config/reload');
    expect(server.runtimeNow.breaker).to.not.equal(shared);
    next = () => config('after');
    await admin('POST', '/admin/config/reload');
  });

  it('switches continuity.store to redis in place, and opens a new store when the redis settings change', async function () {
    const redis = await requireRedisServer(this);
    const raw = new Redis(redis.url);
    const onRedis = (prefix: string) => config('shared', `continuity: { store: redis }\nredis: { url: "${redis.url}", key_prefix: "${prefix}" }`);
    const legsUnder = async (prefix: string) => {
      for (let i = 0; i < 200 && (await raw.zcard(`${prefix}cont:legs`)) === 0; i++) await new Promise((r) => setTimeout(r, 10));
      return raw.zcard(`${prefix}cont:legs`);
    };
    try {
      next = () => onRedis('reload-a:');
      expect(JSON.parse((await admin('POST', '/admin/config/reload')).body).status).to.equal('reloaded');
      const ready = JSON.parse((await httpRequest(`${url}/readyz`, { method: 'GET' })).body) as { checks: { continuity: { store: string } } };
      expect(ready.checks.continuity.store).to.equal('redis');
      expect(await ask()).to.equal('shared');
      expect(await legsUnder('reload-a:')).to.equal(1);
      next = () => onRedis('reload-b:');
      expect(JSON.parse((await admin('POST', '/admin/config/reload')).body).status).to.equal('reloaded');
      await ask();
      expect(await legsUnder('reload-b:')).to.equal(1);
      expect(await raw.zcard('reload-a:cont:legs')).to.equal(1); // the old store wrote nothing more
    } finally {
      next = () => config('after');
      await admin('POST', '/admin/config/reload');
      raw.disconnect();
      await redis.close();
    }
  });
});
