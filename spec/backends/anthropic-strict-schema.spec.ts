import { expect } from 'chai';
import { anthropicStrictInput, anthropicStrictSchema } from '../../lib/backends/anthropic-strict-schema.js';

/** Whether a strict tool of that schema goes to Anthropic with `strict: true`. */
const anthropicStrictCompatible = (schema: unknown) => anthropicStrictInput(schema) !== undefined;

const CLOSED = { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city'], additionalProperties: false };

describe('backends/anthropic-strict-schema', () => {
  it('leaves a schema inside the subset as it is (compatible)', () => {
    const schema = {
      type: 'object', description: 'A place.', additionalProperties: false, required: ['at', 'tags', 'kind'],
      properties: {
        at: { type: 'string', format: 'date-time' }, tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
        kind: { anyOf: [{ type: 'null' }, { $ref: '#/$defs/kind' }] }, level: { type: ['integer', 'null'] }, fixed: { const: 'x' },
      },
      $defs: { kind: { type: 'string', enum: ['a', 'b'] } },
    };
    expect(anthropicStrictSchema(schema)).to.deep.equal(schema);
    expect([anthropicStrictCompatible(schema), anthropicStrictCompatible(CLOSED)]).to.deep.equal([true, true]);
  });

  it('moves the keywords the subset has not into the description, as Anthropic\'s SDK does', () => {
    const schema = {
      type: 'object', required: ['n', 'name', 'list'], additionalProperties: false,
      properties: {
        n: { type: 'integer', minimum: 1, maximum: 9, description: 'How many.' },
        name: { type: 'string', minLength: 1, pattern: '^[a-z]+$', format: 'slug' },
        list: { type: 'array', items: { type: 'number', multipleOf: 0.5 }, minItems: 2, maxItems: 5 },
        choice: { oneOf: [{ type: 'string' }, { type: 'integer', default: 3 }] },
      },
    };
    expect(anthropicStrictSchema(schema)).to.deep.equal({
      type: 'object', required: ['n', 'name', 'list'], additionalProperties: false,
      properties: {
        n: { type: 'integer', description: 'How many.\n\n{minimum: 1, maximum: 9}' },
        name: { type: 'string', description: '{minLength: 1, pattern: "^[a-z]+$", format: "slug"}' },
        list: { type: 'array', items: { type: 'number', description: '{multipleOf: 0.5}' }, description: '{minItems: 2, maxItems: 5}' },
        choice: { anyOf: [{ type: 'string' }, { type: 'integer', description: '{default: 3}' }] },
      },
    });
    expect(anthropicStrictCompatible(schema)).to.equal(false);
  });

  it('closes an object that did not say (additionalProperties: false, which the subset requires) and leaves $schema out', () => {
    const open = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { a: { type: 'object', properties: {} } } };
    expect(anthropicStrictSchema(open)).to.deep.equal({ type: 'object', properties: { a: { type: 'object', properties: {}, additionalProperties: false } }, additionalProperties: false });
    expect(anthropicStrictCompatible(open)).to.equal(false);
  });

  it('takes a strict tool whose only word outside the subset is a root $schema (openai-node\'s zod helpers write one), sending it without', () => {
    const zod = { ...CLOSED, $schema: 'http://json-schema.org/draft-07/schema#' };
    expect(anthropicStrictInput(zod)).to.deep.equal(CLOSED);
    expect(anthropicStrictInput(CLOSED)).to.deep.equal(CLOSED);
    // Nested, it is no dialect marker but a keyword the subset has not.
    expect(anthropicStrictInput({ ...CLOSED, properties: { city: { type: 'string', $schema: 'x' } } })).to.equal(undefined);
    expect(anthropicStrictInput({ ...zod, properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'] })).to.equal(undefined);
  });

  it('has no fit for an open object, a map, a node without a type, a list of items or a boolean schema', () => {
    for (const schema of [
      { type: 'object' },
      { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: true },
      { type: 'object', properties: { tags: { type: 'object', additionalProperties: { type: 'string' } } }, additionalProperties: false },
      { type: 'object', properties: { any: {} }, additionalProperties: false },
      { type: 'array', items: [{ type: 'string' }] },
      { type: 'object', properties: { a: true }, additionalProperties: false },
      {},
    ]) {
      expect(anthropicStrictSchema(schema), JSON.stringify(schema)).to.equal(undefined);
      expect(anthropicStrictCompatible(schema)).to.equal(false);
    }
  });

  it('keeps only plain enum and const values, moving the others to the description', () => {
    expect(anthropicStrictSchema({ type: 'object', properties: { p: { enum: [{ a: 1 }], type: 'object', properties: {} } } })).to.deep.equal({
      type: 'object', additionalProperties: false, properties: { p: { type: 'object', properties: {}, additionalProperties: false, description: '{enum: [{"a":1}]}' } },
    });
  });
});
