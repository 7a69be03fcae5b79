import { expect } from 'chai';
import { classifyResponsesStatus, responsesStreamError } from '../../../lib/backends/openai-responses/index.js';

describe('backends/openai-responses/classify-error', () => {
  it('reads the OpenAI envelope and keeps the status', () => {
    expect(classifyResponsesStatus('r', 400, '{"error":{"message":"Encrypted content is not supported with this model.","type":"invalid_request_error","param":"include","code":null}}', {}, undefined, []))
      .to.include({ status: 400, retryable: false, message: 'backend "r": upstream status 400: Encrypted content is not supported with this model.' });
  });

  it('fails over on server-side failures inside the stream only', () => {
    expect(responsesStreamError('r', { code: 'server_error', message: 'x' }, [])).to.include({ retryable: true });
    expect(responsesStreamError('r', { code: 'invalid_prompt', message: 'x' }, [])).to.include({ retryable: false });
    expect(responsesStreamError('r', undefined, []).message).to.equal('backend "r": the upstream reported an error');
  });
});
