import { expect } from 'chai';
import { anthropicFormatSchema, anthropicStrictInput } from '../../lib/backends/anthropic-strict-schema.js';
import { recursiveSchema } from '../../lib/backends/recursive-schema.js';
import { LipError } from '../../lib/errors/index.js';
import { grammarProblem } from '../helpers/emulators/anthropic-rules.js';

const closed = (properties: Record<string, unknown>) => ({ type: 'object', properties, required: Object.keys(properties), additionalProperties: false });

/** Recursive, each in its own way. */
const RECURSIVE: Record<string, unknown> = {
  'a definition that holds itself': { ...closed({ root: { $ref: '#/$defs/Node' } }), $defs: { Node: closed({ kids: { type: 'array', items: { $ref: '#/$defs/Node' } } }) } },
  'the root, from an anyOf (zod\'s z.lazy)': closed({ next: { anyOf: [{ $ref: '#' }, { type: 'null' }] } }),
  'two definitions through each other': { ...closed({ a: { $ref: '#/definitions/A' } }), definitions: { A: closed({ b: { $ref: '#/definitions/B' } }), B: closed({ a: { anyOf: [{ $ref: '#/definitions/A' }, { type: 'null' }] } }) } },
  'a pointer into a property, from inside it': closed({ tree: closed({ up: { anyOf: [{ $ref: '#/properties/tree' }, { type: 'null' }] } }) }),
  'a percent-encoded, escaped pointer': { ...closed({ x: { $ref: '#/$defs/a~1b%20c' } }), $defs: { 'a/b c': closed({ self: { anyOf: [{ $ref: '#/$defs/a~1b c' }, { type: 'null' }] } }) } },
};

/** Finite, though they use $ref. */
const FINITE: Record<string, unknown> = {
  'a definition used twice': { ...closed({ a: { $ref: '#/$defs/U' }, b: { $ref: '#/$defs/U' } }), $defs: { U: { type: 'string', enum: ['c', 'f'] } } },
  'a chain of definitions': { ...closed({ a: { $ref: '#/$defs/A' } }), $defs: { A: closed({ b: { $ref: '#/$defs/B' } }), B: closed({ c: { $ref: '#/$defs/C' } }), C: { type: 'integer' } } },
  'a recursive definition nobody uses': { ...closed({ a: { type: 'string' } }), $defs: { Node: closed({ next: { $ref: '#/$defs/Node' } }) } },
  'a reference it cannot resolve': closed({ a: { $ref: 'https://example.com/schema.json' }, b: { $ref: '#/$defs/Missing' }, c: { $ref: '#anchor' } }),
  'a property named $ref or properties': closed({ $ref: { type: 'string' }, properties: { type: 'string', enum: ['#'] } }),
};

describe('backends: recursiveSchema', () => {
  for (const [name, schema] of Object.entries(RECURSIVE)) it(`finds ${name}`, () => expect(recursiveSchema(schema)).to.equal(true));
  for (const [name, schema] of Object.entries(FINITE)) it(`takes ${name} as finite`, () => expect(recursiveSchema(schema)).to.equal(false));

  it('walks a wide diamond of definitions and a long chain once each, without the call stack', () => {
    const wide: Record<string, unknown> = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`D${i}`, closed(Object.fromEntries(Array.from({ length: 200 }, (__, j) => [`p${j}`, { $ref: `#/$defs/D${i + 1}` }])))]));
    wide.D200 = { type: 'string' };
    expect(recursiveSchema({ ...closed({ a: { $ref: '#/$defs/D0' } }), $defs: wide })).to.equal(false);
    const long: Record<string, unknown> = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`L${i}`, { anyOf: [{ $ref: `#/$defs/L${i + 1}` }, { type: 'null' }] }]));
    long.L50000 = { anyOf: [{ $ref: '#/$defs/L0' }, { type: 'null' }] };
    expect(recursiveSchema({ ...closed({ a: { $ref: '#/$defs/L0' } }), $defs: long })).to.equal(true);
  });

  it('anthropic: a recursive strict tool has no strict form; a recursive response format is refused before sending, retryable', () => {
    for (const schema of Object.values(RECURSIVE)) expect(anthropicStrictInput(schema)).to.equal(undefined);
    expect(anthropicStrictInput(FINITE['a definition used twice'])).to.deep.equal(FINITE['a definition used twice']);
    let refused: unknown;
    try { anthropicFormatSchema(RECURSIVE['a definition that holds itself'] as Record<string, unknown>, 'anthropic'); } catch (err) { refused = err; }
    expect(refused).to.be.instanceOf(LipError);
    expect(refused).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', status: 400, retryable: true });
  });

  it('the anthropic emulator refuses what Anthropic documents as not supported: each recursive schema, none of the finite ones', () => {
    for (const schema of Object.values(RECURSIVE)) {
      // Pointers into properties are beyond the emulator's definition graph.
      if (schema === RECURSIVE['a pointer into a property, from inside it']) continue;
      expect(grammarProblem(schema), JSON.stringify(schema)).to.match(/^Recursive schemas are not supported/);
    }
    for (const schema of Object.values(FINITE)) expect(grammarProblem(schema), JSON.stringify(schema)).to.equal(undefined);
  });
});
