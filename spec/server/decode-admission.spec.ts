import { expect } from 'chai';
import type { LipError } from '../../lib/errors/index.js';
import { DecodeAdmission } from '../../lib/server/decode-admission.js';

function refusal(run: () => unknown): LipError {
  try {
    run();
  } catch (err) {
    return err as LipError;
  }
  throw new Error('expected a refusal');
}

describe('server/decode-admission', () => {
  it('refuses the decode beyond max_concurrent_decodes with 429 and Retry-After: 1', () => {
    const admission = new DecodeAdmission(2, 1000);
    const a = admission.enter();
    admission.enter();
    const err = refusal(() => admission.enter());
    expect([err.code, err.status, err.retryAfter]).to.deep.equal(['LIP_ERR_SERVER_DECODE_ADMISSION', 429, 1]);
    expect(err.message).to.equal('decode admission capacity exceeded: 2 request bodies are being read and decoded (server.max_concurrent_decodes)');
    a.release();
    a.release();
    expect(admission.inflight.decodes).to.equal(1);
    admission.enter();
  });

  it('weighs bodies by bytes: the budget is shared; one body heavier than all of it is a 413 (found by the batches probe: an upload over it got a retryable 429 for ever)', () => {
    const admission = new DecodeAdmission(10, 1000);
    const a = admission.enter();
    a.grow(600);
    a.grow(500); // never shrinks
    const b = admission.enter();
    expect(refusal(() => b.grow(401)).message).to.equal('decode admission capacity exceeded: request bodies in progress would hold over 1000 bytes (server.max_inflight_decode_bytes)');
    b.grow(400);
    expect(admission.inflight).to.deep.equal({ decodes: 2, bytes: 1000 });
    a.release();
    expect(admission.inflight).to.deep.equal({ decodes: 1, bytes: 400 });
    const c = admission.enter();
    expect(refusal(() => c.grow(1001)).message).to.contain('a body of 1001 bytes is heavier than server.max_inflight_decode_bytes (1000)');
    b.release();
    // Alone, it is heavier still: no retry can help it (a 413, not a 429 with Retry-After).
    const alone = refusal(() => c.grow(1001));
    expect([alone.code, alone.status, alone.retryable, alone.retryAfter]).to.deep.equal(['LIP_ERR_REQUEST_TOO_LARGE', 413, false, undefined]);
    c.release();
    expect(admission.inflight).to.deep.equal({ decodes: 0, bytes: 0 });
  });

  it('a hold weighs on the byte budget only: it takes no decode slot', () => {
    const admission = new DecodeAdmission(1, 1000);
    const held = admission.hold();
    held.grow(700);
    const body = admission.enter();
    expect(admission.inflight).to.deep.equal({ decodes: 1, bytes: 700 });
    expect(refusal(() => body.grow(301)).code).to.equal('LIP_ERR_SERVER_DECODE_ADMISSION');
    expect(refusal(() => admission.hold().grow(301)).message).to.contain('would hold over 1000 bytes');
    held.release();
    held.release();
    body.grow(1000);
    body.release();
    expect(admission.inflight).to.deep.equal({ decodes: 0, bytes: 0 });
  });
});
