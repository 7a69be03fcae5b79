import { expect } from 'chai';
import { Redactor } from '../../lib/replay/redact.js';
import { maskSecretQuery } from '../../lib/wire/index.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const STUB = '  - { id: s, kind: localstub, models: [m], text: "hi" }';
const KEY = 'client-key-of-alice-0123456789';

/**
 * Regression (found by probing): `?k%65y=<client key>` on a Gemini path authenticates (the
 * server reads query names percent-decoded), but the raw path in the access log
 * (`logging.include_raw_path`) and a recording's path showed the key in clear: credential parameters were matched by
 * their names as written, so only a plain `?key=` was masked.
 */
describe('regression: a credential query parameter with a percent-encoded name is masked', function () {
  this.timeout(30_000);
  let lip: RunningLip | undefined;
  after(async () => lip?.close());

  it('in the access log of a request it authenticated', async () => {
    lip = await startLip(testConfig(STUB, [
      'logging: { access_log: true, include_raw_path: true }',
      `auth: { api_keys: [ { id: a, key: ${KEY}, principal: alice } ] }`,
    ].join('\n')));
    const res = await httpRequest(`${lip.url}/v1beta/models/m:generateContent?alt=sse&k%65y=${KEY}`, { body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }) });
    expect(res.status).to.equal(200);
    for (let i = 0; i < 200 && !lip.logs.some((l) => l.message === 'request'); i++) await new Promise((r) => setTimeout(r, 10));
    const line = lip.logs.find((l) => l.message === 'request')!;
    expect(line).to.include({ principal: 'alice', path: '/v1beta/models/m:generateContent?alt=sse&k%65y=***' });
    expect(JSON.stringify(lip.logs)).not.to.contain(KEY);
  });

  it('whatever the escapes; names that do not decode to a credential, or do not decode, stay', () => {
    expect(maskSecretQuery('/p?%6B%45%59=s1&api%5Fkey=s2&x%2Dgoog%2Dapi%2Dkey=s3&t%6Fken=s4')).to.equal('/p?%6B%45%59=***&api%5Fkey=***&x%2Dgoog%2Dapi%2Dkey=***&t%6Fken=***');
    expect(maskSecretQuery('/a%20b?key=s1&q=%41')).to.equal('/a%20b?key=***&q=%41');
    expect(maskSecretQuery('/p?m%6Fnkey=1&k%65ys=2&k%ZZey=3&%=4')).to.equal('/p?m%6Fnkey=1&k%65ys=2&k%ZZey=3&%=4');
    expect(maskSecretQuery('/p;x/y?k%65y=s#k%65y=frag')).to.equal('/p;x/y?k%65y=***#k%65y=frag');
    // A recording's path too.
    expect(new Redactor([], []).path(`/v1beta/models/m:generateContent?k%65y=${KEY}`)).to.equal('/v1beta/models/m:generateContent?k%65y=[REDACTED]');
  });
});
