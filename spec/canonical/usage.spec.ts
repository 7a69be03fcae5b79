import { expect } from 'chai';
import { addUsage, mergeUsage, USAGE_DIALECTS } from '../../lib/canonical/index.js';

describe('canonical/usage', () => {
  it('addUsage sums two calls field by field, a field absent from both staying absent', () => {
    expect(addUsage(undefined, { inputTokens: 3 })).to.deep.equal({ inputTokens: 3 });
    expect(addUsage({ inputTokens: 100, outputTokens: 10, cacheReadTokens: 40 }, { inputTokens: 150, outputTokens: 5, totalTokens: 155 }))
      .to.deep.equal({ inputTokens: 250, outputTokens: 15, totalTokens: 155, cacheReadTokens: 40 });
  });

  it('mergeUsage replaces each present field (a snapshot of the same call)', () => {
    expect(mergeUsage({ inputTokens: 1, outputTokens: 2 }, { outputTokens: 5 })).to.deep.equal({ inputTokens: 1, outputTokens: 5 });
  });

  it('a provider\'s iterations: the latest snapshot\'s, two calls\' in order, none when their dialects differ', () => {
    const a = { dialect: USAGE_DIALECTS.anthropic, value: [{ type: 'message', input_tokens: 1 }] };
    const b = { dialect: USAGE_DIALECTS.anthropic, value: [{ type: 'compaction', input_tokens: 2 }] };
    expect(mergeUsage({ inputTokens: 1, iterations: a }, { outputTokens: 2 })).to.deep.equal({ inputTokens: 1, outputTokens: 2, iterations: a });
    expect(mergeUsage({ inputTokens: 1, iterations: a }, { iterations: b }).iterations).to.equal(b);
    expect(addUsage({ inputTokens: 1, iterations: a }, { inputTokens: 2, iterations: b })).to.deep.equal({ inputTokens: 3, iterations: { dialect: a.dialect, value: [...a.value, ...b.value] } });
    expect(addUsage({ inputTokens: 1 }, { inputTokens: 2, iterations: b }).iterations).to.equal(b);
    expect(addUsage({ inputTokens: 1, iterations: a }, { inputTokens: 2, iterations: { dialect: 'other', value: [] } })).to.not.have.property('iterations');
  });
});
