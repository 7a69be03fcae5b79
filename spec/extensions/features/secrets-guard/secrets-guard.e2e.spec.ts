import { expect } from 'chai';
import { CLIENT_DRIVERS } from '../../../helpers/clients/index.js';
import { chatUpstreamConfig } from '../../../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../../../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../../../helpers/lip.js';
import { SAMPLES } from './secrets-guard.spec.js';

const KEY = SAMPLES.openai_api_key!;

/**
 * secrets-guard through the official SDKs: `redact` (the upstream never sees the key, the
 * client gets its answer) and `block` (a 400 in the client's protocol, the upstream is never
 * called), and no log line carries the key.
 */
describe('e2e: secrets-guard through the official SDKs', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  const lips: Record<string, RunningLip> = {};
  before(async () => {
    upstream = await startOpenAIChatEmulator();
    upstream.handler = () => ({ text: 'done' });
    for (const mode of ['redact', 'block']) {
      lips[mode] = await startLip(chatUpstreamConfig(upstream.url, [
        'features:',
        `  - { id: secrets-guard, config: { mode: ${mode} } }`,
      ]));
    }
  });
  after(async () => {
    for (const lip of Object.values(lips)) await lip.close();
    await upstream?.close();
  });
  beforeEach(() => upstream.reset());

  for (const [frontend, driver] of Object.entries(CLIENT_DRIVERS)) {
    describe(frontend, () => {
      const send = (mode: string, stream: boolean) => driver.run(lips[mode]!.url, { model: 'up:chat', stream, system: 'be brief', messages: [{ role: 'user', text: `my key is ${KEY}, fix my script` }] });

      it('redact: the upstream receives the request with the key replaced', async () => {
        const r = await send('redact', true);
        expect(r.error).to.equal(undefined);
        expect(r.text).to.equal('done');
        const body = JSON.stringify(upstream.requests[0]!.body);
        expect(body).to.not.contain(KEY);
        expect(body).to.contain('my key is [REDACTED:openai_api_key], fix my script');
        // The feature's warning reaches the log (so the check below has something to look at), without the key.
        expect(lips.redact!.logs.some((l) => String(l.message).startsWith('secrets-guard: credential-shaped text'))).to.equal(true);
        expect(JSON.stringify(lips.redact!.logs)).to.not.contain(KEY);
      });

      it('block: a 400 in the protocol\'s envelope, streamed or not, and no upstream request', async () => {
        for (const stream of [true, false]) {
          const r = await send('block', stream);
          expect(r.error?.status).to.equal(400);
          expect(r.error?.message).to.contain('credential-shaped string');
          expect(r.error?.message).to.not.contain(KEY);
        }
        expect(upstream.requests).to.have.length(0);
        expect(JSON.stringify(lips.block!.logs)).to.not.contain(KEY);
      });
    });
  }
});
