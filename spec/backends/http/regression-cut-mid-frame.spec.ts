import { expect } from 'chai';
import { emptyCall } from '../../../lib/canonical/index.js';
import type { Runtime } from '../../../lib/core/runtime.js';
import { backendOf, drain, runtimeFor, type Emulator } from '../../helpers/emulators/index.js';
import { KINDS } from '../kinds.js';

/**
 * Found by probing raw upstream wire formats: a stream whose body ended cleanly in the middle of a
 * frame (a connection-close-delimited body, or a chunked one with its proper final chunk) failed
 * as LIP_ERR_UPSTREAM_MALFORMED "a data frame is not JSON": the SSE parser's tolerant flush handed
 * the unfinished last line to the decoder as a complete message. Before any output that was a
 * non-retryable 502 (no failover); after output the client was told of a malformed stream, not a
 * cut one. The unfinished message is now discarded (as WHATWG discards it) and the stream judged
 * as ended before it: LIP_ERR_UPSTREAM_EMPTY_STREAM before output, LIP_ERR_UPSTREAM_RESET after.
 */
describe('regression: an upstream stream that ends cleanly in the middle of a frame', function () {
  this.timeout(30_000);
  const call = () => emptyCall({ model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });

  for (const k of KINDS) {
    describe(k.kind, () => {
      let emu: Emulator;
      let runtime: Runtime;
      before(async () => {
        emu = await k.start();
        runtime = runtimeFor(k.row('b', emu));
      });
      afterEach(() => emu.reset());
      after(async () => {
        await runtime.close();
        await emu.close();
      });
      const run = () => drain(backendOf(runtime, 'b').stream(call(), { model: 'm', candidateKey: 'b:m' }));

      it('cut in the first output frame: LIP_ERR_UPSTREAM_EMPTY_STREAM, retryable', async () => {
        emu.enqueue({ text: ['one', 'two', 'three'], fault: { endMidFrame: 'first_output' } });
        const { events, error, violations } = await run();
        expect(violations).to.deep.equal([]);
        expect(events.filter((e) => e.type === 'text_delta')).to.deep.equal([]);
        expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_EMPTY_STREAM', retryable: true });
      });

      it('cut in the frame after output: LIP_ERR_UPSTREAM_RESET, after the output that arrived', async () => {
        emu.enqueue({ text: ['one', 'two', 'three'], fault: { endMidFrame: 'after_output' } });
        const { events, error, violations } = await run();
        expect(violations).to.deep.equal([]);
        expect(events.filter((e) => e.type === 'text_delta')).to.deep.equal([{ type: 'text_delta', text: 'one' }]);
        expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_RESET' });
      });
    });
  }
});
