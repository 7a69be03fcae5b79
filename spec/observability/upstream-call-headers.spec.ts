import { expect } from 'chai';
import { validateHeaderValue } from 'node:http';
import fc from 'fast-check';
import type { AttemptSpan, RequestTrace } from '../../lib/observability/tracing.js';
import { upstreamCallHeaders } from '../../lib/observability/upstream-call-headers.js';

const REQUEST_CONTEXT = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' };
const ATTEMPT_CONTEXT = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-583b2c5a7203dea2-01', baggage: 'k=v' };
const trace = { propagation: REQUEST_CONTEXT } as unknown as RequestTrace;
const span = { headers: ATTEMPT_CONTEXT } as unknown as AttemptSpan;

describe('observability/upstream-call-headers', () => {
  it("sends the request's id, with the attempt span's trace context, else the request span's, else none", () => {
    expect(upstreamCallHeaders('req-1', trace, span)).to.deep.equal({ 'x-request-id': 'req-1', ...ATTEMPT_CONTEXT });
    expect(upstreamCallHeaders('req-1', trace)).to.deep.equal({ 'x-request-id': 'req-1', ...REQUEST_CONTEXT });
    expect(upstreamCallHeaders('req-1', undefined)).to.deep.equal({ 'x-request-id': 'req-1' });
  });

  it('sends an id a header can carry as it is: a sane client id, a UUID, a batch request of printable ASCII', () => {
    for (const id of ['abc-123_x.y:z', 'abc.dup2', '0f8a6c1e-57b1-4f67-8d5c-2b51c8d7d8a1', 'batch_DID6EHfH2DihhiaOYedW82iv/item #1 (retry)', `batch_x/${'a'.repeat(512)}`]) {
      expect(upstreamCallHeaders(id, undefined)['x-request-id']).to.equal(id);
    }
  });

  it('percent-encodes what a header cannot carry (non-ASCII, emoji, CR/LF, control characters, and % with them)', () => {
    const sent = (id: string) => upstreamCallHeaders(id, undefined)['x-request-id'];
    expect(sent('batch_x/日本語-3')).to.equal('batch_x/%E6%97%A5%E6%9C%AC%E8%AA%9E-3');
    expect(sent('batch_x/emoji-😀')).to.equal('batch_x/emoji-%F0%9F%98%80');
    expect(sent('batch_x/a\r\nx-injected: 1')).to.equal('batch_x/a%0D%0Ax-injected: 1');
    expect(sent('batch_x/ctrl\u0001\t')).to.equal('batch_x/ctrl%01%09');
    expect(sent('batch_x/100%')).to.equal('batch_x/100%25');
    expect(decodeURIComponent(sent('batch_x/café 100%'))).to.equal('batch_x/café 100%');
  });

  it('whatever the id, the same id is sent each time, a legal header value of at most 1,024 characters', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 1200 }), (id) => {
      const sent = upstreamCallHeaders(`batch_x/${id}`, undefined)['x-request-id']!;
      expect(() => validateHeaderValue('x-request-id', sent)).not.to.throw();
      expect(sent.length).to.be.at.most(1024);
      expect(upstreamCallHeaders(`batch_x/${id}`, undefined)['x-request-id']).to.equal(sent);
    }), { numRuns: 300 });
  });
});
