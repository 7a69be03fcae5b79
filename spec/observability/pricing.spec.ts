import { expect } from 'chai';
import { Pricing, splitTokens } from '../../lib/observability/pricing.js';

describe('observability/pricing', () => {
  it('splits canonical usage into disjoint priced parts that add up to input + output', () => {
    expect(splitTokens({ inputTokens: 1000, outputTokens: 100, cacheReadTokens: 200, cacheWriteTokens: 50, reasoningTokens: 40 }))
      .to.deep.equal({ uncachedInput: 750, cacheRead: 200, cacheWrite: 50, visibleOutput: 60, reasoning: 40 });
    // A provider that reports more cache than input (inconsistent) is clamped, never negative.
    expect(splitTokens({ inputTokens: 10, cacheReadTokens: 30, outputTokens: 5, reasoningTokens: 9 }))
      .to.deep.equal({ uncachedInput: 0, cacheRead: 10, cacheWrite: 0, visibleOutput: 0, reasoning: 5 });
  });

  it('prices each token type per million, with cache and reasoning defaulting to input and output prices', () => {
    const pricing = new Pricing([
      { backend: 'oa', model: 'gpt', input: 2.5, output: 10, cache_read: 1.25 },
      { backend: 'an', input: 3, output: 15, cache_read: 0.3, cache_write: 3.75, reasoning: 20 },
    ]);
    // 800 * 2.5 + 200 * 1.25 + 100 * 10 = 3250 micro-units
    expect(pricing.cost('oa', 'gpt', { inputTokens: 1000, outputTokens: 100, cacheReadTokens: 200 })).to.be.closeTo(0.00325, 1e-12);
    // cache_write defaults to input; reasoning defaults to output
    expect(pricing.cost('oa', 'gpt', { inputTokens: 100, cacheWriteTokens: 100, outputTokens: 10, reasoningTokens: 10 })).to.be.closeTo((100 * 2.5 + 10 * 10) / 1e6, 1e-12);
    // 700 * 3 + 200 * 0.3 + 100 * 3.75 + 60 * 15 + 40 * 20 = 4235
    expect(pricing.cost('an', 'claude', { inputTokens: 1000, outputTokens: 100, cacheReadTokens: 200, cacheWriteTokens: 100, reasoningTokens: 40 })).to.be.closeTo(0.004235, 1e-12);
  });

  it('prefers a backend + model row to the backend row, and answers undefined when nothing prices the attempt', () => {
    const pricing = new Pricing([{ backend: 'oa', input: 1, output: 1 }, { backend: 'oa', model: 'big', input: 10, output: 10 }]);
    expect(pricing.cost('oa', 'big', { inputTokens: 1_000_000 })).to.equal(10);
    expect(pricing.cost('oa', 'small', { inputTokens: 1_000_000 })).to.equal(1);
    expect(pricing.cost('other', 'big', { inputTokens: 1_000_000 })).to.equal(undefined);
    expect(pricing.cost('oa', 'big', {})).to.equal(undefined);
    expect(new Pricing([]).empty).to.equal(true);
  });

  it('prices hosted web searches per thousand when the row has a web_search price, and only then', () => {
    const pricing = new Pricing([{ backend: 'an', input: 3, output: 15, web_search: 10 }, { backend: 'oa', input: 2.5, output: 10 }]);
    // 1000 * 3 + 100 * 15 = 4500 micro-units, plus 2 searches at 10 per thousand
    expect(pricing.cost('an', 'claude', { inputTokens: 1000, outputTokens: 100 }, 2)).to.be.closeTo(0.0045 + 0.02, 1e-12);
    expect(pricing.cost('an', 'claude', {}, 1)).to.be.closeTo(0.01, 1e-12); // searches alone are a cost
    expect(pricing.cost('oa', 'gpt', { inputTokens: 1000, outputTokens: 100 }, 3)).to.be.closeTo(0.0035, 1e-12); // not priced there
    expect(pricing.cost('oa', 'gpt', {}, 3)).to.equal(undefined);
  });
});
