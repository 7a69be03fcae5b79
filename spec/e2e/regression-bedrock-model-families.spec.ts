import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { bedrockRow, configIssues, testConfig } from '../helpers/config.js';
import { bedrockProtocol, EMULATOR_PROFILES, startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const [PROFILE, PROVISIONED] = [...EMULATOR_PROFILES.keys()] as [string, string];
const FAMILIES = 'model_families: { "arn:aws:bedrock:*:*:application-inference-profile/emuclaude*": anthropic, "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/emuclaude02": anthropic }';

/**
 * An application inference profile or a provisioned-throughput ARN names no model
 * (`.../application-inference-profile/a1b2c3d4`), and the Claude shaping of a Converse request
 * went by the id alone: such a Claude model got `temperature` beside `topP` (which Claude 4
 * refuses with a 400), and its thinking, `top_k`, cache points and Claude's strict-schema fitting
 * were silently dropped. A bedrock row now says what such ids serve (`model_families`, globs
 * compiled at config load), and the encoder takes the family. The emulator holds a profile ARN to
 * the rules of the model it serves, as Bedrock does.
 */
describe('e2e regression: Bedrock profile and provisioned ARNs get the shaping of the family the row gives them', function () {
  this.timeout(20_000);
  let bedrock: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  let anthropic: Anthropic;
  before(async () => {
    bedrock = await startBedrockEmulator();
    lip = await startLip(testConfig(`${bedrockRow('br', bedrock, FAMILIES)}\n${bedrockRow('plain', bedrock)}`));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await bedrock?.close();
  });
  beforeEach(() => bedrock.reset());

  it('the emulator holds a profile ARN to the rules of the Claude model it serves', () => {
    const refused = bedrockProtocol.refuse!({ model: PROFILE, body: { messages: [{ role: 'user', content: [{ text: 'q' }] }], inferenceConfig: { temperature: 0.5, topP: 0.9 } } } as never);
    expect(refused?.error.message).to.match(/`temperature` and `top_p` cannot both be specified/);
  });

  it('a row without model_families sends a profile ARN no Claude shaping, which the model refuses', async () => {
    const error = await openai.chat.completions.create({ model: `plain:${PROFILE}`, messages: [{ role: 'user', content: 'q' }], temperature: 0.5, top_p: 0.9 }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(OpenAI.BadRequestError);
    expect(bedrock.requests[0]!.body.inferenceConfig).to.deep.equal({ temperature: 0.5, topP: 0.9 });
  });

  it('a matched profile ARN and provisioned ARN get no topP beside a temperature', async () => {
    for (const model of [PROFILE, PROVISIONED]) {
      bedrock.enqueue({ text: 'ok' });
      const answer = await openai.chat.completions.create({ model: `br:${model}`, messages: [{ role: 'user', content: 'q' }], temperature: 0.5, top_p: 0.9 });
      expect(answer.choices[0]!.message.content).to.equal('ok');
      expect(bedrock.requests.at(-1)!.body.inferenceConfig).to.deep.equal({ temperature: 0.5 });
    }
  });

  it('thinking, top_k and cache points reach a matched profile ARN', async () => {
    bedrock.enqueue({ text: 'thought' });
    await anthropic.messages.create({
      model: `br:${PROFILE}`, max_tokens: 5000, thinking: { type: 'enabled', budget_tokens: 2000 },
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'q' }],
    });
    const sent = bedrock.requests[0]!.body;
    expect(sent.additionalModelRequestFields).to.deep.equal({ thinking: { type: 'enabled', budget_tokens: 2000 } });
    expect(sent.system).to.deep.equal([{ text: 'Be brief.' }, { cachePoint: { type: 'default' } }]);
    bedrock.enqueue({ text: 'k' });
    const topK = await fetch(`${lip.url}/v1/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: `br:${PROFILE}`, max_tokens: 50, top_k: 5, messages: [{ role: 'user', content: 'q' }] }),
    });
    expect(topK.status).to.equal(200);
    expect(bedrock.requests[1]!.body.additionalModelRequestFields).to.deep.equal({ top_k: 5 });
  });

  it('a json_schema format is fitted to Claude\'s subset for a matched profile ARN (the model refuses one outside it)', async () => {
    const format = { type: 'json_schema' as const, json_schema: { name: 'n', strict: true, schema: { type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'], additionalProperties: false } } };
    bedrock.enqueue({ text: '{"n":2}' });
    const answer = await openai.chat.completions.create({ model: `br:${PROFILE}`, messages: [{ role: 'user', content: 'q' }], response_format: format });
    expect(answer.choices[0]!.message.content).to.equal('{"n":2}');
    const refused = await openai.chat.completions.create({ model: `plain:${PROFILE}`, messages: [{ role: 'user', content: 'q' }], response_format: format }).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(OpenAI.BadRequestError);
  });

  it('check-config refuses a family lip does not know and an empty pattern', () => {
    const row = (families: string) => `backends:\n  - { id: a, kind: bedrock, access_key_id: a, secret_access_key: b, model_families: ${families} }\n`;
    expect(configIssues(row('{ "arn:*": anthropic, "x*": nova, y: other }'))).to.deep.equal([]);
    expect(configIssues(row('{ "arn:*": claude }'))).to.deep.equal(['backends[0].model_families.arn:*: must be one of anthropic, nova, other (got "claude")']);
    expect(configIssues(row('{ "": anthropic }'))).to.deep.equal(['backends[0].model_families: a pattern is empty and would match no model: write a model id or a glob (`*` any run of characters, `?` one)']);
  });
});
