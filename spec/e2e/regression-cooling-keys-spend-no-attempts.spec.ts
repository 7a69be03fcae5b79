import { expect } from 'chai';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

interface RouteRow { candidates: { key: string; outcome: string; reason?: string; retryAfter?: number }[]; served: string | null }

/**
 * A candidate whose backend's API keys were all still cooling down after a 429 (Retry-After 30)
 * sends nothing, yet it spent `routing.max_attempts` (the budget was taken before the key pool
 * refused): `l0:m|l1:m|l2:m|ok:m` with max_attempts 3 answered its second request 502
 * LIP_ERR_ROUTE_MAX_ATTEMPTS, and the healthy `ok` was not tried for 30 s. Such a candidate is
 * now skipped as an open circuit is (journalled `keys cooling` with its recovery), and a budget
 * spent on 429s only answers 429 with Retry-After, not a 502.
 */
describe('e2e regression: candidates whose keys all cool down spend no attempts', function () {
  this.timeout(30_000);
  let limited: Emulator;
  let good: Emulator;
  const lips: RunningLip[] = [];

  before(async () => {
    limited = await startOpenAIChatEmulator();
    limited.handler = () => ({ status: 429, error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' }, headers: { 'retry-after': '30' } });
    good = await startOpenAIChatEmulator();
    good.handler = () => ({ text: 'served' });
  });
  after(async () => {
    for (const lip of lips) await lip.close();
    await limited?.close();
    await good?.close();
  });

  /** A fresh lip (fresh key pools): l0, l1 and l2 answer 429 with Retry-After 30, ok answers. */
  const start = async (maxAttempts: number): Promise<RunningLip> => {
    const backends = [...['l0', 'l1', 'l2'].map((id) => `  - { id: ${id}, kind: openai-chat, base_url: "${limited.url}", api_key: "key-${id}-aaaaaaaaaaaa" }`),
      `  - { id: ok, kind: openai-chat, base_url: "${good.url}", api_key: "key-ok-aaaaaaaaaaaa" }`].join('\n');
    const lip = await startLip(testConfig(backends, `routing: { default_route: "ok:m", max_attempts: ${maxAttempts} }\ndiagnostics: { enabled: true }`));
    lips.push(lip);
    return lip;
  };
  const ask = (lip: RunningLip, model: string) =>
    httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }) });
  const lastRoute = async (lip: RunningLip): Promise<RouteRow> => {
    const { routes } = (await (await fetch(`${lip.url}/admin/routes`)).json()) as { routes: RouteRow[] };
    return routes[routes.length - 1]!;
  };

  it('l0|l1|l2|ok with max_attempts 3: the first request is a 429 with Retry-After, the second is served by ok at once', async () => {
    const lip = await start(3);
    const sentBefore = limited.requests.length;
    const first = await ask(lip, 'l0:m|l1:m|l2:m|ok:m');
    expect(first.status).to.equal(429);
    expect(JSON.parse(first.body).error.code).to.equal('LIP_ERR_ROUTE_RATE_LIMITED');
    expect(Number(first.headers['retry-after'])).to.be.within(1, 30);
    expect(limited.requests.length - sentBefore).to.equal(3);

    const second = await ask(lip, 'l0:m|l1:m|l2:m|ok:m');
    expect(second.status).to.equal(200);
    expect(second.headers['x-lip-backend']).to.equal('ok:m');
    expect(JSON.parse(second.body).choices[0].message.content).to.equal('served');
    // Nothing more was sent to the cooling keys' upstream.
    expect(limited.requests.length - sentBefore).to.equal(3);
    const route = await lastRoute(lip);
    expect(route.served).to.equal('ok:m');
    expect(route.candidates.map((c) => [c.key, c.outcome])).to.deep.equal([['l0:m', 'skipped'], ['l1:m', 'skipped'], ['l2:m', 'skipped'], ['ok:m', 'served']]);
    expect(route.candidates[0]!.reason).to.match(/^keys cooling: every API key is rate-limited; the first recovers in \d+s$/);
  });

  it('l1|ok with max_attempts 1: ok serves while l1\'s key cools', async () => {
    const lip = await start(1);
    const first = await ask(lip, 'l1:m|ok:m');
    expect(first.status).to.equal(429);
    expect(JSON.parse(first.body).error.code).to.equal('LIP_ERR_ROUTE_RATE_LIMITED');
    const second = await ask(lip, 'l1:m|ok:m');
    expect(second.status).to.equal(200);
    expect(second.headers['x-lip-backend']).to.equal('ok:m');
  });

  it('a route whose every candidate is cooling still answers 429 with the earliest Retry-After, sending nothing', async () => {
    const lip = await start(3);
    expect((await ask(lip, 'l0:m|l1:m')).status).to.equal(429);
    const sentBefore = limited.requests.length;
    const again = await ask(lip, 'l0:m|l1:m');
    expect(again.status).to.equal(429);
    expect(JSON.parse(again.body).error.code).to.equal('LIP_ERR_ROUTE_RATE_LIMITED');
    expect(Number(again.headers['retry-after'])).to.be.within(1, 30);
    expect(limited.requests.length).to.equal(sentBefore);
  });
});
