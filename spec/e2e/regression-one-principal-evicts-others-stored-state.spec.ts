import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-0123456789ab';
type Json = Record<string, any>;

/**
 * The memory store's `max_response_bytes` was one budget for every principal, spent oldest
 * first: a principal sending large stored Responses requests (33 of 4M characters against the
 * default 256 MiB) pushed out every other principal's stored responses, conversations, stored
 * chat completions, Gemini files and cached contents. The budget is now shared by the fair-share
 * rule of `max_legs`: the principal holding the most bytes gives up its own oldest.
 */
describe('regression: one principal flooding the memory store evicts another\'s stored state', function () {
  this.timeout(30_000);
  let lip: RunningLip;

  before(async () => {
    lip = await startLip(testConfig('  - { id: st, kind: localstub, models: [m] }', [
      'routing: { default_route: "st:m" }',
      `auth: { api_keys: [{ id: alice, key: "${ALICE}", principal: alice }, { id: bob, key: "${BOB}", principal: bob }] }`,
      'continuity: { store: memory, max_response_bytes: 1MiB }',
    ].join('\n')));
  });
  after(async () => {
    await lip?.close();
  });

  const call = async (key: string, method: string, path: string, body?: Json | string, headers: Record<string, string> = {}) => {
    const res = await httpRequest(`${lip.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...headers }, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
    return { status: res.status, json: (res.body ? JSON.parse(res.body) : {}) as Json };
  };

  it('keeps alice\'s stored state while bob stores far more than the budget; bob loses his own oldest', async () => {
    const rid = (await call(ALICE, 'POST', '/v1/responses', { model: 'st:m', input: 'alice stored' })).json.id as string;
    const cid = (await call(ALICE, 'POST', '/v1/conversations', { items: [{ type: 'message', role: 'user', content: 'alice conv' }] })).json.id as string;
    const ccid = (await call(ALICE, 'POST', '/v1/chat/completions', { model: 'st:m', store: true, messages: [{ role: 'user', content: 'alice chat' }] })).json.id as string;
    const gfile = (await call(ALICE, 'POST', '/upload/v1beta/files', 'alice gemini file', { 'x-goog-upload-protocol': 'raw', 'content-type': 'text/plain' })).json.file.name as string;
    const cached = (await call(ALICE, 'POST', '/v1beta/cachedContents', { model: 'models/st:m', contents: [{ role: 'user', parts: [{ text: 'alice cache' }] }] })).json.name as string;
    const paths = [`/v1/responses/${rid}`, `/v1/conversations/${cid}/items`, `/v1/chat/completions/${ccid}`, `/v1beta/${gfile}`, `/v1beta/${cached}`];
    const statuses = async () => Promise.all(paths.map(async (p) => (await call(ALICE, 'GET', p)).status));
    expect(await statuses()).to.deep.equal([200, 200, 200, 200, 200]);

    const big = 'x'.repeat(100_000); // about 200 KB a stored response: 20 of them are four times the budget
    const bobs: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await call(BOB, 'POST', '/v1/responses', { model: 'st:m', input: `${big}${i}`, max_output_tokens: 16 });
      expect(res.status).to.equal(200);
      bobs.push(res.json.id as string);
    }
    expect(await statuses()).to.deep.equal([200, 200, 200, 200, 200]);
    expect((await call(ALICE, 'GET', '/v1/chat/completions')).json.data).to.have.length(1);
    expect((await call(BOB, 'GET', `/v1/responses/${bobs[0]}`)).status).to.equal(404);
    expect((await call(BOB, 'GET', `/v1/responses/${bobs[19]}`)).status).to.equal(200);
  });
});
