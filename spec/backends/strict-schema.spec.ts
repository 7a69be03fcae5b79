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
