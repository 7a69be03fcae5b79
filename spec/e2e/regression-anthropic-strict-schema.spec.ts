import { expect } from 'chai';
import OpenAI from 'openai';
import { useUpstreams } from '../helpers/upstreams.js';

/** Inside OpenAI's strict subset, outside Anthropic's: `minimum` on an integer. */
const BOUNDED = { type: 'object', properties: { days: { type: 'integer', minimum: 1, maximum: 7 } }, required: ['days'], additionalProperties: false };

/**
 * A schema Anthropic compiles into a grammar (a strict tool, `output_config.format`) reaches it
 * inside its structured outputs' subset. A Chat client's strict function or `json_schema` response
 * format with `minimum`/`maximum` (inside OpenAI's strict subset) used to go as written, and
 * Anthropic refuses the whole request for one such keyword ("For 'integer' type, property
 * 'minimum' is not supported"; the emulator refuses it likewise); a Gemini client's response
 * schema, whose objects never say `additionalProperties`, was refused for that ("must be
 * explicitly set to false"). Now a strict tool outside the subset goes without `strict`, its
 * schema as written, and a response format's schema is fitted (closed, its other constraints in
 * the description), as Anthropic's SDK fits one.
 */
describe('e2e: regression: strict schemas reach an anthropic upstream inside its structured outputs subset', () => {
  const up = useUpstreams({ an: { kind: 'anthropic' } });
  const emulator = () => up.emulators.an!;

  it('a Chat client\'s strict function with minimum and maximum goes without strict, its schema as written', async () => {
    emulator().enqueue({ toolCalls: [{ id: 'toolu_1', name: 'forecast', args: '{"days":3}' }] });
    const completion = await up.openai().chat.completions.create({
      model: 'an:claude-sonnet-4-6', messages: [{ role: 'user', content: 'Forecast?' }],
      tools: [{ type: 'function', function: { name: 'forecast', parameters: BOUNDED, strict: true } }],
    });
    expect(completion.choices[0]!.message.tool_calls?.[0]?.id).to.equal('toolu_1');
    expect(emulator().requests[0]!.body.tools).to.deep.equal([{ name: 'forecast', input_schema: BOUNDED }]);
  });

  it('a Chat client\'s json_schema response format with minimum and maximum has them in the description', async () => {
    emulator().enqueue({ text: '{"days":3}' });
    const completion = await up.openai().chat.completions.create({
      model: 'an:claude-sonnet-4-6', messages: [{ role: 'user', content: 'Forecast?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'forecast', schema: BOUNDED, strict: true } },
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(completion.choices[0]!.message.content).to.equal('{"days":3}');
    expect(emulator().requests[0]!.body.output_config).to.deep.equal({
      format: { type: 'json_schema', schema: { type: 'object', properties: { days: { type: 'integer', description: '{minimum: 1, maximum: 7}' } }, required: ['days'], additionalProperties: false } },
    });
  });

  it('a Gemini client\'s response schema reaches it closed (additionalProperties: false)', async () => {
    emulator().enqueue({ text: '{"city":"Oslo"}' });
    const answer = await up.google().models.generateContent({
      model: 'an:claude-sonnet-4-6', contents: 'Where?',
      config: { responseMimeType: 'application/json', responseJsonSchema: { type: 'object', properties: { city: { type: 'string', minLength: 1 } }, required: ['city'] } },
    });
    expect(answer.text).to.equal('{"city":"Oslo"}');
    expect(emulator().requests[0]!.body.output_config.format.schema).to.deep.equal({
      type: 'object', properties: { city: { type: 'string', description: '{minLength: 1}' } }, required: ['city'], additionalProperties: false,
    });
  });
});
