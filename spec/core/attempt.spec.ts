import { expect } from 'chai';
import type { LipEvent, Usage } from '../../lib/canonical/index.js';
import { EstimatingAttemptStats } from '../../lib/core/attempt.js';

/** An attempt's stats fed `events`; the input estimator counts its calls. */
function streamed(events: readonly LipEvent[]): { stats: EstimatingAttemptStats; inputEstimates: () => number } {
  let calls = 0;
  const stats = new EstimatingAttemptStats((usage: Usage) => ((usage.inputTokens ?? 0) + 2 * (usage.outputTokens ?? 0)) / 1_000_000, () => {
    calls++;
    return 100;
  });
  for (const event of events) stats.observe(event);
  return { stats, inputEstimates: () => calls };
}

describe('core/attempt: EstimatingAttemptStats', () => {
  const deltas: LipEvent[] = [
    { type: 'text_delta', text: 'x'.repeat(10) },
    { type: 'reasoning_delta', text: 'y'.repeat(7) },
    { type: 'tool_call_delta', id: 'c1', args: '{"a":1}' },
  ];

  it('an upstream that reported nothing: the input estimated, the output from the characters streamed (about four a token), priced', () => {
    const { stats, inputEstimates } = streamed(deltas);
    expect(stats.estimateMissing()).to.equal(true);
    // 10 + 7 + 7 characters: 6 tokens.
    expect(stats.usage).to.deep.equal({ inputTokens: 100, outputTokens: 6 });
    expect([inputEstimates(), stats.cost]).to.deep.equal([1, 112 / 1_000_000]);
  });

  it('the input as reported; an output count that lags what was streamed (Anthropic\'s message_start: 1) raised to it, the total with it', () => {
    const { stats, inputEstimates } = streamed([{ type: 'usage', usage: { inputTokens: 300, outputTokens: 1, totalTokens: 301, cacheReadTokens: 20 } }, ...deltas]);
    expect(stats.estimateMissing()).to.equal(true);
    expect(stats.usage).to.deep.equal({ inputTokens: 300, outputTokens: 6, totalTokens: 306, cacheReadTokens: 20 });
    expect(inputEstimates()).to.equal(0);
  });

  it('nothing to estimate when the upstream reported the input and at least the output streamed (a running count such as Gemini\'s)', () => {
    const { stats, inputEstimates } = streamed([...deltas, { type: 'usage', usage: { inputTokens: 300, outputTokens: 40 } }]);
    const reported = stats.usage;
    expect(stats.estimateMissing()).to.equal(false);
    expect(stats.usage).to.equal(reported);
    expect(inputEstimates()).to.equal(0);
  });

  it('the other events are observed as AttemptStats observes them', () => {
    const { stats } = streamed([
      { type: 'response_started', model: 'm-1' }, { type: 'web_search', id: 'w', status: 'completed' },
      { type: 'usage', usage: { inputTokens: 3 } }, { type: 'response_finished', reason: 'stop' },
    ]);
    expect([stats.responseModel, stats.webSearches, stats.usage, stats.finishReason]).to.deep.equal(['m-1', 1, { inputTokens: 3 }, 'stop']);
  });
});
