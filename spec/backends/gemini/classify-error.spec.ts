import { expect } from 'chai';
import { classifyGeminiStatus, geminiStreamError } from '../../../lib/backends/gemini/index.js';

describe('backends/gemini/classify-error', () => {
  it('reads the google.rpc envelope', () => {
    expect(classifyGeminiStatus('g', 400, '{"error":{"code":400,"message":"API key not valid: AIzaSyA1234567890abcdefghijklmnop","status":"INVALID_ARGUMENT"}}', {}, undefined, []))
      .to.include({ status: 400, retryable: false, message: 'backend "g": upstream status 400: API key not valid: ***' });
  });

  it('takes the Retry-After of a 429 from RetryInfo when no header gave one', () => {
    const body = '{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"17s"}]}}';
    expect(classifyGeminiStatus('g', 429, body, {}, undefined, [])).to.include({ retryable: true, retryAfter: 17 });
    expect(classifyGeminiStatus('g', 429, body, {}, 3000, [])).to.include({ retryAfter: 3 });
  });

  it('takes a 429 whose QuotaFailure names a per-day quota for a spent quota (its RetryInfo is not a wait that helps); a per-minute one stays a rate limit', () => {
    const quota = (quotaId: string) => JSON.stringify({ error: { code: 429, message: 'You exceeded your current quota', status: 'RESOURCE_EXHAUSTED', details: [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId }] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '43s' },
    ] } });
    expect(classifyGeminiStatus('g', 429, quota('GenerateRequestsPerDayPerProjectPerModel-FreeTier'), {}, undefined, []))
      .to.include({ code: 'LIP_ERR_UPSTREAM_QUOTA_EXCEEDED', status: 429, retryable: true, retryAfter: undefined });
    expect(classifyGeminiStatus('g', 429, quota('GenerateRequestsPerMinutePerProjectPerModel-FreeTier'), {}, undefined, []))
      .to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 429, retryable: true, retryAfter: 43 });
  });

  it('fails over on UNAVAILABLE / INTERNAL inside the stream only', () => {
    expect(geminiStreamError('g', { error: { code: 500, message: 'x', status: 'INTERNAL' } }, [])).to.include({ retryable: true });
    expect(geminiStreamError('g', { error: { code: 400, message: 'x', status: 'INVALID_ARGUMENT' } }, [])).to.include({ retryable: false });
  });

  // Found by probing: an in-stream error whose status name lip does not know (code 500, status
  // "overloaded_error") failed a `ge:m|oc:m` request with a 500 instead of failing over; the
  // name alone decided, although a numeric 5xx fails over for every other kind (docs/errors.md).
  it('fails over on a numeric 408, 409, 429 or 5xx code inside the stream, whatever its status name', () => {
    const of = (error: Record<string, unknown>) => geminiStreamError('g', { error: { message: 'x', ...error } }, []);
    expect([of({ code: 500, status: 'overloaded_error' }), of({ code: 503 }), of({ code: 429, status: 'toString' }), of({ code: 500, status: 'UNKNOWN' })]
      .map((e) => [e.status, e.retryable])).to.deep.equal([[500, true], [503, true], [429, true], [500, true]]);
    expect([of({ code: 400, status: 'INTERNAL' }), of({ code: 404 }), of({ status: 'UNKNOWN' })].map((e) => [e.status, e.retryable]))
      .to.deep.equal([[400, false], [404, false], [500, false]]);
  });

  it('keeps the in-stream error\'s status: its code, else the one its status name stands for, else 502', () => {
    expect(geminiStreamError('g', { error: { code: 503, message: 'x', status: 'UNAVAILABLE' } }, [])).to.include({ status: 503, retryable: true });
    expect(geminiStreamError('g', { error: { message: 'x', status: 'RESOURCE_EXHAUSTED' } }, [])).to.include({ status: 429, retryable: true });
    expect(geminiStreamError('g', { error: { code: 'x', message: 'x', status: 'INVALID_ARGUMENT' } }, [])).to.include({ status: 400, retryable: false });
    expect(geminiStreamError('g', { error: { code: 200, message: 'x' } }, []).status).to.equal(502);
    expect(geminiStreamError('g', { error: { message: 'x', status: 'toString' } }, []).status).to.equal(502);
  });
});
