import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import { createCircuitBreaker } from '../../lib/circuit/create-circuit-breaker.js';
import type { CircuitBreaker } from '../../lib/circuit/circuit-breaker.js';
import type { CircuitChange, CircuitStore, MergeEntry } from '../../lib/circuit/circuit-store.js';
import { MemoryCircuitHub } from '../../lib/circuit/memory-store.js';
import type { CircuitEvent, CircuitOutcome, CircuitPolicy } from '../../lib/circuit/types.js';

const K = 'be:model';
const CONFIG = { enabled: true, failure_threshold: 2, open_for: 1_000, half_open_probes: 1, store: 'memory' as const };
const POLICY: CircuitPolicy = { failureThreshold: 2, openForMs: 1_000, halfOpenProbes: 1, keyTtlMs: 600_000 };

/**
 * A real memory-store handle that can be taken down: while down every call rejects and
 * announcements are lost (as with a dropped Redis subscription). `revive()` brings it back,
 * announcing the link (like a reconnect) unless `quiet`, in which case only a ping finds out.
 * With `lag`, announcements arrive a moment after the answers, as pub/sub messages do.
 */
class FlakyStore implements CircuitStore {
  readonly kind = 'memory' as const;
  up = true;
  lag = false;
  reason = 'connection refused';
  calls: string[] = [];
  private readonly links = new Set<(up: boolean, reason: string) => void>();
  private readonly changes = new Set<(change: CircuitChange) => void>();

  constructor(private readonly inner: CircuitStore) {
    inner.onChange((change) => {
      const deliver = () => {
        if (this.up) for (const listener of this.changes) listener(change);
      };
      if (this.lag) setImmediate(deliver);
      else deliver();
    });
  }

  get origin() { return this.inner.origin; }

  down(reason = 'ECONNREFUSED'): void {
    this.up = false;
    this.reason = reason;
    for (const listener of this.links) listener(false, reason);
  }

  revive(quiet = false): void {
    this.up = true;
    if (!quiet) for (const listener of this.links) listener(true, 'ready');
  }

  admit(key: string, now: number, op?: number) { return this.call('admit', () => this.inner.admit(key, now, op)); }
  record(key: string, outcome: CircuitOutcome, probe: boolean, now: number, op?: number) { return this.call('record', () => this.inner.record(key, outcome, probe, now, op)); }
  merge(entries: readonly MergeEntry[], now: number, op?: number) { return this.call('merge', () => this.inner.merge(entries, now, op)); }
  get(key: string, now: number) { return this.call('get', () => this.inner.get(key, now)); }
  list(now: number) { return this.call('list', () => this.inner.list(now)); }
  ping() {
    return this.call('ping', async () => {
      for (const listener of this.links) listener(true, 'ready');
    });
  }

  onChange(listener: (change: CircuitChange) => void) {
    this.changes.add(listener);
    return () => { this.changes.delete(listener); };
  }

  onLink(listener: (up: boolean, reason: string) => void) {
    this.links.add(listener);
    return () => { this.links.delete(listener); };
  }

  async close() { await this.inner.close(); }

  private async call<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.calls.push(name);
    if (!this.up) throw new Error(this.reason);
    return fn();
  }
}

