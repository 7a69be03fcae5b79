import { expect } from 'chai';
import { emptyCall } from '../../../lib/canonical/index.js';
import type { Runtime } from '../../../lib/core/runtime.js';
import { backendOf, drain, runtimeFor, type Emulator } from '../../helpers/emulators/index.js';
import { startLip } from '../../helpers/lip.js';
import { testConfig } from '../../helpers/config.js';
import { KINDS } from '../kinds.js';

/**
 * Found by probing hostile upstream replies (1): an upstream that answered a redirect (a base_url
 * on http:// that the provider moves to https://, a login portal) failed the attempt with
 * LIP_ERR_UPSTREAM_STATUS carrying the 3xx as the status for the client. The client was then
 * answered 301/302/307 without a Location, typed `invalid_request_error`, and never failed over;
 * a 304 even lost the error body. A status that is not an error status is now 502, retryable,
 * with the upstream's status kept in `detail.upstream_status`.
 *
 * (2): lip sent no Accept-Encoding (which RFC 9110 reads as "any encoding") and undici's request
 * API decodes nothing, so a gzipped stream was read as text and reported as an empty stream, a
 * gzipped error body quoted as garbage. lip now asks for `identity`, and a 2xx body compressed
 * anyway fails the attempt as LIP_ERR_UPSTREAM_MALFORMED naming the encoding, retryable (nothing
 * was read), before any byte of it is parsed; an error status is kept whatever its body
 * (regression-compressed-error-body.spec.ts).
 */
describe('regression: upstream replies lip does not take as they are (a redirect, a compressed body)', function () {
  this.timeout(30_000);
  const call = (stream: boolean) => emptyCall({ model: 'm', stream, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });

  for (const k of KINDS) {
    describe(k.kind, () => {
      let emu: Emulator;
      let runtime: Runtime | undefined;
      before(async () => { emu = await k.start(); });
      afterEach(async () => { await runtime?.close(); runtime = undefined; emu.reset(); });
      after(() => emu.close());

      it('asks for identity, refuses a gzipped answer by its encoding (streamed and whole), and keeps an error status', async () => {
        runtime = runtimeFor(k.row('b', emu));
        for (const stream of [true, false]) {
          emu.reset();
          emu.enqueue({ headers: { 'content-encoding': 'gzip' } });
          const { error, events } = await drain(backendOf(runtime, 'b').stream(call(stream), { model: 'm', candidateKey: 'b:m', ...(stream ? {} : { whole: true }) }));
          expect(events, `${stream}`).to.deep.equal([]);
          expect(error, `${stream}`).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED', status: 502, retryable: true });
          expect(error!.message).to.contain('content-encoding "gzip" although lip asks for identity');
          expect(emu.requests.at(-1)!.headers['accept-encoding']).to.equal('identity');
          // The emulator's error body is not gzipped at all: it does not decode, the status stays.
          emu.enqueue({ status: 500, headers: { 'content-encoding': 'gzip' } });
          const failed = await drain(backendOf(runtime, 'b').stream(call(stream), { model: 'm', candidateKey: 'b:m', ...(stream ? {} : { whole: true }) }));
          expect(failed.error!.detail, `${stream}`).to.include({ upstream_status: 500 });
          expect(failed.error!.retryable).to.equal(true);
        }
        emu.reset();
        emu.enqueue({ headers: { 'content-encoding': 'identity' } });
        const plain = await drain(backendOf(runtime, 'b').stream(call(true), { model: 'm', candidateKey: 'b:m' }));
        expect(plain.error).to.equal(undefined);
      });

      for (const status of [301, 302, 304, 307]) {
        it(`${status}, streamed and whole: 502, retryable, the upstream status in the detail`, async () => {
          runtime = runtimeFor(k.row('b', emu));
          for (const stream of [true, false]) {
            emu.enqueue({ status, headers: { location: 'https://elsewhere.example/v1' } });
            const { error, events } = await drain(backendOf(runtime, 'b').stream(call(stream), { model: 'm', candidateKey: 'b:m', ...(stream ? {} : { whole: true }) }));
            expect(events).to.deep.equal([]);
            expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 502, retryable: true });
            expect(error!.detail).to.include({ upstream_status: status });
            expect(error!.message).to.contain(`upstream status ${status} (lip does not follow redirects)`);
          }
        });
      }
    });
  }

  it('a client of lip gets 502 in its envelope, and a failover arm serves', async () => {
    const k = KINDS[0]!;
    const emu = await k.start();
    const lip = await startLip(testConfig(`${k.row('up', emu)}\n  - { id: stub, kind: localstub }`));
    try {
      const post = (model: string) => fetch(`${lip.url}/v1/chat/completions`, {
        method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
      emu.enqueue({ status: 301, headers: { location: 'https://elsewhere.example/v1' } });
      const alone = await post('up:m');
      expect(alone.status).to.equal(502);
      expect(alone.headers.get('location')).to.equal(null);
      expect(((await alone.json()) as { error: { message: string } }).error.message).to.contain('upstream status 301');
      emu.enqueue({ status: 302, headers: { location: 'https://elsewhere.example/v1' } });
      const failover = await post('up:m|stub:m');
      expect(failover.status).to.equal(200);
      expect(failover.headers.get('x-lip-backend')).to.equal('stub:m');
    } finally {
      await lip.close();
      await emu.close();
    }
  });
});
