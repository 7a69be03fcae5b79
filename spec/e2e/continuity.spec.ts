import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { AttemptRow } from '../../lib/continuity/index.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { serveLip } from '../helpers/spawn-lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-0123456789ab';

describe('e2e: continuity (A-legs, B-legs, lineage)', () => {
  let lip: RunningLip;
  let upstream: Emulator;
  let roll = 0.5;

  before(async () => {
    upstream = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`
  - { id: a, kind: localstub, text: "from a" }
  - { id: b, kind: localstub, text: "from b" }
  - { id: down, kind: localstub, fail: "before_output:503" }
  - { id: slow, kind: localstub, text: "slow", first_token_delay: 3s }
  - { id: fast, kind: localstub, text: "fast", first_token_delay: 10ms }
  - { id: broken, kind: localstub, text: "partial answer", chunks: 2, fail: after_output }
  - { id: stalled, kind: localstub, fail: stall }
  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "upstream-key" }
`, `routing: { default_route: "a:m" }
diagnostics: { enabled: true }
auth: { api_keys: [ { id: alice, key: "${ALICE}" }, { id: bob, key: "${BOB}" } ] }`), { rng: () => roll });
  });
  after(async () => {
    await lip.close();
    await upstream.close();
  });

  const chat = (model: string, headers: Record<string, string> = {}, key = ALICE, stream = false) => httpRequest(`${lip.url}/v1/chat/completions`, {
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hello' }] }),
    headers: { authorization: `Bearer ${key}`, ...headers },
  });
  /** The headers that resume the conversation a response started (its session id and resume token). */
  const resume = (res: { headers: Record<string, unknown> }): Record<string, string> => ({
    'x-lip-session-id': res.headers['x-lip-session-id'] as string, 'x-lip-resume-token': res.headers['x-lip-resume-token'] as string,
  });
  const attempts = async (aLegId: string): Promise<AttemptRow[]> => {
    const res = await httpRequest(`${lip.url}/admin/attempts?a_leg_id=${encodeURIComponent(aLegId)}`, { method: 'GET', headers: { authorization: `Bearer ${ALICE}` } });
    expect(res.status).to.equal(200);
    const body = JSON.parse(res.body) as { a_leg_id: string; attempts: AttemptRow[] };
    expect(body.a_leg_id).to.equal(aLegId);
    return body.attempts;
  };
  /** Attempt rows are finished when their stream ends; give the store a moment after the response. */
  const settled = async (aLegId: string, count: number) => {
    for (let i = 0; i < 100; i++) {
      const rows = await attempts(aLegId);
      if (rows.length >= count && rows.every((r) => r.outcome !== null)) return rows;
      await new Promise((r) => setTimeout(r, 10));
    }
    return attempts(aLegId);
  };

  it('every response names its A-leg and session; sending the session back with its token continues the A-leg', async () => {
    const first = await chat('a:m');
    const aLegId = first.headers['x-lip-a-leg-id'] as string;
    const sessionId = first.headers['x-lip-session-id'] as string;
    expect(aLegId).to.be.a('string').and.not.be.empty;
    expect(sessionId).to.be.a('string').and.not.be.empty;
    const second = await chat('b:m', resume(first));
    expect(second.headers['x-lip-resume-token']).to.equal(undefined); // returned once, when the session starts
    expect(second.headers['x-lip-a-leg-id']).to.equal(aLegId);
    const rows = await settled(aLegId, 2);
    expect(rows.map((r) => [r.seq, r.candidate_key, r.outcome])).to.deep.equal([[1, 'a:m', 'success'], [2, 'b:m', 'success']]);
    expect(new Set(rows.map((r) => r.b_leg_id)).size).to.equal(2);
  });

  it('a success on the first candidate: one row with its timings and status', async () => {
    const res = await chat('a:m');
    const [row] = await settled(res.headers['x-lip-a-leg-id'] as string, 1);
    expect(row).to.include({ seq: 1, candidate_key: 'a:m', backend_id: 'a', model: 'm', outcome: 'success', http_status: 200 });
    expect(row!.started_at).to.be.a('number');
    expect(row!.first_output_at).to.be.at.least(row!.started_at);
    expect(row!.finished_at).to.be.at.least(row!.first_output_at!);
  });

  it('failover then success: a swallowed failure, then the success', async () => {
    const res = await chat('down:m|a:m');
    expect(res.status).to.equal(200);
    const rows = await settled(res.headers['x-lip-a-leg-id'] as string, 2);
    expect(rows.map((r) => [r.seq, r.candidate_key, r.outcome, r.http_status])).to.deep.equal([[1, 'down:m', 'swallowed_failure', 503], [2, 'a:m', 'success', 200]]);
    expect(rows[0]!.reason).to.match(/^LIP_ERR_UPSTREAM_STATUS: .*503/);
  });

  it('a race: the winner succeeds, the loser is cancelled as a race loser', async () => {
    const res = await chat('slow:m!fast:m');
    const rows = await settled(res.headers['x-lip-a-leg-id'] as string, 2);
    const byKey = Object.fromEntries(rows.map((r) => [r.candidate_key, r]));
    expect(byKey['fast:m']).to.include({ outcome: 'success' });
    expect(byKey['slow:m']).to.include({ outcome: 'cancelled', reason: 'race loser' });
  });

  it('a client abort: the attempt is cancelled', async () => {
    const first = await chat('a:m');
    const aLegId = first.headers['x-lip-a-leg-id'] as string;
    const controller = new AbortController();
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 });
    const pending = client.chat.completions.create({ model: 'stalled:m', stream: true, messages: [{ role: 'user', content: 'x' }] },
      { signal: controller.signal, headers: resume(first) }).catch((e: unknown) => e);
    for (let i = 0; i < 200 && (await attempts(aLegId)).length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await pending;
    const rows = await settled(aLegId, 2);
    expect(rows[1]).to.include({ candidate_key: 'stalled:m', outcome: 'cancelled', reason: 'client abort' });
  });

  it('a failure after output: surfaced, and no second attempt', async () => {
    const res = await chat('broken:m|a:m', {}, ALICE, true);
    expect(res.body).to.contain('LIP_ERR_UPSTREAM_RESET');
    const rows = await settled(res.headers['x-lip-a-leg-id'] as string, 1);
    expect(rows.map((r) => [r.candidate_key, r.outcome])).to.deep.equal([['broken:m', 'surfaced_failure']]);
  });

  it('one principal can never resume another principal\'s A-leg, even with its token', async () => {
    const alice = await chat('a:m');
    const bob = await chat('a:m', resume(alice), BOB);
    expect(bob.status).to.equal(403);
    expect(JSON.parse(bob.body).error).to.include({ code: 'LIP_ERR_SESSION_DENIED', message: 'session could not be resumed; start a new conversation by sending neither X-LIP-Session-Id nor X-LIP-Resume-Token' });
    expect(bob.headers['x-lip-a-leg-id']).to.equal(undefined);
    const again = await chat('a:m', resume(alice));
    expect(again.headers['x-lip-a-leg-id']).to.equal(alice.headers['x-lip-a-leg-id']);
  });

  it('[first] serves a conversation\'s first request; later requests roll the weights', async () => {
    roll = 0.5;
    const selector = '[first]a:m^[weight=100]b:m';
    const first = await chat(selector);
    expect(first.headers['x-lip-backend']).to.equal('a:m');
    for (let i = 0; i < 3; i++) expect((await chat(selector, resume(first))).headers['x-lip-backend']).to.equal('b:m');
    expect((await chat(selector)).headers['x-lip-backend']).to.equal('a:m'); // a new conversation starts over
  });

  it('{affinity=session} binds on the first served output and sticks for the conversation', async () => {
    const selector = '{affinity=session}a:m^b:m';
    roll = 0.9; // rolls b
    const first = await chat(selector);
    expect(first.headers['x-lip-backend']).to.equal('b:m');
    roll = 0.1; // would roll a, but the conversation is bound to b
    for (let i = 0; i < 3; i++) expect((await chat(selector, resume(first))).headers['x-lip-backend']).to.equal('b:m');
    expect((await chat(selector)).headers['x-lip-backend']).to.equal('a:m');
  });

  it('{affinity=client} binds a principal across its conversations; another principal rolls on its own', async () => {
    const selector = '{affinity=client}a:m^b:m';
    roll = 0.9; // rolls b
    expect((await chat(selector, {}, BOB)).headers['x-lip-backend']).to.equal('b:m');
    roll = 0.1; // would roll a
    for (let i = 0; i < 3; i++) expect((await chat(selector, {}, BOB)).headers['x-lip-backend']).to.equal('b:m'); // new conversations, same principal
    expect((await chat(selector, {}, ALICE)).headers['x-lip-backend']).to.equal('a:m');
  });

  it('Responses: store + previous_response_id rebuild the conversation for the next request (openai SDK)', async () => {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 });
    upstream.reset();
    upstream.enqueue({ text: 'Paris is the capital.' }, { text: 'About two million people.' });
    const first = await client.responses.create({ model: 'up:gpt-test', instructions: 'Be brief.', input: 'What is the capital of France?' });
    expect(first.output_text).to.equal('Paris is the capital.');
    expect((first as unknown as { store: boolean }).store).to.equal(true);
    const second = await client.responses.create({ model: 'up:gpt-test', previous_response_id: first.id, input: 'How many people live there?', stream: false });
    expect(second.output_text).to.equal('About two million people.');
    expect(second.previous_response_id).to.equal(first.id);
    const sent = upstream.requests[1]!.body as { messages: { role: string; content: unknown }[] };
    // Like OpenAI, the instructions of the earlier response are not carried over (none were sent now).
    expect(sent.messages.map((m) => [m.role, typeof m.content === 'string' ? m.content : JSON.stringify(m.content)])).to.deep.equal([
      ['user', 'What is the capital of France?'],
      ['assistant', 'Paris is the capital.'],
      ['user', 'How many people live there?'],
    ]);
  });

  it('Responses: developer items of input are part of the stored conversation (instructions are not) and stay in place when continued', async () => {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 });
    upstream.reset();
    upstream.enqueue({ text: 'Paris.' }, { text: 'Two million.' });
    const first = await client.responses.create({
      model: 'up:gpt-test', instructions: 'Be brief.',
      input: [{ role: 'developer', content: 'Answer in English.' }, { role: 'user', content: 'Capital of France?' }],
    });
    expect((upstream.requests[0]!.body as { messages: { role: string }[] }).messages.map((m) => m.role)).to.deep.equal(['system', 'user']);
    await client.responses.create({
      model: 'up:gpt-test', previous_response_id: first.id,
      input: [{ role: 'developer', content: 'Use digits.' }, { role: 'user', content: 'How many people?' }],
    });
    const sent = upstream.requests[1]!.body as { messages: { role: string; content: unknown }[] };
    expect(sent.messages.map((m) => [m.role, m.content])).to.deep.equal([
      ['system', 'Answer in English.'],
      ['user', 'Capital of France?'],
      ['assistant', 'Paris.'],
      ['system', 'Use digits.'],
      ['user', 'How many people?'],
    ]);
  });

  it('Responses: a streamed stored response continues too; store:false and other principals are 404', async () => {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 });
    upstream.reset();
    upstream.enqueue({ text: 'one' }, { text: 'two' }, { text: 'three' });
    const stream = client.responses.stream({ model: 'up:gpt-test', input: 'count' });
    const first = await stream.finalResponse();
    const second = await client.responses.create({ model: 'up:gpt-test', previous_response_id: first.id, input: 'next' });
    expect(second.output_text).to.equal('two');
    expect((upstream.requests[1]!.body as { messages: unknown[] }).messages).to.have.length(3);
    const unstored = await client.responses.create({ model: 'up:gpt-test', input: 'x', store: false });
    expect((unstored as unknown as { store: boolean }).store).to.equal(false);
    const missing = await client.responses.create({ model: 'up:gpt-test', previous_response_id: unstored.id, input: 'y' }).catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(OpenAI.NotFoundError);
    const bob = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: BOB, maxRetries: 0 });
    expect(await bob.responses.create({ model: 'up:gpt-test', previous_response_id: first.id, input: 'z' }).catch((e: unknown) => e)).to.be.instanceOf(OpenAI.NotFoundError);
  });

  it('GET /admin/attempts: 400 without an id, 404 for an unknown one', async () => {
    // With keys configured, the admin endpoints check them too.
    expect((await httpRequest(`${lip.url}/admin/attempts?a_leg_id=nope`, { method: 'GET' })).status).to.equal(401);
    const withKey = { method: 'GET', headers: { authorization: `Bearer ${BOB}` } };
    expect((await httpRequest(`${lip.url}/admin/attempts`, withKey)).status).to.equal(400);
    expect((await httpRequest(`${lip.url}/admin/attempts?a_leg_id=nope`, withKey)).status).to.equal(404);
  });

  it('/readyz reports the continuity store', async () => {
    const res = await httpRequest(`${lip.url}/readyz`, { method: 'GET' });
    expect(JSON.parse(res.body).checks.continuity).to.include({ store: 'memory', ready: true, state: 'ok' });
  });
});

