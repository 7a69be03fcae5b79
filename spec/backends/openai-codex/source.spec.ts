import { expect } from 'chai';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyCall, type Call } from '../../../lib/canonical/index.js';
import { createRuntime, type Runtime } from '../../../lib/core/runtime.js';
import { CODEX_CLIENT_ID, CODEX_USER_AGENT } from '../../../lib/backends/openai-codex/index.js';
import { configFrom } from '../../helpers/config.js';
import { backendOf, CODEX_REFRESH_TOKEN, drain, runtimeFor, startCodexEmulator, type CodexEmulator } from '../../helpers/emulators/index.js';

const call = (overrides: Partial<Call> = {}): Call => emptyCall({ model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], ...overrides });
const target = { model: 'gpt-5.4', candidateKey: 'cx:gpt-5.4' };

describe('backends/openai-codex/source', () => {
  let emu: CodexEmulator;
  const runtimes: Runtime[] = [];
  before(async () => { emu = await startCodexEmulator(); });
  after(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
    await emu.close();
  });
  // Renewals outlive a backend (a reload), per process: every test logs in with its own refresh token.
  let rt = CODEX_REFRESH_TOKEN;
  let n = 0;
  beforeEach(() => {
    emu.reset();
    emu.refreshes.length = 0;
    emu.tokenStatus = undefined;
    rt = `${CODEX_REFRESH_TOKEN}-s${++n}`;
    emu.refreshTokens.add(rt);
  });
  /** A codex backend against the emulator with these row keys. */
  const backend = (keys: string, env: NodeJS.ProcessEnv = {}) => {
    const runtime = runtimeFor(`  - { id: cx, kind: openai-codex, base_url: "${emu.url}", oauth_token_url: "${emu.tokenUrl}", ${keys} }`, env);
    runtimes.push(runtime);
    return backendOf(runtime, 'cx');
  };
  const header = (i: number, name: string) => emu.requests[i]!.headers[name];

  it('sends the Codex headers, the conversation three times, store:false and instructions (the emulator checks them all)', async () => {
    const b = backend('access_token: codex-token-1, account_id: acc-42');
    const { events, error, violations } = await drain(b.stream(call({ system: [{ type: 'text', text: 'Be brief.' }] }), { ...target, model: 'openai/gpt-5.4' }));
    expect(error).to.equal(undefined);
    expect(violations).to.deep.equal([]);
    expect(events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text).join('')).to.equal('Hello from the emulator.');
    const r = emu.requests[0]!;
    expect(r.path).to.equal('/backend-api/codex/responses');
    expect(r.headers).to.include({
      authorization: 'Bearer codex-token-1', 'openai-beta': 'responses=experimental', accept: 'text/event-stream', originator: 'codex_cli_rs',
      version: '0.0.0', 'user-agent': CODEX_USER_AGENT, 'codex-task-type': 'standard', 'chatgpt-account-id': 'acc-42',
    });
    expect(header(0, 'session_id')).to.equal(header(0, 'conversation_id'));
    expect(r.body).to.include({ model: 'gpt-5.4', stream: true, store: false, instructions: 'Be brief.', prompt_cache_key: header(0, 'conversation_id') });
  });

  it('names the conversation of a model no header can carry percent-encoded: the request is sent', async () => {
    const b = backend('access_token: codex-token-1');
    const { error } = await drain(b.stream(call(), { ...target, model: 'gpt-5.4-日本' }));
    expect(error).to.equal(undefined);
    expect(header(0, 'conversation_id')).to.match(/^lip-gpt-5\.4-%E6%97%A5%E6%9C%AC-[0-9a-f]{16}$/);
    expect(header(0, 'session_id')).to.equal(header(0, 'conversation_id'));
    expect(emu.requests[0]!.body.prompt_cache_key).to.equal(header(0, 'conversation_id'));
  });

  it('refuses temperature, top_p and max_output_tokens with a 400 before anything is sent, unless the row ignores them', async () => {
    const strict = backend('access_token: codex-token-1');
    const c = call({ options: { temperature: 0.3, maxOutputTokens: 10 } });
    const { error } = await drain(strict.stream(c, target));
    expect(error).to.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', status: 400, retryable: false });
    expect(error!.message).to.contain('temperature, max_output_tokens').and.contain('ignore_unsupported_gen_params');
    expect(emu.requests).to.have.length(0);
    const lenient = backend('access_token: codex-token-1, ignore_unsupported_gen_params: true');
    expect((await drain(lenient.stream(c, target))).error).to.equal(undefined);
    expect(emu.requests[0]!.body).not.to.have.any.keys('temperature', 'max_output_tokens');
  });

  it('refreshes an expired token once after the 401, in memory, and retries the same request with the new one', async () => {
    const b = backend(`access_token: expired-token, refresh_token: ${rt}`);
    const first = await drain(b.stream(call(), target));
    expect(first.error).to.equal(undefined);
    const renewed = emu.requests[1]!.key!;
    expect(emu.requests.map((r) => r.key)).to.deep.equal(['expired-token', renewed]);
    expect(renewed).to.match(/^codex-refreshed-\d+$/);
    expect(emu.requests[1]!.raw).to.equal(emu.requests[0]!.raw);
    expect(emu.refreshes).to.have.length(1);
    expect(emu.refreshes[0]).to.deep.equal({
      contentType: 'application/json',
      body: { client_id: CODEX_CLIENT_ID, grant_type: 'refresh_token', refresh_token: rt, scope: 'openid profile email' },
    });
    // The next request goes out with the refreshed token straight away.
    emu.reset();
    expect((await drain(b.stream(call(), target))).error).to.equal(undefined);
    expect(emu.requests.map((r) => r.key)).to.deep.equal([renewed]);
    expect(emu.refreshes).to.have.length(1);
  });

  it('refreshes after a 403 too, and only once per attempt', async () => {
    const b = backend(`access_token: codex-token-1, refresh_token: ${rt}`);
    emu.enqueue({ status: 403, error: { message: 'forbidden' } }, { status: 403, error: { message: 'still forbidden' } });
    const { error } = await drain(b.stream(call(), target));
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 403 });
    expect(emu.refreshes).to.have.length(1);
    expect(emu.requests.map((r) => r.key)).to.have.length(2);
    expect(emu.requests[0]!.key).to.equal('codex-token-1');
    expect(emu.requests[1]!.key).to.match(/^codex-refreshed-\d+$/);
  });

  // Found by probing: the renewed token refused at once (a 401 right after the refresh) retired the
  // refreshable token as a dead API key, for good and across reloads (KeyStates).
  it('never retires a refreshable token: its renewed token refused too fails the attempt (retryable), and a reload serves again', async () => {
    const row = `access_token: codex-token-1, refresh_token: ${rt}`;
    const b = backend(row);
    emu.enqueue({ status: 401, error: { message: 'expired' } }, { status: 401, error: { message: 'not yet valid' } });
    const { error } = await drain(b.stream(call(), target));
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS', status: 503, retryable: true });
    expect(error!.message).to.contain('refused the access token (401) and refreshing it failed: the upstream refused the renewed token too; the refresh is tried again in 30s');
    expect(emu.refreshes).to.have.length(1);
    expect(emu.requests).to.have.length(2);
    // Remembered a short while: the next call fails at once, sending nothing.
    expect((await drain(b.stream(call(), target))).error!.message).to.contain('refused the renewed token too');
    expect(emu.requests).to.have.length(2);
    // Not retired: the backend a reload builds (with the running key states) sends the renewed token.
    const running = runtimes[runtimes.length - 1]!;
    const reloaded = createRuntime(configFrom(`backends:\n  - { id: cx, kind: openai-codex, base_url: "${emu.url}", oauth_token_url: "${emu.tokenUrl}", ${row} }\n`), { env: {}, keyStates: running.keyStates! });
    runtimes.push(reloaded);
    expect((await drain(backendOf(reloaded, 'cx').stream(call(), target))).error).to.equal(undefined);
    expect(emu.requests[2]!.key).to.equal(emu.requests[1]!.key).and.match(/^codex-refreshed-\d+$/);
  });

  it('surfaces the 401 when there is no refresh token (no refresh is tried)', async () => {
    const b = backend('api_key: not-a-codex-token');
    const { error } = await drain(b.stream(call(), target));
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS' });
    expect(error!.message).to.contain('rejected by the upstream (401)');
    expect(emu.refreshes).to.have.length(0);
  });

  // Found by probing: two rows reading one auth.json each kept a copy of the refresh token; the
  // provider rotates it, so the second row to refresh sent a spent one and was dead until a reload.
  it('shares one login between two rows reading the same auth.json: one refresh, and both serve with its tokens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lip-codex-login-'));
    const auth = join(dir, 'auth.json');
    writeFileSync(auth, JSON.stringify({ tokens: { access_token: 'expired-token', refresh_token: rt, account_id: 'acc-1' } }));
    chmodSync(auth, 0o600);
    const runtime = runtimeFor([
      `  - { id: cx-a, kind: openai-codex, base_url: "${emu.url}", oauth_token_url: "${emu.tokenUrl}", auth_json_path: "${auth}" }`,
      `  - { id: cx-b, kind: openai-codex, base_url: "${emu.url}", oauth_token_url: "${emu.tokenUrl}", auth_json_path: "${auth}", default_reasoning_effort: high }`,
    ].join('\n'));
    runtimes.push(runtime);
    expect((await drain(backendOf(runtime, 'cx-a').stream(call(), target))).error).to.equal(undefined);
    const renewed = emu.requests[1]!.key!;
    expect((await drain(backendOf(runtime, 'cx-b').stream(call(), target))).error).to.equal(undefined);
    expect(emu.refreshes.map((r) => r.body!.refresh_token)).to.deep.equal([rt]);
    expect(emu.requests.map((r) => r.key), 'row b sends the renewed token at once').to.deep.equal(['expired-token', renewed, renewed]);
    // Expired again: whichever row is refused first refreshes with the rotated refresh token, for both.
    emu.validTokens.delete(renewed);
    const both = await Promise.all([drain(backendOf(runtime, 'cx-a').stream(call(), target)), drain(backendOf(runtime, 'cx-b').stream(call(), target))]);
    expect(both.map((r) => r.error)).to.deep.equal([undefined, undefined]);
    expect(emu.refreshes).to.have.length(2);
    expect(emu.refreshes[1]!.body!.refresh_token).to.not.equal(rt);
  });

  it('says why when the refresh itself fails, and masks the tokens', async () => {
    emu.tokenStatus = 500;
    const b = backend(`access_token: expired-token, refresh_token: ${rt}`);
    const { error } = await drain(b.stream(call(), target));
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS', status: 503, retryable: true });
    expect(error!.message).to.contain('refused the access token (401) and refreshing it failed: the token endpoint answered 500');
    expect(emu.refreshes).to.have.length(1);
    expect(JSON.stringify(error)).not.to.contain(rt);
  });

  it('fails later calls at once, with neither the dead token nor another refresh sent, once the refresh token was refused', async () => {
    emu.refreshTokens.delete(rt);
    const b = backend(`access_token: expired-token, refresh_token: ${rt}`);
    const first = (await drain(b.stream(call(), target))).error!;
    expect(first.message).to.contain('refreshing it failed: the token endpoint answered 400');
    expect([emu.requests.length, emu.refreshes.length]).to.deep.equal([1, 1]);
    const { error } = await drain(b.stream(call(), target));
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS', status: 503, retryable: true });
    expect(error!.message).to.contain('the token endpoint answered 400; lip does not try that refresh token again until the backend is reloaded');
    expect([emu.requests.length, emu.refreshes.length]).to.deep.equal([1, 1]);
  });

  it('reads OPENAI_CODEX_ACCESS_TOKEN (numbered) and rotates; a 429 cools a token down', async () => {
    const b = backend('models: [gpt-5.4]', { OPENAI_CODEX_ACCESS_TOKEN: 'codex-token-1', OPENAI_CODEX_ACCESS_TOKEN_2: 'codex-token-2' });
    emu.enqueue({ status: 429, error: { message: 'slow down' }, headers: { 'retry-after': '30' } });
    expect((await drain(b.stream(call(), target))).error).to.equal(undefined);
    expect((await drain(b.stream(call(), target))).error).to.equal(undefined);
    expect(emu.requests.map((r) => r.key)).to.deep.equal(['codex-token-1', 'codex-token-2', 'codex-token-2']);
  });

  // Found by probing: a spent ChatGPT usage limit (429 `usage_limit_reached`, no Retry-After)
  // cooled the token for the default 60 s, so every minute a call went upstream to be refused again.
  it('cools a token until the usage limit resets (resets_in_seconds, resets_at) when the 429 has no Retry-After', async () => {
    const limited = (fields: Record<string, unknown>) => ({ status: 429, error: { type: 'usage_limit_reached', message: 'The usage limit has been reached', fields } });
    const b = backend('access_token: codex-token-1');
    emu.enqueue(limited({ resets_in_seconds: 3600 }));
    const { error } = await drain(b.stream(call(), target));
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS', status: 429, retryAfter: 3600 });
    expect(error!.message).to.contain('The usage limit has been reached');
    const again = (await drain(b.stream(call(), target))).error!;
    expect(again).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS', status: 429 });
    expect(again.retryAfter).to.be.within(3590, 3600);
    expect(emu.requests).to.have.length(1);

    const at = backend('access_token: codex-token-2');
    emu.enqueue(limited({ resets_at: Math.floor(Date.now() / 1000) + 7200 }));
    expect((await drain(at.stream(call(), target))).error!.retryAfter).to.be.within(7190, 7201);
    // A Retry-After still wins; another 429 keeps the default.
    const header = backend('access_token: test-key-0123456789');
    emu.enqueue({ ...limited({ resets_in_seconds: 3600 }), headers: { 'retry-after': '5' } });
    expect((await drain(header.stream(call(), target))).error!.retryAfter).to.equal(5);
    const plain = backend('access_token: codex-token-1');
    emu.enqueue({ status: 429, error: { message: 'slow down' } });
    expect((await drain(plain.stream(call(), target))).error!.retryAfter).to.equal(60);
  });

  it('fails every attempt with the reason when the configured auth.json cannot be used', async () => {
    const b = backend('auth_json_path: /nonexistent/lip/auth.json');
    const { error } = await drain(b.stream(call(), target));
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS', status: 503 });
    expect(error!.message).to.contain('/nonexistent/lip/auth.json does not exist');
    expect(emu.requests).to.have.length(0);
  });

  it('bumps verbosity to high on turns 1-5 and every 10th turn of a conversation, unless the call sets it', async () => {
    const b = backend('access_token: codex-token-1');
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < 11; i++) {
      expect((await drain(b.stream(call(), target))).error).to.equal(undefined);
      seen.push(emu.requests[i]!.body.text?.verbosity);
    }
    expect(seen).to.deep.equal(['high', 'high', 'high', 'high', 'high', undefined, undefined, undefined, undefined, 'high', undefined]);
    await drain(b.stream(call({ messages: [{ role: 'user', parts: [{ type: 'text', text: 'a new conversation' }] }], options: { verbosity: 'low' } }), target));
    expect(emu.requests[11]!.body.text).to.deep.equal({ verbosity: 'low' });
  });

  it('bumps no turn of a -codex model (the endpoint takes no verbosity but medium for them): every turn is answered', async () => {
    const b = backend('access_token: codex-token-1, default_verbosity: high');
    const codex = { model: 'gpt-5.2-codex', candidateKey: 'cx:gpt-5.2-codex' };
    for (let i = 0; i < 11; i++) {
      const { error } = await drain(b.stream(call(), codex));
      expect(error, `turn ${i + 1}`).to.equal(undefined);
      expect(emu.requests[i]!.body, `turn ${i + 1}`).not.to.have.property('text');
    }
    expect((b as unknown as { turns: { size: number } }).turns.size, 'no turn counted for a model that is never bumped').to.equal(0);
    // The client's own verbosity goes as asked, and the endpoint's answer to it is the client's.
    const { error } = await drain(b.stream(call({ options: { verbosity: 'high' } }), codex));
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 400 });
    expect(error!.message).to.contain("Unsupported value: 'high' is not supported with the 'gpt-5.2-codex' model");
  });

  it('counts a turn only when the upstream accepted it: a failed attempt hands its turn back', async () => {
    const b = backend('access_token: codex-token-1, early_session_verbosity_bump_turns: 1, mid_session_verbosity_bump_frequency: 3');
    const turn = async () => { await drain(b.stream(call(), target)); return emu.requests[emu.requests.length - 1]!.body.text?.verbosity; };
    expect(await turn()).to.equal('high'); // 1
    expect(await turn()).to.equal(undefined); // 2
    emu.enqueue({ status: 500, error: { message: 'boom' } });
    await turn(); // turn 3, released
    expect(await turn()).to.equal('high'); // turn 3 again
  });

  it('is refused in multi_user mode and checks its row rules', () => {
    const keys = 'auth: { api_keys: [ { id: a, key: "sk-lip-aaaaaaaaaaaaaaaaaaaa", principal: alice } ] }';
    expect(() => configFrom(`access: { mode: multi_user }\n${keys}\nbackends:\n  - { id: c, kind: openai-codex, access_token: t }\n`)).to.throw(/backend kind "openai-codex" runs local processes or reads local credentials/);
    expect(() => configFrom('backends:\n  - { id: c, kind: openai-codex, early_session_verbosity_bump_turns: 5, mid_session_verbosity_bump_frequency: 5 }\n')).to.throw(/must exceed early_session_verbosity_bump_turns/);
    expect(() => configFrom('backends:\n  - { id: c, kind: openai-codex, refresh_token: r }\n')).to.throw(/refresh_token belongs to an access_token/);
    expect(() => configFrom('backends:\n  - { id: c, kind: openai-codex, default_verbosity: loud }\n')).to.throw(/default_verbosity/);
  });
});
