import { expect } from 'chai';
import { strictCompatible } from '../../lib/backends/strict-schema.js';

const closed = (properties: Record<string, unknown>) => ({ type: 'object', properties, required: Object.keys(properties), additionalProperties: false });

/**
 * The strict subset OpenAI's structured outputs take (Chat Completions and the Responses API):
 * every object closed (`additionalProperties: false`, every property in `required`), empty and
 * open ones too, and none of the keywords outside it. A schema outside it used to be judged
 * strict when its only problem was a composition keyword or an object without properties, and
 * the API refused the whole request.
 */
describe('backends: strictCompatible (OpenAI strict subset)', () => {
  it('takes closed objects all the way down, anyOf, $defs and $ref', () => {
    expect(strictCompatible(closed({ a: { type: 'string' }, b: closed({ c: { type: 'integer' } }) }))).to.equal(true);
    expect(strictCompatible(closed({ a: { anyOf: [{ type: 'string' }, { type: 'null' }] }, l: { type: 'array', items: closed({ x: { type: 'number' } }) } }))).to.equal(true);
    expect(strictCompatible({ ...closed({ u: { $ref: '#/$defs/U' } }), $defs: { U: { type: 'string', enum: ['c', 'f'] } } })).to.equal(true);
    expect(strictCompatible({ type: 'object', properties: {}, additionalProperties: false })).to.equal(true);
    expect(strictCompatible({})).to.equal(true);
  });

  it('refuses an object that is not closed: optional properties, an open or empty object', () => {
    expect(strictCompatible({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false })).to.equal(false);
    expect(strictCompatible(closed({ m: { type: 'object' } }))).to.equal(false);
    expect(strictCompatible({ type: 'object', properties: {} })).to.equal(false);
    expect(strictCompatible({ type: 'object' })).to.equal(false);
    expect(strictCompatible(closed({ m: { type: ['object', 'null'], properties: { x: { type: 'string' } }, required: ['x'] } }))).to.equal(false);
    expect(strictCompatible({ ...closed({ u: { $ref: '#/$defs/U' } }), $defs: { U: { type: 'object' } } })).to.equal(false);
  });

  for (const keyword of ['allOf', 'not', 'if', 'then', 'else', 'dependentRequired', 'dependentSchemas', 'patternProperties', 'oneOf']) {
    it(`refuses ${keyword}, at the root or nested`, () => {
      const value = keyword === 'dependentRequired' ? { a: ['b'] } : keyword === 'allOf' || keyword === 'oneOf' ? [{ type: 'string' }] : keyword === 'patternProperties' || keyword === 'dependentSchemas' ? { '^x': { type: 'string' } } : { type: 'string' };
      expect(strictCompatible({ ...closed({ a: { type: 'string' } }), [keyword]: value }), 'root').to.equal(false);
      expect(strictCompatible(closed({ a: { type: 'string', [keyword]: value } })), 'nested').to.equal(false);
    });
  }

  it('reads a property named like a keyword as a property, and enum or const values as data', () => {
    expect(strictCompatible(closed({ not: { type: 'boolean' }, allOf: { type: 'string' }, if: { type: 'string' } }))).to.equal(true);
    expect(strictCompatible(closed({ e: { enum: [{ type: 'object' }] }, c: { const: { allOf: [] } } }))).to.equal(true);
  });

  // OpenAI's documented limits on a strict schema (Structured Outputs, "Supported schemas"): up
  // to 10 levels of nesting, 5,000 object properties, 1,000 enum values, 120,000 characters of
  // property names, definition names, enum and const values, and 15,000 characters for one string
  // enum of more than 250 values. A strict tool past one went strict: true, and the API refuses
  // the whole request; now it goes strict: false like any other schema outside the subset.
  describe('OpenAI\'s size limits', () => {
    /** Objects nested `levels` deep below the root (the root is level 0, as openai-node's validator counts). */
    const nested = (levels: number): unknown => (levels === 0 ? { type: 'string' } : closed({ x: nested(levels - 1) }));
    const items = (levels: number): unknown => (levels === 0 ? { type: 'string' } : { type: 'array', items: items(levels - 1) });

    it('takes 10 levels of nesting below the root, not 11 (properties, items, anyOf and $defs each a level)', () => {
      expect(strictCompatible(nested(10))).to.equal(true);
      expect(strictCompatible(nested(11))).to.equal(false);
      expect(strictCompatible(closed({ l: items(9) }))).to.equal(true);
      expect(strictCompatible(closed({ l: items(10) }))).to.equal(false);
      expect(strictCompatible(closed({ u: { anyOf: [nested(9), { type: 'null' }] } }))).to.equal(false);
      expect(strictCompatible({ ...closed({ u: { $ref: '#/$defs/U' } }), $defs: { U: nested(9) } })).to.equal(true);
      expect(strictCompatible({ ...closed({ u: { $ref: '#/$defs/U' } }), $defs: { U: nested(10) } })).to.equal(false);
    });

    it('takes 5,000 object properties in all, not 5,001', () => {
      const wide = (n: number, at = 0) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${at + i}`, { type: 'string' }]));
      expect(strictCompatible(closed({ a: closed(wide(2_500)), b: closed(wide(2_498)) }))).to.equal(true);
      expect(strictCompatible(closed({ a: closed(wide(2_500)), b: closed(wide(2_499)) }))).to.equal(false);
      expect(strictCompatible({ ...closed({ a: closed(wide(4_999)) }), $defs: { D: closed(wide(1)) } })).to.equal(false);
    });

    it('takes 1,000 enum values in all, not 1,001', () => {
      const values = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
      expect(strictCompatible(closed({ a: { type: 'string', enum: values(200, 'a') }, b: { type: 'string', enum: values(200, 'b') }, c: { type: 'integer', enum: Array.from({ length: 600 }, (_, i) => i) } }))).to.equal(true);
      expect(strictCompatible(closed({ a: { type: 'string', enum: values(200, 'a') }, b: { type: 'string', enum: values(200, 'b') }, c: { type: 'integer', enum: Array.from({ length: 601 }, (_, i) => i) } }))).to.equal(false);
    });

    it('takes 120,000 characters of names and values in all, and 15,000 for one string enum of more than 250 values', () => {
      const long = (n: number) => 'x'.repeat(n);
      expect(strictCompatible(closed({ [long(59_999)]: { type: 'string', const: long(60_000) } }))).to.equal(true);
      expect(strictCompatible(closed({ [long(60_000)]: { type: 'string', const: long(60_001) } }))).to.equal(false);
      expect(strictCompatible({ ...closed({ d: { $ref: `#/$defs/${long(120_000)}` } }), $defs: { [long(120_000)]: { type: 'string' } } })).to.equal(false);
      const letters = (n: number, width: number) => Array.from({ length: n }, (_, i) => String(i).padStart(width, '0'));
      expect(strictCompatible(closed({ e: { type: 'string', enum: letters(250, 100) } }))).to.equal(true);
      expect(strictCompatible(closed({ e: { type: 'string', enum: letters(300, 50) } }))).to.equal(true);
      expect(strictCompatible(closed({ e: { type: 'string', enum: letters(300, 51) } }))).to.equal(false);
    });
  });

  it('reads each required name a bounded number of times, however many properties an object has', () => {
    // Each property used to be looked up by a walk along `required`: 50,000 of them blocked the process for seconds.
    const properties = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`p${i}`, { type: 'string' }]));
    let reads = 0;
    const required = new Proxy(Object.keys(properties), {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads += 1;
        return Reflect.get(target, key, receiver);
      },
    });
    expect(strictCompatible({ type: 'object', properties, required, additionalProperties: false })).to.equal(true);
    expect(reads).to.be.at.most(2 * required.length);
  });
});
