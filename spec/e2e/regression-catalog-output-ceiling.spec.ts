import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { GoogleGenAI } from '@google/genai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { anthropicProtocol, startAnthropicEmulator, startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const SNAPSHOT = fileURLToPath(new URL('../../testdata/model-catalog/models-dev.json', import.meta.url));
const OPUS = 'claude-opus-4-1';
const BEDROCK_OPUS = 'anthropic.claude-opus-4-1-20250805-v1:0';
const HAIKU = 'claude-3-haiku-20240307';

/**
 * With `model_catalog.adapt.max_output_tokens` on, the catalog clamped only a limit the client
 * set: the output limit lip picks itself (the anthropic row's `default_max_tokens`, and either
 * Anthropic encoder's limit raised above a thinking budget) ignored the model's known output
 * limit. A Responses client's effort `xhigh` to claude-opus-4-1 (output 32000) went out with
 * `max_tokens: 40960`, which the model refuses. The model's output limit now reaches the backend as
 * a ceiling (not as a client limit): the limit lip picks stays at or under it, the budget under that.
 */
describe('e2e regression: the limit lip picks itself stays within the model\'s known output limit', function () {
  this.timeout(20_000);
  let anthropic: Emulator;
  let bedrock: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  const start = async (adapt: boolean) => {
    await lip?.close();
    lip = await startLip(testConfig(
      [
        `  - { id: an, kind: anthropic, base_url: "${anthropic.url}", api_key: k-0123456789 }`,
        bedrockRow('br', bedrock),
      ].join('\n'),
      [
        'model_catalog:', '  enabled: true', `  path: "${SNAPSHOT}"`, `  adapt: { max_output_tokens: ${adapt} }`, '  overrides:',
        `    - { backend: an, model: ${OPUS}, output: 32000 }`, `    - { backend: an, model: ${HAIKU}, output: 4096 }`, `    - { backend: br, model: ${BEDROCK_OPUS}, output: 32000 }`,
      ].join('\n'),
    ));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  };
  before(async () => {
    anthropic = await startAnthropicEmulator();
    bedrock = await startBedrockEmulator();
    await start(true);
  });
  after(async () => {
    await lip?.close();
    await anthropic?.close();
    await bedrock?.close();
  });
  beforeEach(() => {
    anthropic.reset();
    bedrock.reset();
  });

  it('the anthropic emulator refuses a budget at or over max_tokens, or under 1024, as the API does', () => {
    const refuse = (budget_tokens: number, max_tokens: number) => anthropicProtocol.refuse!({ body: { model: OPUS, max_tokens, messages: [{ role: 'user', content: 'q' }], thinking: { type: 'enabled', budget_tokens } } } as never);
    expect(refuse(32768, 32000)?.error.message).to.match(/^`max_tokens` must be greater than `thinking.budget_tokens`/);
    expect(refuse(1000, 32000)?.error.message).to.equal('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
    expect(refuse(31999, 32000)).to.equal(undefined);
  });

  const effort = (model: string, value: 'xhigh' | 'high') => openai.responses.create({ model, input: 'q', reasoning: { effort: value } });

  it('anthropic: a raised limit is capped at the model\'s output, the budget under it; a default over it is lowered to it', async () => {
    anthropic.enqueue({ text: 'a' }, { text: 'b' }, { text: 'c' });
    await effort(`an:${OPUS}`, 'xhigh');
    const google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
    await google.models.generateContent({ model: `an:${OPUS}`, contents: 'q', config: { thinkingConfig: { thinkingBudget: 30000 } } });
    await openai.chat.completions.create({ model: `an:${HAIKU}`, messages: [{ role: 'user', content: 'q' }] });
    const [xhigh, budget, haiku] = anthropic.requests.map((r) => r.body);
    expect([xhigh.max_tokens, xhigh.thinking]).to.deep.equal([32000, { type: 'enabled', budget_tokens: 31999 }]);
    expect([budget.max_tokens, budget.thinking]).to.deep.equal([32000, { type: 'enabled', budget_tokens: 30000 }]);
    expect(haiku.max_tokens).to.equal(4096);
  });

  it('bedrock: a raised limit is capped at the model\'s output, the budget under it', async () => {
    bedrock.enqueue({ text: 'ok' });
    await effort(`br:${BEDROCK_OPUS}`, 'xhigh');
    const sent = bedrock.requests[0]!.body;
    expect([sent.inferenceConfig, sent.additionalModelRequestFields]).to.deep.equal([{ maxTokens: 32000 }, { thinking: { type: 'enabled', budget_tokens: 31999 } }]);
  });

  it('a limit that fits is left alone; with adapt off, the limit lip picks is as before', async () => {
    anthropic.enqueue({ text: 'a' });
    await effort(`an:${OPUS}`, 'high');
    expect(anthropic.requests[0]!.body.max_tokens).to.equal(16384 + 8192);
    await start(false);
    anthropic.enqueue({ text: 'b' });
    await effort(`an:${OPUS}`, 'xhigh');
    expect(anthropic.requests[1]!.body.max_tokens).to.equal(32768 + 8192);
  });
});
