import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type RecordedRequest, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

/**
 * Found by probing: upstream error messages reached clients with secrets that do not look like
 * API keys (`password=`, Slack, GitHub, AWS tokens). They now pass the shared credential
 * scrubber, on a status error and on an error inside the stream alike.
 */
describe('regression: upstream error text leaking credentials', () => {
  let upstream: Emulator;
  let lip: RunningLip;
  const LEAK = 'db error: password=hunter2hunter2 slack=xoxb-1234567890-abcdefghij gh=ghp_abcdefghijklmnopqrstuvwxyz0123456789 aws=AKIAIOSFODNN7EXAMPLE';
  const byModel: Record<string, Script> = {
    status: { status: 400, error: { message: LEAK } },
    inband: { streamError: { message: LEAK } },
  };
  before(async () => {
    upstream = await startOpenAIChatEmulator();
    upstream.handler = (req: RecordedRequest) => byModel[req.model ?? ''] ?? { text: 'x' };
    lip = await startLip(testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "k" }`, 'routing: { default_route: "up:status" }'));
  });
  after(async () => {
    await lip.close();
    await upstream.close();
  });

  for (const model of ['status', 'inband']) {
    for (const stream of [false, true]) {
      it(`${model}, ${stream ? 'streamed' : 'not streamed'}: the client sees the message with every credential masked`, async () => {
        const res = await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: `up:${model}`, stream, messages: [{ role: 'user', content: 'x' }] }) });
        expect(res.body).to.contain('db error: password=***');
        for (const secret of ['hunter2hunter2', 'xoxb-1234567890', 'ghp_abcdef', 'AKIAIOSFODNN7EXAMPLE']) expect(res.body).not.to.contain(secret);
      });
    }
  }
});
