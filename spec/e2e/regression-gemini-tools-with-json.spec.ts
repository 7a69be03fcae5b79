import { ApiError } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { useUpstreams } from '../helpers/upstreams.js';

const SCHEMA = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
const LOOKUP = { type: 'function' as const, name: 'lookup', parameters: SCHEMA, strict: true };
const FORMAT = { format: { type: 'json_schema' as const, name: 'out', schema: SCHEMA, strict: true } };

/**
 * Gemini 2.x (and older) refuses function calling, or any tool, beside a JSON response
 * (`responseMimeType: application/json`): "Function calling with a response mime type:
 * 'application/json' is unsupported" (the emulator refuses it likewise); Gemini 3 takes both.
 * lip sent the two together, to be refused upstream after a route had been chosen. The gemini
 * backend now refuses the pair for such a model before sending, a retryable 400, so a route moves
 * on to a candidate that takes both; a Gemini 3 model still gets both.
 */
describe('e2e: regression: tools beside a JSON response format on Gemini 2.x', function () {
  this.timeout(20_000);
  const up = useUpstreams({ ge: { kind: 'gemini' }, or: { kind: 'openai-responses' } });

  it('a Responses client\'s function tool with a json_schema text format to gemini-2.5-flash: a 400 from lip, nothing sent', async () => {
    const err = await up.openai().responses.create({ model: 'ge:gemini-2.5-flash', input: 'Where?', tools: [LOOKUP], text: FORMAT }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).to.include('gemini-2.5-flash').and.to.include('JSON response format');
    expect(up.emulators.ge!.requests).to.have.length(0);
  });

  it('a Gemini client\'s own function declarations with responseMimeType application/json to gemini-2.0-flash: a 400, nothing sent', async () => {
    const err = await up.google().models.generateContent({
      model: 'ge:gemini-2.0-flash', contents: 'Where?',
      config: { tools: [{ functionDeclarations: [{ name: 'lookup', parametersJsonSchema: SCHEMA }] }], responseMimeType: 'application/json' },
    }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).status).to.equal(400);
    expect(up.emulators.ge!.requests).to.have.length(0);
  });

  it('a hosted search beside a JSON format is refused the same way', async () => {
    const err = await up.openai().responses.create({ model: 'ge:gemini-2.5-flash', input: 'Where?', tools: [{ type: 'web_search' }], text: FORMAT }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect(up.emulators.ge!.requests).to.have.length(0);
  });

  it('a Gemini 3 model gets both; the tool alone or the format alone still go to Gemini 2.5', async () => {
    up.emulators.ge!.enqueue({ text: '{"city":"Oslo"}' });
    await up.openai().responses.create({ model: 'ge:gemini-3-pro-preview', input: 'Where?', tools: [LOOKUP], text: FORMAT });
    const sent = up.emulators.ge!.requests[0]!.body;
    expect(sent.tools[0].functionDeclarations[0].name).to.equal('lookup');
    expect(sent.generationConfig).to.deep.include({ responseMimeType: 'application/json', responseJsonSchema: SCHEMA });
    up.emulators.ge!.enqueue({ text: 'ok' });
    await up.openai().responses.create({ model: 'ge:gemini-2.5-flash', input: 'Where?', tools: [LOOKUP] });
    up.emulators.ge!.enqueue({ text: '{"city":"Oslo"}' });
    await up.openai().responses.create({ model: 'ge:gemini-2.5-flash', input: 'Where?', text: FORMAT });
    expect(up.emulators.ge!.requests).to.have.length(3);
  });

  it('a route moves on from gemini-2.5-flash to a candidate that takes both', async () => {
    up.emulators.or!.enqueue({ text: '{"city":"Oslo"}' });
    const answer = await up.openai().responses.create({ model: 'ge:gemini-2.5-flash|or:gpt-4o', input: 'Where?', tools: [LOOKUP], text: FORMAT });
    expect(answer.output_text).to.equal('{"city":"Oslo"}');
    expect(up.emulators.ge!.requests).to.have.length(0);
    expect(up.emulators.or!.requests).to.have.length(1);
  });
});
