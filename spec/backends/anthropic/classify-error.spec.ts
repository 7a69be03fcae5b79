import { expect } from 'chai';
import { anthropicStreamError, classifyAnthropicStatus } from '../../../lib/backends/anthropic/index.js';

describe('backends/anthropic/classify-error', () => {
  it('keeps the status, the message and the upstream error type', () => {
    const err = classifyAnthropicStatus('c', 400, '{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: required"},"request_id":"req_1"}', {}, undefined, []);
    expect(err).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 400, retryable: false, message: 'backend "c": upstream status 400: max_tokens: required' });
    expect(err.detail).to.deep.include({ upstream_type: 'invalid_request_error' });
  });

  it('treats 529 overloaded as retryable', () => {
    expect(classifyAnthropicStatus('c', 529, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', {}, undefined, [])).to.include({ status: 529, retryable: true });
  });

  it('lets overloaded and api errors inside a stream fail over, not request errors', () => {
    expect(anthropicStreamError('c', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, [])).to.include({ retryable: true });
    expect(anthropicStreamError('c', { type: 'error', error: { type: 'api_error', message: 'x' } }, [])).to.include({ retryable: true });
    expect(anthropicStreamError('c', { type: 'error', error: { type: 'invalid_request_error', message: 'x' } }, [])).to.include({ retryable: false });
  });

  it('keeps the status an in-stream error type comes with; an unknown type is a 502', () => {
    const statusOf = (type: string) => anthropicStreamError('c', { type: 'error', error: { type, message: 'x' } }, []).status;
    expect(['overloaded_error', 'rate_limit_error', 'invalid_request_error', 'api_error', 'timeout_error', 'not_found_error'].map(statusOf)).to.deep.equal([529, 429, 400, 500, 504, 404]);
    expect(['something_new', 'constructor'].map(statusOf)).to.deep.equal([502, 502]);
  });
});
