import { expect } from 'chai';
import { performance } from 'node:perf_hooks';
import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import type { CircuitBreaker } from '../../../lib/circuit/circuit-breaker.js';
import type { CircuitListing, CircuitStore } from '../../../lib/circuit/circuit-store.js';
import { circuitPolicy, createCircuitBreaker, type CircuitBreakerDeps } from '../../../lib/circuit/create-circuit-breaker.js';
import { RedisCircuitStore } from '../../../lib/circuit/redis/redis-store.js';
import type { CircuitEvent } from '../../../lib/circuit/types.js';
import { requireRedisServer, startRedisServer, type RedisServer } from '../../helpers/redis-server.js';

/**
 * Breakers of several "instances" sharing one real redis-server through
 * `routing.circuit_breaker.store: redis`: sharing, probing, a Redis killed and restarted
 * mid-test, a Redis frozen (slow, not gone), and start-up without Redis. Outages, reconnects
 * and recovery timers are real, so the tests wait for the breakers' events; the instances share
 * a clock that can jump over open_for instead of sleeping through it.
 */
const K = 'provider:model-x';
const CONFIG = { enabled: true, failure_threshold: 3, open_for: 30_000, half_open_probes: 2, store: 'redis' as const };

class EventLog {
  readonly events: CircuitEvent[] = [];
  private readonly waiters: { match: (e: CircuitEvent) => boolean; resolve: (e: CircuitEvent) => void }[] = [];

  readonly push = (event: CircuitEvent) => {
    this.events.push(event);
    for (const w of [...this.waiters]) {
      if (!w.match(event)) continue;
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(event);
    }
  };

