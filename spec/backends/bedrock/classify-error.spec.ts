import { expect } from 'chai';
import { bedrockStreamError } from '../../../lib/backends/bedrock/index.js';

describe('backends/bedrock/classify-error', () => {
  it('keeps the status an exception frame\'s type comes with over HTTP, and its retryability; an unknown type is a 502', () => {
    const of = (type: string | undefined) => bedrockStreamError('br', type, 'x', []);
    const types = ['validationException', 'throttlingException', 'serviceUnavailableException', 'internalServerException', 'modelTimeoutException', 'modelStreamErrorException'];
    expect(types.map((t) => [of(t).status, of(t).retryable])).to.deep.equal([[400, false], [429, true], [503, true], [500, true], [408, true], [424, true]]);
    expect([of('somethingNewException').status, of('constructor').status, of(undefined).status]).to.deep.equal([502, 502, 502]);
    expect(of('throttlingException')).to.include({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR' });
    expect(of('throttlingException').detail).to.deep.include({ upstream_type: 'ThrottlingException' });
  });
});
