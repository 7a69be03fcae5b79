import { expect } from 'chai';
import { classifyCodexStatus, usageLimitResetMs } from '../../../lib/backends/openai-codex/index.js';

describe('backends/openai-codex/classify-error', () => {
  const now = 1_800_000_000_000;
  const limit = (fields: Record<string, unknown>) => ({ error: { type: 'usage_limit_reached', message: 'The usage limit has been reached', plan_type: 'plus', ...fields } });

  it('reads when a spent usage limit resets: resets_in_seconds, else resets_at (Unix seconds)', () => {
    expect(usageLimitResetMs(limit({ resets_in_seconds: 3600 }), now)).to.equal(3_600_000);
    expect(usageLimitResetMs(limit({ resets_at: now / 1000 + 90 }), now)).to.equal(90_000);
    expect(usageLimitResetMs(limit({ resets_in_seconds: 60, resets_at: now / 1000 + 90 }), now)).to.equal(60_000);
    expect(usageLimitResetMs({ error: { code: 'usage_limit_reached', resets_in_seconds: 5 } }, now)).to.equal(5_000);
  });

  it('bounds the wait to a day and a reset in the past to zero; reads nothing else', () => {
    expect(usageLimitResetMs(limit({ resets_in_seconds: 7 * 86_400 }), now)).to.equal(86_400_000);
    expect(usageLimitResetMs(limit({ resets_at: now / 1000 - 10 }), now)).to.equal(0);
    expect(usageLimitResetMs(limit({}), now)).to.equal(undefined);
    expect(usageLimitResetMs(limit({ resets_in_seconds: '3600' }), now)).to.equal(undefined);
    expect(usageLimitResetMs({ error: { type: 'rate_limit_exceeded', resets_in_seconds: 3600 } }, now)).to.equal(undefined);
    expect(usageLimitResetMs(undefined, now)).to.equal(undefined);
  });

  it('gives a 429 without Retry-After the reset as its Retry-After; a Retry-After wins; other statuses are untouched', () => {
    const text = JSON.stringify(limit({ resets_in_seconds: 3600 }));
    expect(classifyCodexStatus('cx', 429, text, {}, undefined, [], now)).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 429, retryable: true, retryAfter: 3600 });
    expect(classifyCodexStatus('cx', 429, text, {}, 5_000, [], now).retryAfter).to.equal(5);
    expect(classifyCodexStatus('cx', 429, '{"error":{"message":"slow down"}}', {}, undefined, [], now).retryAfter).to.equal(undefined);
    expect(classifyCodexStatus('cx', 400, text, {}, undefined, [], now).retryAfter).to.equal(undefined);
  });
});
