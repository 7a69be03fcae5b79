import { expect } from 'chai';
import { bedrockStreamError, classifyBedrockStatus } from '../../../lib/backends/bedrock/index.js';

describe('backends/bedrock/classify-error', () => {
  it('keeps the status an exception frame\'s type comes with over HTTP (a model failure\'s as a 5xx), and its retryability; an unknown type is a 502', () => {
    const of = (type: string | undefined) => bedrockStreamError('br', type, 'x', []);
    const types = ['validationException', 'throttlingException', 'serviceUnavailableException', 'internalServerException', 'modelTimeoutException', 'modelStreamErrorException'];
    // The model's own failures (Bedrock's 408 and 424) are the server errors they are: 504, 502.
    expect(types.map((t) => [of(t).status, of(t).retryable])).to.deep.equal([[400, false], [429, true], [503, true], [500, true], [504, true], [502, true]]);
    expect([of('somethingNewException').status, of('constructor').status, of(undefined).status]).to.deep.equal([502, 502, 502]);
    expect(of('throttlingException')).to.include({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR' });
    expect(of('throttlingException').detail).to.deep.include({ upstream_type: 'ThrottlingException' });
    expect(of('modelStreamErrorException').detail).to.deep.include({ upstream_type: 'ModelStreamErrorException' });
  });

  it('answers a model failure over HTTP with a 5xx, keeping the upstream status and code and the retryability', () => {
    const of = (status: number, type: string) => classifyBedrockStatus('br', status, '{"message":"x"}', { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` }, undefined, []);
    const cases = [[424, 'ModelErrorException'], [424, 'ModelStreamErrorException'], [408, 'ModelTimeoutException'], [400, 'ValidationException'], [429, 'ThrottlingException']] as const;
    expect(cases.map(([status, type]) => [of(status, type).status, of(status, type).retryable])).to.deep.equal([[502, false], [502, true], [504, true], [400, false], [429, true]]);
    expect(of(424, 'ModelErrorException').detail).to.deep.include({ upstream_status: 424, upstream_type: 'ModelErrorException' });
    expect(of(424, 'ModelErrorException').message).to.include('upstream status 424: x');
  });
});
