import { expect } from 'chai';
import { LipError } from '../../lib/errors/index.js';
import { KeyLimits } from '../../lib/server/key-limits.js';

function refusal(run: () => unknown): LipError {
  try {
    run();
  } catch (err) {
    return err as LipError;
  }
  throw new Error('expected a refusal');
}

describe('server/key-limits', () => {
  const key = { id: 'k', key: 'x'.repeat(16), principal: 'p', requests_per_minute: 2, max_concurrent_requests: 1 };

  it('requests_per_minute: a sliding minute, 429 with Retry-After until the oldest request leaves it', () => {
    let now = 0;
    const limits = new KeyLimits(() => now);
    limits.admit(key, { concurrent: false });
    now = 20_000;
    limits.admit(key, { concurrent: false });
    now = 30_000;
    const err = refusal(() => limits.admit(key, { concurrent: false }));
    expect(err.code).to.equal('LIP_ERR_AUTH_KEY_LIMITED');
    expect(err.status).to.equal(429);
    expect(err.retryAfter).to.equal(30);
    expect(err.message).to.equal('API key "k" is over its limit of 2 requests per minute');
    now = 60_000; // the first request (t=0) leaves the window at t=60s
    expect(() => limits.admit(key, { concurrent: false })).not.to.throw();
  });

  it('max_concurrent_requests: counted while in flight, released once', () => {
    const limits = new KeyLimits(() => 0);
    const only = { ...key, requests_per_minute: undefined };
    const release = limits.admit(only, { concurrent: true });
    const err = refusal(() => limits.admit(only, { concurrent: true }));
    expect([err.status, err.retryAfter, err.message]).to.deep.equal([429, 1, 'API key "k" is at its limit of 1 concurrent requests']);
    release();
    release(); // idempotent: does not free a second slot
    const again = limits.admit(only, { concurrent: true });
    expect(() => limits.admit(only, { concurrent: true })).to.throw(LipError);
    again();
  });

  it('a key without limits, or no key, is never limited', () => {
    const limits = new KeyLimits(() => 0);
    for (let i = 0; i < 1000; i++) limits.admit({ id: 'free', key: 'y'.repeat(16), principal: 'p' }, { concurrent: true });
    limits.admit(undefined, { concurrent: true });
  });

  it('keys are limited apart', () => {
    const limits = new KeyLimits(() => 0);
    limits.admit(key, { concurrent: true });
    expect(() => limits.admit({ ...key, id: 'other' }, { concurrent: true })).not.to.throw();
  });
});
