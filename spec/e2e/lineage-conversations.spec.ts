import { expect } from 'chai';
import OpenAI from 'openai';
import type { AttemptRow } from '../../lib/continuity/index.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest, type RawResponse } from '../helpers/sse-client.js';

const ALICE = 'alice-key-0123456789';
const TOKEN = /^[A-Za-z0-9_-]{64}$/;

/**
 * `continuity.lineage: conversations`: a request that needs no record (no resumed session, no
 * stored response, no `[first]` or `{affinity=session}`) leaves none, yet every response still
 * names its A-leg and session and hands out a token that resumes the conversation.
 */
describe('e2e: continuity.lineage: conversations (records only for conversations that need them)', function () {
  this.timeout(30_000);
  let lip: RunningLip;
  let upstream: Emulator;
  let roll = 0.5;

  before(async () => {
    upstream = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`
  - { id: a, kind: localstub, text: "from a" }
  - { id: b, kind: localstub, text: "from b" }
  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "upstream-key" }
`, `routing: { default_route: "a:m" }
continuity: { lineage: conversations }
diagnostics: { enabled: true }
auth: { api_keys: [ { id: alice, key: "${ALICE}" } ] }`), { rng: () => roll });
  });
  after(async () => {
    await lip.close();
    await upstream.close();
  });
  beforeEach(() => upstream.reset());

  const legs = () => lip.server.runtimeNow.continuity.status().legs;
  const chat = (model: string, headers: Record<string, string> = {}, stream = false) => httpRequest(`${lip.url}/v1/chat/completions`, {
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hello' }] }),
    headers: { authorization: `Bearer ${ALICE}`, ...headers },
  });
  const resume = (res: RawResponse): Record<string, string> => ({
    'x-lip-session-id': res.headers['x-lip-session-id'] as string, 'x-lip-resume-token': res.headers['x-lip-resume-token'] as string,
  });
  const attempts = (aLegId: string) => httpRequest(`${lip.url}/admin/attempts?a_leg_id=${aLegId}`, { method: 'GET', headers: { authorization: `Bearer ${ALICE}` } });
  const settled = async (aLegId: string, count: number): Promise<AttemptRow[]> => {
    for (let i = 0; i < 200; i++) {
      const res = await attempts(aLegId);
      const rows = res.status === 200 ? (JSON.parse(res.body) as { attempts: AttemptRow[] }).attempts : [];
      if (rows.length >= count && rows.every((r) => r.outcome !== null)) return rows;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('attempts did not settle');
  };

  it('one-shot requests through the SDK, streamed or not, leave no record, yet name their A-leg and session and hand out a token', async () => {
    const before = legs();
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 });
    const plain = await client.chat.completions.create({ model: 'a:m', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(plain.data.choices[0]!.message.content).to.equal('from a');
    const streamed = await client.chat.completions.create({ model: 'b:m', stream: true, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    let text = '';
    for await (const chunk of streamed.data) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).to.equal('from b');
    for (const { response } of [plain, streamed]) {
      expect(response.headers.get('x-lip-a-leg-id')).to.match(/^a_[0-9a-f]{32}$/);
      expect(response.headers.get('x-lip-session-id')).to.match(/^s_[0-9a-f]{32}$/);
      expect(response.headers.get('x-lip-resume-token')).to.match(TOKEN);
      const known = await attempts(response.headers.get('x-lip-a-leg-id')!);
      expect([known.status, JSON.parse(known.body).error.code]).to.deep.equal([404, 'LIP_ERR_HTTP_NOT_FOUND']);
    }
    expect(legs()).to.equal(before);
  });

  it('the token resumes the conversation under the same ids; from then on it has a record and its attempts are rows', async () => {
    const first = await chat('a:m');
    const aLegId = first.headers['x-lip-a-leg-id'] as string;
    const before = legs();
    const second = await chat('b:m', resume(first));
    expect([second.status, second.headers['x-lip-a-leg-id'], second.headers['x-lip-session-id'], second.headers['x-lip-resume-token']])
      .to.deep.equal([200, aLegId, first.headers['x-lip-session-id'], undefined]);
    expect(legs()).to.equal(before + 1);
    const third = await chat('a:m', resume(first), true);
    expect(third.headers['x-lip-a-leg-id']).to.equal(aLegId);
    const rows = await settled(aLegId, 2);
    expect(rows.map((r) => [r.seq, r.candidate_key, r.outcome])).to.deep.equal([[1, 'b:m', 'success'], [2, 'a:m', 'success']]);
    expect(legs()).to.equal(before + 1);
  });

  it('a token that was altered, or sent by another conversation\'s session id, is refused like an unknown one', async () => {
    const first = await chat('a:m');
    const other = await chat('a:m');
    const bytes = Buffer.from(first.headers['x-lip-resume-token'] as string, 'base64url');
    bytes[40] ^= 1;
    for (const headers of <Record<string, string>[]>[
      { 'x-lip-resume-token': bytes.toString('base64url') },
      { ...resume(first), 'x-lip-session-id': other.headers['x-lip-session-id'] as string },
    ]) {
      const res = await chat('a:m', headers);
      expect([res.status, JSON.parse(res.body).error.code]).to.deep.equal([403, 'LIP_ERR_SESSION_DENIED']);
    }
  });

  it('[first] is honoured: a conversation whose selector keeps session state is stored before it is routed', async () => {
    roll = 0.5;
    const selector = '[first]a:m^[weight=100]b:m';
    const before = legs();
    const first = await chat(selector);
    expect(first.headers['x-lip-backend']).to.equal('a:m');
    expect(legs()).to.equal(before + 1);
    for (let i = 0; i < 2; i++) expect((await chat(selector, resume(first))).headers['x-lip-backend']).to.equal('b:m');
    expect((await settled(first.headers['x-lip-a-leg-id'] as string, 3)).map((r) => r.candidate_key)).to.deep.equal(['a:m', 'b:m', 'b:m']);
  });

  it('{affinity=session} is honoured the same way: the first request of the conversation is already a row, and the binding holds', async () => {
    const selector = '{affinity=session}a:m^b:m';
    roll = 0.9; // rolls b
    const before = legs();
    const first = await chat(selector);
    const aLegId = first.headers['x-lip-a-leg-id'] as string;
    expect([first.headers['x-lip-backend'], legs()]).to.deep.equal(['b:m', before + 1]);
    expect((await settled(aLegId, 1)).map((r) => [r.seq, r.candidate_key])).to.deep.equal([[1, 'b:m']]);
    roll = 0.1; // would roll a, but the conversation is bound to b
    const again = await chat(selector, resume(first));
    expect([again.headers['x-lip-a-leg-id'], again.headers['x-lip-backend']]).to.deep.equal([aLegId, 'b:m']);
  });

  it('a stored Responses turn stores its conversation and previous_response_id continues it; store: false leaves nothing', async () => {
    const respond = (body: Record<string, unknown>) => httpRequest(`${lip.url}/v1/responses`, { body: JSON.stringify({ model: 'a:m', input: 'hi', ...body }), headers: { authorization: `Bearer ${ALICE}` } });
    const before = legs();
    const unstored = await respond({ store: false });
    expect(unstored.status).to.equal(200);
    expect(legs()).to.equal(before);
    const stored = await respond({});
    expect(legs()).to.equal(before + 1);
    const next = await respond({ previous_response_id: JSON.parse(stored.body).id });
    expect([next.status, next.headers['x-lip-a-leg-id'], next.headers['x-lip-resume-token']]).to.deep.equal([200, stored.headers['x-lip-a-leg-id'], undefined]);
    expect((await settled(stored.headers['x-lip-a-leg-id'] as string, 2)).map((r) => r.seq)).to.deep.equal([1, 2]);
  });

  it('the cancel endpoint reaches an in-flight request of an unstored conversation by its token; the upstream sees the close', async () => {
    upstream.enqueue({ text: ['first ', 'never'], fault: { stall: 'after_output' } });
    const closed = upstream.nextClose();
    const before = legs();
    const response = await fetch(`${lip.url}/v1/chat/completions`, {
      method: 'POST', body: JSON.stringify({ model: 'up:m', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}` },
    });
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('first')) text += new TextDecoder().decode((await reader.read()).value);
    const aLegId = response.headers.get('x-lip-a-leg-id')!;
    const res = await httpRequest(`${lip.url}/lip/v1/a-legs/${aLegId}/cancel`, { body: '', headers: { authorization: `Bearer ${ALICE}`, 'x-lip-resume-token': response.headers.get('x-lip-resume-token')! } });
    expect([res.status, JSON.parse(res.body)]).to.deep.equal([200, { a_leg_id: aLegId, status: 'cancelled', cancelled_requests: 1 }]);
    expect((await closed).path).to.equal('/v1/chat/completions');
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).to.include('LIP_ERR_REQUEST_CANCELLED');
    expect(legs()).to.equal(before);
  });
});
