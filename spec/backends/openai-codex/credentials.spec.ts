import { expect } from 'chai';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendRow } from '../../../lib/backends/backend.js';
import { resolveCodexCredentials } from '../../../lib/backends/openai-codex/index.js';
import { readEnvPool } from '../../../lib/config/index.js';

describe('backends/openai-codex/credentials', () => {
  let home: string;
  beforeEach(() => { home = mkdtempSync(join(tmpdir(), 'lip-codex-home-')); });
  afterEach(() => rmSync(home, { recursive: true, force: true }));
  const row = (extra: Record<string, unknown> = {}): BackendRow => ({ id: 'cx', kind: 'openai-codex', models: [], ...extra });
  const deps = (env: NodeJS.ProcessEnv = {}) => ({ env: { HOME: home, ...env }, readEnvPool: (name: string) => readEnvPool(name, { HOME: home, ...env }) });
  const authJson = (content: unknown, mode = 0o600, path = join(home, '.codex', 'auth.json')) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, JSON.stringify(content));
    chmodSync(path, mode);
    return path;
  };

  it('takes the row access_token first, with its refresh token, and the account id from auth_json_path', () => {
    const path = authJson({ tokens: { access_token: 'file-at', account_id: 'acc-1' } }, 0o600, join(home, 'other.json'));
    const c = resolveCodexCredentials(row({ access_token: 'row-at', refresh_token: 'row-rt', auth_json_path: path }), deps({ OPENAI_CODEX_ACCESS_TOKEN: 'env-at' }));
    expect(c).to.deep.include({ tokens: ['row-at'], refresh: { token: 'row-at', refreshToken: 'row-rt' }, accountId: 'acc-1', source: 'access_token' });
  });

  it('then the row api keys, then OPENAI_CODEX_ACCESS_TOKEN (numbered), then OPENAI_CODEX_API_KEY', () => {
    expect(resolveCodexCredentials(row({ api_keys: ['k1', 'k2'] }), deps({ OPENAI_CODEX_ACCESS_TOKEN: 'env' })).tokens).to.deep.equal(['k1', 'k2']);
    expect(resolveCodexCredentials(row(), deps({ OPENAI_CODEX_ACCESS_TOKEN: 'a1', OPENAI_CODEX_ACCESS_TOKEN_2: 'a2', OPENAI_CODEX_API_KEY: 'k' })).tokens).to.deep.equal(['a1', 'a2']);
    expect(resolveCodexCredentials(row(), deps({ OPENAI_CODEX_API_KEY: 'k' }))).to.deep.include({ tokens: ['k'], source: 'the environment variable OPENAI_CODEX_API_KEY' });
  });

  it('then ~/.codex/auth.json (0600): its token, refresh token and account id', () => {
    authJson({ tokens: { access_token: 'at', refresh_token: 'rt', account_id: 'acc' } });
    const c = resolveCodexCredentials(row(), deps());
    expect(c).to.deep.include({ tokens: ['at'], refresh: { token: 'at', refreshToken: 'rt' }, accountId: 'acc' });
    expect(c.problem).to.equal(undefined);
  });

  it('refuses a default auth.json that others can read: no token, and the problem says why', () => {
    authJson({ tokens: { access_token: 'at' } }, 0o644);
    const c = resolveCodexCredentials(row(), deps());
    expect(c.tokens).to.deep.equal([]);
    expect(c.problem).to.match(/group\/other accessible \(mode 0644\); expected 0600/);
  });

  it('a missing default auth.json is no problem (no credentials); a missing explicit one is', () => {
    const none = resolveCodexCredentials(row(), deps());
    expect(none).to.deep.include({ tokens: [] });
    expect(none.problem).to.equal(undefined);
    expect(none.source).to.contain('OPENAI_CODEX_ACCESS_TOKEN');
    const explicit = resolveCodexCredentials(row({ auth_json_path: join(home, 'nope.json') }), deps());
    expect(explicit.problem).to.match(/auth_json_path .*nope\.json does not exist/);
  });

  it('an auth.json without an access token is a problem', () => {
    const path = authJson({ tokens: { refresh_token: 'rt' } }, 0o600, join(home, 'a.json'));
    expect(resolveCodexCredentials(row({ auth_json_path: path }), deps()).problem).to.match(/holds no access_token/);
  });
});
