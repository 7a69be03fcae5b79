import { expect } from 'chai';
import { streamErrorKind } from '../../../lib/backends/http/stream-error-kind.js';

describe('streamErrorKind', () => {
  it('gives the status and retryability of a known type or code', () => {
    expect(streamErrorKind(undefined, 'invalid_request_error')).to.deep.equal({ status: 400, retryable: false });
    expect(streamErrorKind('rate_limit_exceeded', undefined)).to.deep.equal({ status: 429, retryable: true });
    expect(streamErrorKind(undefined, 'overloaded_error')).to.deep.equal({ status: 529, retryable: true });
  });

  it('prefers the code to the type', () => {
    expect(streamErrorKind('invalid_prompt', 'invalid_request_error')).to.deep.equal({ status: 400, retryable: false });
    expect(streamErrorKind('rate_limit_exceeded', 'invalid_request_error')).to.deep.equal({ status: 429, retryable: true });
    expect(streamErrorKind('something_new', 'invalid_request_error')).to.deep.equal({ status: 400, retryable: false });
  });

  it('lets a server-side type win over a code that names a refusal', () => {
    expect(streamErrorKind('image_parse_error', 'server_error')).to.deep.equal({ status: 500, retryable: true });
    expect(streamErrorKind('image_generation_server_error', 'server_error')).to.deep.equal({ status: 500, retryable: true });
  });

  it('knows nothing of an unknown name, nor of an Object.prototype member', () => {
    for (const name of ['something_new', 'constructor', '__proto__', 'toString']) expect(streamErrorKind(name, name), name).to.equal(undefined);
    expect(streamErrorKind(undefined, undefined)).to.equal(undefined);
  });
});
