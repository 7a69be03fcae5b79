import { expect } from 'chai';
import { chatUpstreamConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { bundles, useTestFeatures } from './test-feature.js';

/**
 * Found by probing the extension hooks: a request hook's `{ reject, status }` was sent with
 * whatever status the hook gave. 200 and 302 sent the error body as a success or a redirect,
 * 204 and 304 an empty body, 101 never ended, 600 went out as is, and 0, 99 or NaN became a
 * 500 (a streaming client lost its socket). Only an error status (an integer from 400 to 599)
 * is the hook's; any other is 403, the status a rejection has when none is given.
 */
describe('regression: a request hook rejection is sent with an error status', function () {
  this.timeout(60_000);
  useTestFeatures();
  let upstream: Emulator;
  let lip: RunningLip;
  let status: unknown;
  before(async () => {
    bundles['test-hooks'] = () => ({ submitHooks: [{ id: 'refuse', run: () => ({ reject: 'not today', status: status as number }) }] });
    upstream = await startOpenAIChatEmulator();
    lip = await startLip(chatUpstreamConfig(upstream.url, ['features:', '  - { id: test-hooks }']));
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
  });

  const post = async (stream: boolean) => {
    const r = await fetch(`${lip.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
      body: JSON.stringify({ model: 'up:chat', stream, messages: [{ role: 'user', content: 'hi' }] }),
      signal: AbortSignal.timeout(20_000),
    });
    return { status: r.status, body: await r.text() };
  };

  const cases: [unknown, number][] = [
    [200, 403], [302, 403], [204, 403], [304, 403], [101, 403], [600, 403], [0, 403], [99, 403], [Number.NaN, 403], [-1, 403], [429.5, 403], ['429', 403],
    [400, 400], [401, 401], [429, 429], [503, 503], [599, 599],
  ];
  for (const stream of [false, true]) {
    for (const [given, sent] of cases) {
      it(`status ${String(given)} (${stream ? 'streamed' : 'not streamed'}): ${sent} with the rejection in the body`, async () => {
        status = given;
        const r = await post(stream);
        expect(r.status).to.equal(sent);
        expect(JSON.parse(r.body)).to.nested.include({ 'error.code': 'LIP_ERR_EXTENSION_REJECTED' });
        expect(r.body).to.contain('not today');
      });
    }
  }

  it('the upstream was never called', () => {
    expect(upstream.requests).to.deep.equal([]);
  });
});
