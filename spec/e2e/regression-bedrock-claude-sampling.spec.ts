import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { bedrockProtocol, startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const CLAUDE = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const NOVA = 'amazon.nova-pro-v1:0';

/**
 * Bedrock got a Chat client's sampling options as written: `temperature: 1.5` (Converse takes 0
 * to 1 for every model) and, for a Claude model, `temperature` beside `topP` (Claude 4 models
 * refuse the two together). Either is a 400 ValidationException, which is not retryable, so a
 * route never reached its next candidate. The anthropic backend already capped the temperature
 * at 1 and sent `top_p` only without a temperature; Bedrock now does the same, and the emulator
 * refuses both as Converse does.
 */
describe('e2e regression: Bedrock Claude gets a temperature of at most 1 and not beside top_p', function () {
  this.timeout(20_000);
  let bedrock: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  before(async () => {
    bedrock = await startBedrockEmulator();
    lip = await startLip(testConfig(bedrockRow('br', bedrock)));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await bedrock?.close();
  });
  beforeEach(() => bedrock.reset());

  const refuse = (model: string, inferenceConfig: Record<string, number>) => bedrockProtocol.refuse!({ model, body: { messages: [{ role: 'user', content: [{ text: 'q' }] }], inferenceConfig } } as never);

  it('the emulator refuses a temperature over 1 for any model, and temperature with topP for a Claude 4 model, as Converse does', () => {
    expect(refuse(NOVA, { temperature: 1.5 })).to.deep.equal({ status: 400, error: { type: 'ValidationException', message: "1 validation error detected: Value '1.5' at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1" } });
    expect(refuse(CLAUDE, { temperature: 0.5, topP: 0.9 })).to.deep.equal({ status: 400, error: { type: 'ValidationException', message: 'The model returned the following errors: `temperature` and `top_p` cannot both be specified for this model. Please use only one.' } });
    expect(refuse(NOVA, { temperature: 0.5, topP: 0.9 })).to.equal(undefined);
    expect(refuse('anthropic.claude-3-haiku-20240307-v1:0', { temperature: 0.5, topP: 0.9 })).to.equal(undefined);
  });

  it('a Claude model gets the temperature capped at 1 and no top_p beside it; top_p alone goes as written', async () => {
    bedrock.enqueue({ text: 'warm' });
    const hot = await openai.chat.completions.create({ model: `br:${CLAUDE}`, messages: [{ role: 'user', content: 'q' }], temperature: 1.5, top_p: 0.9 });
    expect(hot.choices[0]!.message.content).to.equal('warm');
    expect(bedrock.requests[0]!.body.inferenceConfig).to.deep.equal({ temperature: 1 });
    bedrock.enqueue({ text: 'nucleus' });
    await openai.chat.completions.create({ model: `br:${CLAUDE}`, messages: [{ role: 'user', content: 'q' }], top_p: 0.9 });
    expect(bedrock.requests[1]!.body.inferenceConfig).to.deep.equal({ topP: 0.9 });
  });

  it('another family gets both, the temperature capped at 1', async () => {
    bedrock.enqueue({ text: 'ok' });
    await openai.chat.completions.create({ model: `br:${NOVA}`, messages: [{ role: 'user', content: 'q' }], temperature: 2, top_p: 0.9 });
    expect(bedrock.requests[0]!.body.inferenceConfig).to.deep.equal({ temperature: 1, topP: 0.9 });
  });
});
