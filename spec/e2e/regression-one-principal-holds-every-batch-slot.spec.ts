import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-0123456789ab';
const BOB2 = 'bob2-key-0123456789a';
type Json = Record<string, any>;

/**
 * `server.max_running_batches` was only a process-wide count: one key could fill every slot
 * with slow batches (the probe made 64), and every other principal's batch create was then a
 * 429. A principal now holds at most `server.max_running_batches_per_principal` of them (by
 * default half, rounded up, when keys of several principals are configured).
 */
describe('regression: one principal holds every running-batch slot', function () {
  this.timeout(20_000);
  let lip: RunningLip;

  before(async () => {
    lip = await startLip(testConfig('  - { id: st, kind: localstub, models: [m] }\n  - { id: slow, kind: localstub, models: [m], first_token_delay: 60s }', [
      'server: { host: 127.0.0.1, port: 0, max_running_batches: 4 }',
      `auth: { api_keys: [{ id: alice, key: "${ALICE}", principal: alice }, { id: bob, key: "${BOB}", principal: bob }, { id: bob2, key: "${BOB2}", principal: bob }] }`,
    ].join('\n')));
  });
  after(async () => {
    await lip?.close();
  });

  const call = async (key: string, method: string, path: string, body?: Json) => {
    const res = await httpRequest(`${lip.url}${path}`, { method, headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, headers: res.headers, json: JSON.parse(res.body) as Json };
  };
  const create = (key: string, model: string) => call(key, 'POST', '/v1/messages/batches', { requests: [{ custom_id: 'r', params: { model, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] } }] });

  it('a principal filling its share gets a 429 naming the per-principal limit; another principal still creates one', async () => {
    const bobs: string[] = [];
    for (const key of [BOB, BOB2]) {
      const made = await create(key, 'slow:m');
      expect(made.status).to.equal(200);
      bobs.push(made.json.id as string);
    }
    // bob (either key) holds two of the four slots: his share
    const refused = await create(BOB2, 'slow:m');
    expect(refused.status).to.equal(429);
    expect([refused.headers['retry-after'], refused.json.error?.type]).to.deep.equal(['5', 'rate_limit_error']);
    expect(refused.json.error.message).to.equal('this principal has 2 batches running, its limit (server.max_running_batches_per_principal: 2); retry once one has ended');
    const alice = await create(ALICE, 'st:m');
    expect(alice.status).to.equal(200);
    for (const id of bobs) expect((await call(BOB, 'POST', `/v1/messages/batches/${id}/cancel`)).status).to.equal(200);
  });
});
