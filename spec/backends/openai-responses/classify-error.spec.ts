import { expect } from 'chai';
import { classifyResponsesStatus, responsesStreamError } from '../../../lib/backends/openai-responses/index.js';

describe('backends/openai-responses/classify-error', () => {
  it('reads the OpenAI envelope and keeps the status', () => {
    expect(classifyResponsesStatus('r', 400, '{"error":{"message":"Encrypted content is not supported with this model.","type":"invalid_request_error","param":"include","code":null}}', {}, undefined, []))
      .to.include({ status: 400, retryable: false, message: 'backend "r": upstream status 400: Encrypted content is not supported with this model.' });
  });

  it('takes a 429 insufficient_quota for a spent quota, not a rate limit', () => {
    expect(classifyResponsesStatus('r', 429, '{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}', {}, undefined, []))
      .to.include({ code: 'LIP_ERR_UPSTREAM_QUOTA_EXCEEDED', status: 429, retryable: true, retryAfter: undefined });
  });

  it('fails over on server-side failures inside the stream only', () => {
    expect(responsesStreamError('r', { code: 'server_error', message: 'x' }, [])).to.include({ retryable: true });
    expect(responsesStreamError('r', { code: 'invalid_prompt', message: 'x' }, [])).to.include({ retryable: false });
    expect(responsesStreamError('r', undefined, []).message).to.equal('backend "r": the upstream reported an error');
  });

  it('reads an error event nested as the API writes it and flat as the docs do', () => {
    const nested = responsesStreamError('r', { type: 'error', sequence_number: 2, error: { type: 'invalid_request_error', code: 'invalid_prompt', message: 'flagged', param: null } }, []);
    expect(nested).to.include({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR', status: 400, retryable: false, message: 'backend "r": flagged' });
    expect(nested.detail).to.deep.include({ upstream_type: 'invalid_prompt' });
    expect(responsesStreamError('r', { type: 'error', code: 'invalid_prompt', message: 'flagged', param: null }, [])).to.include({ status: 400, message: 'backend "r": flagged' });
  });

  it('keeps the status of the failure code, else of its type', () => {
    const status = (error: Record<string, unknown>) => responsesStreamError('r', error, []);
    expect(status({ code: 'rate_limit_exceeded', message: 'x' })).to.include({ status: 429, retryable: true });
    expect(status({ type: 'error', error: { type: 'too_many_requests', code: 'too_many_requests', message: 'x' } })).to.include({ status: 429, retryable: true });
    expect(status({ code: 'server_error', message: 'x' })).to.include({ status: 500, retryable: true });
    expect(status({ code: 'image_content_policy_violation', message: 'x' })).to.include({ status: 400, retryable: false });
    expect(status({ code: 'invalid_image_url', message: 'x' })).to.include({ status: 400, retryable: false });
    expect(status({ type: 'error', error: { type: 'invalid_request_error', code: 'something_new', message: 'x' } })).to.include({ status: 400 });
    expect(status({ code: 'something_new', message: 'x' })).to.include({ status: 502 });
  });

  it('a nested context_length_exceeded is the context-window error', () => {
    const err = responsesStreamError('r', { type: 'error', error: { type: 'invalid_request_error', code: 'context_length_exceeded', message: 'Your input exceeds the context window of this model.', param: 'input' } }, []);
    expect(err).to.include({ code: 'LIP_ERR_UPSTREAM_CONTEXT_EXCEEDED', status: 400 });
    expect(err.message).to.include('Your input exceeds the context window');
  });
});
