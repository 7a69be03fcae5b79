import { expect } from 'chai';
import { addUsage, mergeUsage } from '../../lib/canonical/index.js';

describe('canonical/usage', () => {
  it('addUsage sums two calls field by field, a field absent from both staying absent', () => {
    expect(addUsage(undefined, { inputTokens: 3 })).to.deep.equal({ inputTokens: 3 });
    expect(addUsage({ inputTokens: 100, outputTokens: 10, cacheReadTokens: 40 }, { inputTokens: 150, outputTokens: 5, totalTokens: 155 }))
      .to.deep.equal({ inputTokens: 250, outputTokens: 15, totalTokens: 155, cacheReadTokens: 40 });
  });

  it('mergeUsage replaces each present field (a snapshot of the same call)', () => {
    expect(mergeUsage({ inputTokens: 1, outputTokens: 2 }, { outputTokens: 5 })).to.deep.equal({ inputTokens: 1, outputTokens: 5 });
  });
});
