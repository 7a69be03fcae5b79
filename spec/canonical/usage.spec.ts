import { expect } from 'chai';
import { addUsage, mergeUsage, USAGE_DIALECTS } from '../../lib/canonical/index.js';

describe('canonical/usage', () => {
  it('addUsage sums two calls field by field, a field absent from both staying absent', () => {
    expect(addUsage(undefined, { inputTokens: 3 })).to.deep.equal({ inputTokens: 3 });
    expect(addUsage({ inputTokens: 100, outputTokens: 10, cacheReadTokens: 40 }, { inputTokens: 150, outputTokens: 5, cacheReadTokens: 20 }))
      .to.deep.equal({ inputTokens: 250, outputTokens: 15, cacheReadTokens: 60 });
  });

  // Found by probing: an answer resumed after its first call broke off (whose usage had input
  // tokens only) reported total_tokens 1060 for 2010 in and 50 out: the first call's missing total
  // counted as 0, not as its input + output.
  it('addUsage totals a call without a reported total as its input + output', () => {
    expect(addUsage({ inputTokens: 1000 }, { inputTokens: 1010, outputTokens: 50, totalTokens: 1060 }))
      .to.deep.equal({ inputTokens: 2010, outputTokens: 50, totalTokens: 2060 });
    expect(addUsage({ inputTokens: 100, outputTokens: 10, totalTokens: 115 }, { inputTokens: 150, outputTokens: 5 }))
      .to.deep.equal({ inputTokens: 250, outputTokens: 15, totalTokens: 270 });
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
