import { expect } from 'chai';
import { CLIENT_DRIVERS, type ClientRequest } from '../../../helpers/clients/index.js';
import { chatUpstreamConfig } from '../../../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../../../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../../../helpers/lip.js';

/**
 * The three no-op plugins on the wire: through each official SDK, streamed and not, a lip
 * with every bus occupied by a no-op answers exactly what a lip without them answers, and the
 * upstream receives the same request body.
 */
describe('e2e: submit-noop, parts-noop, tool-reactor-noop through the official SDKs', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let plain: RunningLip;
  let noops: RunningLip;
  before(async () => {
    upstream = await startOpenAIChatEmulator();
    upstream.handler = () => ({ text: ['one ', 'two'], toolCalls: [{ id: 'call_1', name: 'get_weather', args: ['{"city":', '"Paris"}'] }] });
    plain = await startLip(chatUpstreamConfig(upstream.url));
    noops = await startLip(chatUpstreamConfig(upstream.url, ['features:', '  - { id: submit-noop }', '  - { id: parts-noop }', '  - { id: tool-reactor-noop }']));
  });
  after(async () => {
    await plain?.close();
    await noops?.close();
    await upstream?.close();
  });

  const request = (stream: boolean): ClientRequest => ({
    model: 'up:chat', stream, messages: [{ role: 'user', text: 'weather?' }],
    tools: [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
  });
  const strip = (r: Awaited<ReturnType<(typeof CLIENT_DRIVERS)[string]['run']>>) => ({ text: r.text, toolCalls: r.toolCalls, finishReason: r.finishReason, error: r.error });

  for (const [frontend, driver] of Object.entries(CLIENT_DRIVERS)) {
    for (const stream of [true, false]) {
      it(`${frontend}, ${stream ? 'streamed' : 'not streamed'}: the same answer and the same upstream request`, async () => {
        upstream.reset();
        const a = await driver.run(plain.url, request(stream));
        const b = await driver.run(noops.url, request(stream));
        expect(a.error).to.equal(undefined);
        expect(a.text).to.equal('one two');
        expect(strip(b)).to.deep.equal(strip(a));
        const [first, second] = upstream.requests;
        expect(second!.body).to.deep.equal(first!.body);
      });
    }
  }
});
