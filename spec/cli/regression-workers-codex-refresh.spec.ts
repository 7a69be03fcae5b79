import { expect } from 'chai';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCodexEmulator, type CodexEmulator } from '../helpers/emulators/index.js';
import { killLip, type LipProcess, serveLip } from '../helpers/spawn-lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const dir = mkdtempSync(join(tmpdir(), 'lip-workers-codex-'));

type Line = Record<string, unknown> & { message: string };
const lines = (p: LipProcess): Line[] => p.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
async function until(what: string, predicate: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
/** The status of one chat request (a connection of its own: node:cluster hands connections out round robin). */
const chat = async (url: string) => (await httpRequest(`${url}/v1/chat/completions`, { body: JSON.stringify({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'hi' }] }) })).status;
/** The worker ids in the access log lines of chat requests. */
const servedBy = (p: LipProcess) => lines(p).filter((l) => l.message === 'request' && l.route === '/v1/chat/completions').map((l) => l.worker as number);
const pidOf = (p: LipProcess, worker: number) => lines(p).find((l) => l.message === 'worker started' && l.worker === worker)!.pid as number;

/**
 * Found by probing `lip serve --workers 2` with one openai-codex row reading one auth.json: once
 * the access token expired, each worker refreshed with the same refresh token; the provider
 * rotates it, so only the first worker renewed and the other was dead (invalid_grant) until
 * `codex login` and a reload: every second request failed with a 502. The refresh of a login is
 * now one for the cluster: the primary lets one worker refresh at a time, answers the workers
 * that ask meanwhile, or later with the older tokens, with its outcome, and announces the renewed
 * tokens to every worker. The cases run in order on one cluster and one emulator.
 */
describe('regression: lip serve --workers refreshes a Codex login once for every worker (spawned)', function () {
  this.timeout(120_000);
  let emu: CodexEmulator;
  let lip: LipProcess & { url: string };

  before(async () => {
    emu = await startCodexEmulator();
    const auth = join(dir, 'auth.json');
    writeFileSync(auth, JSON.stringify({ tokens: { access_token: 'expired-token', refresh_token: 'rt-w', account_id: 'acc-1' } }));
    chmodSync(auth, 0o600);
    emu.refreshTokens.add('rt-w');
    const path = join(dir, 'lip.yaml');
    writeFileSync(path, `server: { host: 127.0.0.1, port: 0, drain_delay: 0s, shutdown_timeout: 5s }
logging: { format: json, level: info }
routing: { default_route: "cx:gpt-5.4" }
backends:
  - { id: cx, kind: openai-codex, models: [gpt-5.4], base_url: "${emu.url}", oauth_token_url: "${emu.tokenUrl}", auth_json_path: "${auth}" }
`);
    lip = await serveLip(['--config', path, '--workers', '2']);
  });
  after(async () => {
    await killLip(lip);
    await emu?.close();
  });

  it('both workers serve after the token expired: one refresh, and the other worker sends the renewed token at once', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push(await chat(lip.url));
    expect(statuses).to.deep.equal([200, 200, 200, 200, 200, 200]);
    await until('six access log lines', () => servedBy(lip).length === 6);
    expect(new Set(servedBy(lip))).to.deep.equal(new Set([1, 2]));
    expect(emu.refreshes.map((r) => r.body?.refresh_token)).to.deep.equal(['rt-w']);
    // Only the first request carried the expired token: the renewal reached the other worker before its first request.
    expect(emu.requests.map((r) => r.key)).to.deep.equal(['expired-token', ...Array(6).fill('codex-refreshed-1')]);
  });

  it('a worker restarted after the refresh starts from the spent auth.json and takes the renewed tokens instead of refreshing', async () => {
    emu.reset();
    process.kill(pidOf(lip, 1), 'SIGKILL');
    await until('the restarted worker listening', () => lines(lip).some((l) => l.message === 'worker listening' && l.worker === 3));
    const before = servedBy(lip).length;
    for (let i = 0; i < 40 && !servedBy(lip).slice(before).includes(3); i++) {
      expect(await chat(lip.url)).to.equal(200);
      await until('the access log line', () => servedBy(lip).length > before + i);
    }
    expect(servedBy(lip).slice(before)).to.include(3);
    expect(emu.refreshes, 'no refresh with the rotated-away refresh token').to.have.length(1);
    // Its first request went out with auth.json's token, refused; then with the renewed one.
    expect(emu.requests.map((r) => r.key).filter((k) => k !== 'codex-refreshed-1')).to.deep.equal(['expired-token']);
  });

  it('both workers refused at once: one refresh for the cluster, with the rotated refresh token', async () => {
    emu.reset();
    emu.validTokens.delete('codex-refreshed-1');
    const statuses = await Promise.all(Array.from({ length: 8 }, () => chat(lip.url)));
    expect(statuses).to.deep.equal(Array(8).fill(200));
    expect(emu.refreshes.map((r) => r.body?.refresh_token)).to.deep.equal(['rt-w', 'codex-refresh-2']);
    expect(new Set(emu.requests.map((r) => r.key))).to.deep.equal(new Set(['codex-refreshed-1', 'codex-refreshed-2']));
  });
});
