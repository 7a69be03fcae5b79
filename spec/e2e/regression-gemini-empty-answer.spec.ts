import { expect } from 'chai';
import { subscribe as listen, unsubscribe as unlisten } from 'node:diagnostics_channel';
import type { AttemptReport } from '../../lib/core/attempt.js';
import type { Script } from '../helpers/emulators/index.js';
import { useUpstreams } from '../helpers/upstreams.js';

/**
 * Gemini's empty answers: the usage alone, no candidate and no blocked prompt (as Gemini 2.5 Pro
 * answers now and then), or a candidate with nothing to show and no finishReason (a signature
 * alone).
 */
const EMPTY: Record<string, Script> = {
  'gemini-empty-usage': { unfinished: true, usage: { input: 3000, output: 0 } },
  'gemini-empty-signature': { unfinished: true, reasoning: { signature: 'sig-1' }, usage: { input: 3000, output: 0 } },
};

/**
 * Regression: Gemini's empty answer failed over when streamed (LIP_ERR_UPSTREAM_EMPTY_STREAM,
 * retryable) but was a non-retryable LIP_ERR_UPSTREAM_MALFORMED, with its usage dropped, when
 * whole (a non-streaming client's `:generateContent`): the client got a 502 where the route's
 * next candidate would have answered. The same answer now fails over either way, its usage
 * reported with the failed attempt.
 */
describe('e2e regression: Gemini\'s empty answer fails over, whole or streamed, its usage kept', function () {
  this.timeout(20_000);
  const up = useUpstreams({ ge: { kind: 'gemini' } });
  const attempts: AttemptReport[] = [];
  const onAttempt = (m: unknown) => { if ((m as AttemptReport).phase === 'end') attempts.push(m as AttemptReport); };
  before(() => {
    up.emulators.ge!.handler = (req) => EMPTY[req.model ?? ''] ?? up.emulators.ge!.defaultScript;
    listen('lip:attempt', onAttempt);
  });
  after(() => unlisten('lip:attempt', onAttempt));
  beforeEach(() => { attempts.length = 0; });

  for (const model of Object.keys(EMPTY)) {
    for (const stream of [false, true]) {
      it(`${model}, ${stream ? 'streamed' : 'whole'}: the next candidate answers`, async () => {
        const route = `ge:${model}|ge:gemini-2.5-flash`;
        let text = '';
        if (stream) {
          for await (const chunk of await up.openai().chat.completions.create({ model: route, stream: true, messages: [{ role: 'user', content: 'hi' }] })) text += chunk.choices[0]?.delta.content ?? '';
        } else {
          text = (await up.openai().chat.completions.create({ model: route, messages: [{ role: 'user', content: 'hi' }] })).choices[0]!.message.content ?? '';
        }
        expect(text).to.equal('Hello from the emulator.');
        expect(up.emulators.ge!.requests.map((r) => r.path)).to.deep.equal([
          `/v1beta/models/${model}:${stream ? 'streamGenerateContent' : 'generateContent'}`,
          `/v1beta/models/gemini-2.5-flash:${stream ? 'streamGenerateContent' : 'generateContent'}`,
        ]);
        const failed = attempts.find((a) => a.candidateKey === `ge:${model}`);
        expect(failed).to.include({ outcome: 'failure', errorCode: 'LIP_ERR_UPSTREAM_EMPTY_STREAM' });
        expect(failed!.usage).to.include({ inputTokens: 3000 });
      });
    }
  }

  // Streamed, such an answer's text went out before the stream ended (LIP_ERR_UPSTREAM_RESET after
  // output); whole, nothing has reached the client yet, and the route moves on.
  it('a whole answer with text and no finishReason: LIP_ERR_UPSTREAM_RESET before any output, the next candidate answers', async () => {
    up.emulators.ge!.handler = (req) => (req.model === 'gemini-cut' ? { unfinished: true, text: 'partial', usage: { input: 7, output: 2 } } : up.emulators.ge!.defaultScript);
    try {
      const answer = await up.openai().chat.completions.create({ model: 'ge:gemini-cut|ge:gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] });
      expect(answer.choices[0]!.message.content).to.equal('Hello from the emulator.');
      const failed = attempts.find((a) => a.candidateKey === 'ge:gemini-cut');
      expect(failed).to.include({ outcome: 'failure', errorCode: 'LIP_ERR_UPSTREAM_RESET' });
      expect(failed!.usage).to.include({ inputTokens: 7, outputTokens: 2 });
    } finally {
      up.emulators.ge!.handler = (req) => EMPTY[req.model ?? ''] ?? up.emulators.ge!.defaultScript;
    }
  });
});
