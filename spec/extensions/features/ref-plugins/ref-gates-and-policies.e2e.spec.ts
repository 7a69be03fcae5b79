import { expect } from 'chai';
import { CLIENT_DRIVERS } from '../../../helpers/clients/index.js';
import { chatUpstreamConfig } from '../../../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type RecordedRequest, type Script } from '../../../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../../../helpers/lip.js';

const asked = (req: RecordedRequest) => JSON.stringify(req.body.messages);
const TOOLS = [
  { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
  { name: 'ref_blocked_delete_all', parameters: { type: 'object', properties: {} } },
];

function answer(req: RecordedRequest): Script {
  if (req.model === 'verify') return asked(req).includes('unverifiable') ? { status: 500, error: { message: 'verifier down' } } : { text: 'fine' };
  const q = asked(req);
  if (q.includes('use the blocked tool')) return { toolCalls: [{ id: 'call_1', name: 'ref_blocked_delete_all', args: '{}' }] };
  if (q.includes('weather')) return { toolCalls: [{ id: 'call_1', name: 'get_weather', args: '{"city":"Oslo"}' }] };
  if (q.includes('hard one')) return { text: 'an unverifiable claim' };
  return { text: 'an ordinary answer' };
}

/**
 * ref-tool-policy and ref-verifier-stub on the wire, through the official SDKs: blocked tools
 * never reach the upstream and a blocked tool call is denied (403); the verifier replaces a
 * completion it verified, and the original passes when the verifier fails.
 */
describe('e2e: ref-tool-policy and ref-verifier-stub through the official SDKs', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let policy: RunningLip;
  let verifier: RunningLip;
  before(async () => {
    upstream = await startOpenAIChatEmulator();
    upstream.handler = answer;
    policy = await startLip(chatUpstreamConfig(upstream.url, ['features:', '  - { id: ref-tool-policy }']));
    verifier = await startLip(chatUpstreamConfig(upstream.url, ['features:', '  - { id: ref-verifier-stub, config: { model_routing_string: "up:verify" } }']));
  });
  after(async () => {
    await policy?.close();
    await verifier?.close();
    await upstream?.close();
  });
  beforeEach(() => upstream.reset());

  for (const [frontend, driver] of Object.entries(CLIENT_DRIVERS)) {
    describe(frontend, () => {
      it('ref-tool-policy: the blocked tool is filtered out upstream; allowed calls pass; a blocked call is a 403', async () => {
        const ok = await driver.run(policy.url, { model: 'up:chat', stream: true, messages: [{ role: 'user', text: 'weather in Oslo' }], tools: TOOLS });
        expect(ok.error).to.equal(undefined);
        expect(ok.toolCalls.map((t) => t.name)).to.deep.equal(['get_weather']);
        expect(upstream.requests[0]!.body.tools.map((t: { function: { name: string } }) => t.function.name)).to.deep.equal(['get_weather']);
        const denied = await driver.run(policy.url, { model: 'up:chat', stream: true, messages: [{ role: 'user', text: 'use the blocked tool' }], tools: TOOLS });
        expect(denied.error?.status).to.equal(403);
        expect(denied.toolCalls).to.deep.equal([]);
      });

      for (const stream of [true, false]) {
        it(`ref-verifier-stub (${stream ? 'streamed' : 'not streamed'}): a verified completion is replaced; a failed verification passes the original`, async () => {
          const replaced = await driver.run(verifier.url, { model: 'up:chat', stream, messages: [{ role: 'user', text: 'an easy one' }] });
          expect(replaced.error).to.equal(undefined);
          expect(replaced.text).to.equal('verifier-ok');
          expect(upstream.requests.map((r) => r.model)).to.deep.equal(['chat', 'verify']);
          expect(asked(upstream.requests[1]!)).to.contain('an ordinary answer');
          const original = await driver.run(verifier.url, { model: 'up:chat', stream, messages: [{ role: 'user', text: 'a hard one' }] });
          expect(original.error).to.equal(undefined);
          expect(original.text).to.equal('an unverifiable claim');
        });
      }
    });
  }
});
