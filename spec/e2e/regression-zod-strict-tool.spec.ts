import { expect } from 'chai';
import OpenAI from 'openai';
import { zodFunction, zodResponsesFunction } from 'openai/helpers/zod';
import { z } from 'zod';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startAnthropicEmulator, startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const WEATHER = z.object({ city: z.string(), unit: z.enum(['c', 'f']).nullable() });
/** What zodFunction's parameters are, less the root `$schema` it adds. */
const SCHEMA = {
  type: 'object', properties: { city: { type: 'string' }, unit: { anyOf: [{ type: 'string', enum: ['c', 'f'] }, { type: 'null' }] } },
  required: ['city', 'unit'], additionalProperties: false,
};

/**
 * Found by probing: openai-node's zod helpers (`zodFunction`, `zodResponsesFunction`) write a
 * root `"$schema": "http://json-schema.org/draft-07/schema#"` beside a schema otherwise inside
 * Anthropic's strict subset. The subset check fitted the schema (which leaves `$schema` out) and
 * then asked for it to equal the schema as written, which it never did: every such tool went to
 * Anthropic and to a Claude model on Bedrock without `strict`, its inputs unconstrained.
 */
describe('e2e: regression: a strict tool from openai-node\'s zod helpers stays strict on anthropic and bedrock', function () {
  this.timeout(30_000);
  let an: Emulator;
  let br: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  before(async () => {
    an = await startAnthropicEmulator();
    br = await startBedrockEmulator();
    lip = await startLip(testConfig([
      `  - { id: an, kind: anthropic, base_url: "${an.url}", api_key: k-0123456789 }`,
      bedrockRow('br', br),
    ].join('\n')));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await an?.close();
    await br?.close();
  });

  it('the helper does write a root $schema (what this guards against)', () => {
    expect(zodFunction({ name: 'weather', parameters: WEATHER }).function.parameters).to.include({ $schema: 'http://json-schema.org/draft-07/schema#' });
  });

  it('Chat zodFunction -> anthropic: strict, the schema without $schema', async () => {
    an.enqueue({ text: 'ok' });
    await openai.chat.completions.create({ model: 'an:claude-sonnet-4-6', messages: [{ role: 'user', content: 'Weather?' }], tools: [zodFunction({ name: 'weather', parameters: WEATHER })] });
    expect(an.requests.at(-1)!.body.tools).to.deep.equal([{ name: 'weather', input_schema: SCHEMA, strict: true }]);
  });

  it('Responses zodResponsesFunction -> anthropic: strict, the schema without $schema', async () => {
    an.enqueue({ text: 'ok' });
    const tool = zodResponsesFunction({ name: 'weather', parameters: WEATHER });
    await openai.responses.create({ model: 'an:claude-sonnet-4-6', input: 'Weather?', tools: [tool as unknown as OpenAI.Responses.FunctionTool] });
    expect(an.requests.at(-1)!.body.tools).to.deep.equal([{ name: 'weather', input_schema: SCHEMA, strict: true }]);
  });

  it('Chat zodFunction -> bedrock (a Claude model): toolSpec.strict, the schema without $schema', async () => {
    br.enqueue({ text: 'ok' });
    await openai.chat.completions.create({
      model: 'br:anthropic.claude-sonnet-4-20250514-v1:0', messages: [{ role: 'user', content: 'Weather?' }], tools: [zodFunction({ name: 'weather', parameters: WEATHER })],
    });
    expect(br.requests.at(-1)!.body.toolConfig.tools).to.deep.equal([{ toolSpec: { name: 'weather', inputSchema: { json: SCHEMA }, strict: true } }]);
  });
});
