import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { configIssues, testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { rawExchange, stalledRequest } from '../helpers/raw-http.js';
import { serveLip } from '../helpers/spawn-lip.js';
import { until } from '../helpers/hostile-rig.js';
import { httpRequest } from '../helpers/sse-client.js';

const STUB = '  - { id: s, kind: localstub, models: [m], text: "hi" }';
const KEY_A = 'key-of-alice-0123456789';
const KEY_B = 'key-of-bob-0123456789ab';
const SECRET = 'the-diagnostics-secret';
const KEYS = `auth: { api_keys: [ { id: a, key: ${KEY_A}, principal: alice }, { id: b, key: ${KEY_B}, principal: bob } ] }`;
const chat = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const get = (url: string, headers: Record<string, string> = {}) => httpRequest(url, { method: 'GET', headers });

describe('e2e/access', function () {
  this.timeout(30_000);
  let lip: RunningLip | undefined;
  afterEach(async () => {
    await lip?.close();
    lip = undefined;
  });

  it('single_user with keys: /admin/* checks client keys (401 + WWW-Authenticate), health and readiness stay open', async () => {
    lip = await startLip(testConfig(STUB, `${KEYS}\ndiagnostics: { enabled: true }`));
    const anonymous = await get(`${lip.url}/admin/routes`);
    expect(anonymous.status).to.equal(401);
    expect(anonymous.headers['www-authenticate']).to.equal('Bearer realm="lip"');
    expect(JSON.parse(anonymous.body).error.code).to.equal('LIP_ERR_AUTH_MISSING_KEY');
    expect((await get(`${lip.url}/admin/routes`, bearer(KEY_A))).status).to.equal(200);
    expect((await get(`${lip.url}/healthz`)).status).to.equal(200);
    expect((await get(`${lip.url}/readyz`)).status).to.equal(200);
    const models = await get(`${lip.url}/v1/models`);
    expect([models.status, models.headers['www-authenticate']]).to.deep.equal([401, 'Bearer realm="lip"']);
    const generate = await httpRequest(`${lip.url}/v1/messages`, { body: JSON.stringify({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }) });
    expect([generate.status, generate.headers['www-authenticate'], JSON.parse(generate.body).type]).to.deep.equal([401, 'Bearer realm="lip"', 'error']);
  });

  it('model lists refuse a missing or wrong key, or a key over its limit, in the envelope of the protocol asked (Gemini, Anthropic), like the other routes', async () => {
    lip = await startLip(testConfig(STUB, `auth: { api_keys: [ { id: a, key: ${KEY_A}, requests_per_minute: 1 } ] }`));
    const gemini = await get(`${lip.url}/v1beta/models?key=wrong-key-0123456789`);
    expect([gemini.status, gemini.headers['www-authenticate']]).to.deep.equal([401, 'Bearer realm="lip"']);
    expect(JSON.parse(gemini.body).error).to.include({ code: 401, status: 'UNAUTHENTICATED' });
    const anthropic = await get(`${lip.url}/v1/models`, { 'anthropic-version': '2023-06-01' });
    expect([anthropic.status, anthropic.headers['www-authenticate']]).to.deep.equal([401, 'Bearer realm="lip"']);
    expect(JSON.parse(anthropic.body)).to.deep.equal({ type: 'error', error: { type: 'authentication_error', message: 'missing API key: send Authorization: Bearer <key> (or x-api-key)' }, request_id: anthropic.headers['request-id'] });
    const openai = await get(`${lip.url}/v1/models`);
    expect(JSON.parse(openai.body).error.code).to.equal('LIP_ERR_AUTH_MISSING_KEY');
    expect((await get(`${lip.url}/v1beta/models?key=${KEY_A}`)).status).to.equal(200);
    const limited = await get(`${lip.url}/v1beta/models?key=${KEY_A}`);
    expect([limited.status, JSON.parse(limited.body).error.status]).to.deep.equal([429, 'RESOURCE_EXHAUSTED']);
    expect(limited.headers['retry-after']).to.match(/^\d+$/);
  });

  it('token counts take the key where the protocol puts it (Gemini ?key=) and refuse a wrong one in its envelope', async () => {
    lip = await startLip(testConfig(STUB, `auth: { api_keys: [ { id: a, key: ${KEY_A} } ] }`));
    const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'count me' }] }] });
    const counted = await httpRequest(`${lip.url}/v1beta/models/stub-default:countTokens?key=${KEY_A}`, { body });
    expect(counted.status).to.equal(200);
    expect(JSON.parse(counted.body).totalTokens).to.be.greaterThan(0);
    const wrong = await httpRequest(`${lip.url}/v1beta/models/stub-default:countTokens?key=wrong-key-0123456789`, { body });
    expect([wrong.status, wrong.headers['www-authenticate']]).to.deep.equal([401, 'Bearer realm="lip"']);
    expect(JSON.parse(wrong.body).error).to.include({ code: 401, status: 'UNAUTHENTICATED' });
  });

  // What docs/security.md (single_user) says is shared, pinned.
  it('single_user without keys: every caller is `local` and shares every stored response', async () => {
    lip = await startLip(testConfig(STUB));
    const made = await httpRequest(`${lip.url}/v1/responses`, { body: JSON.stringify({ model: 'm', input: 'x' }) });
    const id = String(JSON.parse(made.body).id);
    // another tool on the machine, no key either
    expect((await get(`${lip.url}/v1/responses/${id}`)).status).to.equal(200);
  });

  it('single_user with keys of two principals and no diagnostics secret: stored state stays apart, but any key is the operator (every attempt, the raw transcript)', async () => {
    lip = await startLip(testConfig('  - { id: s, kind: localstub, models: [m], text: "the token is INTERNAL-X" }', `${KEYS}\ndiagnostics: { enabled: true }\n`
      + 'features:\n  - { id: ref-traffic-transcript, config: { raw_capture: true, redact_substrings: [INTERNAL-X] } }'));
    const made = await httpRequest(`${lip.url}/v1/responses`, { body: JSON.stringify({ model: 'm', input: 'x' }), headers: bearer(KEY_A) });
    expect(made.status).to.equal(200);
    expect((await get(`${lip.url}/v1/responses/${String(JSON.parse(made.body).id)}`, bearer(KEY_B))).status).to.equal(404);
    const aLeg = encodeURIComponent(String(made.headers['x-lip-a-leg-id']));
    expect((await get(`${lip.url}/admin/attempts?a_leg_id=${aLeg}`, bearer(KEY_B))).status).to.equal(200);
    const raw = `${lip.url}/admin/transcript?a_leg_id=${aLeg}&raw=1`;
    await until(async () => (await get(raw, bearer(KEY_B))).body.includes('INTERNAL-X'), 'bob reads alice\'s raw transcript');
    await lip.close();
    // With a secret, a key alone is no operator in single_user.
    lip = await startLip(testConfig(STUB, `${KEYS}\ndiagnostics: { enabled: true, shared_secret: ${SECRET} }`));
    expect((await get(`${lip.url}/admin/attempts?a_leg_id=x`, bearer(KEY_B))).status).to.equal(403);
  });

  it('multi_user: a client key alone reads only its own principal\'s attempts; the secret reads all; operator-only surfaces need the secret', async () => {
    lip = await startLip(testConfig(STUB, `access: { mode: multi_user }\n${KEYS}\ndiagnostics: { enabled: true, shared_secret: ${SECRET} }`));
    const made = await httpRequest(`${lip.url}/v1/chat/completions`, { body: chat, headers: bearer(KEY_A) });
    expect(made.status).to.equal(200);
    const aLeg = String(made.headers['x-lip-a-leg-id']);
    const path = `${lip.url}/admin/attempts?a_leg_id=${encodeURIComponent(aLeg)}`;
    const own = await get(path, bearer(KEY_A));
    expect(own.status).to.equal(200);
    expect(JSON.parse(own.body).attempts).to.have.length(1);
    const other = await get(path, bearer(KEY_B));
    expect(other.status).to.equal(404);
    expect(JSON.parse(other.body).error.message).to.equal(`no A-leg "${aLeg}" is known`);
    const transcript = await get(`${lip.url}/admin/transcript?a_leg_id=${encodeURIComponent(aLeg)}`, bearer(KEY_B));
    expect(transcript.status).to.equal(404);
    expect((await get(path, { 'x-lip-diagnostics-secret': SECRET })).status).to.equal(200);
    const routes = await get(`${lip.url}/admin/routes`, bearer(KEY_A));
    expect(routes.status).to.equal(403);
    expect(JSON.parse(routes.body).error.code).to.equal('LIP_ERR_ADMIN_FORBIDDEN');
    expect((await get(`${lip.url}/admin/routes`, { 'x-lip-diagnostics-secret': 'wrong-secret-value' })).status).to.equal(403);
    expect((await get(`${lip.url}/admin/attempts?a_leg_id=x`)).status).to.equal(401);
  });

  it('multi_user: a client key reads its own transcript redacted, never the raw capture (403); the secret reads it', async () => {
    lip = await startLip(testConfig('  - { id: s, kind: localstub, models: [m], text: "the token is INTERNAL-X" }', `access: { mode: multi_user }\n${KEYS}\n`
      + `diagnostics: { enabled: true, shared_secret: ${SECRET} }\nfeatures:\n  - { id: ref-traffic-transcript, config: { raw_capture: true, redact_substrings: [INTERNAL-X] } }`));
    const made = await httpRequest(`${lip.url}/v1/chat/completions`, { body: chat, headers: bearer(KEY_A) });
    expect(made.status).to.equal(200);
    const path = `${lip.url}/admin/transcript?a_leg_id=${encodeURIComponent(String(made.headers['x-lip-a-leg-id']))}`;
    // Observations are handed over after the answer: wait for its last leg.
    await until(async () => (await get(path, bearer(KEY_A))).body.includes('proxy_to_client'), 'the transcript has the answer');
    const own = await get(path, bearer(KEY_A));
    expect(own.status).to.equal(200);
    expect(own.body).to.contain('[redacted]').and.not.contain('INTERNAL-X');
    const raw = await get(`${path}&raw=1`, bearer(KEY_A));
    expect(raw.status).to.equal(403);
    expect(JSON.parse(raw.body).error.code).to.equal('LIP_ERR_ADMIN_FORBIDDEN');
    expect(raw.body).to.not.contain('INTERNAL-X');
    const operator = await get(`${path}&raw=1`, { 'x-lip-diagnostics-secret': SECRET });
    expect(operator.status).to.equal(200);
    expect(JSON.stringify(JSON.parse(operator.body).raw)).to.contain('INTERNAL-X');
  });

  it('/metrics needs the secret once one is configured (and on a public bind it must be)', async () => {
    lip = await startLip(testConfig(STUB, `access: { mode: multi_user }\nserver: { host: 0.0.0.0, port: 0 }\n${KEYS}\ndiagnostics: { shared_secret: ${SECRET} }\nobservability: { metrics: { enabled: true } }`));
    const refused = await get(`${lip.url}/metrics`, bearer(KEY_A));
    expect(refused.status).to.equal(403);
    expect(JSON.parse(refused.body).error.message).to.equal('this operator surface needs the diagnostics secret in X-LIP-Diagnostics-Secret');
    expect((await get(`${lip.url}/metrics`)).status).to.equal(403);
    const allowed = await get(`${lip.url}/metrics`, { 'x-lip-diagnostics-secret': SECRET });
    expect(allowed.status).to.equal(200);
    expect(allowed.body).to.contain('lip_');
  });

  it('diagnostics.listen: operator surfaces move to their own listener, protocols stay on the main one', async () => {
    lip = await startLip(testConfig(STUB, 'diagnostics: { enabled: true, listen: "127.0.0.1:0", admin_path: /ops }\nobservability: { metrics: { enabled: true } }'));
    const operator = lip.server.operatorUrl!;
    expect(operator).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await get(`${lip.url}/metrics`)).status).to.equal(404);
    expect((await get(`${lip.url}/ops/routes`)).status).to.equal(404);
    expect((await get(`${operator}/metrics`)).status).to.equal(200);
    expect((await get(`${operator}/ops/routes`)).status).to.equal(200);
    expect((await get(`${operator}/admin/routes`)).status).to.equal(404);
    expect((await httpRequest(`${operator}/v1/chat/completions`, { body: chat })).status).to.equal(404);
    expect((await httpRequest(`${lip.url}/v1/chat/completions`, { body: chat })).status).to.equal(200);
  });

  it('per-key requests_per_minute: 429 with Retry-After in the protocol\'s envelope; other keys unaffected', async () => {
    lip = await startLip(testConfig(STUB, `auth: { api_keys: [ { id: a, key: ${KEY_A}, requests_per_minute: 1 }, { id: b, key: ${KEY_B} } ] }`));
    expect((await httpRequest(`${lip.url}/v1/chat/completions`, { body: chat, headers: bearer(KEY_A) })).status).to.equal(200);
    const limited = await httpRequest(`${lip.url}/v1/chat/completions`, { body: chat, headers: bearer(KEY_A) });
    expect(limited.status).to.equal(429);
    expect(Number(limited.headers['retry-after'])).to.be.within(1, 60);
    expect(JSON.parse(limited.body).error).to.include({ code: 'LIP_ERR_AUTH_KEY_LIMITED', message: 'API key "a" is over its limit of 1 requests per minute' });
    expect((await httpRequest(`${lip.url}/v1/chat/completions`, { body: chat, headers: bearer(KEY_B) })).status).to.equal(200);
  });

  it('per-key max_concurrent_requests: a second request while one is in flight gets 429', async () => {
    lip = await startLip(testConfig('  - { id: s, kind: localstub, models: [m], text: "hi", chunks: 2, chunk_delay: 60s }', `auth: { api_keys: [ { id: a, key: ${KEY_A}, max_concurrent_requests: 1 } ] }`));
    const first = await stalledRequest(lip.url, '/v1/chat/completions', 10_000, '{', `Authorization: Bearer ${KEY_A}`);
    try {
      // The stalled body holds the key's slot (the request is in flight).
      const second = await httpRequest(`${lip.url}/v1/chat/completions`, { body: chat, headers: bearer(KEY_A) });
      expect(second.status).to.equal(429);
      expect(second.headers['retry-after']).to.equal('1');
    } finally {
      first.close();
    }
  });

  it('decode admission: a burst of large bodies beyond the budget gets 429 + Retry-After: 1 before being buffered', async () => {
    lip = await startLip(testConfig(STUB, 'server: { host: 127.0.0.1, port: 0, max_request_body_bytes: 1MiB, max_batch_body_bytes: 1MiB, max_concurrent_decodes: 3, max_inflight_decode_bytes: 1536KiB }'));
    const big = 1024 * 1024;
    const held = [await stalledRequest(lip.url, '/v1/chat/completions', big, '{"model":"m",')];
    try {
      const over = await stalledRequest(lip.url, '/v1/chat/completions', big, '{');
      held.push(over);
      await new Promise<void>((r) => { const t = setInterval(() => { if (over.received().includes('\r\n\r\n')) { clearInterval(t); r(); } }, 20); });
      expect(over.received()).to.match(/^HTTP\/1\.1 429/);
      expect(over.received().toLowerCase()).to.contain('retry-after: 1');
      expect(over.received()).to.contain('decode admission capacity exceeded: request bodies in progress would hold over 1572864 bytes (server.max_inflight_decode_bytes)');
      // Count: small bodies fill the remaining decode slots, the next one is refused.
      held.push(await stalledRequest(lip.url, '/v1/chat/completions', 100, '{'));
      held.push(await stalledRequest(lip.url, '/v1/chat/completions', 100, '{'));
      const fourth = await httpRequest(`${lip.url}/v1/chat/completions`, { body: chat });
      expect(fourth.status).to.equal(429);
      expect(JSON.parse(fourth.body).error.message).to.contain('3 request bodies are being read and decoded (server.max_concurrent_decodes)');
    } finally {
      for (const h of held) h.close();
    }
    // Released: a normal request passes again.
    await new Promise((r) => setTimeout(r, 50));
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await httpRequest(`${lip.url}/v1/chat/completions`, { body: chat })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).to.equal(200);
  });

  it('decode admission counts count_tokens bodies like generation bodies (refused in the Anthropic envelope)', async () => {
    lip = await startLip(testConfig(STUB, 'server: { host: 127.0.0.1, port: 0, max_request_body_bytes: 1MiB, max_batch_body_bytes: 1MiB, max_concurrent_decodes: 2, max_inflight_decode_bytes: 1536KiB }'));
    const big = 1024 * 1024;
    const headOf = (r: { received(): string }) => new Promise<void>((resolve) => { const t = setInterval(() => { if (r.received().includes('\r\n\r\n')) { clearInterval(t); resolve(); } }, 20); });
    const held = [await stalledRequest(lip.url, '/v1/messages/count_tokens', big, '{"model":"m",')];
    try {
      // The byte budget: a large count_tokens body in progress leaves no room for another large body.
      const over = await stalledRequest(lip.url, '/v1/chat/completions', big, '{');
      held.push(over);
      await headOf(over);
      expect(over.received()).to.match(/^HTTP\/1\.1 429/);
      expect(over.received()).to.contain('(server.max_inflight_decode_bytes)');
      // The count: two count_tokens bodies in progress fill both decode slots.
      held.push(await stalledRequest(lip.url, '/v1/messages/count_tokens', 100, '{'));
      const third = await httpRequest(`${lip.url}/v1/messages/count_tokens`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) });
      expect([third.status, third.headers['retry-after'], JSON.parse(third.body).type]).to.deep.equal([429, '1', 'error']);
      expect(JSON.parse(third.body).error.message).to.contain('2 request bodies are being read and decoded (server.max_concurrent_decodes)');
    } finally {
      for (const h of held) h.close();
    }
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await httpRequest(`${lip.url}/v1/messages/count_tokens`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).to.equal(200);
  });

  // Found by the large-payload probe: a conversation's or a cached content's body was read and
  // decoded outside decode admission (max_request_body_bytes each, any number at once).
  it('decode admission counts the bodies of conversations and cached contents (POST and PATCH) like generation bodies', async () => {
    lip = await startLip(testConfig(STUB, 'server: { host: 127.0.0.1, port: 0, max_request_body_bytes: 1MiB, max_concurrent_decodes: 1 }'));
    const conversation = JSON.stringify({ items: [{ type: 'message', role: 'user', content: 'hi' }] });
    const created = await httpRequest(`${lip.url}/v1/conversations`, { body: conversation });
    expect(created.status).to.equal(200);
    const id = JSON.parse(created.body).id as string;
    const cached = JSON.stringify({ model: 'models/m', contents: [{ role: 'user', parts: [{ text: 'hi' }] }], ttl: '60s' });
    const held = await stalledRequest(lip.url, '/v1/chat/completions', 1000, '{"model":');
    try {
      const refusals = [
        await httpRequest(`${lip.url}/v1/conversations`, { body: conversation }),
        await httpRequest(`${lip.url}/v1/conversations/${id}`, { body: JSON.stringify({ metadata: { a: 'b' } }) }),
        await httpRequest(`${lip.url}/v1beta/cachedContents`, { body: cached }),
      ];
      expect(refusals.map((r) => [r.status, r.headers['retry-after']])).to.deep.equal([[429, '1'], [429, '1'], [429, '1']]);
      for (const r of refusals) expect(r.body).to.contain('(server.max_concurrent_decodes)');
    } finally {
      held.close();
    }
    // Released (once lip has seen the close): a conversation is created again.
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await httpRequest(`${lip.url}/v1/conversations`, { body: conversation })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).to.equal(200);
    // A conversation's body in progress holds the slot in turn: a generation waits for it.
    const body = await stalledRequest(lip.url, '/v1/conversations', 1000, '{"items":');
    try {
      expect((await httpRequest(`${lip.url}/v1/chat/completions`, { body: chat })).status).to.equal(429);
    } finally {
      body.close();
    }
  });

  it('read_header_timeout closes a slowloris header trickle with 408', async () => {
    lip = await startLip(testConfig(STUB, 'server: { host: 127.0.0.1, port: 0, read_header_timeout: 1s }'));
    const { port } = new URL(lip.url);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (c: Buffer) => { received += c.toString('utf8'); });
    socket.on('error', () => undefined);
    socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n');
    let n = 0;
    const trickle = setInterval(() => { if (!socket.destroyed) socket.write(`X-Slow-${n++}: y\r\n`); }, 200);
    try {
      await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    } finally {
      clearInterval(trickle);
    }
    expect(received).to.match(/^HTTP\/1\.1 408/);
    // The message names the setting that cut it off (read_timeout is 30 s here, not what fired).
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)).error.message).to.contain('server.read_header_timeout');
    expect(n).to.be.greaterThan(2); // it was still sending headers when cut off
  });

  it('idle_timeout: 0ms keeps no idle connection: every response closes its connection (Node would keep idle ones forever)', async () => {
    lip = await startLip(testConfig(STUB, 'server: { host: 127.0.0.1, port: 0, idle_timeout: 0ms }'));
    const { port } = new URL(lip.url);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (c: Buffer) => { received += c.toString('utf8'); });
    socket.on('error', () => undefined);
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(received).to.match(/^HTTP\/1\.1 200/);
    expect(received.toLowerCase()).to.contain('connection: close');
  });

  it('include_raw_path: secret query parameters are masked in the access log', async () => {
    lip = await startLip(testConfig(STUB, 'logging: { access_log: true, include_raw_path: true }'));
    await httpRequest(`${lip.url}/v1beta/models/m:generateContent?key=AIzaSyTHISISSECRET&alt=sse`, { body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }) });
    const line = lip.logs.find((l) => l.msg === 'request' || l.message === 'request');
    expect(line?.path).to.equal('/v1beta/models/m:generateContent?key=***&alt=sse');
    expect(JSON.stringify(lip.logs)).not.to.contain('THISISSECRET');
    // A path of 14,000 quotes (28 KiB once escaped) is cut like a model name: the line stays below 16 KiB.
    expect((await rawExchange(lip.url, `GET /v1/x?q=${'"'.repeat(14_000)} HTTP/1.1\r\nHost: localhost`)).status).to.equal(404);
    const logged = () => lip!.logs.find((l) => l.message === 'request' && String(l.path).startsWith('/v1/x'));
    for (let i = 0; i < 100 && !logged(); i++) await new Promise((r) => setTimeout(r, 10));
    const long = logged()!;
    expect(long.path).to.equal(`/v1/x?q=${'"'.repeat(1024 - 8)}…(+12984 chars)`);
    expect(JSON.stringify(long).length).to.be.lessThan(16 * 1024);
  });

  it('access_log_skip_paths: requests under a listed prefix write no access line; the others do', async () => {
    lip = await startLip(testConfig(STUB, 'logging: { access_log: true, include_raw_path: true, access_log_skip_paths: ["/v1/models", "/v1beta/models/m:count"] }'));
    await httpRequest(`${lip.url}/v1/models?limit=5`, { method: 'GET' });
    await httpRequest(`${lip.url}/v1beta/models/m:countTokens`, { body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }) });
    await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'x' }] }) });
    const lines = () => lip!.logs.filter((l) => l.message === 'request');
    for (let i = 0; i < 100 && lines().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    expect(lines().map((l) => l.path)).to.deep.equal(['/v1/chat/completions']);
    expect(configIssues(`server: { host: 127.0.0.1, port: 0 }\nlogging: { access_log_skip_paths: ["v1/models", "/x?y"] }\nbackends:\n${STUB}\n`)).to.deep.equal([
      'logging.access_log_skip_paths[0]: must be a path prefix starting with / (no query) (got "v1/models")',
      'logging.access_log_skip_paths[1]: must be a path prefix starting with / (no query) (got "/x?y")',
    ]);
  });

  it('a client\'s long model name is cut to 1,024 characters in the access line and the unknown-model warning (a line of escaped control characters stays below a log shipper\'s 16 KiB)', async () => {
    const warnings: Record<string, unknown>[] = [];
    const logger = { error: () => undefined, info: () => undefined, warn: (_message: string, meta?: Record<string, unknown>) => { warnings.push(meta ?? {}); } };
    lip = await startLip(testConfig(STUB, 'logging: { access_log: true }\nrouting: { default_route: "s:m" }'), { logger });
    const model = `x${'\u0007'.repeat(4_000)}`; // JSON-escaped, 6 bytes each
    const res = await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }) });
    expect(res.status).to.equal(200);
    const line = lip.logs.find((l) => l.message === 'request')!;
    expect(line.model).to.equal(`${model.slice(0, 1024)}…(+2977 chars)`);
    expect(JSON.stringify(line).length).to.be.lessThan(16 * 1024);
    expect(warnings).to.have.length(1);
    expect(warnings[0]!.model).to.equal(line.model);
  });

  it('profiling: a CPU profile over seconds=1, a second one at the same time gets 409, heap sampling', async () => {
    lip = await startLip(testConfig(STUB, 'diagnostics: { pprof_path: /debug/pprof }'));
    const base = lip.url;
    const [first, second] = await Promise.all([
      get(`${lip.url}/debug/pprof/profile?seconds=1`),
      new Promise((r) => setTimeout(r, 200)).then(() => get(`${base}/debug/pprof/heap-sampling?seconds=1`)),
    ]);
    expect(first.status).to.equal(200);
    expect(first.headers['content-disposition']).to.match(/\.cpuprofile"$/);
    expect(JSON.parse(first.body)).to.have.keys('nodes', 'startTime', 'endTime', 'samples', 'timeDeltas');
    expect(second.status).to.equal(409);
    expect(JSON.parse(second.body).error.code).to.equal('LIP_ERR_ADMIN_BUSY');
    const sampling = await get(`${lip.url}/debug/pprof/heap-sampling?seconds=1`);
    expect(sampling.status).to.equal(200);
    expect(JSON.parse(sampling.body)).to.have.property('head');
    expect((await get(`${lip.url}/debug/pprof/profile?seconds=121`)).status).to.equal(400);
    const index = JSON.parse((await get(`${lip.url}/debug/pprof`)).body);
    expect(index.max_seconds).to.equal(120);
  });

  it('profiling: the heap snapshot streams (in a lip process of its own, whose heap is small)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lip-pprof-'));
    const config = join(dir, 'lip.yaml');
    writeFileSync(config, `server: { host: 127.0.0.1, port: 0 }\ndiagnostics: { pprof_path: /debug/pprof }\nbackends:\n  - { id: s, kind: localstub }\n`);
    const served = await serveLip(['--config', config]);
    try {
      const firstBytes = await new Promise<{ head: string; disposition: unknown }>((resolve, reject) => {
        const req = request(`${served.url}/debug/pprof/heap`, { agent: false }, (res) => {
          res.once('data', (c: Buffer) => { resolve({ head: c.toString('utf8'), disposition: res.headers['content-disposition'] }); req.destroy(); });
        });
        req.on('error', (err) => { if (!('code' in err && err.code === 'ECONNRESET')) reject(err); });
        req.end();
      });
      expect(firstBytes.head.startsWith('{"snapshot":')).to.equal(true);
      expect(firstBytes.disposition).to.match(/\.heapsnapshot"$/);
      // The busy flag was released when the client hung up: a profile can be taken next.
      let status = 0;
      for (let i = 0; i < 200 && status !== 200; i++) {
        status = (await get(`${served.url}/debug/pprof/heap-sampling?seconds=1`)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).to.equal(200);
    } finally {
      served.proc.kill('SIGTERM');
      await served.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('profiling is off by default and behind the operator gate', async () => {
    lip = await startLip(testConfig(STUB, ''));
    expect((await get(`${lip.url}/debug/pprof/profile?seconds=1`)).status).to.equal(404);
    await lip.close();
    lip = await startLip(testConfig(STUB, `diagnostics: { pprof_path: /debug/pprof, shared_secret: ${SECRET} }`));
    expect((await get(`${lip.url}/debug/pprof`)).status).to.equal(403);
    expect((await get(`${lip.url}/debug/pprof`, { 'x-lip-diagnostics-secret': SECRET })).status).to.equal(200);
  });
});