/** Drains promise callbacks (store answers), without letting any time pass. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('circuit/SharedCircuitBreaker (memory hub, virtual time)', () => {
  let clock: VirtualTimeScheduler;
  let hub: MemoryCircuitHub;
  let open: CircuitBreaker[];

  /** Lets `ms` of scheduler time pass (running the recovery timers due), then drains answers. */
  async function advance(ms: number) {
    const target = clock.frame + ms;
    clock.schedule(() => undefined, ms);
    clock.maxFrames = target;
    clock.flush();
    await settle();
  }

  async function instance(name: string, events: CircuitEvent[] = [], up = true) {
    const store = new FlakyStore(hub.connect(name));
    if (!up) store.up = false;
    const breaker = createCircuitBreaker(CONFIG, { scheduler: clock, store, onEvent: (e) => events.push(e), keyTtlMs: POLICY.keyTtlMs, recoveryIntervalMs: 500 });
    open.push(breaker);
    await settle();
    return { breaker, store, events };
  }

  beforeEach(() => {
    clock = new VirtualTimeScheduler();
    hub = new MemoryCircuitHub(POLICY);
    open = [];
  });
  afterEach(async () => {
    await Promise.all(open.map((b) => b.close()));
  });

  it('failures recorded by instance A open the circuit on instance B, which never asks the store', async () => {
    const a = await instance('a');
    const b = await instance('b');
    a.breaker.record(K, 'failure');
    a.breaker.record(K, 'failure');
    await settle();
    b.store.calls = [];
    expect(b.breaker.check(K)).to.deep.include({ allowed: false, state: 'open', retryAfterMs: 1_000 });
    expect(b.store.calls).to.deep.equal([]);
    expect(b.events).to.deep.include({ type: 'transition', key: K, from: 'closed', to: 'open', failures: 2, origin: 'remote', at: 0 });
  });

  it('counts the failures of all instances together, and a success anywhere ends the streak', async () => {
    const a = await instance('a');
    const b = await instance('b');
    a.breaker.record(K, 'failure');
    await settle();
    b.breaker.record(K, 'success');
    await settle();
    a.breaker.record(K, 'failure');
    await settle();
    expect(a.breaker.check(K).allowed).to.equal(true);
    b.breaker.record(K, 'failure');
    await settle();
    expect([a.breaker.check(K).allowed, b.breaker.check(K).allowed]).to.deep.equal([false, false]);
  });

  it('half-open lets exactly half_open_probes probes through across instances', async () => {
    const a = await instance('a');
    const b = await instance('b');
    a.breaker.record(K, 'failure');
    a.breaker.record(K, 'failure');
    await advance(1_000);
    const probe = a.breaker.check(K);
    await settle();
    expect(probe).to.deep.include({ allowed: true, probe: true });
    expect(b.breaker.check(K)).to.deep.include({ allowed: false, state: 'half_open' });
    expect(a.breaker.check(K).allowed).to.equal(false);
    a.breaker.record(K, 'success', probe);
    await settle();
    expect(b.breaker.check(K).state).to.equal('closed');
  });

  it('an extra probe the store did not grant gives back no slot when it is cancelled', async () => {
    const a = await instance('a');
    const b = await instance('b');
    a.breaker.record(K, 'failure');
    a.breaker.record(K, 'failure');
    await advance(1_000);
    a.store.lag = b.store.lag = true;
    const pa = a.breaker.check(K);                    // both race for the one slot within one round trip
    const pb = b.breaker.check(K);
    expect([pa.probe, pb.probe]).to.deep.equal([true, true]);
    await settle();
    b.breaker.record(K, 'cancelled', pb);             // b's probe was not granted: a still holds the slot
    await settle();
    expect(await hub.connect('x').get(K, clock.now())).to.deep.include({ state: 'half_open', probes: 1 });
    expect(b.breaker.check(K).allowed).to.equal(false);
  });

  it('costs nothing in the store for a closed, clean key', async () => {
    const a = await instance('a');
    a.store.calls = [];
    for (let i = 0; i < 100; i++) {
      const decision = a.breaker.check(K);
      a.breaker.record(K, i % 2 ? 'success' : 'cancelled', decision);
    }
    await settle();
    expect(a.store.calls).to.deep.equal([]);
  });

  it('forget closes the circuits in the store: every instance hears them closed, and failures count afresh', async () => {
    const a = await instance('a');
    const b = await instance('b');
    for (const key of [K, K, 'other:m', 'other:m']) b.breaker.record(key, 'failure');
    await settle();
    await advance(10);
    a.breaker.forget(new Set(['be']));
    expect(a.breaker.snapshot().map((r) => `${r.key} ${r.state}`)).to.deep.equal(['other:m open']);
    await settle();
    expect(b.breaker.snapshot().map((r) => `${r.key} ${r.state}`)).to.deep.equal(['other:m open']);
    expect(b.events).to.deep.include({ type: 'transition', key: K, from: 'open', to: 'closed', failures: 0, origin: 'remote', at: 10 });
    b.breaker.record(K, 'failure');
    await settle();
    expect(a.breaker.peek(K).allowed).to.equal(true);
  });

  it('forget while the store is down: closed here at once, in the store at the resync', async () => {
    const a = await instance('a');
    const b = await instance('b');
    b.breaker.record(K, 'failure');
    b.breaker.record(K, 'failure');
    await settle();
    a.store.down();
    await advance(10);
    a.breaker.forget(new Set(['be']));
    expect(a.breaker.peek(K).allowed).to.equal(true);
    expect(b.breaker.peek(K).allowed).to.equal(false);
    a.store.revive();
    await settle();
    await settle();
    expect(b.breaker.peek(K).allowed).to.equal(true);
    expect(a.breaker.snapshot()).to.deep.equal([]);
  });

  it('when the store goes down: keeps working on local state, reports the outage once, shows it in status', async () => {
    const a = await instance('a');
    a.store.calls = [];
    a.store.down('connect ECONNREFUSED 127.0.0.1:6379');
    await advance(250);
    a.breaker.record(K, 'failure');
    a.breaker.record(K, 'failure');
    a.breaker.record('other:m', 'failure');
    await settle();
    expect(a.breaker.check(K)).to.deep.include({ allowed: false, state: 'open', retryAfterMs: 1_000 });
    await advance(2_000);                              // four recovery attempts fail
    expect(a.events.filter((e) => e.type === 'store_unavailable')).to.deep.equal([
      { type: 'store_unavailable', store: 'memory', reason: 'connect ECONNREFUSED 127.0.0.1:6379', at: 0 },
    ]);
    expect(a.store.calls.filter((c) => c === 'ping')).to.have.length(4);
    expect(a.store.calls.filter((c) => c !== 'ping')).to.deep.equal([]); // the hot path no longer calls the store
    expect(a.breaker.status()).to.deep.equal({
      enabled: true, store: 'memory', healthy: false, since: '1970-01-01T00:00:00.000Z', open: 0, half_open: 1,
      detail: 'memory store unavailable since 1970-01-01T00:00:00.000Z (connect ECONNREFUSED 127.0.0.1:6379); circuits run on local state',
    });
  });

  it('when the store returns: merges what changed locally, learns what changed elsewhere, reports the recovery', async () => {
    const a = await instance('a');
    const b = await instance('b');
    b.breaker.record('b-saw:m', 'failure');
    b.breaker.record('b-saw:m', 'failure');
    await settle();
    a.store.down();
    b.breaker.record('b-saw:m', 'failure');           // still open; a misses it
    await advance(1_000);
    b.breaker.record('late:m', 'failure');
    b.breaker.record('late:m', 'failure');            // opened while a is cut off
    a.breaker.record(K, 'failure');
    a.breaker.record(K, 'failure');                   // opened while the store is unreachable
    await settle();
    expect(b.breaker.check(K).allowed).to.equal(true);
    a.store.revive();
    await settle();
    await settle();
    expect(b.breaker.check(K)).to.deep.include({ allowed: false, state: 'open' });
    expect(a.breaker.peek('late:m').allowed).to.equal(false);
    expect(a.breaker.snapshot().map((r) => `${r.key} ${r.state} ${r.failures}`)).to.deep.equal([
      'b-saw:m half_open 3', `${K} open 2`, 'late:m open 2',
    ]);
    const recovered = a.events.filter((e) => e.type === 'store_recovered');
    expect(recovered).to.deep.equal([{ type: 'store_recovered', store: 'memory', downMs: 1_000, at: 1_000 }]);
    expect(a.breaker.status()).to.include({ healthy: true, detail: 'ok', since: '1970-01-01T00:00:01.000Z' });
  });

  it('a circuit opened during an outage stays open after it, though another instance saw one later failure', async () => {
    const a = await instance('a');
    const b = await instance('b');
    a.store.down();
    b.store.down();
    await advance(100);
    a.breaker.record(K, 'failure');
    a.breaker.record(K, 'failure');                   // opens on A
    await advance(50);
    b.breaker.record(K, 'failure');                   // B: closed, one failure, updated after A's open
    a.store.revive();                                 // A resynchronises first, B second
    await settle();
    await settle();
    b.store.revive();
    await settle();
    await settle();
    for (const { breaker, events } of [a, b]) {
      expect(breaker.check(K)).to.deep.include({ allowed: false, state: 'open' });
      expect(events.filter((e) => e.type === 'transition' && e.key === K && e.to === 'closed')).to.deep.equal([]);
    }
    expect(await hub.connect('x').get(K, clock.now())).to.deep.include({ state: 'open', failures: 2, openedAt: 100 });
  });

  it('the same, when the instance that saw the later failure resynchronises first', async () => {
    const a = await instance('a');
    const b = await instance('b');
    a.store.down();
    b.store.down();
    await advance(100);
    a.breaker.record(K, 'failure');
    a.breaker.record(K, 'failure');
    await advance(50);
    b.breaker.record(K, 'failure');
    b.store.revive();
    await settle();
    await settle();
    a.store.revive();
    await settle();
    await settle();
    for (const { breaker } of [a, b]) expect(breaker.check(K)).to.deep.include({ allowed: false, state: 'open' });
    expect(await hub.connect('x').get(K, clock.now())).to.deep.include({ state: 'open', openedAt: 100 });
  });

  it('a probe that succeeded during the outage, after the other instance\'s open, closes the circuit everywhere', async () => {
    const a = await instance('a');
    const b = await instance('b');
    b.breaker.record(K, 'failure');
    b.breaker.record(K, 'failure');                   // open everywhere at 0
    await settle();
    a.store.down();
    b.store.down();
    await advance(1_000);
    const probe = b.breaker.check(K);                 // B probes and the candidate answers
    expect(probe).to.deep.include({ allowed: true, probe: true });
    b.breaker.record(K, 'success', probe);
    a.store.revive();
    await settle();
    await settle();
    b.store.revive();
    await settle();
    await settle();
    for (const { breaker } of [a, b]) expect(breaker.check(K)).to.deep.include({ allowed: true, state: 'closed' });
  });

  it('finds a silently recovered store by itself, every recoveryIntervalMs of scheduler time', async () => {
    const a = await instance('a');
    a.store.down();
    await advance(500);
    a.store.revive(true);
    expect(a.breaker.status().healthy).to.equal(false);
    await advance(499);
    expect(a.breaker.status().healthy).to.equal(false);
    await advance(1);
    await settle();
    expect(a.breaker.status().healthy).to.equal(true);
    await a.breaker.whenSynced();
  });

  it('a store never reached at start-up: works locally, reports after one recovery interval, syncs when it appears', async () => {
    const a = await instance('a', [], false);
    expect(a.breaker.status()).to.include({ healthy: false, detail: 'connecting to memory store' });
    a.breaker.record(K, 'failure');
    a.breaker.record(K, 'failure');
    expect(a.breaker.check(K).allowed).to.equal(false);
    let synced = false;
    void a.breaker.whenSynced().then(() => { synced = true; });
    await advance(500);
    expect(a.events.map((e) => e.type)).to.deep.equal(['transition', 'store_unavailable']);
    a.store.revive(true);
    await advance(500);
    await settle();
    expect(synced).to.equal(true);
    expect(await hub.connect('x').get(K, clock.now())).to.deep.include({ state: 'open', failures: 2 });
  });

  it('past the store\'s maxKeys, a new circuit is kept on this instance only: open here, never sent again, kept through a resync', async () => {
    hub = new MemoryCircuitHub(POLICY, 2);
    const a = await instance('a');
    const b = await instance('b');
    for (const key of ['k1:m', 'k2:m']) {
      a.breaker.record(key, 'failure');
      a.breaker.record(key, 'failure');
    }
    await settle();
    a.store.calls = [];
    a.breaker.record('k3:m', 'failure');
    await settle();
    a.breaker.record('k3:m', 'failure');
    await settle();
    expect(a.store.calls).to.deep.equal(['record']);       // the store refused it (full): not asked again
    expect(a.breaker.check('k3:m')).to.deep.include({ allowed: false, state: 'open' });
    expect([hub.table.get('k3:m', 0), b.breaker.peek('k3:m').allowed]).to.deep.equal([undefined, true]);
    a.store.down();
    a.store.revive();
    await settle();
    await settle();
    expect(a.breaker.peek('k3:m')).to.deep.include({ allowed: false, state: 'open' });
    expect(a.breaker.status().healthy).to.equal(true);
    // Room in the store (k1 expired there): the next resync hands the circuit over to every instance.
    hub.table.delete('k1:m');
    a.store.down();
    a.store.revive();
    await settle();
    await settle();
    expect(hub.table.get('k3:m', 0)).to.deep.include({ state: 'open', failures: 2 });
    expect(b.breaker.peek('k3:m')).to.deep.include({ allowed: false, state: 'open' });
  });

  it('a failed call marks its key for the next resync and never throws into the caller', async () => {
    const a = await instance('a');
    const b = await instance('b');
    a.store.up = false;                               // the store stops answering, no link event yet
    expect(() => a.breaker.record(K, 'failure')).to.not.throw();
    await settle();
    expect(a.breaker.status().healthy).to.equal(false);
    a.breaker.record(K, 'failure');
    a.store.revive();
    await settle();
    await settle();
    expect(b.breaker.peek(K)).to.deep.include({ allowed: false, state: 'open' });
  });
});