  /** The first event (already seen or still to come) that matches; fails after `ms`. */
  waitFor(match: (e: CircuitEvent) => boolean, what: string, ms = 8_000): Promise<CircuitEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms; events: ${JSON.stringify(this.events)}`)), ms);
      this.waiters.push({ match, resolve: (e) => { clearTimeout(timer); resolve(e); } });
    });
  }

  clear(): void {
    this.events.length = 0;
  }

  count(type: CircuitEvent['type']): number {
    return this.events.filter((e) => e.type === type).length;
  }
}

/** Real time for timers, plus an offset the test can move forward (Date.now is fine in specs). */
class JumpClock implements SchedulerLike {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
    return asyncScheduler.schedule(work, delay, state);
  }
  jump(ms: number): void {
    this.offset += ms;
  }
}

/**
 * A Redis store whose listings the spec can hold back (`hold`, then `release`), and whose
 * "Redis was emptied" notices, from `hold` on, reach the breaker only after its next listing
 * was applied. That notice comes on the subscription and the listing on the command
 * connection, and nothing orders the two: this fixes the order in which the notice is of no
 * help (it arrives after the listing, or was published before the subscription was back).
 */
class HeldListings implements CircuitStore {
  readonly kind = 'redis' as const;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private deferring = false;
  private readonly deferred: (() => void)[] = [];

  constructor(private readonly inner: RedisCircuitStore) {}

  get origin() { return this.inner.origin; }
  get up() { return this.inner.up; }
  hold(): void {
    this.deferring = true;
    this.gate = new Promise((resolve) => { this.open = resolve; });
  }
  release(): void {
    this.open?.();
  }

  async list(now: number): Promise<CircuitListing> {
    await this.gate;
    const listing = await this.inner.list();
    if (this.deferring) {
      // After the breaker applied this listing (the rest of its resynchronisation is synchronous).
      setImmediate(() => {
        this.deferring = false;
        for (const notify of this.deferred.splice(0)) notify();
      });
    }
    return listing;
  }

  onEmptied(listener: () => void): () => void {
    return this.inner.onEmptied(() => (this.deferring ? this.deferred.push(listener) : listener()));
  }

  admit: CircuitStore['admit'] = (...args) => this.inner.admit(...args);
  record: CircuitStore['record'] = (...args) => this.inner.record(...args);
  merge: CircuitStore['merge'] = (...args) => this.inner.merge(...args);
  get: CircuitStore['get'] = (key) => this.inner.get(key);
  onChange: CircuitStore['onChange'] = (...args) => this.inner.onChange(...args);
  onLink: CircuitStore['onLink'] = (...args) => this.inner.onLink(...args);
  ping: CircuitStore['ping'] = () => this.inner.ping();
  close: CircuitStore['close'] = () => this.inner.close();
}

const opened = (key: string) => (e: CircuitEvent) => e.type === 'transition' && e.key === key && e.to === 'open';

describe('circuit breakers sharing one Redis', function () {
  let redis: RedisServer;
  let breakers: CircuitBreaker[] = [];
  let prefixes = 0;
  let prefix = '';

  before(async function () {
    redis = await requireRedisServer(this);
  });
  after(() => redis?.close());
  beforeEach(async () => {
    prefix = `t${++prefixes}:`;
    if (!redis.running) await redis.start();
  });
  afterEach(async () => {
    redis.resume();
    await Promise.all(breakers.map((b) => b.close()));
    breakers = [];
  });

  async function instance(scheduler: SchedulerLike, extra: Partial<CircuitBreakerDeps> = {}, config = CONFIG) {
    const log = new EventLog();
    const breaker = createCircuitBreaker(config, {
      scheduler, redis: { url: redis.url, key_prefix: prefix }, onEvent: log.push,
      redisTimeoutMs: 1_000, reconnectMaxMs: 100, recoveryIntervalMs: 100, ...extra,
    });
    breakers.push(breaker);
    return { breaker, log };
  }

  /**
   * Waits until every instance is synced, then forgets what they logged so far: an instance
   * that connected slower than one recovery interval (a loaded machine) logs a start-up
   * `store_unavailable` and then `store_recovered`, which the waits for a later outage and
   * recovery would otherwise take for theirs.
   */
  async function synced(...instances: { breaker: CircuitBreaker; log: EventLog }[]): Promise<void> {
    await Promise.all(instances.map(({ breaker }) => breaker.whenSynced()));
    for (const { log } of instances) log.clear();
  }

  it('failures reported by instance A open the circuit for instance B within one announcement', async () => {
    const clock = new JumpClock();
    const a = await instance(clock);
    const b = await instance(clock);
    await synced(a, b);
    for (let i = 0; i < 3; i++) a.breaker.record(K, 'failure');
    expect(a.breaker.check(K).allowed).to.equal(false); // locally at once, before Redis answered
    const learnt = await b.log.waitFor(opened(K), 'open circuit announced to B');
    expect(learnt).to.deep.include({ origin: 'remote', failures: 3 });
    expect(b.breaker.check(K)).to.deep.include({ allowed: false, state: 'open' });
    expect(b.breaker.check(K).retryAfterMs).to.be.within(25_000, 30_000);
    const [row] = b.breaker.snapshot();
    expect(row).to.deep.include({ key: K, state: 'open', failures: 3 });
    expect(Date.parse(row!.next_probe_at!) - Date.parse(row!.opened_at!)).to.equal(30_000);
    expect(a.log.events.filter((e) => e.type === 'transition')).to.have.length(1); // no flapping while answers came in
  });

  it('half-open lets exactly half_open_probes probes through across instances, then a probe success closes it everywhere', async () => {
    const clock = new JumpClock();
    const a = await instance(clock);
    const b = await instance(clock);
    await synced(a, b);
    for (let i = 0; i < 3; i++) b.breaker.record(K, 'failure');
    await a.log.waitFor(opened(K), 'open circuit on A');
    clock.jump(30_000);
    const first = a.breaker.check(K);
    await b.log.waitFor((e) => e.type === 'transition' && e.to === 'half_open', 'half-open announced to B');
    const second = b.breaker.check(K);
    await a.log.waitFor((e) => e.type === 'transition' && e.to === 'half_open' && e.origin === 'local', 'A half-open');
    await new Promise((resolve) => setTimeout(resolve, 50)); // the announcement of B's probe reaches A
    const decisions = [first, second, a.breaker.check(K), b.breaker.check(K)];
    expect(decisions.map((d) => d.probe)).to.deep.equal([true, true, false, false]);
    expect(decisions.map((d) => d.allowed)).to.deep.equal([true, true, false, false]);
    b.breaker.record(K, 'success', second);
    await a.log.waitFor((e) => e.type === 'transition' && e.to === 'closed', 'closed announced to A');
    expect(a.breaker.check(K).state).to.equal('closed');
  });

  it('Redis killed mid-test: checks and records go on with local state, the outage is reported once; Redis back: sharing resumes', async () => {
    const clock = new JumpClock();
    const a = await instance(clock);
    const b = await instance(clock);
    await synced(a, b);
    await redis.stop();
    await a.log.waitFor((e) => e.type === 'store_unavailable', 'outage on A');
    await b.log.waitFor((e) => e.type === 'store_unavailable', 'outage on B');

    // record() and check() are synchronous: nothing in them can wait for Redis.
    for (let i = 0; i < 3; i++) a.breaker.record(K, 'failure');
    const refused = a.breaker.check(K);
    for (let i = 0; i < 1_000; i++) a.breaker.record(`k${i}:m`, 'failure');
    expect(refused).to.deep.include({ allowed: false, state: 'open' });
    expect(b.breaker.check(K).allowed).to.equal(true);       // B cannot know: no shared state without Redis
    expect(a.breaker.status()).to.include({ healthy: false });
    expect(a.breaker.status().detail).to.match(new RegExp(`^redis redis://127\\.0\\.0\\.1:${redis.port} unavailable since .*; circuits run on local state$`));

