import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startGeminiEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

type Json = Record<string, any>;

/**
 * `reasoning_effort: "xhigh"` (or `"max"`) to a gemini row sent `thinkingBudget: 32768` whatever
 * the model, and Gemini 2.5 Flash and Flash-Lite take at most 24576: a 400 "The thinking budget
 * (32768) is invalid.". `none` sent 0, which a Gemini 2.5 Pro refuses ("only works in thinking
 * mode"). An effort's budget is now kept within the model's range: Flash and Flash-Lite 24576 at
 * most, Pro 128 to 32768 (`none` is its least, 128, with no thoughts asked for).
 */
describe('e2e regression: an effort\'s thinking budget stays within the Gemini model\'s range', function () {
  this.timeout(30_000);
  let gemini: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  before(async () => {
    gemini = await startGeminiEmulator();
    lip = await startLip(testConfig(`  - { id: gem, kind: gemini, base_url: "${gemini.url}", api_key: k-0123456789 }`));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await gemini?.close();
  });
  beforeEach(() => gemini.reset());

  const cases: [model: string, effort: string, thinking: Json][] = [
    ['gemini-2.5-flash', 'xhigh', { thinkingBudget: 24576, includeThoughts: true }],
    ['gemini-2.5-flash', 'max', { thinkingBudget: 24576, includeThoughts: true }],
    ['gemini-2.5-flash', 'none', { thinkingBudget: 0 }],
    ['gemini-2.5-flash-lite', 'xhigh', { thinkingBudget: 24576, includeThoughts: true }],
    ['gemini-2.5-flash-lite', 'minimal', { thinkingBudget: 512, includeThoughts: true }],
    ['gemini-2.5-flash-lite', 'none', { thinkingBudget: 0 }],
    ['gemini-flash-latest', 'max', { thinkingBudget: 24576, includeThoughts: true }],
    ['gemini-2.5-pro', 'xhigh', { thinkingBudget: 32768, includeThoughts: true }],
    ['gemini-2.5-pro', 'high', { thinkingBudget: 24576, includeThoughts: true }],
    ['gemini-2.5-pro', 'none', { thinkingBudget: 128 }],
  ];
  for (const [model, effort, thinking] of cases) {
    it(`${model}, reasoning_effort ${effort}: ${JSON.stringify(thinking)}`, async () => {
      gemini.enqueue({ text: 'ok' });
      const answer = await openai.chat.completions.create({
        model: `gem:${model}`, messages: [{ role: 'user', content: 'hi' }], reasoning_effort: effort as OpenAI.ReasoningEffort,
      });
      expect(answer.choices[0]!.message.content).to.equal('ok');
      expect(gemini.requests).to.have.length(1);
      expect((gemini.requests[0]!.body as Json).generationConfig.thinkingConfig).to.deep.equal(thinking);
    });
  }

  it('the emulator refuses what Gemini refuses, so the cases above would fail uncapped', async () => {
    for (const [model, budget, message] of [
      ['gemini-2.5-flash', 32768, 'The thinking budget (32768) is invalid.'],
      ['gemini-2.5-flash-lite', 100, 'The thinking budget (100) is invalid.'],
      ['gemini-2.5-pro', 0, 'Budget 0 is invalid. This model only works in thinking mode.'],
      ['gemini-2.5-pro', 40000, 'The thinking budget (40000) is invalid.'],
    ] as const) {
      gemini.reset();
      gemini.enqueue({ text: 'ok' });
      const res = await fetch(`${gemini.origin}/v1beta/models/${model}:generateContent`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k-0123456789' },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { thinkingConfig: { thinkingBudget: budget } } }),
      });
      expect([res.status, await res.json()]).to.deep.equal([400, { error: { code: 400, message, status: 'INVALID_ARGUMENT' } }]);
    }
  });
});