describe('e2e: continuity on SQLite survives a restart of lip serve', function () {
  this.timeout(30_000);

  it('reads the lineage of an earlier run back, and the resume token still resumes the conversation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lip-sqlite-'));
    const config = join(dir, 'lip.yaml');
    writeFileSync(config, `server: { host: 127.0.0.1, port: 0, drain_delay: 0s }
diagnostics: { enabled: true }
continuity: { store: sqlite, sqlite_path: "${join(dir, 'lip.db')}" }
backends:
  - { id: a, kind: localstub, text: "from a" }
  - { id: down, kind: localstub, fail: "before_output:503" }
`);
    const ask = (url: string, headers: Record<string, string> = {}) => httpRequest(`${url}/v1/chat/completions`, { body: JSON.stringify({ model: 'down:m|a:m', messages: [{ role: 'user', content: 'x' }] }), headers });
    const first = await serveLip(['--config', config]);
    let aLegId: string;
    let identity: Record<string, string>;
    try {
      const res = await ask(first.url);
      aLegId = res.headers['x-lip-a-leg-id'] as string;
      identity = { 'x-lip-session-id': res.headers['x-lip-session-id'] as string, 'x-lip-resume-token': res.headers['x-lip-resume-token'] as string };
      expect(identity['x-lip-resume-token']).to.match(/^[A-Za-z0-9_-]{64}$/);
      expect((await ask(first.url, identity)).headers['x-lip-a-leg-id']).to.equal(aLegId);
    } finally {
      first.proc.kill('SIGTERM');
      expect(await first.exited).to.equal(0);
    }
    const second = await serveLip(['--config', config]);
    try {
      const res = await httpRequest(`${second.url}/admin/attempts?a_leg_id=${aLegId}`, { method: 'GET' });
      expect(res.status).to.equal(200);
      const rows = (JSON.parse(res.body) as { attempts: AttemptRow[] }).attempts;
      expect(rows.map((r) => [r.seq, r.candidate_key, r.outcome])).to.deep.equal([
        [1, 'down:m', 'swallowed_failure'], [2, 'a:m', 'success'], [3, 'down:m', 'swallowed_failure'], [4, 'a:m', 'success'],
      ]);
      // The conversation resumes where it left off: the fingerprint key was kept with the database.
      const resumed = await ask(second.url, identity);
      expect(resumed.status).to.equal(200);
      expect(resumed.headers['x-lip-a-leg-id']).to.equal(aLegId);
      // The session id alone is refused, and the database holds no token, only its fingerprint.
      const bare = await ask(second.url, { 'x-lip-session-id': identity['x-lip-session-id']! });
      expect([bare.status, JSON.parse(bare.body).error.code]).to.deep.equal([400, 'LIP_ERR_SESSION_TOKEN_REQUIRED']);
      const file = readFileSync(join(dir, 'lip.db')).toString('latin1') + (existsSync(join(dir, 'lip.db-wal')) ? readFileSync(join(dir, 'lip.db-wal')).toString('latin1') : '');
      expect(file).to.include(identity['x-lip-session-id']!);
      expect(file).not.to.include(identity['x-lip-resume-token']!);
    } finally {
      second.proc.kill('SIGTERM');
      await second.exited;
    }
  });
});
