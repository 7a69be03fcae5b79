import { expect } from 'chai';
import { derivedId, randomId } from '../../lib/wire/ids.js';

describe('wire/ids', () => {
  it('randomId: the prefix, then `length` base62 characters (24 by default)', () => {
    expect(randomId('chatcmpl-')).to.match(/^chatcmpl-[A-Za-z0-9]{24}$/);
    expect(randomId('resp_', 48)).to.match(/^resp_[A-Za-z0-9]{48}$/);
    expect(randomId('', 300)).to.match(/^[A-Za-z0-9]{300}$/);
  });

  it('randomId: ids differ, and every character of the alphabet turns up', () => {
    const ids = Array.from({ length: 2_000 }, () => randomId('x_'));
    expect(new Set(ids).size).to.equal(ids.length);
    const seen = new Set(ids.join('').replace(/x_/g, ''));
    expect(seen.size).to.equal(62);
  });

  it('derivedId: the prefix, then base62 characters of the seed\'s hash: the same for a seed, different across seeds', () => {
    expect(derivedId('msg_', 'resp_1/output/0')).to.match(/^msg_[A-Za-z0-9]{24}$/);
    expect(derivedId('msg_', 'resp_1/output/0')).to.equal(derivedId('msg_', 'resp_1/output/0'));
    expect(derivedId('x_', 'seed', 32)).to.match(/^x_[A-Za-z0-9]{32}$/);
    const ids = Array.from({ length: 2_000 }, (_, i) => derivedId('', `resp_1/output/${i}`));
    expect(new Set(ids).size).to.equal(ids.length);
  });
});
