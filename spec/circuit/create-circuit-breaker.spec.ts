import { expect } from 'chai';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { circuitPolicy, createCircuitBreaker, DISABLED_BREAKER, redactUrl } from '../../lib/circuit/create-circuit-breaker.js';
import { ALLOW } from '../../lib/circuit/transitions.js';
import type { CircuitEvent } from '../../lib/circuit/types.js';
import { LipError } from '../../lib/errors/index.js';
import { configFrom } from '../helpers/config.js';
import { testScheduler } from '../helpers/marbles.js';

const BASE = { enabled: true, failure_threshold: 1, open_for: 30_000, half_open_probes: 1, store: 'memory' as const };

describe('circuit/createCircuitBreaker', () => {
  it('takes routing.circuit_breaker and redis exactly as the config loader produces them', () => {
    const config = configFrom('routing:\n  circuit_breaker: { enabled: true, failure_threshold: 2, open_for: 5s, half_open_probes: 3, store: memory }\nbackends:\n  - { id: stub, kind: localstub }\n');
    const breaker = createCircuitBreaker(config.routing.circuit_breaker, { redis: config.redis });
    expect(breaker.status()).to.include({ enabled: true, store: 'memory', healthy: true });
    expect(circuitPolicy(config.routing.circuit_breaker)).to.deep.equal({ failureThreshold: 2, openForMs: 5_000, halfOpenProbes: 3, keyTtlMs: 600_000 });
    expect(config.redis).to.deep.equal({ url: 'redis://127.0.0.1:6379', key_prefix: 'lip:', url_set: false });
  });

  it('disabled: admits everything and records nothing', () => {
    const breaker = createCircuitBreaker({ ...BASE, enabled: false });
    expect(breaker).to.equal(DISABLED_BREAKER);
    breaker.record('a:m', 'failure');
    expect([breaker.check('a:m'), breaker.peek('a:m')]).to.deep.equal([ALLOW, ALLOW]);
    expect(breaker.snapshot()).to.deep.equal([]);
    expect(breaker.status()).to.deep.equal({ enabled: false, store: 'memory', healthy: true, detail: 'disabled', since: null, open: 0, half_open: 0 });
  });

  it('memory: a working breaker on the injected scheduler, announcing transitions to onEvent and on lip:circuit', () => {
    const ts = testScheduler();
    const seen: CircuitEvent[] = [];
    const published: unknown[] = [];
    const listener = (message: unknown) => published.push(message);
    subscribe('lip:circuit', listener);
    try {
      ts.run(() => {
        const breaker = createCircuitBreaker(BASE, { scheduler: ts, onEvent: (e) => seen.push(e) });
        ts.schedule(() => breaker.record('a:m', 'failure'), 7);
        ts.schedule(() => expect(breaker.check('a:m')).to.deep.include({ allowed: false, retryAfterMs: 29_990 }), 17);
      });
    } finally {
      unsubscribe('lip:circuit', listener);
    }
    const expected = { type: 'transition', key: 'a:m', from: 'closed', to: 'open', failures: 1, origin: 'local', at: 7 };
    expect(seen).to.deep.equal([expected]);
    expect(published).to.deep.equal([expected]);
  });

  it('an onEvent that throws does not break the breaker', () => {
    const breaker = createCircuitBreaker(BASE, { onEvent: () => { throw new Error('logger down'); } });
    expect(() => breaker.record('a:m', 'failure')).to.not.throw();
    expect(breaker.check('a:m').allowed).to.equal(false);
  });

  it('redis without redis settings is a configuration error', () => {
    expect(() => createCircuitBreaker({ ...BASE, store: 'redis' })).to.throw(LipError).with.property('code', 'LIP_ERR_CONFIG_INVALID');
  });

  it('keys live max(10 min, 10 x open_for) by default and must outlive open_for', () => {
    expect(circuitPolicy({ ...BASE, open_for: 120_000 }).keyTtlMs).to.equal(1_200_000);
    expect(circuitPolicy(BASE, 31_000).keyTtlMs).to.equal(31_000);
    expect(() => circuitPolicy(BASE, 30_000)).to.throw(RangeError, /must exceed open_for/);
  });

  it('redacts credentials from the Redis URL it shows', () => {
    expect(redactUrl('redis://user:secret@cache.internal:6380/2')).to.equal('redis://cache.internal:6380/2');
    expect(redactUrl('rediss://:secret@cache.internal')).to.equal('rediss://cache.internal');
    expect(redactUrl('redis://127.0.0.1:6379')).to.equal('redis://127.0.0.1:6379');
    expect(redactUrl('not a url')).to.equal('<invalid url>');
  });
});
