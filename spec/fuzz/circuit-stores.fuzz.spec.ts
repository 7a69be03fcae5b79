import { expect } from 'chai';
import fc from 'fast-check';
import type { CircuitChange, CircuitStore, StoreAck } from '../../lib/circuit/circuit-store.js';
import { MemoryCircuitHub } from '../../lib/circuit/memory-store.js';
import { RedisCircuitStore } from '../../lib/circuit/redis/redis-store.js';
import type { CircuitOutcome, CircuitPolicy, CircuitRecord } from '../../lib/circuit/types.js';
import { until } from '../helpers/hostile-rig.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';

/** One step of a run: what a handle asks its store, or time passing. */
type Step =
  | { readonly kind: 'admit'; readonly handle: number; readonly key: number }
  | { readonly kind: 'record'; readonly handle: number; readonly key: number; readonly outcome: CircuitOutcome; readonly probe: boolean }
  | { readonly kind: 'merge'; readonly handle: number; readonly entries: readonly { readonly key: number; readonly record: HeldRecord }[] }
  | { readonly kind: 'get'; readonly handle: number; readonly key: number }
  | { readonly kind: 'list'; readonly handle: number }
  | { readonly kind: 'wait'; readonly span: Span };

/** Candidate keys as routes name them: query strings, an IPv6 host, a non-ASCII model. */
const KEYS = ['a:m', 'b:gpt-4o?temperature=0.2', 'c:claude-haiku-4-5', 'd:[::1]:mødel'];
const T0 = 1_700_000_000_000;

const state = fc.constantFrom('closed', 'open', 'half_open') as fc.Arbitrary<CircuitRecord['state']>;

/**
 * How long ago something happened, or how long to wait: often exactly nothing or a window's
 * length (±1 ms), where `>=` and `>` part, else anything up to a few windows.
 */
type Span = number | 'window' | 'window-1' | 'window+1';
const span: fc.Arbitrary<Span> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.constantFrom<Span>('window', 'window-1', 'window+1', 1) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 3_000 }) },
);
const resolve = (s: Span, p: CircuitPolicy): number => (typeof s === 'number' ? s : p.openForMs + (s === 'window' ? 0 : s === 'window-1' ? -1 : 1));

/** A record another instance could hold after an outage: any state and counts, its times that long before the merge. */
interface HeldRecord {
  readonly state: CircuitRecord['state'];
  readonly failures: number;
  readonly probes: number;
  readonly opened: Span;
  readonly window: Span;
  readonly updated: Span;
}
const held: fc.Arbitrary<HeldRecord> = fc.record({
  state: fc.constantFrom('closed', 'open', 'half_open') as fc.Arbitrary<CircuitRecord['state']>,
  failures: fc.nat(6), probes: fc.nat(3), opened: span, window: span, updated: span,
});
const recordOf = (h: HeldRecord, now: number, p: CircuitPolicy): CircuitRecord => ({
  state: h.state, failures: h.failures, probes: h.probes,
  openedAt: now - resolve(h.opened, p), probeWindowAt: now - resolve(h.window, p), updatedAt: now - resolve(h.updated, p),
});

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('admit' as const), handle: fc.nat(1), key: fc.nat(KEYS.length - 1) }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('record' as const), handle: fc.nat(1), key: fc.nat(KEYS.length - 1), outcome: fc.constantFrom<CircuitOutcome>('success', 'failure', 'failure', 'cancelled', 'ignored'), probe: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('merge' as const), handle: fc.nat(1), entries: fc.array(fc.record({ key: fc.nat(KEYS.length - 1), record: held }), { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), handle: fc.nat(1), key: fc.nat(KEYS.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('list' as const), handle: fc.nat(1) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('wait' as const), span }) },
);

/** Small thresholds and windows, so that runs of a few dozen steps open, probe, close and reopen circuits. */
const policy: fc.Arbitrary<CircuitPolicy> = fc.record({
  failureThreshold: fc.integer({ min: 1, max: 3 }),
  openForMs: fc.constantFrom(1, 250, 1_000, 1_501),
  halfOpenProbes: fc.integer({ min: 1, max: 3 }),
  // Far beyond a run: expiry is each store's own clock (memory: the `now` passed; Redis: its own), not compared here.
  keyTtlMs: fc.constant(3_600_000),
});

/**
 * Versions as offsets from the store's first change: Redis seeds its counter from its clock in
 * microseconds, memory from zero; both add one per change. 0 is "no change yet" in both.
 */
class Versions {
  private base: number | undefined;
  /** The version a store stands at before its first change (a Redis store's seeded counter). */
  start(version: number): void {
    if (version !== 0) this.base = version;
  }
  of(version: number): number {
    if (version === 0) return 0;
    this.base ??= version - 1;
    return version - this.base;
  }
}

/** What a store answered, in a form both stores must match exactly. */
type Answer = unknown;

