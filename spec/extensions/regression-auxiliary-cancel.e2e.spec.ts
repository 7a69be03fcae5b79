import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { chatUpstreamConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * Found by probing the extension plugins: a client that went away while a plugin's auxiliary
 * call (the pre-request-policy judge, the ref-verifier-stub verifier) was running left that call
 * open upstream until its own deadline (60 s by default; 120 s here). Cancelling a request now
 * cancels the auxiliary calls its hooks made, and the upstream sees the close.
 */
describe('regression: auxiliary calls end with the request that made them', function () {
  this.timeout(60_000);
  let upstream: Emulator;
  let judged: RunningLip;
  let verified: RunningLip;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-aux-cancel-'));
    writeFileSync(join(dir, 'judge.md'), 'Answer ALLOW or DENY.');
    upstream = await startOpenAIChatEmulator();
    // The judge and the verifier never answer; the main model does.
    upstream.handler = (req) => (req.model === 'judge' || req.model === 'verify' ? { text: 'ALLOW', fault: { stall: 'before_headers' } } : { text: 'main answer' });
    judged = await startLip(chatUpstreamConfig(upstream.url, [
      'features:',
      '  - id: pre-request-policy',
      '    config:',
      `      prompt_dir: ${JSON.stringify(dir)}`,
      '      handlers:',
      '        - { id: j, prompt_filename: judge.md, model_routing_string: "up:judge", policy: allow_on_pattern, allow_pattern: "ALLOW", timeout: 120s }',
      'http_client: { headers_timeout: 120s }',
    ]));
    verified = await startLip(chatUpstreamConfig(upstream.url, ['features:', '  - { id: ref-verifier-stub, config: { model_routing_string: "up:verify", timeout: 120s } }', 'http_client: { headers_timeout: 120s }']));
  });
  after(async () => {
    await judged?.close();
    await verified?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => upstream.reset());

  for (const [what, lip, model] of [['the judge of a request stage', () => judged, 'judge'], ['the verifier of a completion gate', () => verified, 'verify']] as const) {
    for (const stream of [false, true]) {
      it(`${what} (${stream ? 'streamed' : 'not streamed'}): the upstream sees the auxiliary call close when the client goes away`, async () => {
        const client = new OpenAI({ baseURL: `${lip().url}/v1`, apiKey: 'x', maxRetries: 0 });
        const aborted = new AbortController();
        const sent = (async () => {
          const r = await client.chat.completions.create({ model: 'up:chat', stream, messages: [{ role: 'user', content: 'hello' }] }, { signal: aborted.signal });
          if (stream) for await (const _ of r as AsyncIterable<unknown>) { /* drain */ }
        })().catch((e: unknown) => e);
        // The auxiliary call is open upstream.
        for (let i = 0; i < 400 && !upstream.requests.some((r) => r.model === model); i++) await new Promise((r) => setTimeout(r, 10));
        expect(upstream.requests.map((r) => r.model)).to.include(model);
        const closed = upstream.nextClose();
        aborted.abort();
        await sent;
        // Far sooner than any deadline (120 s): the close follows the client's.
        const soon = await Promise.race([closed.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 20_000))]);
        expect(soon, 'the auxiliary call was left open upstream').to.equal(true);
        for (let i = 0; i < 400 && upstream.openResponses > 0; i++) await new Promise((r) => setTimeout(r, 10));
        expect(upstream.openResponses).to.equal(0);
      });
    }
  }
});
