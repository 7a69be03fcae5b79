import { expect } from 'chai';
import { chatStreamError, classifyChatStatus } from '../../../lib/backends/openai-chat/index.js';

const classify = (status: number, body: string, wait?: number) => classifyChatStatus('b', status, body, {}, wait, ['sk-secret-123456']);

describe('backends/openai-chat/classify-error', () => {
  it('reads the error shapes of OpenAI and compatible servers', () => {
    expect(classify(400, '{"error":{"message":"bad tool","type":"invalid_request_error"}}').message).to.equal('backend "b": upstream status 400: bad tool');
    expect(classify(404, '{"error":"model \\"llama9\\" not found"}').message).to.equal('backend "b": upstream status 404: model "llama9" not found');
    expect(classify(400, '{"object":"error","message":"max_tokens too large","type":"BadRequestError","code":400}').message).to.contain('max_tokens too large');
    expect(classify(422, '{"detail":[{"msg":"field required"},{"msg":"bad type"}]}').message).to.contain('field required; bad type');
    expect(classify(502, '<html><body>Bad gateway</body></html>').message).to.contain('the upstream answered with an HTML page');
    expect(classify(500, '').message).to.equal('backend "b": upstream status 500');
  });

  it('keeps the status and decides retryability once: 408, 409, 429, 5xx yes; other 4xx no', () => {
    for (const status of [408, 409, 429, 500, 502, 503, 504]) expect(classify(status, '{}').retryable, String(status)).to.equal(true);
    for (const status of [400, 401, 403, 404, 413, 422]) expect(classify(status, '{}'), String(status)).to.include({ retryable: false, status });
    expect(classify(429, '{}', 2500).retryAfter).to.equal(3);
  });

  it('takes a 429 insufficient_quota for a spent quota, not a rate limit: retryable (next key, next candidate), without Retry-After', () => {
    const err = classify(429, '{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}', 2500);
    expect(err).to.include({ code: 'LIP_ERR_UPSTREAM_QUOTA_EXCEEDED', status: 429, retryable: true, retryAfter: undefined });
    expect(err.message).to.equal('backend "b": the upstream says the quota is spent: You exceeded your current quota');
    expect(classify(429, '{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}').code).to.equal('LIP_ERR_UPSTREAM_STATUS');
  });

  it('never repeats a key', () => {
    expect(classify(401, '{"error":{"message":"Incorrect API key provided: sk-secret-123456"}}').message).not.to.contain('sk-secret-123456');
  });

  it('marks server-side stream errors retryable, others not', () => {
    expect(chatStreamError('b', { error: { message: 'x', type: 'server_error' } }, [])).to.include({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR', retryable: true });
    expect(chatStreamError('b', { error: { message: 'x', code: 'rate_limit_exceeded' } }, [])).to.include({ retryable: true });
    expect(chatStreamError('b', { error: { message: 'x', type: 'invalid_request_error' } }, [])).to.include({ retryable: false });
  });

  it('reads a numeric code in a stream error (OpenRouter, vLLM): 408, 409, 429, 5xx fail over with their status; other 4xx keep theirs', () => {
    const openrouter = chatStreamError('or', { error: { code: 502, message: 'Provider returned error', metadata: { raw: 'overloaded', provider_name: 'Anthropic' } }, choices: [{ delta: { content: '' }, finish_reason: 'error' }] }, []);
    expect(openrouter).to.include({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR', status: 502, retryable: true });
    expect(openrouter.message).to.equal('backend "or": Provider returned error (Anthropic: overloaded)');
    expect(chatStreamError('or', { error: { code: 429, message: 'Rate limit exceeded upstream', metadata: {} } }, [])).to.include({ status: 429, retryable: true });
    expect(chatStreamError('v', { error: { message: 'Internal server error', type: 'InternalServerError', param: null, code: 500 } }, [])).to.include({ status: 500, retryable: true });
    expect(chatStreamError('v', { error: { message: 'busy', type: 'ServiceUnavailableError' } }, [])).to.include({ retryable: true });
    for (const code of [408, 409, 503]) expect(chatStreamError('or', { error: { code, message: 'x' } }, []), String(code)).to.include({ status: code, retryable: true });
    for (const code of [400, 401, 402, 403]) expect(chatStreamError('or', { error: { code, message: 'x' } }, []), String(code)).to.include({ status: code, retryable: false });
    expect(chatStreamError('b', { error: { message: 'x', code: 'rate_limit_exceeded' } }, [])).to.include({ status: 429 });
  });

  it('names the provider behind an OpenRouter status error and its own words', () => {
    const err = classify(502, JSON.stringify({ error: { code: 502, message: 'Provider returned error', metadata: { provider_name: 'Groq', raw: { error: { message: 'model overloaded' } } } } }));
    expect(err.message).to.equal('backend "b": upstream status 502: Provider returned error (Groq: {"error":{"message":"model overloaded"}})');
  });
});