/** One store under test: its handles, the changes each heard, its versions. */
interface Side {
  readonly name: string;
  readonly handles: readonly CircuitStore[];
  readonly heard: CircuitChange[][];
  readonly versions: Versions;
}

const ack = (side: Side, a: StoreAck) => ({ record: a.record ?? null, version: side.versions.of(a.version) });

async function play(side: Side, s: Step, now: number, op: number, p: CircuitPolicy): Promise<Answer> {
  if (s.kind === 'wait') return undefined;
  const store = side.handles[s.handle]!;
  switch (s.kind) {
    case 'admit': {
      const a = await store.admit(KEYS[s.key]!, now, op);
      return { decision: a.decision, ...ack(side, a) };
    }
    case 'record':
      return ack(side, await store.record(KEYS[s.key]!, s.outcome, s.probe, now, op));
    case 'merge':
      return (await store.merge(s.entries.map((e) => ({ key: KEYS[e.key]!, record: recordOf(e.record, now, p) })), now, op)).map((a) => ack(side, a));
    case 'get':
      return (await store.get(KEYS[s.key]!, now)) ?? null;
    case 'list': {
      const listing = await store.list(now);
      return { records: [...listing.records].sort(([a], [b]) => a.localeCompare(b)), version: side.versions.of(listing.version) };
    }
  }
}

/**
 * The circuit state machine in its two stores, told apart only by where it runs: the memory hub
 * (`transitions.ts` applied to a Map) and Redis (`redis/lua-scripts.ts`, a line-by-line port run
 * atomically by a real redis-server). Two handles on each store (two instances) take the same
 * generated steps at the same scheduler times (whole milliseconds, often exactly a window's
 * length apart, where `>=` and `>` part): admits, outcomes of every kind with and without a probe
 * slot, merges of records an instance kept through an outage (their times often those of the
 * stored record, where the tie rule decides), reads and listings. Every answer must be the same
 * (decision, retry-after, the stored record, the version as an offset from the first change),
 * and every handle must hear the same changes in the same order (key, record, version, origin,
 * op id). The example cases of the contract: spec/circuit/store-suite.ts.
 */
describe('fuzz: circuit stores (memory and Redis) answer alike', function () {
  this.timeout(fuzzTimeout(150));
  let redis: RedisServer;
  let runs = 0;

  before(async function () {
    redis = await requireRedisServer(this);
  });
  after(() => redis?.close());

  it('every step answers the same, and every handle hears the same changes in the same order', async () => {
    await fc.assert(fc.asyncProperty(policy, fc.array(step, { minLength: 1, maxLength: 40 }), async (p, steps) => {
      const hub = new MemoryCircuitHub(p);
      const keyPrefix = `fzc${process.pid}:${++runs}:`;
      const sides: Side[] = [
        { name: 'memory', handles: [hub.connect('i0'), hub.connect('i1')], heard: [[], []], versions: new Versions() },
        { name: 'redis', handles: [0, 1].map((i) => new RedisCircuitStore({ url: redis.url, keyPrefix, policy: p, origin: `i${i}`, timeoutMs: 5_000, reconnectMaxMs: 100 })), heard: [[], []], versions: new Versions() },
      ];
      try {
        await until(() => sides[1]!.handles.every((h) => h.up), 'both Redis handles connected', 10_000);
        // The first script on a fresh prefix seeds Redis's missing version counter (as after a
        // FLUSHALL: circuit-breaker.md; that listing still reports the 0 it found), where the
        // memory hub stays at 0: versions count from where each store stands before its first change.
        for (const side of sides) {
          await side.handles[0]!.list(T0);
          side.versions.start((await side.handles[0]!.list(T0)).version);
        }
        for (const side of sides) side.handles.forEach((h, i) => h.onChange((c) => side.heard[i]!.push(c)));
        let now = T0;
        for (const [i, s] of steps.entries()) {
          if (s.kind === 'wait') now += resolve(s.span, p);
          const answers = [];
          for (const side of sides) answers.push(await play(side, s, now, i + 1, p));
          expect(answers[1], `step ${i} (${s.kind}) at T0+${now - T0}`).to.deep.equal(answers[0]);
        }
        // Redis announces through pub/sub: wait until each handle heard as many changes as memory's did.
        const [memory, shared] = sides as [Side, Side];
        await until(() => shared.heard.every((h, i) => h.length >= memory.heard[i]!.length), 'every change announced through Redis', 10_000);
        for (const i of [0, 1]) {
          const view = (side: Side) => side.heard[i]!.map((c) => ({ key: c.key, record: c.record ?? null, version: side.versions.of(c.version), origin: c.origin, op: c.op }));
          expect(view(shared), `changes heard by handle ${i}`).to.deep.equal(view(memory));
        }
      } finally {
        for (const side of sides) await Promise.all(side.handles.map((h) => h.close()));
      }
    }), fuzzParameters());
  });
});
