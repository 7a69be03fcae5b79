import { expect } from 'chai';
import { LipError } from '../../lib/errors/index.js';
import { KeyLimits, TokenRate, type RateLimitSink } from '../../lib/server/key-limits.js';

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

  it('requests_per_minute lowered by a reload (window kept): Retry-After until enough requests leave to bring it under the new limit', () => {
    let now = 0;
    const limits = new KeyLimits(() => now);
    for (let i = 0; i < 10; i++) {
      limits.admit({ ...key, requests_per_minute: 10 }, { concurrent: false });
      now += 5_000;
    }
    // At 50 s the window holds 10 requests (0 s … 45 s); under a limit of 3 the 8th (35 s) must leave: at 95 s.
    const lowered = { ...key, requests_per_minute: 3 };
    const err = refusal(() => limits.admit(lowered, { concurrent: false }));
    expect(err.retryAfter).to.equal(45);
    now += 45_000 - 1;
    expect(() => limits.admit(lowered, { concurrent: false })).to.throw(LipError);
    now += 1;
    expect(() => limits.admit(lowered, { concurrent: false })).not.to.throw();
  });

  it('max_concurrent_requests: counted while in flight, released once', () => {
    const limits = new KeyLimits(() => 0);
    const only = { ...key, requests_per_minute: undefined };
    const release = limits.admit(only, { concurrent: true }) as () => void;
    const err = refusal(() => limits.admit(only, { concurrent: true }));
    expect([err.status, err.retryAfter, err.message]).to.deep.equal([429, 1, 'API key "k" is at its limit of 1 concurrent requests']);
    release();
    release(); // idempotent: does not free a second slot
    const again = limits.admit(only, { concurrent: true }) as () => void;
    expect(() => limits.admit(only, { concurrent: true })).to.throw(LipError);
    again();
  });

  it('into: the requests window as each request found it, and the tokens window (for the answer\'s headers)', () => {
    let now = 0;
    const limits = new KeyLimits(() => now);
    const tokens = new TokenRate(() => now);
    const team = { id: 'w', key: 'z'.repeat(16), principal: 'p', requests_per_minute: 3, tokens_per_minute: 1000 };
    const first: RateLimitSink = {};
    tokens.check(team, first);
    limits.admit(team, { concurrent: true, tokens: true, into: first });
    expect(first.rateLimit).to.deep.equal({ tokens: { limit: 1000, remaining: 1000, resetMs: 0 }, requests: { limit: 3, remaining: 2, resetMs: 60_000 } });
    tokens.charge(team, 300);
    now = 20_000;
    const second: RateLimitSink = {};
    tokens.check(team, second);
    limits.admit(team, { concurrent: true, tokens: true, into: second });
    expect(second.rateLimit).to.deep.equal({ tokens: { limit: 1000, remaining: 700, resetMs: 40_000 }, requests: { limit: 3, remaining: 1, resetMs: 60_000 } });
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

  describe('tokens_per_minute (TokenRate)', () => {
    const tpm = { id: 't', key: 'y'.repeat(16), principal: 'p', tokens_per_minute: 100 };

    it('admits while the last minute spent less than the limit; the request that crosses it finished, the next is a 429 until enough has left the window', () => {
      let now = 0;
      const rate = new TokenRate(() => now);
      rate.check(tpm);
      rate.charge(tpm, 60);
      now = 10_000;
      rate.check(tpm); // 60 < 100
      rate.charge(tpm, 70); // crosses: 130
      now = 20_000;
      const err = refusal(() => rate.check(tpm));
      expect([err.code, err.status]).to.deep.equal(['LIP_ERR_AUTH_KEY_LIMITED', 429]);
      expect(err.message).to.equal('API key "t" is over its limit of 100 tokens per minute (130 in the last minute)');
      // The first 60 leave at 60 s, which brings the window under the limit: 40 s from now.
      expect(err.retryAfter).to.equal(40);
      now = 59_999;
      expect(() => rate.check(tpm)).to.throw(LipError);
      now = 60_000;
      rate.check(tpm); // 70 left in the window
      now = 70_000;
      rate.check(tpm);
      rate.charge(tpm, 0); // nothing spent counts for nothing
    });

    it('into, on a refusal: the window reached, whole again when Retry-After ends (not a minute after its newest spending)', () => {
      let now = 0;
      const rate = new TokenRate(() => now);
      rate.charge(tpm, 60);
      now = 10_000;
      rate.charge(tpm, 70);
      now = 20_500;
      const seen: RateLimitSink = {};
      const err = refusal(() => rate.check(tpm, seen));
      // The first 60 leave at 60 s, which brings the window under the limit.
      expect([err.retryAfter, seen.rateLimit]).to.deep.equal([40, { tokens: { limit: 100, remaining: 0, resetMs: 39_500 } }]);
    });

    it('a key without the limit, no key, and other keys are not counted', () => {
      let now = 0;
      const rate = new TokenRate(() => now);
      const other = { ...tpm, id: 'u' };
      rate.charge(tpm, 500);
      rate.check(other);
      rate.check({ id: 'n', key: 'z'.repeat(16), principal: 'p' });
      rate.check(undefined);
      rate.charge(undefined, 10);
      expect(() => rate.check(tpm)).to.throw(LipError);
      now = 61_000;
      rate.check(tpm);
    });
  });
});
