import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { openaiRejection as rejection } from '../helpers/openai-errors.js';
import { httpRequest } from '../helpers/sse-client.js';

const LIMITED = 'limited-key-0123456789';
const OPEN = 'open-key-0123456789ab';

interface RouteRow {
  readonly candidates: { key: string; outcome: string; reason?: string }[];
  readonly served: string | null;
}

/**
 * Regression: a weighted arm (`^`) whose branches were all ineligible (circuit open, context
 * filter) answered 502 "every candidate failed ()" with no Retry-After, and its skipped branches
 * were never journalled (not in /admin/routes even when another branch served). Now the arm
 * journals each skip with its reason and the route ends as the `|` form does: 503
 * LIP_ERR_ROUTE_NO_CANDIDATE with Retry-After, 400 when only the context filters stood in the way.
 */
describe('e2e: a weighted arm with ineligible branches (regression)', function () {
  this.timeout(30_000);
  let lip: RunningLip;
  let open: OpenAI;
  let limited: OpenAI;
  const ask = (client: OpenAI, route: string, content = 'x') =>
    client.chat.completions.create({ model: 'ignored', messages: [{ role: 'user', content }] }, { headers: { 'x-lip-route': route } }).withResponse();
  const lastRoute = async (): Promise<RouteRow> => {
    const rows = (JSON.parse((await httpRequest(`${lip.url}/admin/routes`, { method: 'GET', headers: { authorization: `Bearer ${OPEN}` } })).body) as { routes: RouteRow[] }).routes;
    return rows[rows.length - 1]!;
  };

  before(async () => {
    lip = await startLip(testConfig(`
  - { id: f503, kind: localstub, fail: "before_output:503" }
  - { id: ok, kind: localstub, text: "from ok" }
  - { id: ok2, kind: localstub, text: "from ok2" }
`, `routing: { default_route: "ok:m", circuit_breaker: { enabled: true, failure_threshold: 2, open_for: 30s } }
diagnostics: { enabled: true }
auth: { api_keys: [ { id: limited, key: "${LIMITED}", allow: ["ok2:*"] }, { id: open, key: "${OPEN}" } ] }`));
    open = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: OPEN, maxRetries: 0 });
    limited = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: LIMITED, maxRetries: 0 });
    // Two failures of each f503 candidate open both circuits.
    for (let i = 0; i < 2; i++) expect((await ask(open, 'f503:m|f503:m?x=1|ok:m')).response.headers.get('x-lip-backend')).to.equal('ok:m');
  });
  after(() => lip?.close());

  it('every branch\'s circuit open: 503 LIP_ERR_ROUTE_NO_CANDIDATE with Retry-After, each skip in /admin/routes', async () => {
    for (const route of ['f503:m^f503:m?x=1', '[first]f503:m']) {
      const err = await rejection(ask(open, route));
      expect([err.status, (err.error as { code: string }).code]).to.deep.equal([503, 'LIP_ERR_ROUTE_NO_CANDIDATE']);
      expect(Number(err.headers?.get('retry-after'))).to.be.within(1, 30);
    }
    expect((await lastRoute()).candidates.map((c) => [c.key, c.outcome, c.reason])).to.deep.equal([['f503:m', 'skipped', 'circuit open']]);
  });

  it('a skipped branch is listed when another branch serves (circuit open; a key whose allow leaves a branch out)', async () => {
    expect((await ask(open, '[weight=100]f503:m^ok2:m')).response.headers.get('x-lip-backend')).to.equal('ok2:m');
    let row = await lastRoute();
    expect(row.served).to.equal('ok2:m');
    expect(row.candidates.map((c) => [c.key, c.outcome, c.reason])).to.deep.equal([['f503:m', 'skipped', 'circuit open'], ['ok2:m', 'served', undefined]]);
    expect((await ask(limited, '[weight=100]ok:m^ok2:m')).response.headers.get('x-lip-backend')).to.equal('ok2:m');
    row = await lastRoute();
    expect(row.candidates.map((c) => [c.key, c.outcome])).to.deep.equal([['ok:m', 'skipped'], ['ok2:m', 'served']]);
  });

  it('every branch left out by its context filter: 400 context_length_exceeded, as the `!` and single-leaf forms answer', async () => {
    const prompt = 'lorem ipsum dolor sit amet '.repeat(100);
    const err = await rejection(ask(open, '[max_context=10]ok:m^[max_context=20]ok2:m', prompt));
    expect([err.status, (err.error as { code: string }).code]).to.deep.equal([400, 'context_length_exceeded']);
  });
});
