import { expect } from 'chai';
import { isSafePattern } from '../../../../lib/extensions/features/tool-call-repair/safe-pattern.js';
import { prescanSchema, resolvePointer } from '../../../../lib/extensions/features/tool-call-repair/schema-prescan.js';
import { ValidatorCache } from '../../../../lib/extensions/features/tool-call-repair/validator-cache.js';
import { LIMITS } from './repair-arguments.spec.js';

describe('tool-call-repair: schema guards', () => {
  it('refuses the shapes of catastrophic backtracking, accepts ordinary patterns', () => {
    for (const p of ['^(a+)+$', '(a|aa)*', '^(\\w+\\s?)*$', '(x+x+)+y', '(a*)*', '(.*a){20}', '(a)\\1', '(?=a)b', 'x'.repeat(600)]) expect(isSafePattern(p), p).to.equal(false);
    for (const p of ['^[a-z0-9_-]{1,64}$', '^\\d{4}-\\d{2}-\\d{2}$', '^(foo|bar)$', '^(ab)+$', '[(+*]', '^https?://[^ ]+$']) expect(isSafePattern(p), p).to.equal(true);
  });

  it('measured: ^(a+)+$ grows exponentially with the input on the JS engine (26 a\'s: ~0.7 s); the guard refuses it before any input is seen', () => {
    const input = `${'a'.repeat(22)}!`; // 22 keeps the unguarded control run short enough to measure on a shared core
    const t0 = process.hrtime.bigint();
    /^(a+)+$/.test(input);
    const unguardedMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cache = new ValidatorCache(LIMITS);
    const t1 = process.hrtime.bigint();
    const compiled = cache.get({ type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' } } });
    const guardedMs = Number(process.hrtime.bigint() - t1) / 1e6;
    expect(compiled).to.deep.equal({ ok: false, reason: 'schema_unsupported' });
    // Exponential: every extra `a` doubles the unguarded time; the guard's cost does not depend on the input.
    expect(unguardedMs).to.be.greaterThan(guardedMs);
  });

  it('the pre-scan bounds size, depth, nodes, members and local-ref chains, and refuses remote refs', () => {
    const small = { ...LIMITS, max_schema_bytes: 100, max_nesting_depth: 3, max_nodes: 20, max_properties: 3, max_local_ref_depth: 2 };
    expect(prescanSchema({ type: 'object', description: 'x'.repeat(200) }, small)).to.include({ ok: false, reason: 'schema_unsupported' });
    expect(prescanSchema({ a: { b: { c: { d: {} } } } }, small)).to.include({ ok: false, reason: 'schema_unsupported' });
    expect(prescanSchema({ properties: { a: {}, b: {}, c: {}, d: {} } }, small)).to.include({ ok: false, reason: 'schema_unsupported' });
    expect(prescanSchema({ $ref: '#/$defs/a', $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/c' }, c: {} } }, small)).to.include({ ok: false, reason: 'schema_unsupported' });
    expect(prescanSchema({ $ref: 'https://example.com/s.json' }, LIMITS)).to.include({ ok: false, reason: 'schema_unsupported' });
    expect(prescanSchema({ $ref: '#/$defs/none' }, LIMITS)).to.include({ ok: false, reason: 'schema_invalid' });
    expect(prescanSchema({ $schema: 'http://example.com/mine' }, LIMITS)).to.include({ ok: false, reason: 'schema_unsupported' });
    expect(prescanSchema({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' }, LIMITS)).to.include({ ok: true, dialect: 'draft-04' });
    expect(prescanSchema({ type: 'object' }, LIMITS)).to.include({ ok: true, dialect: '2020-12' });
  });

  // Found by probing: the pre-scan threw URIError on such a $ref, and the call was reported as
  // the model's fault (`unrepairable`) and its schema scanned again on every call.
  it('a local $ref with a malformed percent-escape resolves to nothing: schema_invalid, cached like any refusal', () => {
    const schema = { type: 'object', properties: { a: { $ref: '#/%E0%A4%A' } } };
    expect(resolvePointer(schema, '#/%E0%A4%A')).to.equal(undefined);
    expect(prescanSchema(schema, LIMITS)).to.include({ ok: false, reason: 'schema_invalid' });
    const cache = new ValidatorCache(LIMITS);
    expect(cache.get(schema)).to.deep.equal({ ok: false, reason: 'schema_invalid' });
    expect(cache.size).to.equal(1);
  });

  it('compiled validators live in a bounded LRU keyed by schema digest', () => {
    const cache = new ValidatorCache({ ...LIMITS, max_cache_entries: 2 });
    const s = (n: number) => ({ type: 'object', properties: { [`p${n}`]: { type: 'integer' } } });
    const first = cache.get(s(1));
    expect(cache.get({ ...s(1) })).to.equal(first); // same digest, same entry
    cache.get(s(2));
    cache.get(s(1)); // touched: s(2) is now the oldest
    cache.get(s(3));
    expect(cache.size).to.equal(2);
    expect(cache.get(s(1))).to.equal(first);
    const again = cache.get(s(2)); // evicted and compiled afresh (ajv's copy was removed)
    expect(again.ok && again.validate({ p2: 'x' })).to.have.length(1);
  });

  it('a drafts-4 schema is validated with draft-04 rules (boolean exclusiveMinimum)', () => {
    const cache = new ValidatorCache(LIMITS);
    const compiled = cache.get({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object', properties: { n: { type: 'number', minimum: 0, exclusiveMinimum: true } } });
    expect(compiled.ok).to.equal(true);
    if (compiled.ok) {
      expect(compiled.validate({ n: 0 })).to.have.length(1);
      expect(compiled.validate({ n: 1 })).to.equal(undefined);
    }
  });
});