    await redis.start();
    await a.log.waitFor((e) => e.type === 'store_recovered', 'recovery on A');
    await b.log.waitFor(opened(K), 'A\'s outage-time circuit reaching B');
    expect(b.breaker.check(K)).to.deep.include({ allowed: false, state: 'open' });
    expect([a.log.count('store_unavailable'), a.log.count('store_recovered')], JSON.stringify(a.log.events.filter((e) => e.type !== 'transition'))).to.deep.equal([1, 1]);
    expect(a.breaker.status()).to.include({ healthy: true, detail: 'ok' });

    for (let i = 0; i < 3; i++) b.breaker.record('after:m', 'failure'); // sharing works again both ways
    await a.log.waitFor(opened('after:m'), 'a circuit opened by B after the recovery');
  });

  it('Redis restarted empty (no persistence): open circuits are written back, not dropped, and still expire after open_for', async () => {
    const clock = new JumpClock();
    const a = await instance(clock);
    const b = await instance(clock);
    await synced(a, b);
    for (let i = 0; i < 3; i++) a.breaker.record(K, 'failure');
    await b.log.waitFor(opened(K), 'open circuit on B');
    await redis.stop('SIGKILL');
    await a.log.waitFor((e) => e.type === 'store_unavailable', 'outage on A');
    await b.log.waitFor((e) => e.type === 'store_unavailable', 'outage on B');
    await redis.start();
    await a.log.waitFor((e) => e.type === 'store_recovered', 'recovery on A');
    await b.log.waitFor((e) => e.type === 'store_recovered', 'recovery on B');

    // Both resynchronised against an empty Redis: the circuit is still open on each, and in Redis.
    for (const { breaker, log } of [a, b]) {
      expect(log.events.filter((e) => e.type === 'transition' && e.key === K && e.to === 'closed')).to.deep.equal([]);
      expect(breaker.check(K)).to.deep.include({ allowed: false, state: 'open' });
    }
    const later = await instance(clock);
    await later.breaker.whenSynced();
    expect(later.breaker.peek(K)).to.deep.include({ allowed: false, state: 'open' });

    // open_for still ends it: a probe, and its success closes the circuit everywhere.
    clock.jump(30_000);
    const probe = later.breaker.check(K);
    expect(probe).to.deep.include({ allowed: true, probe: true });
    later.breaker.record(K, 'success', probe);
    await a.log.waitFor((e) => e.type === 'transition' && e.key === K && e.to === 'closed', 'closed announced to A');
    expect(a.breaker.check(K).state).to.equal('closed');
  });

  it('Redis restarted empty and re-seeded by another instance first, its notice heard late: the open circuit is written back, never closed', async () => {
    const clock = new JumpClock();
    const a = await instance(clock);
    const held = new HeldListings(new RedisCircuitStore({
      url: redis.url, keyPrefix: prefix, policy: circuitPolicy(CONFIG), origin: 'b', timeoutMs: 1_000, reconnectMaxMs: 100,
    }));
    const b = await instance(clock, { store: held });
    await synced(a, b);
    for (let i = 0; i < 3; i++) a.breaker.record(K, 'failure');
    await b.log.waitFor(opened(K), 'open circuit on B');
    b.log.clear();
    await a.breaker.close(); // B alone holds it now
    held.hold();
    await redis.stop('SIGKILL');
    await b.log.waitFor((e) => e.type === 'store_unavailable', 'outage on B');
    await redis.start();
    // An instance holding no circuit lists first: it finds the counter gone and starts it again.
    const c = await instance(clock);
    await synced(c);
    held.release(); // B lists now: a fresh counter, the circuit missing, nothing older than B knew

    await b.log.waitFor((e) => e.type === 'store_recovered', 'recovery on B');
    await c.log.waitFor(opened(K), 'B\'s circuit written back and announced to C');
    expect(b.log.events.filter((e) => e.type === 'transition' && e.key === K)).to.deep.equal([]); // not even for a moment
    expect(b.breaker.check(K)).to.deep.include({ allowed: false, state: 'open' });
    expect(c.breaker.peek(K)).to.deep.include({ allowed: false, state: 'open' });
  });

  it('Redis killed while A opens a circuit and B sees one later failure of it: after the restart it is open on both', async () => {
    const clock = new JumpClock();
    const a = await instance(clock);
    const b = await instance(clock);
    await synced(a, b);
    await redis.stop('SIGKILL');
    await a.log.waitFor((e) => e.type === 'store_unavailable', 'outage on A');
    await b.log.waitFor((e) => e.type === 'store_unavailable', 'outage on B');
    for (let i = 0; i < 3; i++) a.breaker.record(K, 'failure');
    clock.jump(50);                                  // B's failure comes later: its record is the newer one
    b.breaker.record(K, 'failure');
    expect(a.breaker.check(K)).to.deep.include({ allowed: false, state: 'open' });
    expect(b.breaker.snapshot()).to.deep.equal([{ key: K, state: 'closed', failures: 1, opened_at: null, next_probe_at: null }]);

    await redis.start();
    await a.log.waitFor((e) => e.type === 'store_recovered', 'recovery on A');
    await b.log.waitFor((e) => e.type === 'store_recovered', 'recovery on B');
    await b.log.waitFor(opened(K), 'A\'s circuit reaching B');
    const later = await instance(clock);              // Redis holds it too: a new instance lists it open
    await later.breaker.whenSynced();
    expect(later.breaker.peek(K)).to.deep.include({ allowed: false, state: 'open' });
    for (const { breaker, log } of [a, b]) {
      expect(log.events.filter((e) => e.type === 'transition' && e.key === K && e.to === 'closed')).to.deep.equal([]);
      expect(breaker.check(K)).to.deep.include({ allowed: false, state: 'open' });
      expect(breaker.snapshot()).to.have.length(1);
      expect(breaker.snapshot()[0]).to.deep.include({ key: K, state: 'open', failures: 3 });
    }
  });

  it('Redis flushed (FLUSHALL, the connection kept): the next script announces it and open circuits are written back', async () => {
    const clock = new JumpClock();
    const a = await instance(clock);
    const b = await instance(clock);
    await synced(a, b);
    for (let i = 0; i < 3; i++) a.breaker.record(K, 'failure');
    await b.log.waitFor(opened(K), 'open circuit on B');
    const raw = new (await import('ioredis')).Redis(redis.url);
    try {
      await raw.flushall(); // this server is the spec's own
    } finally {
      raw.disconnect();
    }
    // An instance started after the flush lists the circuits: that script finds the version
    // counter gone and says so, and a and b push their open circuit back.
    const later = await instance(clock);
    await later.log.waitFor(opened(K), 'the circuit pushed back to the later instance');
    expect(later.breaker.peek(K)).to.deep.include({ allowed: false, state: 'open' });
    for (const { breaker, log } of [a, b]) {
      expect(log.events.filter((e) => e.type === 'transition' && e.key === K && e.to === 'closed')).to.deep.equal([]);
      expect(breaker.check(K)).to.deep.include({ allowed: false, state: 'open' });
    }
  });

  it('a frozen Redis (slow, not gone): calls time out, the breaker degrades without waiting, and recovers when it thaws', async () => {
    const a = await instance(asyncScheduler, { redisTimeoutMs: 300 });
    await synced(a);
    redis.pause();
    a.breaker.record(K, 'failure');
    for (let i = 0; i < 200; i++) a.breaker.check(K);
    const outage = await a.log.waitFor((e) => e.type === 'store_unavailable', 'timeout detected');
    expect(outage).to.deep.include({ reason: 'Command timed out' });
    a.breaker.record(K, 'failure');
    a.breaker.record(K, 'failure');
    expect(a.breaker.check(K).allowed).to.equal(false);
    redis.resume();
    await a.log.waitFor((e) => e.type === 'store_recovered', 'recovery after the thaw');
    const other = await instance(asyncScheduler);
    await other.breaker.whenSynced();
    expect(other.breaker.peek(K)).to.deep.include({ allowed: false, state: 'open' });
  });

  it('starts without Redis: works on local state, reports it, and syncs when Redis appears', async () => {
    const later = await startRedisServer();
    await later.stop();
    try {
      const log = new EventLog();
      const breaker = createCircuitBreaker(CONFIG, {
        redis: { url: later.url, key_prefix: prefix }, onEvent: log.push, redisTimeoutMs: 150, reconnectMaxMs: 100, recoveryIntervalMs: 100,
      });
      breakers.push(breaker);
      expect(breaker.status()).to.include({ healthy: false, detail: `connecting to redis ${later.url}` });
      for (let i = 0; i < 3; i++) breaker.record(K, 'failure');
      expect(breaker.check(K).allowed).to.equal(false);
      await log.waitFor((e) => e.type === 'store_unavailable', 'start-up outage');
      await later.start();
      await breaker.whenSynced();
      const peer = await instance(asyncScheduler, { redis: { url: later.url, key_prefix: prefix } });
      await peer.breaker.whenSynced();
      expect(peer.breaker.peek(K)).to.deep.include({ allowed: false, state: 'open' });
    } finally {
      await later.close();
    }
  });
});
