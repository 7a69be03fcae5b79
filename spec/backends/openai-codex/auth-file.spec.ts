import { expect } from 'chai';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAuthFile } from '../../../lib/backends/openai-codex/index.js';

describe('backends/openai-codex/auth-file', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lip-codex-auth-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (content: unknown, mode = 0o600) => {
    const path = join(dir, 'auth.json');
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    chmodSync(path, mode);
    return path;
  };

  it('reads the Codex CLI layout (tokens.*) from a 0600 file', () => {
    const path = write({ OPENAI_API_KEY: null, tokens: { id_token: 'id', access_token: 'at', refresh_token: 'rt', account_id: 'acc' }, last_refresh: '2026-01-01T00:00:00Z' });
    expect(readAuthFile(path)).to.deep.equal({ accessToken: 'at', refreshToken: 'rt', accountId: 'acc' });
  });

  it('reads top-level and camel-case keys; the top level wins', () => {
    expect(readAuthFile(write({ accessToken: 'top', tokens: { access_token: 'nested', refreshToken: 'rt' }, accountId: 'a' }))).to.deep.equal({ accessToken: 'top', refreshToken: 'rt', accountId: 'a' });
  });

  for (const mode of [0o644, 0o640, 0o604, 0o660]) {
    it(`refuses a file that group or others can access (mode ${mode.toString(8)})`, () => {
      const path = write({ access_token: 'at' }, mode);
      expect(() => readAuthFile(path)).to.throw(/group\/other accessible .*expected 0600/);
    });
  }

  it('skips the permission check on Windows', () => {
    expect(readAuthFile(write({ access_token: 'at' }, 0o644), 'win32')).to.deep.equal({ accessToken: 'at' });
  });

  it('refuses a directory and names a JSON error', () => {
    expect(() => readAuthFile(dir)).to.throw(/not a regular file/);
    expect(() => readAuthFile(write('{not json'))).to.throw(/not valid JSON/);
  });

  it('throws ENOENT for a missing file (the caller tells a missing default file apart)', () => {
    try {
      readAuthFile(join(dir, 'missing.json'));
      expect.fail('no throw');
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).to.equal('ENOENT');
    }
  });
});
