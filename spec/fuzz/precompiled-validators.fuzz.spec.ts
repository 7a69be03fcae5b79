import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import type { ValidateFunction } from 'ajv';
import '../../lib/frontends/registry.js';
import { REQUEST_SCHEMAS, REQUEST_VALIDATORS, SchemaValidators, writePrecompiledValidators } from '../../lib/wire/index.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { applyMutation, mutation, type Json } from './json-mutations.js';
import { SEED_EMBEDDINGS, SEED_REQUESTS } from './seed-requests.js';

const SEEDS: Json[] = [...Object.values(SEED_REQUESTS).flat(), ...Object.values(SEED_EMBEDDINGS).flat()];

/** What a validator says of a value: valid, or its errors (the first only: request schemas stop there). */
function verdict(validate: ValidateFunction, value: unknown): unknown {
  return validate(value) ? 'valid' : validate.errors;
}

describe('fuzz: precompiled request validators (lib/wire/precompiled-validators.ts)', function () {
  this.timeout(fuzzTimeout(20));
  let dir: string;
  let pairs: { loaded: ValidateFunction; compiled: ValidateFunction }[];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-precompiled-fuzz-'));
    writePrecompiledValidators(REQUEST_VALIDATORS, REQUEST_SCHEMAS, dir);
    const loaded = new SchemaValidators(REQUEST_VALIDATORS, dir);
    const compiled = new SchemaValidators(REQUEST_VALIDATORS, null);
    pairs = REQUEST_SCHEMAS.map((schema) => ({ loaded: loaded.validator(schema), compiled: compiled.validator(schema) }));
    expect(loaded.compiled).to.equal(0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every seed gets the same verdict from both, under every protocol\'s schemas', () => {
    let valid = 0;
    for (const seed of SEEDS) {
      for (const { loaded, compiled } of pairs) {
        const v = verdict(compiled, seed);
        if (v === 'valid') valid++;
        expect(verdict(loaded, seed)).to.deep.equal(v);
      }
    }
    expect(valid).to.be.at.least(SEEDS.length);
  });

  it('a mutated request gets the same verdict (valid, or the same first error) from the build\'s validator as from ajv at run time', () => {
    fc.assert(fc.property(fc.constantFrom(...SEEDS), fc.array(mutation(undefined, 20_000), { minLength: 1, maxLength: 4 }), fc.nat(), (seed, mutations, which) => {
      const body = mutations.reduce(applyMutation, structuredClone(seed));
      const { loaded, compiled } = pairs[which % pairs.length]!;
      expect(verdict(loaded, body)).to.deep.equal(verdict(compiled, body));
    }), fuzzParameters());
  });
});
