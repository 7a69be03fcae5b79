import { expect } from 'chai';
import { validateHeaderValue } from 'node:http';
import fc from 'fast-check';
import { headerValue, MAX_ECHOED_HEADER } from '../../lib/wire/index.js';

describe('wire/headerValue', () => {
  it('passes printable ASCII unchanged', () => {
    expect(headerValue('openai:gpt-4o?ttft_timeout=3s')).to.equal('openai:gpt-4o?ttft_timeout=3s');
  });

  it('percent-encodes non-ASCII, control characters, CR/LF and % as UTF-8', () => {
    expect(headerValue('stub:😀')).to.equal('stub:%F0%9F%98%80');
    expect(headerValue('a\r\nx-injected: 1')).to.equal('a%0D%0Ax-injected: 1');
    expect(headerValue('50%')).to.equal('50%25');
    expect(decodeURIComponent(headerValue('stub:日本 50%'))).to.equal('stub:日本 50%');
  });

  it('never throws on a lone surrogate (encoded as U+FFFD)', () => {
    expect(headerValue('x\ud83d')).to.equal('x%EF%BF%BD');
  });

  it('caps the length without cutting an escape in half', () => {
    expect(headerValue('a'.repeat(1000))).to.have.length(MAX_ECHOED_HEADER);
    const cut = headerValue(`${'a'.repeat(254)}é`);
    expect(cut).to.equal('a'.repeat(254));
  });

  it('whatever the input, the result is a legal header value of bounded length', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (value) => {
      const out = headerValue(value);
      expect(() => validateHeaderValue('x-test', out)).not.to.throw();
      expect(out.length).to.be.at.most(MAX_ECHOED_HEADER);
      expect(out).to.match(/^[\x20-\x7e]*$/);
    }), { numRuns: 500 });
  });
});
