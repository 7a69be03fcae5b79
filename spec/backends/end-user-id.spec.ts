import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { endUserId, OPENAI_END_USER_MAX } from '../../lib/backends/end-user-id.js';

describe('backends/end-user-id', () => {
  it('an id that fits goes as it is, up to exactly the limit', () => {
    expect(endUserId('user_42')).to.equal('user_42');
    expect(endUserId('x'.repeat(OPENAI_END_USER_MAX))).to.equal('x'.repeat(64));
    expect(endUserId('')).to.equal('');
  });

  it('a longer id goes as the SHA-256 hex of the whole: 64 characters, stable, distinct per id', () => {
    const long = 'x'.repeat(65);
    expect(endUserId(long)).to.equal(createHash('sha256').update(long).digest('hex'));
    expect(endUserId(long)).to.equal(endUserId(long));
    expect(endUserId(`${long}y`)).to.have.length(64).and.not.equal(endUserId(long));
  });

  it('a smaller limit cuts the digest to it', () => {
    expect(endUserId('x'.repeat(41), 40)).to.equal(createHash('sha256').update('x'.repeat(41)).digest('hex').slice(0, 40));
  });
});
