import { expect } from 'chai';
import { scopedState, type StateStore } from '../../lib/extensions/state-store.js';

/**
 * The contract every plugin `StateStore` meets, run against each implementation. Handles
 * opened together share one empty store (several lip instances on one Redis); `elapse` lets
 * time pass on the store's expiry clock.
 */
export interface StateStoreSuiteTarget {
  readonly name: string;
  open(count: number): Promise<StateStore[]>;
  elapse(ms: number): Promise<void>;
  /** The TTL the expiry case uses (Redis needs one its clock can see pass). */
  readonly ttlMs: number;
}

export function runStateStoreSuite(target: StateStoreSuiteTarget): void {
  describe(`plugin state store contract: ${target.name}`, function () {
    this.timeout(10_000);
    let opened: StateStore[] = [];
    const open = async (count = 1) => (opened = await target.open(count));
    afterEach(async () => { for (const s of opened) await s.close(); });

    it('keeps JSON values by key; a missing key reads undefined', async () => {
      const [s] = await open();
      await s!.put('k1', { n: 1, list: ['a', null], nested: { ok: true } });
      await s!.put('k2', 'text');
      await s!.put('k3', 0);
      expect(await s!.get('k1')).to.deep.equal({ n: 1, list: ['a', null], nested: { ok: true } });
      expect([await s!.get('k2'), await s!.get('k3'), await s!.get('nope')]).to.deep.equal(['text', 0, undefined]);
    });

    it('stores a copy: changing the object after put changes nothing', async () => {
      const [s] = await open();
      const value = { count: 1 };
      await s!.put('k', value);
      value.count = 2;
      expect(await s!.get('k')).to.deep.equal({ count: 1 });
    });

    it('overwrites and deletes', async () => {
      const [s] = await open();
      await s!.put('k', 1);
      await s!.put('k', 2);
      expect(await s!.get('k')).to.equal(2);
      await s!.delete('k');
      expect(await s!.get('k')).to.equal(undefined);
    });

    it('forgets a value after its TTL, keeps one without', async () => {
      const [s] = await open();
      await s!.put('short', 'x', target.ttlMs);
      await s!.put('long', 'y');
      expect(await s!.get('short')).to.equal('x');
      await target.elapse(target.ttlMs * 4);
      expect([await s!.get('short'), await s!.get('long')]).to.deep.equal([undefined, 'y']);
    });

    it('refuses a value that is not JSON', async () => {
      const [s] = await open();
      const err = await s!.put('k', undefined).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(TypeError);
    });

    it('refuses a value over 1 MiB as JSON (RangeError) and keeps the value the key had', async () => {
      const [s] = await open();
      await s!.put('k', 'small');
      const exact = 'x'.repeat(1024 ** 2 - 2); // with its quotes, 1 MiB exactly
      await s!.put('fits', exact);
      expect(await s!.get('fits')).to.equal(exact);
      const err = await s!.put('k', exact + 'x').catch((e: unknown) => e);
      expect(err).to.be.instanceOf(RangeError);
      expect((err as Error).message).to.equal(`a state value must be at most 1MiB as JSON (this one is ${1024 ** 2 + 1} bytes)`);
      expect(await s!.get('k')).to.equal('small');
    });

    it('a scoped view refuses a TTL that is not a number of milliseconds more than 0 (up to 2^53-1), and keeps nothing', async () => {
      const [s] = await open();
      const view = scopedState(s!, 'quota', 'principal', 'p1');
      for (const ttlMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e300, '60000' as unknown as number]) {
        const err = await view.put('k', 1, { ttlMs }).catch((e: unknown) => e);
        expect(err, String(ttlMs)).to.be.instanceOf(TypeError);
        expect((err as Error).message).to.equal(`ttlMs must be a number of milliseconds more than 0 and at most ${Number.MAX_SAFE_INTEGER} (got ${typeof ttlMs === 'string' ? '"60000"' : String(ttlMs)})`);
        expect(await view.get('k'), String(ttlMs)).to.equal(undefined);
      }
      await view.put('k', 1, { ttlMs: 0.4 });
      await view.put('k2', 2, { ttlMs: Number.MAX_SAFE_INTEGER });
      expect(await view.get('k2')).to.equal(2);
    });

    // Regression (plugin probe t10): the docs' counter (get, then put(seen + 1)) lost updates
    // under concurrent requests (100 concurrent requests counted 95 on Redis).
    it('incr counts atomically: 100 concurrent increments through two handles (two instances) count 100', async () => {
      const [a, b] = await open(2);
      const views = [scopedState(a!, 'quota', 'principal', 'alice'), scopedState(b!, 'quota', 'principal', 'alice')];
      const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => views[i % 2]!.incr('requests', 1, { ttlMs: 60_000 })));
      expect([...answers].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(await views[0]!.get('requests')).to.equal(100);
    });

    it('incr starts from 0, adds `by` (1 by default, negative too), and works on a value put as an integer', async () => {
      const [s] = await open();
      const view = scopedState(s!, 'f', 'global', '');
      expect(await view.incr('n')).to.equal(1);
      expect(await view.incr('n', 41)).to.equal(42);
      expect(await view.incr('n', -2)).to.equal(40);
      await view.put('m', 7);
      expect(await view.incr('m')).to.equal(8);
      expect(await view.get('m')).to.equal(8);
    });

    it('incr on a value that is not an integer rejects with a TypeError and leaves it', async () => {
      const [s] = await open();
      const view = scopedState(s!, 'f', 'global', '');
      for (const value of ['5', 1.5, { n: 1 }, true]) {
        await view.put('k', value);
        const err = await view.incr('k').catch((e: unknown) => e);
        expect(err, JSON.stringify(value)).to.be.instanceOf(TypeError);
        expect((err as Error).message).to.equal('incr: the value is not an integer');
        expect(await view.get('k')).to.deep.equal(value);
      }
    });

    it('incr refuses a `by` that is not a safe integer, and a bad TTL, keeping nothing', async () => {
      const [s] = await open();
      const view = scopedState(s!, 'f', 'global', '');
      for (const by of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '1' as unknown as number]) {
        const err = await view.incr('k', by).catch((e: unknown) => e);
        expect(err, String(by)).to.be.instanceOf(TypeError);
        expect((err as Error).message).to.equal(`by must be an integer of at most 2^53-1 either way (got ${typeof by === 'string' ? '"1"' : String(by)})`);
      }
      expect(await view.incr('k', 1, { ttlMs: 0 }).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
      expect(await view.get('k')).to.equal(undefined);
    });

    it('incr with a TTL: the count expires that long after its last increment; without one it does not', async () => {
      const [s] = await open();
      const view = scopedState(s!, 'f', 'global', '');
      await view.incr('short', 1, { ttlMs: target.ttlMs });
      await view.incr('long', 1, { ttlMs: target.ttlMs });
      await view.incr('long', 1);
      await target.elapse(target.ttlMs * 4);
      expect([await view.get('short'), await view.get('long')]).to.deep.equal([undefined, 2]);
      expect(await view.incr('short')).to.equal(1);
    });

    it('two handles on one store see each other\'s values (two instances agree)', async () => {
      const [a, b] = await open(2);
      await a!.put('shared', { by: 'a' });
      expect(await b!.get('shared')).to.deep.equal({ by: 'a' });
      await b!.delete('shared');
      expect(await a!.get('shared')).to.equal(undefined);
    });

    it('scoped views never collide across features, scopes or scope instances', async () => {
      const [s] = await open();
      const views = [
        scopedState(s!, 'quota', 'session', 'a1'), scopedState(s!, 'quota', 'session', 'a2'),
        scopedState(s!, 'quota', 'principal', 'a1'), scopedState(s!, 'other', 'session', 'a1'),
        scopedState(s!, 'quota:session', 'global', ''), scopedState(s!, 'quota', 'global', ''),
      ];
      await Promise.all(views.map((v, i) => v.put('n', i)));
      expect(await Promise.all(views.map((v) => v.get('n')))).to.deep.equal([0, 1, 2, 3, 4, 5]);
    });
  });
}
