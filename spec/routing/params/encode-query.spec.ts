import { expect } from 'chai';
import { encodeComponent, encodeQuery } from '../../../lib/routing/params/encode-query.js';

describe('routing/params/encodeQuery', () => {
  it('sorts keys by code unit and joins key=value with &', () => {
    expect(encodeQuery({ top_p: '0.9', temperature: '0.2', Z: '1', a: '' })).to.equal('Z=1&a=&temperature=0.2&top_p=0.9');
    expect(encodeQuery({})).to.equal('');
  });

  it('escapes like a URL query component: unreserved kept, space as +, the rest as UTF-8 %XX', () => {
    expect(encodeComponent('AZaz09-_.~')).to.equal('AZaz09-_.~');
    expect(encodeComponent('a b')).to.equal('a+b');
    expect(encodeComponent("!'()*")).to.equal('%21%27%28%29%2A');
    expect(encodeComponent('|^[]{}?&=+:/,;@$#%')).to.equal('%7C%5E%5B%5D%7B%7D%3F%26%3D%2B%3A%2F%2C%3B%40%24%23%25');
    expect(encodeComponent('é\u{1F600}')).to.equal('%C3%A9%F0%9F%98%80');
  });

  it('gives the same text for the same pairs whatever their order', () => {
    expect(encodeQuery({ b: '2', a: '1' })).to.equal(encodeQuery({ a: '1', b: '2' }));
  });
});
