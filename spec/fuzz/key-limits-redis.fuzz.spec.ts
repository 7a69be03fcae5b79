import { expect } from 'chai';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import type { ApiKeyConfig } from '../../lib/config/index.js';
import { LipError } from '../../lib/errors/index.js';
import { KeyLimits, TokenRate } from '../../lib/server/key-limits.js';
import { RedisLimitsLedger, SLOT_LEASE_MS } from '../../lib/server/key-limits-redis.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';

type Command =
  | { readonly kind: 'admit'; readonly instance: number; readonly concurrent: boolean; readonly tokens: boolean }
  | { readonly kind: 'release'; readonly pick: number }
  | { readonly kind: 'charge'; readonly instance: number; readonly tokens: number }
  | { readonly kind: 'wait'; readonly ms: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('admit' as const), instance: fc.nat(2), concurrent: fc.boolean(), tokens: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('charge' as const), instance: fc.nat(2), tokens: fc.integer({ min: 1, max: 400 }) }) },
  // Whole seconds, so that the plain model's token buckets are the charges' own times.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 40 }).map((s) => s * 1_000) }) },
);

/** What one process would decide, written plainly: the documented semantics of the shared limits. */
class Model {
  private starts: number[] = [];
  private inflight = 0;
  private spent: [at: number, tokens: number][] = [];

  constructor(private readonly key: ApiKeyConfig) {}

  admit(now: number, concurrent: boolean, tokens: boolean): string {
    const { requests_per_minute: rpm, max_concurrent_requests: max, tokens_per_minute: tpm } = this.key;
    if (rpm !== undefined) {
      this.starts = this.starts.filter((t) => t > now - 60_000);
      if (this.starts.length >= rpm) return `429 ${Math.max(1, Math.ceil((this.starts[this.starts.length - rpm]! + 60_000 - now) / 1000))} requests`;
    }
    if (concurrent && max !== undefined && this.inflight >= max) return '429 1 concurrent';
    if (tokens && tpm !== undefined) {
      // Buckets of a second: a bucket counts until its last millisecond is a minute old.
      const live = this.spent.filter(([at]) => at + 1_000 > now - 60_000);
      const sum = live.reduce((n, [, t]) => n + t, 0);
      if (sum >= tpm) {
        let left = sum;
        let until = now;
        for (const [at, t] of [...live].sort((a, b) => a[0] - b[0])) {
          left -= t;
          until = at + 61_000;
          if (left < tpm) break;
        }
        return `429 ${Math.max(1, Math.ceil((until - now) / 1000))} tokens ${sum}`;
      }
    }
    if (rpm !== undefined) this.starts.push(now);
    if (concurrent && max !== undefined) this.inflight++;
    return 'ok';
  }

  release(concurrent: boolean): void {
    if (concurrent && this.key.max_concurrent_requests !== undefined) this.inflight--;
  }

  charge(now: number, tokens: number): void {
    this.spent.push([now, tokens]);
  }
}

/** The decision as the model writes it. */
function decision(err: unknown): string {
  if (!(err instanceof LipError)) throw err;
  const kind = err.message.includes('tokens per minute') ? `tokens ${/\((\d+) in the last minute\)/.exec(err.message)![1]}` : err.message.includes('concurrent') ? 'concurrent' : 'requests';
  return `${err.status} ${err.retryAfter} ${kind}`;
}

/**
 * A model-based property of `auth.limits_store: redis` on a real redis-server: any sequence of
 * admissions (three instances, with or without a slot, with or without the token check), slots
 * given back, tokens spent and time passing is decided exactly as one process holding every
 * request would decide it (the plain model above): the same admissions, the same refusals, the
 * same Retry-After.
 */
describe('fuzz: per-key limits shared through Redis', function () {
  this.timeout(fuzzTimeout(300));
  let redis: RedisServer;
  let probe: Redis;

  before(async function () {
    redis = await requireRedisServer(this);
    probe = new Redis(redis.url);
  });
  after(async () => {
    probe?.disconnect();
    await redis?.close();
  });

  it('three instances decide as one process would', async () => {
    const limitsArb = fc.record({
      requests_per_minute: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
      max_concurrent_requests: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      tokens_per_minute: fc.option(fc.integer({ min: 1, max: 1_000 }), { nil: undefined }),
    });
    await fc.assert(fc.asyncProperty(limitsArb, fc.array(command, { minLength: 1, maxLength: 40 }), async (limits, commands) => {
      const key: ApiKeyConfig = { id: 'k', key: 'k'.repeat(16), principal: 'p', ...limits };
      let now = 1_700_000_000_000;
      const clock = () => now;
      const prefix = `fz${Math.random().toString(36).slice(2)}:`;
      const ledgers = [0, 1, 2].map(() => new RedisLimitsLedger(redis.url, prefix, () => undefined, clock));
      const instances = ledgers.map((ledger) => {
        const limitsOf = new KeyLimits(clock);
        const tokens = new TokenRate(clock);
        limitsOf.useLedger(ledger);
        tokens.useLedger(ledger);
        return { limits: limitsOf, tokens };
      });
      const model = new Model(key);
      const held: { release: () => void; concurrent: boolean }[] = [];
      const charged = new Map<string, number>();
      try {
        for (const c of commands) {
          if (c.kind === 'wait') {
            // Time passes as it does for a live instance: its slots' leases renewed every SLOT_LEASE_MS / 3.
            for (let left = c.ms; left > 0; left -= SLOT_LEASE_MS / 3) {
              now += Math.min(left, SLOT_LEASE_MS / 3);
              for (const l of ledgers) await l.renew();
            }
          }
          else if (c.kind === 'admit') {
            const expected = model.admit(now, c.concurrent, c.tokens);
            let got = 'ok';
            try {
              held.push({ release: await instances[c.instance]!.limits.admit(key, { concurrent: c.concurrent, tokens: c.tokens }), concurrent: c.concurrent });
            } catch (err) {
              got = decision(err);
            }
            expect(got, `admit on instance ${c.instance} at +${now - 1_700_000_000_000} ms`).to.equal(expected);
          } else if (c.kind === 'release' && held.length > 0) {
            const [h] = held.splice(c.pick % held.length, 1);
            h!.release();
            model.release(h!.concurrent);
            // Given back without waiting: wait until Redis holds as many slots as the model.
            const slots = held.filter((x) => x.concurrent && key.max_concurrent_requests !== undefined).length;
            for (let i = 0; i < 500 && (await probe.zcard(`${prefix}limits:{k}:slots`)) !== slots; i++) await new Promise((r) => setTimeout(r, 2));
          } else if (c.kind === 'charge' && key.tokens_per_minute !== undefined) {
            instances[c.instance]!.tokens.charge(key, c.tokens);
            model.charge(now, c.tokens);
            const bucket = String(Math.floor(now / 1000) * 1000);
            charged.set(bucket, (charged.get(bucket) ?? 0) + c.tokens);
            // Added without waiting: wait until Redis holds it.
            for (let i = 0; i < 500 && Number(await probe.hget(`${prefix}limits:{k}:tokens`, bucket)) !== charged.get(bucket); i++) await new Promise((r) => setTimeout(r, 2));
          }
        }
      } finally {
        for (const l of ledgers) await l.close();
      }
    }), fuzzParameters(0.5));
  });
});
