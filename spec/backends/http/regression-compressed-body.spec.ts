import { expect } from 'chai';
import { emptyCall } from '../../../lib/canonical/index.js';
import type { Runtime } from '../../../lib/core/runtime.js';
import { backendOf, drain, runtimeFor, type Emulator } from '../../helpers/emulators/index.js';
import { KINDS } from '../kinds.js';

/**
 * Found by probing hostile upstream replies: lip sent no Accept-Encoding (which RFC 9110 reads as
 * "any encoding") and undici's request API decodes nothing, so a gzipped stream was read as text
 * and reported as an empty stream, a gzipped error body quoted as garbage. lip now asks for
 * `identity`, and a body compressed anyway fails the attempt as LIP_ERR_UPSTREAM_MALFORMED naming
 * the encoding, retryable (nothing was read), before any byte of it is parsed.
 */
describe('regression: compressed upstream bodies', function () {
  this.timeout(30_000);
  const call = (stream: boolean) => emptyCall({ model: 'm', stream, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });

  for (const k of KINDS) {
    describe(k.kind, () => {
      let emu: Emulator;
      let runtime: Runtime | undefined;
      before(async () => { emu = await k.start(); });
      afterEach(async () => { await runtime?.close(); runtime = undefined; emu.reset(); });
      after(() => emu.close());

      it('asks for identity, and refuses a gzipped answer or error body by its encoding (streamed and whole)', async () => {
        runtime = runtimeFor(k.row('b', emu));
        for (const stream of [true, false]) {
          for (const status of [200, 500]) {
            emu.reset();
            emu.enqueue({ status, headers: { 'content-encoding': 'gzip' } });
            const { error, events } = await drain(backendOf(runtime, 'b').stream(call(stream), { model: 'm', candidateKey: 'b:m', ...(stream ? {} : { whole: true }) }));
            expect(events, `${stream} ${status}`).to.deep.equal([]);
            expect(error, `${stream} ${status}`).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED', status: 502, retryable: true });
            expect(error!.message).to.contain('content-encoding "gzip" although lip asks for identity');
            expect(emu.requests.at(-1)!.headers['accept-encoding']).to.equal('identity');
          }
        }
        emu.reset();
        emu.enqueue({ headers: { 'content-encoding': 'identity' } });
        const plain = await drain(backendOf(runtime, 'b').stream(call(true), { model: 'm', candidateKey: 'b:m' }));
        expect(plain.error).to.equal(undefined);
      });
    });
  }
});
