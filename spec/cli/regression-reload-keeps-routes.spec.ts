import { expect } from 'chai';
import { Reloader } from '../../lib/cli/reloader.js';
import type { Config } from '../../lib/config/index.js';
import { createRuntime } from '../../lib/core/runtime.js';
import { createLogger } from '../../lib/observability/logger.js';
import type { ConfigControl } from '../../lib/server/config-control.js';
import { LipServer } from '../../lib/server/lip-server.js';
import { testConfig } from '../helpers/config.js';
import { httpRequest } from '../helpers/sse-client.js';

const SECRET = 'reload-routes-secret-0123456789';
const config = (text: string, recentRoutes: number) => testConfig(`  - { id: s, kind: localstub, models: [m], text: "${text}" }`,
  `diagnostics: { enabled: true, shared_secret: "${SECRET}", recent_routes: ${recentRoutes} }\nrouting: { default_route: "s:m" }`);

/**
 * Regression (found by probing): any config reload wiped `GET /admin/routes`. The log of
 * routing decisions belonged to the executor, and a reload builds a new one; it is now handed
 * on like the stores, and resized when `diagnostics.recent_routes` changed.
 */
describe('regression: a reload keeps the routing decisions of /admin/routes', () => {
  let server: LipServer;
  let next: () => Config;

  before(async () => {
    const logger = createLogger({ level: 'error', format: 'json', stream: process.stderr });
    let reloader: Reloader | undefined;
    const control: ConfigControl = { reload: (t) => reloader!.reload(t), status: () => reloader!.status() };
    server = new LipServer(createRuntime(config('before', 5), { logger }), logger, { control });
    reloader = new Reloader(server, () => next(), logger);
    await server.listen('127.0.0.1', 0);
  });
  after(() => server.shutdown(1_000));

  const headers = { 'x-lip-diagnostics-secret': SECRET };
  const ask = async (requestId: string) => {
    const res = await httpRequest(`${server.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), headers: { 'x-request-id': requestId } });
    return JSON.parse(res.body).choices[0].message.content as string;
  };
  const reload = async () => JSON.parse((await httpRequest(`${server.url}/admin/config/reload`, { method: 'POST', body: '', headers })).body).status as string;
  const routes = async () => (JSON.parse((await httpRequest(`${server.url}/admin/routes`, { method: 'GET', headers })).body) as { routes: { request_id: string }[] }).routes.map((r) => r.request_id);

  it('the decisions before a reload are still listed after it, and a smaller recent_routes keeps the newest', async () => {
    for (const id of ['r1', 'r2', 'r3']) expect(await ask(id)).to.equal('before');
    expect(await routes()).to.deep.equal(['r1', 'r2', 'r3']);
    next = () => config('after', 5);
    expect(await reload()).to.equal('reloaded');
    expect(await ask('r4')).to.equal('after');
    expect(await routes()).to.deep.equal(['r1', 'r2', 'r3', 'r4']);
    next = () => config('after', 2);
    expect(await reload()).to.equal('reloaded');
    expect(await routes()).to.deep.equal(['r3', 'r4']);
    await ask('r5');
    expect(await routes()).to.deep.equal(['r4', 'r5']);
    next = () => config('after', 3);
    expect(await reload()).to.equal('reloaded');
    await ask('r6');
    await ask('r7');
    expect(await routes()).to.deep.equal(['r5', 'r6', 'r7']);
  });
});
