import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { bedrockProtocol, startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const OPUS = 'anthropic.claude-opus-4-1-20250805-v1:0';
const SNAPSHOT = fileURLToPath(new URL('../../testdata/model-catalog/models-dev.json', import.meta.url));

/**
 * Bedrock raised a client's output limit by the whole thinking budget: a Chat client's
 * `{max_tokens: 1000, reasoning_effort: "high"}` went out as `maxTokens: 17384`, and a limit the
 * model catalog had clamped to the model's 32000 went out as 64768, which the model refuses. The
 * anthropic backend keeps a limit the call set and lowers the budget under it (or leaves thinking
 * out when less than the smallest budget would remain); Bedrock now does the same, and the
 * emulator refuses a budget at or over `maxTokens` or under 1024 as Claude does.
 */
describe('e2e regression: Bedrock keeps the output limit the call set beside a thinking budget', function () {
  this.timeout(20_000);
  let bedrock: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  before(async () => {
    bedrock = await startBedrockEmulator();
    lip = await startLip(testConfig(
      bedrockRow('br', bedrock),
      ['model_catalog:', '  enabled: true', `  path: "${SNAPSHOT}"`, '  adapt: { max_output_tokens: true }', '  overrides:', `    - { backend: br, model: ${OPUS}, output: 32000 }`].join('\n'),
    ));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await bedrock?.close();
  });
  beforeEach(() => bedrock.reset());

  const thinking = (budget_tokens: number, maxTokens: number) => bedrockProtocol.refuse!({
    model: OPUS, body: { messages: [{ role: 'user', content: [{ text: 'q' }] }], inferenceConfig: { maxTokens }, additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens } } },
  } as never);

  it('the emulator refuses a Claude budget at or over maxTokens, or under 1024, as the model does', () => {
    expect(thinking(16384, 16384)?.error.message).to.equal('The model returned the following errors: `max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size');
    expect(thinking(999, 1000)?.error.message).to.equal('The model returned the following errors: thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
    expect(thinking(16384, 16385)).to.equal(undefined);
  });

  it('a limit under the smallest budget stays, without thinking; one over the budget stays, with it', async () => {
    bedrock.enqueue({ text: 'short' }, { text: 'long' });
    await openai.chat.completions.create({ model: `br:${OPUS}`, messages: [{ role: 'user', content: 'q' }], max_tokens: 1000, reasoning_effort: 'high' });
    await openai.chat.completions.create({ model: `br:${OPUS}`, messages: [{ role: 'user', content: 'q' }], max_tokens: 3000, reasoning_effort: 'high' });
    const [short, long] = bedrock.requests.map((r) => r.body);
    expect([short.inferenceConfig, short.additionalModelRequestFields]).to.deep.equal([{ maxTokens: 1000 }, undefined]);
    expect([long.inferenceConfig, long.additionalModelRequestFields]).to.deep.equal([{ maxTokens: 3000 }, { thinking: { type: 'enabled', budget_tokens: 2999 } }]);
  });

  it('a limit the catalog clamped to the model\'s output stays clamped; the budget goes under it', async () => {
    bedrock.enqueue({ text: 'ok' });
    await openai.chat.completions.create({ model: `br:${OPUS}`, messages: [{ role: 'user', content: 'q' }], max_tokens: 100_000, reasoning_effort: 'xhigh' });
    const sent = bedrock.requests[0]!.body;
    expect([sent.inferenceConfig, sent.additionalModelRequestFields]).to.deep.equal([{ maxTokens: 32000 }, { thinking: { type: 'enabled', budget_tokens: 31999 } }]);
  });
});
