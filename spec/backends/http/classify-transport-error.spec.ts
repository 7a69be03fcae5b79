import { expect } from 'chai';
import { errors } from 'undici';
import { classifyTransportError, errorCode } from '../../../lib/backends/http/index.js';
import { outcomeOf } from '../../../lib/circuit/index.js';

const nodeError = (code: string) => Object.assign(new Error(`${code} happened`), { code });

describe('backends/http/classify-transport-error', () => {
  it('keeps the three http_client timeouts apart, all retryable', () => {
    expect(classifyTransportError(new errors.ConnectTimeoutError(), 'b', 'connect')).to.include({ code: 'LIP_ERR_UPSTREAM_CONNECT_TIMEOUT', retryable: true });
    expect(classifyTransportError(new errors.HeadersTimeoutError(), 'b', 'connect')).to.include({ code: 'LIP_ERR_UPSTREAM_HEADERS_TIMEOUT', retryable: true });
    expect(classifyTransportError(new errors.BodyTimeoutError(), 'b', 'body')).to.include({ code: 'LIP_ERR_UPSTREAM_BODY_TIMEOUT', retryable: true });
  });

  it('calls refused, unresolvable and unreachable hosts connect failures', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']) {
      expect(classifyTransportError(nodeError(code), 'b', 'connect'), code).to.include({ code: 'LIP_ERR_UPSTREAM_CONNECT', retryable: true });
    }
  });

  it('calls a dying connection a reset, before the response and while reading the body', () => {
    expect(classifyTransportError(nodeError('ECONNRESET'), 'b', 'connect')).to.include({ code: 'LIP_ERR_UPSTREAM_RESET', retryable: true });
    expect(classifyTransportError(new errors.SocketError('other side closed'), 'b', 'connect')).to.include({ code: 'LIP_ERR_UPSTREAM_RESET' });
    expect(classifyTransportError(new Error('anything'), 'b', 'body')).to.include({ code: 'LIP_ERR_UPSTREAM_RESET' });
    expect(classifyTransportError(nodeError('HPE_INVALID_CHUNK_SIZE'), 'b', 'connect')).to.include({ code: 'LIP_ERR_UPSTREAM_RESET' });
  });

  it('finds the code along the cause chain, names the backend, never a URL', () => {
    const wrapped = new Error('fetch failed', { cause: nodeError('ECONNREFUSED') });
    expect(errorCode(wrapped)).to.equal('ECONNREFUSED');
    const err = classifyTransportError(wrapped, 'upstream-a', 'connect');
    expect(err.message).to.equal('backend "upstream-a": could not connect to the upstream (ECONNREFUSED)');
    expect(err.detail).to.deep.equal({ backend: 'upstream-a', transport_code: 'ECONNREFUSED', phase: 'connect' });
  });

  it("calls a request the HTTP client will not send (UND_ERR_INVALID_ARG) lip's own failure, which no circuit counts", () => {
    // A header value undici refuses (a request id with a line break): nothing was sent, no upstream was tried.
    const err = classifyTransportError(new errors.InvalidArgumentError('invalid x-request-id header'), 'b', 'connect');
    expect(err).to.include({ code: 'LIP_ERR_SERVER_INTERNAL', retryable: false });
    expect(err.message).to.equal('backend "b": lip built a request the HTTP client will not send (UND_ERR_INVALID_ARG)');
    expect(err.message).not.to.contain('reach');
    expect(outcomeOf(err)).to.equal('ignored');
  });

  it('treats unknown failures before a response as unreachable', () => {
    expect(classifyTransportError(new Error('Proxy response (407) !== 200 when HTTP Tunneling'), 'b', 'connect')).to.include({ code: 'LIP_ERR_UPSTREAM_CONNECT', retryable: true });
  });
});
