import { expect } from 'chai';
import { repairArguments } from '../../../../lib/extensions/features/tool-call-repair/repair-arguments.js';
import { ValidatorCache } from '../../../../lib/extensions/features/tool-call-repair/validator-cache.js';
import { REPAIR_CASES } from './repair-cases.js';

export const LIMITS = { max_schema_bytes: 262_144, max_nesting_depth: 32, max_nodes: 4096, max_properties: 1024, max_local_ref_depth: 32, max_cache_entries: 64, max_cache_bytes: 4_194_304 };

describe('tool-call-repair/repairArguments', () => {
  const cache = new ValidatorCache(LIMITS);
  for (const c of REPAIR_CASES.filter((c) => c.reason !== 'args_too_large')) {
    it(`${c.reason} (${c.dialect})`, () => {
      const out = repairArguments(c.sent.name, c.sent.args.join(''), c.tools.map((t) => ({ name: t.name, parameters: t.parameters })), cache);
      expect(out.reasons).to.deep.equal(c.reasons);
      const name = out.name ?? c.sent.name;
      const args = out.args ?? c.sent.args.join('');
      expect([name, JSON.parse(args)]).to.deep.equal([c.received.name, c.received.args]);
      // A valid call or one that cannot be repaired is left exactly as it came.
      if (['valid_pass_through', 'unrepairable', 'ambiguous_tool_name', 'ambiguous_property', 'scalar_coercion_disabled', 'schema_invalid', 'schema_unsupported'].includes(c.reason)) {
        expect(out.args).to.equal(undefined);
        expect(out.name).to.equal(undefined);
      }
    });
  }

  const tools = [{ name: 'f', parameters: { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'string', default: 'x' } }, required: ['a', 'b'], additionalProperties: false } }];
  const run = (args: string, name = 'f') => repairArguments(name, args, tools, cache);

  it('combines repairs, each post-validated: truncation, a rename, a default and a removal', () => {
    const out = run('{"A":1,"zz":true');
    expect(out.reasons).to.deep.equal(['syntax_repaired', 'property_renamed', 'default_inserted', 'additional_property_removed']);
    expect(JSON.parse(out.args!)).to.deep.equal({ a: 1, b: 'x' });
  });

  it('a renamed property keeps its place', () => {
    expect(run('{"A":1,"b":"y"}').args).to.equal('{"a":1,"b":"y"}');
  });

  it('never invents a value: a required property without const/enum/default stays missing', () => {
    expect(run('{"b":"y"}')).to.deep.equal({ reasons: ['unrepairable'], unrepaired: true });
  });

  it('never coerces a scalar and never completes a half number or a cut escape', () => {
    expect(run('{"a":"1"}').reasons).to.deep.equal(['scalar_coercion_disabled']);
    expect(run('{"a":1.').reasons).to.deep.equal(['unrepairable']);
    expect(run('{"a":1,"b":"x\\').reasons).to.deep.equal(['unrepairable']);
  });

  it('never fuzzy-matches: a near name that does not normalise to a declared one is not renamed', () => {
    expect(run('{"a":1}', 'ff').reasons).to.deep.equal(['unrepairable']);
    expect(run('{"a":1}', 'F').name).to.equal('f');
  });

  it('empty arguments are an empty object; a comma inside a string is not a dangling comma', () => {
    const g = [{ name: 'g', parameters: { type: 'object', properties: { b: { type: 'string', default: 'x' } }, required: ['b'] } }];
    expect(repairArguments('g', '', g, cache)).to.deep.equal({ reasons: ['default_inserted'], args: '{"b":"x"}' });
    expect(run('').reasons).to.deep.equal(['unrepairable']);
    const out = run('{"a":1,"b":"x,');
    expect(JSON.parse(out.args!)).to.deep.equal({ a: 1, b: 'x,' });
  });
});
