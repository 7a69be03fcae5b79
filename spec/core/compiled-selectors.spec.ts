import { expect } from 'chai';
import { CompiledSelectors, DEFAULT_SELECTOR_CACHE_ENTRIES } from '../../lib/core/compiled-selectors.js';
import { MAX_SELECTOR_INPUT_CHARS } from '../../lib/core/route-input.js';
import { LipError } from '../../lib/errors/index.js';

function errorOf(fn: () => unknown): LipError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(LipError);
    return err as LipError;
  }
  throw new Error('no error');
}

describe('core/compiled-selectors', () => {
  const selectors = () => new CompiledSelectors('stub', new Set(['stub', 'b']), new Set(['stub', 'b', 'off']));

  it('compiles once and returns the same entry for the same text', () => {
    const cache = selectors();
    const first = cache.get('stub:m|b:m');
    expect(first.selector.arms).to.have.length(2);
    expect(cache.get('stub:m|b:m')).to.equal(first);
    expect(cache.size).to.equal(1);
  });

  it('caches failures as the LipError to throw', () => {
    const cache = selectors();
    const a = errorOf(() => cache.get('off:m'));
    expect(a.code).to.equal('LIP_ERR_ROUTE_UNKNOWN_BACKEND');
    expect(errorOf(() => cache.get('off:m'))).to.equal(a);
    expect(errorOf(() => cache.get('stub:m!!b:m')).code).to.equal('LIP_ERR_ROUTE_INVALID_SELECTOR');
  });

  it('names where a refused selector came from: the model (param model), the X-LIP-Route header (param X-LIP-Route)', () => {
    const cache = selectors();
    const model = errorOf(() => cache.get('nope:x'));
    expect([model.param, model.message]).to.deep.equal(['model', 'column 1: no backend "nope" is configured (known: stub, b)']);
    // The same text from the header (cached once): the header's words, not the model's.
    const header = errorOf(() => cache.get('nope:x', 'header'));
    expect([header.code, header.status, header.param]).to.deep.equal(['LIP_ERR_ROUTE_UNKNOWN_BACKEND', 400, 'X-LIP-Route']);
    expect(header.message).to.equal('the X-LIP-Route header, column 1: no backend "nope" is configured (known: stub, b)');
    expect(errorOf(() => cache.get('stub:m|off:m', 'header')).message).to.equal('the X-LIP-Route header, column 8: backend "off" is disabled');
    expect(errorOf(() => cache.get('nope:x', 'model'))).to.equal(model);
    expect(cache.size).to.equal(2);
  });

  it('refuses text longer than 4,096 characters before parsing it, and keeps nothing of it', () => {
    const cache = selectors();
    const err = errorOf(() => cache.get(`stub:${'m'.repeat(MAX_SELECTOR_INPUT_CHARS)}`));
    expect([err.code, err.status, err.param]).to.deep.equal(['LIP_ERR_REQUEST_LIMIT_EXCEEDED', 400, 'model']);
    expect(err.message).to.equal('the selector (after aliases) is 4101 characters long; a selector may have at most 4096 (column 4097)');
    expect(cache.size).to.equal(0);
    expect(cache.get(`stub:${'m'.repeat(MAX_SELECTOR_INPUT_CHARS - 5)}`).selector.arms).to.have.length(1);
  });

  it('the configured default route is not held to the request limit (up to the parser\'s 65,536)', () => {
    const cache = selectors();
    const long = `stub:m?note=${'n'.repeat(5_000)}|b:m`;
    expect(cache.get(long, 'default').selector.arms).to.have.length(2);
    expect(errorOf(() => cache.get(`${long}|stub:x`, 'model')).code).to.equal('LIP_ERR_REQUEST_LIMIT_EXCEEDED');
  });

  it('stays bounded after 30,000 distinct long selectors: at most 512 entries, none longer than 4 KiB', function () {
    this.timeout(60_000); // 20,000 parses of 1 KiB: a few seconds on a loaded machine
    const cache = selectors();
    const kept = 'x'.repeat(1_000);
    const refused = 'x'.repeat(65_000);
    for (let i = 0; i < 30_000; i++) {
      if (i % 3 === 0) expect(errorOf(() => cache.get(`stub:${i}${refused}`)).code).to.equal('LIP_ERR_REQUEST_LIMIT_EXCEEDED');
      else if (i % 3 === 1) cache.get(`stub:${i}${kept}`);
      else expect(errorOf(() => cache.get(`stub:${i}${kept}|`)).code).to.equal('LIP_ERR_ROUTE_INVALID_SELECTOR'); // failures are cached too
    }
    expect(cache.size).to.equal(DEFAULT_SELECTOR_CACHE_ENTRIES);
    expect(errorOf(() => cache.get('stub:0' + refused)).code).to.equal('LIP_ERR_REQUEST_LIMIT_EXCEEDED'); // refused ones were never cached
    expect(cache.size).to.equal(DEFAULT_SELECTOR_CACHE_ENTRIES);
  });

  it('evicts the least recently used entry, not the oldest inserted', () => {
    const cache = new CompiledSelectors('stub', new Set(['stub']), new Set(['stub']), 2);
    const a = cache.get('stub:a');
    cache.get('stub:b');
    expect(cache.get('stub:a')).to.equal(a); // a is now the most recent
    cache.get('stub:c'); // evicts b
    expect(cache.size).to.equal(2);
    expect(cache.get('stub:a')).to.equal(a);
    const b = cache.get('stub:b'); // compiled again: a new entry
    expect(b.selector.text).to.equal('stub:b');
    expect(cache.size).to.equal(2);
  });
});
