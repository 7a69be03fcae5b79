import { expect } from 'chai';
import type { CircuitChange, CircuitStore } from '../../lib/circuit/circuit-store.js';
import { closedAt } from '../../lib/circuit/transitions.js';
import type { CircuitPolicy, CircuitRecord } from '../../lib/circuit/types.js';

/**
 * The contract every `CircuitStore` meets, run against each implementation (hono-style:
 * `runStoreSuite({ name, open, elapse })`; no case may be skipped). Handles opened together share one empty
 * store, like several `lip serve` instances on one Redis. Every `now` is explicit, so the state
 * machine runs on the test's clock; only key expiry needs `elapse` (Redis expires keys by its
 * own clock).
 */
export interface StoreSuiteTarget {
  readonly name: string;
  /** `count` handles on one fresh, empty store holding at most `maxKeys` circuits (its default when absent); all up. Closed by the suite. */
  open(policy: CircuitPolicy, count: number, maxKeys?: number): Promise<CircuitStore[]>;
  /** Lets `ms` pass on the store's expiry clock. */
  elapse(ms: number): Promise<void>;
}

export const SUITE_POLICY: CircuitPolicy = { failureThreshold: 3, openForMs: 1_000, halfOpenProbes: 2, keyTtlMs: 60_000 };
const T0 = 1_700_000_000_000;
const KEY = 'be:model?temperature=0.2';

/** Resolves with the next change on `store` matching `match`. */
export function nextChange(store: CircuitStore, match: (c: CircuitChange) => boolean = () => true): Promise<CircuitChange> {
  return new Promise((resolve) => {
    const off = store.onChange((change) => {
      if (!match(change)) return;
      off();
      resolve(change);
    });
  });
}

