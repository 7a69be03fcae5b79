import { expect } from 'chai';
import { refuseOpenAIChatSchemas, refuseOpenAIResponsesSchemas } from './openai-rules.js';

const CLOSED = { type: 'object', properties: { city: { type: 'string' }, not: { type: 'boolean' } }, required: ['city', 'not'], additionalProperties: false };

/** The emulators' strict-schema rule must refuse what OpenAI refuses and take what it takes, or lip's shaping goes unproven. */
describe('helpers/emulators: OpenAI strict schema rules', () => {
  it('Chat: refuses a strict tool or response format outside the subset, in the API\'s words; takes closed schemas and non-strict tools', () => {
    const tool = (parameters: unknown, strict?: boolean) => ({ tools: [{ type: 'function', function: { name: 'w', parameters, ...(strict !== undefined ? { strict } : {}) } }] });
    expect(refuseOpenAIChatSchemas(tool({ ...CLOSED, properties: { u: { allOf: [{ type: 'string' }] } }, required: ['u'] }, true))?.error.message)
      .to.equal("Invalid schema for function 'w': In context=('properties', 'u'), 'allOf' is not permitted.");
    expect(refuseOpenAIChatSchemas(tool({ type: 'object', properties: {} }, true))?.error.message)
      .to.equal("Invalid schema for function 'w': In context=(), 'additionalProperties' is required to be supplied and to be false.");
    expect(refuseOpenAIChatSchemas(tool({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false }, true))?.error.message)
      .to.equal("Invalid schema for function 'w': In context=(), 'required' is required to be supplied and to be an array including every key in properties. Missing 'a'.");
    expect(refuseOpenAIChatSchemas(tool(CLOSED, true))).to.equal(undefined);
    expect(refuseOpenAIChatSchemas(tool({ type: 'object' }, false))).to.equal(undefined);
    expect(refuseOpenAIChatSchemas(tool({ type: 'object' }))).to.equal(undefined);
    expect(refuseOpenAIChatSchemas({ response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object', properties: { m: { type: 'object' } }, required: ['m'], additionalProperties: false }, strict: true } } })?.error.message)
      .to.equal("Invalid schema for response_format 'out': In context=('properties', 'm'), 'additionalProperties' is required to be supplied and to be false.");
  });

  it('Responses: refuses a tool strict: true outside the subset; strict left out is the API\'s to decide, not refused', () => {
    const tool = (strict?: boolean) => ({ tools: [{ type: 'function', name: 'w', parameters: { type: 'object' }, ...(strict !== undefined ? { strict } : {}) }] });
    expect(refuseOpenAIResponsesSchemas(tool(true))?.status).to.equal(400);
    expect(refuseOpenAIResponsesSchemas(tool(false))).to.equal(undefined);
    expect(refuseOpenAIResponsesSchemas(tool())).to.equal(undefined);
    expect(refuseOpenAIResponsesSchemas({ text: { format: { type: 'json_schema', name: 'out', schema: { ...CLOSED, if: { type: 'object' } }, strict: true } } })?.error.message)
      .to.equal("Invalid schema for response_format 'out': In context=(), 'if' is not permitted.");
  });

  it('refuses a strict schema past the size limits: 11 levels of nesting, 5,001 properties', () => {
    const nested = (levels: number): unknown => (levels === 0 ? { type: 'string' } : { type: 'object', properties: { x: nested(levels - 1) }, required: ['x'], additionalProperties: false });
    const tool = (parameters: unknown) => ({ tools: [{ type: 'function', function: { name: 'w', parameters, strict: true } }] });
    expect(refuseOpenAIChatSchemas(tool(nested(10)))).to.equal(undefined);
    expect(refuseOpenAIChatSchemas(tool(nested(11)))?.error.message).to.equal("Invalid schema for function 'w': 11 levels of nesting exceeds limit of 10.");
    const properties = Object.fromEntries(Array.from({ length: 5_001 }, (_, i) => [`p${i}`, { type: 'string' }]));
    expect(refuseOpenAIResponsesSchemas({ tools: [{ type: 'function', name: 'w', parameters: { type: 'object', properties, required: Object.keys(properties), additionalProperties: false }, strict: true }] })?.status).to.equal(400);
  });
});
