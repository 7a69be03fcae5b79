import { expect } from 'chai';
import { anthropicRateLimitHeaders } from '../../lib/frontends/anthropic/rate-limit-headers.js';
import { openaiRateLimitHeaders, rateLimitHeadersOf, resetDuration } from '../../lib/frontends/rate-limit-headers.js';

describe('frontends/rate-limit-headers', () => {
  it('resetDuration writes what OpenAI writes: 0s, 20ms, 1.5s, 1m0s, 6m0s', () => {
    expect([0, -5, 20, 999, 1_000, 1_500, 1_234, 59_990, 60_000, 61_000, 360_000].map(resetDuration))
      .to.deep.equal(['0s', '0s', '20ms', '999ms', '1s', '1.5s', '1.3s', '1m0s', '1m0s', '1m1s', '6m0s']);
  });

  it('x-ratelimit-* for the windows a key has, none for one it has not', () => {
    expect(openaiRateLimitHeaders({ requests: { limit: 60, remaining: 59, resetMs: 60_000 } })).to.deep.equal({
      'x-ratelimit-limit-requests': '60', 'x-ratelimit-remaining-requests': '59', 'x-ratelimit-reset-requests': '1m0s',
    });
    expect(openaiRateLimitHeaders({ tokens: { limit: 1000, remaining: 0, resetMs: 12_345 } })).to.deep.equal({
      'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '12.4s',
    });
    expect(rateLimitHeadersOf({}, undefined)).to.deep.equal({});
    expect(rateLimitHeadersOf({ rateLimitHeaders: () => ({ own: '1' }) }, {})).to.deep.equal({ own: '1' });
  });

  it('anthropic-ratelimit-*: the reset as the second the window is whole again, RFC 3339', () => {
    const now = Date.UTC(2026, 11, 6, 12, 0, 0, 250);
    expect(anthropicRateLimitHeaders({ requests: { limit: 50, remaining: 49, resetMs: 60_000 }, tokens: { limit: 1000, remaining: 1000, resetMs: 0 } }, now)).to.deep.equal({
      'anthropic-ratelimit-requests-limit': '50', 'anthropic-ratelimit-requests-remaining': '49', 'anthropic-ratelimit-requests-reset': '2026-12-06T12:01:01Z',
      'anthropic-ratelimit-tokens-limit': '1000', 'anthropic-ratelimit-tokens-remaining': '1000', 'anthropic-ratelimit-tokens-reset': '2026-12-06T12:00:01Z',
    });
  });
});