export function runStoreSuite(target: StoreSuiteTarget): void {
  describe(`circuit store contract: ${target.name}`, function () {
    let opened: CircuitStore[] = [];
    const open = async (count: number, policy = SUITE_POLICY, maxKeys?: number) => {
      const stores = await target.open(policy, count, maxKeys);
      opened.push(...stores);
      return stores;
    };
    afterEach(async () => {
      await Promise.all(opened.map((s) => s.close()));
      opened = [];
    });
    /** Records `n` failures at `now`, returning the last ack's record. */
    const fail = async (store: CircuitStore, n: number, now: number) => {
      let record: CircuitRecord | undefined;
      for (let i = 0; i < n; i++) ({ record } = await store.record(KEY, 'failure', false, now));
      return record;
    };
    const mergeOne = async (store: CircuitStore, record: CircuitRecord, now: number) => (await store.merge([{ key: KEY, record }], now))[0]!;
    /** Opens the circuit at T0 and lets open_for pass: the next admit finds it half-open. */
    const openAndWait = async (store: CircuitStore) => {
      await fail(store, 3, T0);
      return T0 + SUITE_POLICY.openForMs;
    };

    it('knows nothing of an unknown key: closed, admitted, not listed', async () => {
      const [s] = await open(1);
      expect((await s!.admit(KEY, T0)).decision).to.deep.equal({ allowed: true, probe: false, state: 'closed' });
      expect(await s!.get(KEY, T0)).to.equal(undefined);
      expect([...(await s!.list(T0)).records]).to.deep.equal([]);
    });

    it('counts consecutive failures below the threshold; a success forgets them', async () => {
      const [s] = await open(1);
      expect(await fail(s!, 2, T0)).to.deep.equal({ state: 'closed', failures: 2, openedAt: 0, probes: 0, probeWindowAt: 0, updatedAt: T0 });
      expect((await s!.admit(KEY, T0 + 1)).decision.allowed).to.equal(true);
      expect((await s!.record(KEY, 'success', false, T0 + 2)).record).to.equal(undefined);
      expect(await s!.get(KEY, T0 + 3)).to.equal(undefined);
    });

    it('opens at the threshold and refuses until open_for has passed, with the exact wait', async () => {
      const [s] = await open(1);
      expect(await fail(s!, 3, T0 + 5)).to.deep.include({ state: 'open', failures: 3, openedAt: T0 + 5 });
      expect((await s!.admit(KEY, T0 + 5)).decision).to.deep.equal({ allowed: false, probe: false, state: 'open', retryAfterMs: 1_000 });
      expect((await s!.admit(KEY, T0 + 1_004)).decision).to.deep.equal({ allowed: false, probe: false, state: 'open', retryAfterMs: 1 });
      expect((await s!.admit(KEY, T0 + 1_005)).decision).to.deep.equal({ allowed: true, probe: true, state: 'half_open' });
    });

    it('failures seen through one handle open the circuit for another', async () => {
      const [a, b] = await open(2);
      await fail(a!, 3, T0);
      expect((await b!.admit(KEY, T0 + 10)).decision).to.include({ allowed: false, state: 'open' });
    });

    it('half-open admits exactly half_open_probes probes across handles, then refuses until the window ends', async () => {
      const [a, b] = await open(2);
      const t = await openAndWait(a!);
      expect((await a!.admit(KEY, t)).decision.probe).to.equal(true);
      expect((await b!.admit(KEY, t + 1)).decision.probe).to.equal(true);
      expect((await b!.admit(KEY, t + 2)).decision).to.deep.equal({ allowed: false, probe: false, state: 'half_open', retryAfterMs: 998 });
      expect((await a!.admit(KEY, t + 3)).decision.allowed).to.equal(false);
      expect(await a!.get(KEY, t + 3)).to.deep.include({ state: 'half_open', probes: 2, probeWindowAt: t });
    });

    it('a probe slot is a lease: after open_for without an answer the window starts again', async () => {
      const [s] = await open(1);
      const t = await openAndWait(s!);
      await s!.admit(KEY, t);
      await s!.admit(KEY, t);
      expect((await s!.admit(KEY, t + 999)).decision.allowed).to.equal(false);
      expect((await s!.admit(KEY, t + 1_000)).decision.probe).to.equal(true);
      expect(await s!.get(KEY, t + 1_000)).to.deep.include({ probes: 1, probeWindowAt: t + 1_000 });
    });

    it('a probe success closes the circuit', async () => {
      const [s] = await open(1);
      const t = await openAndWait(s!);
      await s!.admit(KEY, t);
      expect((await s!.record(KEY, 'success', true, t + 50)).record).to.equal(undefined);
      expect((await s!.admit(KEY, t + 51)).decision).to.deep.equal({ allowed: true, probe: false, state: 'closed' });
    });

    it('a probe failure re-opens it from that instant, still counting failures', async () => {
      const [s] = await open(1);
      const t = await openAndWait(s!);
      await s!.admit(KEY, t);
      expect((await s!.record(KEY, 'failure', true, t + 50)).record).to.deep.equal({ state: 'open', failures: 4, openedAt: t + 50, probes: 0, probeWindowAt: 0, updatedAt: t + 50 });
      expect((await s!.admit(KEY, t + 1_049)).decision).to.include({ allowed: false, retryAfterMs: 1 });
    });

    it('a cancelled or ignored probe gives its slot back; a cancelled non-probe does not', async () => {
      const [s] = await open(1);
      const t = await openAndWait(s!);
      await s!.admit(KEY, t);
      await s!.admit(KEY, t);
      expect((await s!.record(KEY, 'cancelled', false, t + 1)).record).to.deep.include({ probes: 2 });
      expect((await s!.record(KEY, 'cancelled', true, t + 2)).record).to.deep.include({ state: 'half_open', probes: 1 });
      expect((await s!.record(KEY, 'ignored', true, t + 3)).record).to.deep.include({ state: 'half_open', probes: 0 });
      expect((await s!.record(KEY, 'ignored', true, t + 4)).record).to.deep.include({ probes: 0 });
    });

    it('while open, a late success changes nothing and late failures count without extending open_for', async () => {
      const [s] = await open(1);
      await fail(s!, 3, T0);
      expect((await s!.record(KEY, 'success', false, T0 + 10)).record).to.deep.include({ state: 'open', failures: 3 });
      expect((await s!.record(KEY, 'failure', false, T0 + 20)).record).to.deep.include({ state: 'open', failures: 4, openedAt: T0 });
    });

    it('announces every change, in order, to every handle, with its version, origin and op id', async () => {
      const [a, b] = await open(2);
      const seen: CircuitChange[] = [];
      b!.onChange((c) => seen.push(c));
      const first = await a!.record(KEY, 'failure', false, T0, 7);
      await a!.record(KEY, 'success', false, T0 + 1, 8); // clears: announced with no record
      await a!.record(KEY, 'success', false, T0 + 2, 9); // nothing to clear: no announcement
      const last = nextChange(b!, (c) => c.op === 10);
      const third = await b!.record('other:m', 'failure', false, T0 + 3, 10);
      await last;
      expect(seen.map((c) => [c.key, c.origin === a!.origin ? 'a' : 'b', c.op, c.record?.failures])).to.deep.equal([
        [KEY, 'a', 7, 1], [KEY, 'a', 8, undefined], ['other:m', 'b', 10, 1],
      ]);
      expect(seen[0]!.version).to.equal(first.version);
      expect(seen[2]!.version).to.equal(third.version);
      expect(seen[1]!.version).to.be.greaterThan(seen[0]!.version).and.lessThan(seen[2]!.version);
    });

    it('an answer that changed nothing carries the current version', async () => {
      const [s] = await open(1);
      const changed = await s!.record(KEY, 'failure', false, T0);
      const unchanged = await s!.admit(KEY, T0 + 1);
      expect(unchanged.version).to.equal(changed.version);
      expect(unchanged.record).to.deep.include({ failures: 1 });
    });

    it('lists every live circuit with the version the listing reflects', async () => {
      const [s] = await open(1);
      await s!.record('a:m', 'failure', false, T0);
      await fail(s!, 3, T0);
      const last = await s!.record('b:m', 'failure', false, T0 + 1);
      const listing = await s!.list(T0 + 2);
      expect(listing.version).to.equal(last.version);
      expect([...listing.records.keys()].sort()).to.deep.equal(['a:m', 'b:m', KEY]);
      expect(listing.records.get(KEY)).to.deep.include({ state: 'open', failures: 3 });
    });

    it('merge keeps the record updated last and announces the survivor either way', async () => {
      const [a, b] = await open(2);
      await fail(a!, 3, T0 + 100);
      const older = nextChange(b!, (c) => c.op === 5);
      const [kept] = await a!.merge([{ key: KEY, record: { state: 'open', failures: 5, openedAt: T0, probes: 0, probeWindowAt: 0, updatedAt: T0 + 50 } }], T0 + 200, 5);
      expect(kept!.record).to.deep.include({ state: 'open', failures: 3, openedAt: T0 + 100, updatedAt: T0 + 100 });
      expect((await older).record).to.deep.include({ failures: 3 });
      const newer = await mergeOne(a!, { state: 'open', failures: 5, openedAt: T0 + 150, probes: 0, probeWindowAt: 0, updatedAt: T0 + 150 }, T0 + 200);
      expect(newer.record).to.deep.include({ state: 'open', failures: 5, openedAt: T0 + 150 });
      expect((await mergeOne(a!, closedAt(T0 + 160), T0 + 200)).record).to.equal(undefined);
      expect(await b!.get(KEY, T0 + 200)).to.equal(undefined);
      await fail(a!, 1, T0 + 300);
      expect((await mergeOne(a!, { ...closedAt(T0 + 250), failures: 2 }, T0 + 400)).record).to.deep.include({ state: 'closed', failures: 1, updatedAt: T0 + 300 });
      expect((await mergeOne(a!, { ...closedAt(T0 + 350), failures: 2 }, T0 + 400)).record).to.deep.include({ state: 'closed', failures: 2, updatedAt: T0 + 350 });
    });

    it('merge never lets a closed record holding only failures close an open circuit, in either order', async () => {
      const [a, b] = await open(2);
      // During an outage A saw three failures (open at T0 + 10), B one later failure (closed, at T0 + 20).
      const openA: CircuitRecord = { state: 'open', failures: 3, openedAt: T0 + 10, probes: 0, probeWindowAt: 0, updatedAt: T0 + 10 };
      const failingB: CircuitRecord = { ...closedAt(T0 + 20), failures: 1 };
      expect((await mergeOne(a!, openA, T0 + 30)).record).to.deep.equal(openA);
      expect((await mergeOne(b!, failingB, T0 + 31)).record).to.deep.equal(openA);
      expect(await a!.get(KEY, T0 + 32)).to.deep.equal(openA);
      const other = 'other:model';
      await b!.merge([{ key: other, record: failingB }], T0 + 30);
      expect((await a!.merge([{ key: other, record: openA }], T0 + 31))[0]!.record).to.deep.equal(openA);
      expect(await b!.get(other, T0 + 32)).to.deep.equal(openA);
    });

    it('merge closes an open or half-open circuit with a recovery only when the recovery is newer', async () => {
      const [s] = await open(1);
      await fail(s!, 3, T0 + 10);
      expect((await mergeOne(s!, closedAt(T0 + 5), T0 + 30)).record).to.deep.include({ state: 'open', openedAt: T0 + 10 });
      expect((await mergeOne(s!, closedAt(T0 + 10), T0 + 30)).record).to.deep.include({ state: 'open', openedAt: T0 + 10 });
      expect((await mergeOne(s!, closedAt(T0 + 20), T0 + 30)).record).to.equal(undefined);
      expect(await s!.get(KEY, T0 + 30)).to.equal(undefined);
    });

    it('merge on a tie prefers the circuit that is not closed', async () => {
      const [s] = await open(1);
      await fail(s!, 1, T0);
      const tie = await mergeOne(s!, { state: 'open', failures: 3, openedAt: T0, probes: 0, probeWindowAt: 0, updatedAt: T0 }, T0 + 1);
      expect(tie.record).to.deep.include({ state: 'open' });
      expect((await mergeOne(s!, { state: 'closed', failures: 1, openedAt: 0, probes: 0, probeWindowAt: 0, updatedAt: T0 }, T0 + 1)).record).to.deep.include({ state: 'open' });
    });

    it('merges many circuits in one call, answering in order and announcing each', async () => {
      const [a, b] = await open(2);
      await fail(a!, 3, T0 + 10);
      const entries = Array.from({ length: 250 }, (_, i) => ({ key: `k${i}:m`, record: { ...closedAt(T0), failures: 1 + (i % 2) } }));
      entries[7] = { key: KEY, record: closedAt(T0) };                 // older than the open circuit: the store's wins
      let announced = 0;
      b!.onChange((c) => { if (c.op === 3) announced++; });
      const last = nextChange(b!, (c) => c.key === 'k249:m');
      const acks = await a!.merge(entries, T0 + 20, 3);
      expect(acks.map((ack) => ack.record?.failures)).to.deep.equal(entries.map((e, i) => (i === 7 ? 3 : e.record.failures)));
      expect(acks[7]!.record).to.deep.include({ state: 'open' });
      expect(acks.every((ack, i) => i === 0 || ack.version > acks[i - 1]!.version)).to.equal(true);
      await last;
      expect(announced).to.equal(250);
      expect((await b!.list(T0 + 30)).records.size).to.equal(250);
    });

    it('holds at most maxKeys circuits: a new one past them is refused (full), stored and announced nowhere; those held still change', async () => {
      // Clients choose candidates (`openai:<any model>` answered 404 counts as a failure): one circuit each, without a bound.
      const [a, b] = await open(2, SUITE_POLICY, 3);
      for (const key of ['k1:m', 'k2:m', 'k3:m']) await a!.record(key, 'failure', false, T0);
      const refused = await a!.record('k4:m', 'failure', false, T0 + 1);
      expect([refused.full, refused.record]).to.deep.equal([true, undefined]);
      expect(await b!.get('k4:m', T0 + 1)).to.equal(undefined);
      const [merged] = await a!.merge([{ key: 'k5:m', record: { state: 'open', failures: 3, openedAt: T0, probes: 0, probeWindowAt: 0, updatedAt: T0 } }], T0 + 2);
      expect([merged!.full, merged!.record]).to.deep.equal([true, undefined]);
      expect((await a!.record('k1:m', 'failure', false, T0 + 3)).record).to.deep.include({ failures: 2 });
      expect([...(await b!.list(T0 + 3)).records.keys()].sort()).to.deep.equal(['k1:m', 'k2:m', 'k3:m']);
      // A circuit that closes makes room.
      await a!.record('k2:m', 'success', false, T0 + 4);
      const announced = nextChange(b!, (c) => c.key === 'k4:m');
      const stored = await a!.record('k4:m', 'failure', false, T0 + 5);
      expect([stored.full ?? false, stored.record?.failures]).to.deep.equal([false, 1]);
      expect((await announced).record).to.deep.include({ failures: 1, updatedAt: T0 + 5 });
    });

    it('forgets a circuit keyTtlMs after its last change, so abandoned candidates do not pile up', async () => {
      const ttl = 600;
      const [s] = await open(1, { ...SUITE_POLICY, openForMs: 100, keyTtlMs: ttl });
      await fail(s!, 3, T0);
      await s!.record('other:m', 'failure', false, T0);
      await target.elapse(ttl / 2);
      await s!.record('other:m', 'failure', false, T0 + ttl / 2); // refreshed: lives on
      expect(await s!.get(KEY, T0 + ttl / 2)).to.deep.include({ state: 'open' });
      await target.elapse(ttl / 2 + 50); // KEY: ttl + 50 after its change; other:m: ttl / 2 + 50
      expect(await s!.get(KEY, T0 + ttl + 50)).to.equal(undefined);
      expect([...(await s!.list(T0 + ttl + 50)).records.keys()]).to.deep.equal(['other:m']);
    });
  });
}
