import { expect } from 'chai';
import { classifyGeminiStatus, geminiKeyRejected, geminiStreamError } from '../../../lib/backends/gemini/index.js';

/** Google's answer with an ErrorInfo of `reason` (and a Help detail before it, as some carry). */
const withReason = (code: number, status: string, reason: string) => JSON.stringify({ error: { code, message: 'refused', status, details: [
  { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Google developers console', url: 'https://console.developers.google.com' }] },
  { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
  { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SECOND' },
] } });

describe('backends/gemini/classify-error', () => {
  it('reads the google.rpc envelope', () => {
    expect(classifyGeminiStatus('g', 400, '{"error":{"code":400,"message":"API key not valid: AIzaSyA1234567890abcdefghijklmnop","status":"INVALID_ARGUMENT"}}', {}, undefined, []))
      .to.include({ status: 400, retryable: false, message: 'backend "g": upstream status 400: API key not valid: ***' });
  });

  // Found by probing: Gemini answers a key it does not take with a 400 INVALID_ARGUMENT ("API key
  // not valid") whose ErrorInfo says API_KEY_INVALID; lip read the status alone, so the key was
  // never retired from its pool and the route did not move on: the client was told its request
  // was invalid.
  it('keeps the first ErrorInfo reason as detail.upstream_reason, and takes the reasons that refuse the key or its project for a rejected key', () => {
    const invalid = classifyGeminiStatus('g', 400, withReason(400, 'INVALID_ARGUMENT', 'API_KEY_INVALID'), {}, undefined, []);
    expect(invalid.detail).to.deep.include({ upstream_status: 400, upstream_type: 'INVALID_ARGUMENT', upstream_reason: 'API_KEY_INVALID' });
    expect(geminiKeyRejected(400, invalid)).to.equal(true);
    for (const reason of ['API_KEY_SERVICE_BLOCKED', 'SERVICE_DISABLED', 'CONSUMER_SUSPENDED', 'API_KEY_IP_ADDRESS_BLOCKED']) {
      expect(geminiKeyRejected(403, classifyGeminiStatus('g', 403, withReason(403, 'PERMISSION_DENIED', reason), {}, undefined, [])), reason).to.equal(true);
    }
    // Not the key's fault: a request Gemini refuses, billing a model wants, a quota; nor a reason on another status.
    const plain = classifyGeminiStatus('g', 400, '{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}', {}, undefined, []);
    expect(plain.detail).to.not.have.property('upstream_reason');
    expect(geminiKeyRejected(400, plain)).to.equal(false);
    expect(geminiKeyRejected(400, classifyGeminiStatus('g', 400, withReason(400, 'FAILED_PRECONDITION', 'BILLING_DISABLED'), {}, undefined, []))).to.equal(false);
    expect(geminiKeyRejected(429, classifyGeminiStatus('g', 429, withReason(429, 'RESOURCE_EXHAUSTED', 'RATE_LIMIT_EXCEEDED'), {}, undefined, []))).to.equal(false);
    expect(geminiKeyRejected(500, classifyGeminiStatus('g', 500, withReason(500, 'INTERNAL', 'API_KEY_INVALID'), {}, undefined, []))).to.equal(false);
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
