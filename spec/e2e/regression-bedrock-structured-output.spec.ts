import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const CLAUDE = 'br:anthropic.claude-sonnet-4-5-20250929-v1:0';
const CLOSED = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
/** Inside OpenAI's strict subset, outside Claude's: `minimum` on an integer. */
const BOUNDED = { type: 'object', properties: { days: { type: 'integer', minimum: 1 } }, required: ['days'], additionalProperties: false };

/**
 * Converse takes structured output (`outputConfig.textFormat`: `type: json_schema`, the schema as
 * a JSON string in `structure.jsonSchema.schema`) and strict tools (`toolSpec.strict`). lip sent
 * neither: a client's `json_schema` response format was dropped, so the model answered prose the
 * client then failed to parse, and a strict tool went unconstrained. Now the format goes as
 * `outputConfig.textFormat` (for a Claude model fitted to Claude's subset, which Converse compiles
 * as Anthropic does: the emulator refuses one outside it) and a strict tool whose schema is in
 * that subset goes `strict: true`; one outside it goes without, rather than have Converse refuse
 * the request.
 */
describe('e2e: regression: Bedrock gets the response format and strict tools a client asked for', function () {
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

  it('a Chat client\'s json_schema response format reaches Converse as outputConfig.textFormat, and its strict tool as toolSpec.strict', async () => {
    bedrock.enqueue({ text: '{"city":"Oslo"}' });
    const completion = await openai.chat.completions.parse({
      model: CLAUDE, messages: [{ role: 'user', content: 'Where?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'out', description: 'the city', schema: CLOSED, strict: true } },
      tools: [{ type: 'function', function: { name: 'lookup', parameters: CLOSED, strict: true } }],
    });
    expect(completion.choices[0]!.message.parsed).to.deep.equal({ city: 'Oslo' });
    const sent = bedrock.requests[0]!.body;
    expect(sent.outputConfig).to.deep.equal({ textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify(CLOSED), name: 'out', description: 'the city' } } } });
    expect(sent.toolConfig.tools[0].toolSpec).to.deep.equal({ name: 'lookup', inputSchema: { json: CLOSED }, strict: true });
  });

  it('for a Claude model a format outside Claude\'s subset is fitted (its minimum in the description); a strict tool outside it goes without strict', async () => {
    bedrock.enqueue({ text: '{"days":3}' });
    await openai.chat.completions.create({
      model: CLAUDE, messages: [{ role: 'user', content: 'How long?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: BOUNDED, strict: true } },
      tools: [{ type: 'function', function: { name: 'forecast', parameters: BOUNDED, strict: true } }],
    });
    const sent = bedrock.requests[0]!.body;
    expect(JSON.parse(sent.outputConfig.textFormat.structure.jsonSchema.schema)).to.deep.equal({
      type: 'object', properties: { days: { type: 'integer', description: '{minimum: 1}' } }, required: ['days'], additionalProperties: false,
    });
    expect(sent.toolConfig.tools[0].toolSpec).to.deep.equal({ name: 'forecast', inputSchema: { json: BOUNDED } });
  });

  it('a tool the client did not make strict goes without strict', async () => {
    bedrock.enqueue({ text: 'ok' });
    await openai.chat.completions.create({ model: CLAUDE, messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'lookup', parameters: CLOSED } }] });
    expect(bedrock.requests[0]!.body.toolConfig.tools[0].toolSpec).to.not.have.property('strict');
    expect(bedrock.requests[0]!.body).to.not.have.property('outputConfig');
  });
});
