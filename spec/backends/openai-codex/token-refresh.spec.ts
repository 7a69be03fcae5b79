import { expect } from 'chai';
import type { Renewal, RenewalResult, Renewed, SharedRenewals } from '../../../lib/backends/credentials/index.js';
import { UpstreamClient } from '../../../lib/backends/http/index.js';
import { CodexTokens } from '../../../lib/backends/openai-codex/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { CODEX_REFRESH_TOKEN, startCodexEmulator, type CodexEmulator } from '../../helpers/emulators/index.js';

describe('backends/openai-codex/token-refresh', () => {
  let emu: CodexEmulator;
  const client = new UpstreamClient();
  before(async () => { emu = await startCodexEmulator(); });
  after(async () => {
    await client.close();
    await emu.close();
  });
  // Renewals outlive a backend (a reload), per process: every test starts from its own login.
  let rt = CODEX_REFRESH_TOKEN;
  let n = 0;
  beforeEach(() => {
    emu.refreshes.length = 0;
    emu.tokenStatus = undefined;
    rt = `${CODEX_REFRESH_TOKEN}-t${++n}`;
    emu.refreshTokens.add(rt);
  });
  const tokens = () => new CodexTokens({ token: 'at-0', refreshToken: rt }, { tokenUrl: emu.tokenUrl, clientId: 'client-x' });

  it('puts the new token behind the key, uses the rotated refresh token next time, and masks them all', async () => {
    const t = tokens();
    expect(t.current('at-0')).to.equal('at-0');
    expect(await t.renew('cx', 'at-0', 401, client)).to.equal(true);
    const first = t.current('at-0');
    expect(first).to.match(/^codex-refreshed-\d+$/);
    expect(await t.renew('cx', 'at-0', 401, client)).to.equal(true);
    expect(t.current('at-0')).not.to.equal(first);
    expect(emu.refreshes[0]!.body!.refresh_token).to.equal(rt);
    expect(emu.refreshes[1]!.body!.refresh_token).not.to.equal(rt);
    expect(emu.refreshes[0]!.body).to.include({ client_id: 'client-x' });
    expect(t.secrets).to.include.members([first, t.current('at-0'), rt]);
  });

  it('hands the renewed token and the rotated refresh token to a backend rebuilt by a reload', async () => {
    emu.refreshTokens.add('rt-reload');
    const settings = { tokenUrl: emu.tokenUrl, clientId: 'c' };
    const before = new CodexTokens({ token: 'at-r', refreshToken: 'rt-reload' }, settings);
    expect(await before.renew('cx', 'at-r', 401, client)).to.equal(true);
    const after = new CodexTokens({ token: 'at-r', refreshToken: 'rt-reload' }, settings); // auth.json read again
    expect(after.current('at-r')).to.equal(before.current('at-r'));
    expect(await after.renew('cx', 'at-r', 401, client), 'refreshes with the rotated token, not the spent one').to.equal(true);
    expect(emu.refreshes[0]!.body!.refresh_token).to.equal('rt-reload');
    expect(emu.refreshes[1]!.body!.refresh_token).not.to.equal('rt-reload');
  });

  // Found by probing: two rows reading one auth.json each kept a copy of the refresh token, and the
  // second to refresh sent the one the first had rotated away.
  it('shares one login between the tokens of every backend that reads it: one refresh, its tokens for all', async () => {
    const a = tokens();
    const b = tokens();
    expect(await Promise.all([a.renew('cx-a', 'at-0', 401, client), b.renew('cx-b', 'at-0', 401, client)])).to.deep.equal([true, true]);
    expect(emu.refreshes).to.have.length(1);
    const renewed = a.current('at-0');
    expect(b.current('at-0')).to.equal(renewed);
    // Refused again on b: the refresh goes out with the rotated refresh token, and a has its token too.
    expect(await b.renew('cx-b', 'at-0', 401, client, renewed)).to.equal(true);
    expect(emu.refreshes[1]!.body!.refresh_token).not.to.equal(rt);
    expect(a.current('at-0')).to.equal(b.current('at-0')).and.not.equal(renewed);
  });

  it('renews through shared renewals (workers): takes another worker\'s newer grant instead of refreshing, and follows those announced', async () => {
    const followers = new Map<string, (renewed: Renewed<unknown>) => void>();
    const asked: [string, number][] = [];
    let answer: Renewal<unknown> | undefined;
    const renewals: SharedRenewals = {
      async renew<T>(login: string, generation: number, renew: () => Promise<RenewalResult<T>>): Promise<Renewal<T>> {
        asked.push([login, generation]);
        if (answer) return answer as Renewal<T>;
        const result = await renew();
        return 'value' in result ? { generation: generation + 1, value: result.value } : result;
      },
      follow<T>(login: string, apply: (renewed: Renewed<T>) => void) {
        followers.set(login, apply as (renewed: Renewed<unknown>) => void);
        return () => followers.delete(login);
      },
    };
    const t = new CodexTokens({ token: 'at-0', refreshToken: rt }, { tokenUrl: emu.tokenUrl, clientId: 'c', renewals });
    answer = { generation: 3, value: { token: 'at-other', refreshToken: `${rt}-other` } };
    expect(await t.renew('cx', 'at-0', 401, client, 'at-0')).to.equal(true);
    expect(t.current('at-0')).to.equal('at-other');
    expect(emu.refreshes, 'no refresh with the refresh token another worker rotated away').to.have.length(0);
    const [[login]] = asked;
    // Refused in its turn: refreshed here, with the refresh token that grant carried.
    answer = undefined;
    emu.refreshTokens.add(`${rt}-other`);
    expect(await t.renew('cx', 'at-0', 401, client, 'at-other')).to.equal(true);
    expect(asked).to.deep.equal([[login, 0], [login, 3]]);
    expect(emu.refreshes.map((r) => r.body!.refresh_token)).to.deep.equal([`${rt}-other`]);
    // Another worker's renewal announced: taken when newer, an older one ignored.
    followers.get(login!)!({ generation: 9, value: { token: 'at-9', refreshToken: 'rt-9' } });
    followers.get(login!)!({ generation: 5, value: { token: 'at-5', refreshToken: 'rt-5' } });
    expect(t.current('at-0')).to.equal('at-9');
    expect(t.secrets).to.include.members(['at-other', 'at-9', 'rt-9', rt]);
    // A refused grant another worker reported: remembered as any failed refresh.
    answer = { failure: 'the token endpoint answered 400', forGood: true };
    expect(((await t.renew('cx', 'at-0', 401, client, 'at-9')) as LipError).message).to.contain('refreshing it failed: the token endpoint answered 400; lip does not try that refresh token again');
    t.close();
    expect(followers.size).to.equal(0);
  });

  it('runs one refresh for concurrent attempts', async () => {
    const t = tokens();
    const answers = await Promise.all([t.renew('cx', 'at-0', 401, client), t.renew('cx', 'at-0', 403, client), t.renew('cx', 'at-0', 401, client)]);
    expect(answers).to.deep.equal([true, true, true]);
    expect(emu.refreshes).to.have.length(1);
  });

  // Found by probing odd upstreams: two attempts sent the old token at once; the first 401 refreshed,
  // and the second, refused a moment after that refresh had finished, refreshed again.
  it('does not refresh again for a request sent with a token a refresh has since replaced', async () => {
    const t = tokens();
    expect(await t.renew('cx', 'at-0', 401, client, 'at-0')).to.equal(true);
    const renewed = t.current('at-0');
    // The late refusal of a request that carried the old token: go again with the new one.
    expect(await t.renew('cx', 'at-0', 401, client, 'at-0')).to.equal(true);
    expect(emu.refreshes).to.have.length(1);
    expect(t.current('at-0')).to.equal(renewed);
    // The new token refused in its turn: that is refreshed.
    expect(await t.renew('cx', 'at-0', 401, client, renewed)).to.equal(true);
    expect(emu.refreshes).to.have.length(2);
  });

  it('keeps a token refused again right after its refresh: the failure stands 30 s, then a refusal refreshes again', async () => {
    let now = 0;
    const t = new CodexTokens({ token: 'at-0', refreshToken: rt }, { tokenUrl: emu.tokenUrl, clientId: 'c', now: () => now });
    expect(t.refusedAgain('cx', 'other-key', 401), 'not a refreshable token: the pool retires it').to.equal(undefined);
    expect(await t.renew('cx', 'at-0', 401, client, 'at-0')).to.equal(true);
    const renewed = t.current('at-0');
    const again = t.refusedAgain('cx', 'at-0', 401)!;
    expect(again).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS', status: 503, retryable: true });
    expect(again.message).to.contain('(401) and refreshing it failed: the upstream refused the renewed token too; the refresh is tried again in 30s');
    now += 29_000;
    expect(t.refused('cx')!.message).to.contain('refused the renewed token too; the refresh is tried again in 1s');
    now += 1_000;
    expect(t.refused('cx')).to.equal(undefined);
    expect(await t.renew('cx', 'at-0', 401, client, renewed)).to.equal(true);
    expect(emu.refreshes).to.have.length(2);
    expect(t.current('at-0')).not.to.equal(renewed);
  });

  it('has nothing to renew for a key without a refresh token', async () => {
    expect(await tokens().renew('cx', 'other-key', 401, client)).to.equal(undefined);
    expect(await new CodexTokens(undefined, { tokenUrl: emu.tokenUrl, clientId: 'c' }).renew('cx', 'at-0', 401, client)).to.equal(undefined);
    expect(emu.refreshes).to.have.length(0);
  });

  it('answers a retryable LIP_ERR_UPSTREAM_NO_CREDENTIALS saying why a refresh failed (status, refused grant, unreachable)', async () => {
    emu.tokenStatus = 503;
    const down = await tokens().renew('cx', 'at-0', 401, client) as LipError;
    expect(down).to.be.instanceOf(LipError);
    expect(down).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS', retryable: true });
    expect(down.message).to.contain('(401) and refreshing it failed: the token endpoint answered 503');
    emu.tokenStatus = undefined;
    emu.refreshTokens.delete(rt);
    expect(((await tokens().renew('cx', 'at-0', 403, client)) as LipError).message).to.contain('(403) and refreshing it failed: the token endpoint answered 400');
    const nowhere = new CodexTokens({ token: 'at-0', refreshToken: 'r' }, { tokenUrl: 'http://127.0.0.1:1/oauth/token', clientId: 'c' });
    expect(((await nowhere.renew('cx', 'at-0', 401, client)) as LipError).message).to.contain('could not be reached');
  });

  // Found by probing: with a spent refresh token every call sent the dead access token upstream
  // and asked the token endpoint again.
  it('remembers a refresh token the endpoint refused (400) until the backend is rebuilt, and a passing failure for 30 s', async () => {
    let now = 0;
    const clocked = () => new CodexTokens({ token: 'at-0', refreshToken: rt }, { tokenUrl: emu.tokenUrl, clientId: 'c', now: () => now });
    emu.refreshTokens.delete(rt);
    const spent = clocked();
    expect(spent.refused('cx')).to.equal(undefined);
    expect(((await spent.renew('cx', 'at-0', 401, client)) as LipError).message).to.contain('the token endpoint answered 400');
    now += 24 * 3600_000;
    const remembered = spent.refused('cx')!;
    expect(remembered).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS', status: 503, retryable: true });
    expect(remembered.message).to.contain('(401) and refreshing it failed: the token endpoint answered 400; lip does not try that refresh token again until the backend is reloaded');
    expect(((await spent.renew('cx', 'at-0', 401, client)) as LipError).message).to.equal(remembered.message);
    expect(emu.refreshes).to.have.length(1);

    emu.refreshTokens.add(rt);
    emu.tokenStatus = 503;
    const down = clocked();
    expect(((await down.renew('cx', 'at-0', 401, client)) as LipError).message).to.contain('the token endpoint answered 503; the refresh is tried again in 30s');
    now += 29_000;
    expect(down.refused('cx')!.message).to.contain('answered 503; the refresh is tried again in 1s');
    expect(((await down.renew('cx', 'at-0', 403, client)) as LipError).message).to.contain('answered 503');
    expect(emu.refreshes).to.have.length(2);
    now += 1_000;
    emu.tokenStatus = undefined;
    expect(down.refused('cx')).to.equal(undefined);
    expect(await down.renew('cx', 'at-0', 401, client)).to.equal(true);
    expect(down.refused('cx')).to.equal(undefined);
    expect(emu.refreshes).to.have.length(3);
  });
});
