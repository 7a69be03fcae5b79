import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * `X-LIP-Route: oc:m?parallel_tool_calls=__proto__` was accepted and the upstream received
 * `"parallel_tool_calls": {}` (the selector's tables were plain objects); `[__proto__=1]` and
 * `{constructor=1}` were refused with `[object Object]` or the source of `Object` as the hint.
 * Each is now the selector's ordinary 400 at parse, before any upstream request.
 */
describe('e2e regression: a route selector naming Object.prototype properties is a 400 at parse', function () {
  this.timeout(30_000);
  let chat: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  before(async () => {
    chat = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await chat?.close();
  });

  for (const [route, says] of [
    ['oc:m?parallel_tool_calls=__proto__', 'parallel_tool_calls must be true or false (also 1/0, yes/no, on/off), got "__proto__"'],
    ['oc:m?parallel_tool_calls=constructor', 'parallel_tool_calls must be true or false (also 1/0, yes/no, on/off), got "constructor"'],
    ['[__proto__=1]oc:m', 'unknown annotation "__proto__"'],
    ['{constructor=1}oc:m', 'unknown global option "constructor"'],
  ] as const) {
    it(route, async () => {
      const err = await openai.chat.completions.create({ model: 'ignored', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-lip-route': route } }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).to.equal('LIP_ERR_ROUTE_INVALID_SELECTOR');
      expect((err as Error).message).to.contain(says).and.not.contain('[object Object]').and.not.contain('native code');
      expect(chat.requests).to.have.length(0);
    });
  }
});
