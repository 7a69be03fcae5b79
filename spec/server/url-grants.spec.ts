import { expect } from 'chai';
import type { ApiKeyConfig } from '../../lib/config/index.js';
import { createContinuityStore, type ContinuityStore } from '../../lib/continuity/index.js';
import type { ResourceRoute } from '../../lib/frontends/protocol.js';
import { Authenticator } from '../../lib/server/auth.js';
import { grantedCaller, grantToken, urlGrants } from '../../lib/server/url-grants.js';

const UPLOAD: ResourceRoute = { method: 'POST', path: '/upload/v1beta/files', upload: true, grantedBy: 'upload_id', handle: async () => ({}) };
const OTHER: ResourceRoute = { ...UPLOAD, path: '/upload/v1beta/other' };
const TOKEN = 'k3v9x2m7q8w1e5r6t4y0u2i8o7p6a5s4';
const ALICE: ApiKeyConfig = { id: 'a', key: 'alice-key-0123456789ab', principal: 'alice' };
const HOUR = 3_600_000;

describe('server: URL grants', () => {
  let store: ContinuityStore;
  const auth = new Authenticator([ALICE, { id: 'b', key: 'bob-key-0123456789abcd', principal: 'bob' }]);
  beforeEach(() => {
    store = createContinuityStore({ store: 'memory', sqlite_path: './unused.db', ttl: 86_400_000, max_legs: 1_000 });
  });
  afterEach(() => store.close());

  it('a token given out is its caller\'s, on its route only, until revoked', async () => {
    const grants = urlGrants(store, UPLOAD, { principal: 'alice', key: ALICE });
    grants.give(TOKEN, Date.now() + HOUR);
    expect(await grantedCaller(store, UPLOAD, TOKEN, auth)).to.deep.equal({ principal: 'alice', key: ALICE });
    expect(await grantedCaller(store, OTHER, TOKEN, auth)).to.equal(undefined);
    expect(await grantedCaller(store, UPLOAD, TOKEN.replace('k', 'j'), auth)).to.equal(undefined);
    await grants.revoke(TOKEN);
    expect(await grantedCaller(store, UPLOAD, TOKEN, auth)).to.equal(undefined);
    // Revoking one already gone is nothing.
    await grants.revoke(TOKEN);
  });

  it('holds nothing once expired, or once a reload removed its key, gave it another secret or another principal', async () => {
    urlGrants(store, UPLOAD, { principal: 'alice', key: ALICE }).give(TOKEN, Date.now() - 1);
    expect(await grantedCaller(store, UPLOAD, TOKEN, auth)).to.equal(undefined);
    urlGrants(store, UPLOAD, { principal: 'alice', key: ALICE }).give(TOKEN, Date.now() + HOUR);
    expect(await grantedCaller(store, UPLOAD, TOKEN, new Authenticator([{ ...ALICE, id: 'a2' }]))).to.equal(undefined);
    expect(await grantedCaller(store, UPLOAD, TOKEN, new Authenticator([{ ...ALICE, key: 'alice-key-rotated-0123' }]))).to.equal(undefined);
    expect(await grantedCaller(store, UPLOAD, TOKEN, new Authenticator([{ ...ALICE, principal: 'team' }]))).to.equal(undefined);
    // A reload that keeps the key as it was (another limit) keeps the grant, with the key as it is now.
    const limited = { ...ALICE, requests_per_minute: 5 };
    expect(await grantedCaller(store, UPLOAD, TOKEN, new Authenticator([limited]))).to.deep.equal({ principal: 'alice', key: limited });
  });

  it('only a token of 32 or more random-looking characters is one: a shorter one is never given out, nor looked up', () => {
    const grants = urlGrants(store, UPLOAD, { principal: 'alice', key: ALICE });
    expect(() => grants.give('abc123', Date.now() + HOUR)).to.throw('at least 32');
    expect(grantToken(UPLOAD, new URLSearchParams(`upload_id=${TOKEN}`))).to.equal(TOKEN);
    expect(grantToken(UPLOAD, new URLSearchParams('upload_id=abc123'))).to.equal(undefined);
    expect(grantToken(UPLOAD, new URLSearchParams(`upload_id=${TOKEN.slice(1)}*`))).to.equal(undefined);
    expect(grantToken({ ...UPLOAD, grantedBy: undefined }, new URLSearchParams(`upload_id=${TOKEN}`))).to.equal(undefined);
  });
});
