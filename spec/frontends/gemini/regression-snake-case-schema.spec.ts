import { expect } from 'chai';
import { decodeGenerateContent } from '../../../lib/frontends/gemini/index.js';
import { refusalOf } from '../../helpers/refusal.js';

/**
 * Found by probing: the official Python SDK (google-genai) writes the top-level fields of a body in
 * camelCase but the Schema objects inside `responseSchema` and a function's `parameters` as
 * pydantic dumps them, in snake_case (`any_of`, `property_ordering`, `max_items`), which Google's
 * API reads as it reads camelCase. lip left those keys alone, so nothing under `any_of` was
 * converted: the union was lost on gemini, OpenAI backends got `type: "OBJECT"`, Anthropic
 * refused the schema.
 */
describe('regression: a Gemini Schema written in snake_case (the Python SDK)', () => {
  const decode = (body: Record<string, unknown>) => decodeGenerateContent(body, 'gemini-x', false).call;
  const contents = [{ role: 'user', parts: [{ text: 'basket' }] }];

  // As google-genai sends `response_schema=Basket` (setv at the top, model_dump below).
  const SNAKE = {
    type: 'OBJECT', required: ['fruit'],
    properties: {
      fruit: {
        type: 'ARRAY', max_items: 3, min_items: '1',
        items: {
          any_of: [
            { type: 'OBJECT', title: 'Apple', properties: { kind_of: { type: 'STRING' }, color: { type: 'STRING', nullable: true } }, property_ordering: ['kind_of', 'color'], required: ['kind_of', 'color'] },
            { type: 'OBJECT', title: 'Orange', properties: { size: { type: 'STRING', enum: ['S', 'M'], format: 'enum' } }, required: ['size'] },
          ],
          nullable: true,
        },
      },
      note: { type: 'STRING', max_length: 40, min_length: '2' },
      tags: { type: 'OBJECT', additional_properties: { type: 'INTEGER' }, min_properties: '1' },
    },
  };
  const JSON_SCHEMA = {
    type: 'object', required: ['fruit'],
    properties: {
      fruit: {
        type: 'array', maxItems: 3, minItems: 1,
        items: {
          anyOf: [
            { type: 'object', title: 'Apple', properties: { kind_of: { type: 'string' }, color: { type: ['string', 'null'] } }, propertyOrdering: ['kind_of', 'color'], required: ['kind_of', 'color'] },
            { type: 'object', title: 'Orange', properties: { size: { type: 'string', enum: ['S', 'M'], format: 'enum' } }, required: ['size'] },
            { type: 'null' },
          ],
        },
      },
      note: { type: 'string', maxLength: 40, minLength: 2 },
      tags: { type: 'object', additionalProperties: { type: 'integer' }, minProperties: 1 },
    },
  };

  it('converts responseSchema and function parameters as it converts the camelCase spelling, property names as written', () => {
    const call = decode({
      contents,
      generationConfig: { responseMimeType: 'application/json', responseSchema: SNAKE },
      tools: [{ function_declarations: [{ name: 'put', parameters: SNAKE }] }],
    });
    expect(call.options.responseFormat).to.deep.equal({ type: 'json_schema', schema: JSON_SCHEMA });
    expect(call.tools[0]).to.deep.include({ name: 'put', parameters: JSON_SCHEMA });
  });

  it('reads defs and ref (Google\'s names for $defs and $ref, "#/defs/Pet"), the definitions converted, their names as written', () => {
    const schema = {
      type: 'OBJECT', properties: { pet: { ref: '#/defs/Pet_Kind' }, other: { any_of: [{ ref: '#/defs/Pet_Kind' }, { type: 'NULL' }] } },
      defs: { Pet_Kind: { type: 'OBJECT', properties: { name: { type: 'STRING', nullable: true } }, property_ordering: ['name'] } },
    };
    expect(decode({ contents, generationConfig: { responseMimeType: 'application/json', responseSchema: schema } }).options.responseFormat).to.deep.equal({
      type: 'json_schema',
      schema: {
        type: 'object', properties: { pet: { $ref: '#/$defs/Pet_Kind' }, other: { anyOf: [{ $ref: '#/$defs/Pet_Kind' }, { type: 'null' }] } },
        $defs: { Pet_Kind: { type: 'object', properties: { name: { type: ['string', 'null'] } }, propertyOrdering: ['name'] } },
      },
    });
  });

  it('refuses a Schema field written both ways in one node, naming it (one would be lost)', () => {
    const refused = refusalOf(() => decodeGenerateContent({
      contents, generationConfig: { responseMimeType: 'application/json', responseSchema: { type: 'OBJECT', properties: { a: { any_of: [{ type: 'STRING' }], anyOf: [{ type: 'INTEGER' }] } } } },
    }, 'gemini-x', false));
    expect(refused).to.deep.include({ status: 400, code: 'LIP_ERR_REQUEST_INVALID', param: 'generationConfig.responseSchema.properties.a.anyOf' });
  });
});
