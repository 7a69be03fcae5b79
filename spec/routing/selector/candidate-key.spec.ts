import { expect } from 'chai';
import { candidateKey, leavesOf } from '../../../lib/routing/selector/candidate-key.js';
import { parseSelector } from '../../../lib/routing/selector/parse-selector.js';

const keys = (selector: string) => parseSelector(selector).arms.flatMap(leavesOf).map(candidateKey);

describe('routing/selector/candidateKey', () => {
  it('is backend:model for a plain leaf (dots, colons and slashes kept)', () => {
    expect(keys('openai.azure:gpt-4o | ollama:google/gemma3:4b')).to.deep.equal(['openai.azure:gpt-4o', 'ollama:google/gemma3:4b']);
  });

  it('adds the canonical query: keys sorted, percent-encoded, the same for equivalent spellings', () => {
    expect(keys('a:m?top_p=0.9&temperature=0.2')).to.deep.equal(['a:m?temperature=0.2&top_p=0.9']);
    expect(keys('a:m?note=hello%21world!b:m?note=a%20b')).to.deep.equal(['a:m?note=hello%21world', 'b:m?note=a+b']);
    const [x, y] = keys('a:m?b=1&a=%41 | a:m?a=A&b=1');
    expect(x).to.equal(y);
  });

  it('tells apart leaves whose queries differ (they are distinct circuits)', () => {
    const [high, low] = keys('a:m?reasoning_effort=high|a:m?reasoning_effort=low');
    expect(high).to.not.equal(low);
  });

  it('leaves out annotations', () => {
    expect(keys('{ttft_timeout=5}[weight=2,ttft_timeout=1,max_context=8K]a:m^[first]b:m | [handicap=1]c:m!d:m')).to.deep.equal(['a:m', 'b:m', 'c:m', 'd:m']);
  });

  it('is the bare model (and query) for a model-only leaf not resolved yet', () => {
    expect(keys('gpt-4o?temperature=1 | :qwen3:8b')).to.deep.equal(['gpt-4o?temperature=1', 'qwen3:8b']);
  });

  it('lists the leaves of each arm kind in selector order', () => {
    expect(parseSelector('a:1 | b:1^c:1 | d:1!e:1').arms.map((arm) => leavesOf(arm).map((l) => l.backend))).to.deep.equal([['a'], ['b', 'c'], ['d', 'e']]);
  });
});
