import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startAnthropicEmulator, startBedrockEmulator, startGeminiEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * A conversation of nothing but empty text (or, but for Gemini, whitespace) is refused by the
 * Anthropic, Bedrock and Gemini backends before sending (their APIs refuse such text, which lip
 * leaves out, and then nothing is left), and that refusal was not retryable, where the other refusals a backend makes before
 * sending (more stop sequences than Gemini takes, another provider's file) are: a route stopped
 * at it instead of moving on to a candidate that takes the request. It is retryable now; alone,
 * it is still the 400.
 */
describe('e2e regression: a route moves on from a backend with nothing to send', function () {
  this.timeout(20_000);
  const emulators: Emulator[] = [];
  let lip: RunningLip;
  let openai: OpenAI;
  before(async () => {
    const [an, ge, br] = await Promise.all([startAnthropicEmulator(), startGeminiEmulator(), startBedrockEmulator()]);
    emulators.push(an!, ge!, br!);
    lip = await startLip(testConfig([
      `  - { id: an, kind: anthropic, base_url: "${an!.url}", api_key: k-0123456789 }`,
      `  - { id: ge, kind: gemini, base_url: "${ge!.url}", api_key: k-0123456789 }`,
      bedrockRow('br', br!),
      '  - { id: st, kind: localstub, text: "from the stub" }',
    ].join('\n')));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    for (const emu of emulators) await emu.close();
  });
  beforeEach(() => { for (const emu of emulators) emu.reset(); });

  const blank = (model: string) => openai.chat.completions.create({ model, messages: [{ role: 'user', content: '' }] });

  for (const [i, model] of [[0, 'an:claude-sonnet-4-6'], [1, 'ge:gemini-2.5-flash'], [2, 'br:anthropic.claude-sonnet-4-20250514-v1:0']] as const) {
    it(`${model.split(':')[0]}: the next candidate answers`, async () => {
      const answer = await blank(`${model}|st:stub`);
      expect(answer.choices[0]!.message.content).to.equal('from the stub');
      expect(emulators[i]!.requests).to.have.length(0);
    });

    it(`${model.split(':')[0]}: alone, a 400 that names it`, async () => {
      const error = await blank(model).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(OpenAI.BadRequestError);
      expect((error as Error).message).to.match(/nothing to send/);
      expect(emulators[i]!.requests).to.have.length(0);
    });
  }
});
