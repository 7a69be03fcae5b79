import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { ValidateFunction } from 'ajv';
import '../../lib/frontends/registry.js';
import { removeOtherValidators, REQUEST_SCHEMAS, REQUEST_VALIDATORS, SchemaValidators, schemaDigest, writePrecompiledValidators, type ValidatorFamily } from '../../lib/wire/index.js';

/** A family with a keyword of its own whose generated code calls a function by module name. */
const calls: unknown[] = [];
const EVEN: ValidatorFamily = {
  options: { allErrors: true, strict: true },
  setUp(ajv, { _ }) {
    ajv.addKeyword({
      keyword: 'even',
      schemaType: 'boolean',
      error: { message: 'must be even' },
      code(cxt) {
        const isEven = cxt.gen.scopeValue('func', { ref: HELPERS.isEven, code: _`require("spec:even").isEven` });
        cxt.fail(_`!${isEven}(${cxt.data})`);
      },
    });
  },
  modules: { 'spec:even': { isEven: (n: unknown) => (calls.push(n), typeof n === 'number' && n % 2 === 0) } },
};
const HELPERS = EVEN.modules!['spec:even'] as { isEven: (n: unknown) => boolean };
const SCHEMA = { type: 'object', properties: { n: { type: 'integer', even: true } }, required: ['n'] };

describe('wire: precompiled JSON Schema validators (lib/wire/precompiled-validators.ts)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-precompiled-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a module per schema that validates as the compiled validator does, calling the family\'s modules', () => {
    const names = writePrecompiledValidators(EVEN, [SCHEMA, SCHEMA], dir);
    expect(names).to.deep.equal([`${schemaDigest(EVEN, SCHEMA)}.cjs`]);
    const loaded = new SchemaValidators(EVEN, dir);
    const compiled = new SchemaValidators(EVEN, null);
    const fromModule = loaded.validator(SCHEMA);
    const fromAjv = compiled.validator(SCHEMA);
    expect([loaded.compiled, compiled.compiled]).to.deep.equal([0, 1]);
    calls.length = 0;
    for (const value of [{ n: 4 }, { n: 3 }, { n: 'x' }, {}, { n: 2.5 }]) {
      const ok = fromModule(value);
      expect(ok, JSON.stringify(value)).to.equal(fromAjv(value));
      expect(fromModule.errors ?? null).to.deep.equal(fromAjv.errors ?? null);
    }
    expect(fromModule({ n: 3 })).to.equal(false);
    expect(fromModule.errors?.[0]).to.include({ keyword: 'even', message: 'must be even', instancePath: '/n' });
    // Both called the family's function, once per value present (allErrors: after a type error too).
    expect(calls).to.deep.equal([4, 4, 3, 3, 'x', 'x', 2.5, 2.5, 3]);
  });

  it('names a module by the schema and the options, and compiles a schema with no module', () => {
    const other: ValidatorFamily = { ...EVEN, options: { ...EVEN.options, allErrors: false } };
    expect(schemaDigest(other, SCHEMA)).to.not.equal(schemaDigest(EVEN, SCHEMA));
    expect(schemaDigest(EVEN, { ...SCHEMA, required: [] })).to.not.equal(schemaDigest(EVEN, SCHEMA));
    const validators = new SchemaValidators(other, dir);
    validators.validator(SCHEMA);
    expect(validators.compiled).to.equal(1);
  });

  it('compiles a schema whose module does not load (a damaged or half-written file) and validates all the same', () => {
    const own = join(dir, 'damaged');
    const [name] = writePrecompiledValidators(EVEN, [SCHEMA], own);
    writeFileSync(join(own, name!), 'module.exports = function (require) { return {{ ;');
    const validators = new SchemaValidators(EVEN, own);
    const validate = validators.validator(SCHEMA);
    expect(validators.compiled).to.equal(1);
    expect([validate({ n: 2 }), validate({ n: 1 })]).to.deep.equal([true, false]);
  });

  it('removes only the modules a build no longer writes, and leaves no temporary file behind', () => {
    const own = join(dir, 'stale');
    const names = writePrecompiledValidators(EVEN, [SCHEMA, { ...SCHEMA, required: [] }], own);
    expect(names).to.have.length(2);
    expect(removeOtherValidators([names[0]!], own)).to.equal(1);
    expect(readdirSync(own)).to.deep.equal([names[0]]);
  });

  it('lists every client protocol\'s request schemas, and loads each from its module', () => {
    expect(REQUEST_SCHEMAS.length).to.be.at.least(7);
    const own = join(dir, 'requests');
    writePrecompiledValidators(REQUEST_VALIDATORS, REQUEST_SCHEMAS, own);
    expect(readdirSync(own).length).to.equal(new Set(REQUEST_SCHEMAS.map((s) => schemaDigest(REQUEST_VALIDATORS, s))).size);
    const validators = new SchemaValidators(REQUEST_VALIDATORS, own);
    const loaded: ValidateFunction[] = REQUEST_SCHEMAS.map((s) => validators.validator(s));
    expect(validators.compiled).to.equal(0);
    expect(loaded.every((v) => typeof v === 'function')).to.equal(true);
  });

  it('the build precompiled every request schema (dist/precompiled; `npm run build` writes it)', () => {
    const built = fileURLToPath(new URL('../../dist/precompiled/', import.meta.url));
    const missing = REQUEST_SCHEMAS.map((s) => `${schemaDigest(REQUEST_VALIDATORS, s)}.cjs`).filter((name) => !existsSync(join(built, name)));
    expect(missing, 'run `npm run build`').to.deep.equal([]);
  });
});
