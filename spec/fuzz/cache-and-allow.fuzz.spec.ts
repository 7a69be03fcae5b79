import { expect } from 'chai';
import fc from 'fast-check';
import type { ApiKeyConfig } from '../../lib/config/index.js';
import { candidateAllow } from '../../lib/core/candidate-allow.js';
import { cacheControl } from '../../lib/core/response-cache.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { hostileText } from './json-mutations.js';

/** A plain glob matcher to check the compiled one against: `*` any run of characters, all else literal. */
function globMatches(pattern: string, text: string): boolean {
  const p = [...pattern];
  const t = [...text];
  let pi = 0;
  let ti = 0;
  let star = -1;
  let mark = 0;
  while (ti < t.length) {
    if (pi < p.length && p[pi] !== '*' && p[pi] === t[ti]) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = ti;
    } else if (star !== -1) {
      pi = star + 1;
      ti = ++mark;
    } else return false;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

const piece = fc.oneof(fc.constantFrom('*', ':', '.', '(', ')', '[', ']', '\\', '$', '^', '+', '?', '|', '/', 'a', 'b', 'gpt-4o'), fc.string({ maxLength: 4 }));
const pattern = fc.array(piece, { minLength: 1, maxLength: 8 }).map((parts) => parts.join('')).filter((p) => p.length > 0);
const name = fc.array(fc.oneof(fc.constantFrom('a', 'b', ':', '.', '-', '(', '*', 'gpt-4o'), fc.string({ maxLength: 3 })), { maxLength: 6 }).map((parts) => parts.join(''));

/**
 * The pieces of the response cache and the key allow lists that read what clients and operators
 * write: `Cache-Control` values of any shape, and allow patterns of any characters.
 */
describe('fuzz: Cache-Control and allow-list patterns', function () {
  this.timeout(fuzzTimeout(30));

  it('any Cache-Control value reads as nothing, no-store, no-cache or a non-negative max-age; no-store always wins', () => {
    fc.assert(fc.property(fc.oneof(hostileText, fc.array(fc.constantFrom('no-store', 'no-cache', 'max-age=0', 'max-age=30', 'max-age=x', 'private', ' ', ',', '='), { maxLength: 5 }).map((d) => d.join(','))), (value) => {
      const control = cacheControl(value);
      expect(Object.keys(control).every((k) => k === 'mode' || k === 'maxAgeMs')).to.equal(true);
      if (control.maxAgeMs !== undefined) expect(control.maxAgeMs).to.be.a('number').and.to.be.greaterThan(0);
      if (/(^|,)\s*no-store\s*(,|$)/i.test(value)) expect(control.mode).to.equal('no-store');
    }), fuzzParameters());
  });

  it('an allow pattern of any characters compiles, and matches backend:model exactly as a plain glob does (a bare backend is backend:*)', () => {
    fc.assert(fc.property(pattern, name, name, (p, backend, model) => {
      const allow = candidateAllow({ id: 'k', key: 'x'.repeat(16), principal: 'k', allow: [p] } as ApiKeyConfig)!;
      const full = p.includes(':') ? p : `${p}:*`;
      expect(allow.allows(backend, model)).to.equal(globMatches(full, `${backend}:${model}`));
    }), fuzzParameters());
  });
});
