import { expect } from 'chai';
import { lastValueFrom, toArray, type Observable } from 'rxjs';
import type { Backend } from '../../lib/backends/backend.js';
import { emptyCall, type Call, type LipEvent } from '../../lib/canonical/index.js';
import type { CacheConfig } from '../../lib/config/index.js';
import { Executor, type ExecutionMeta } from '../../lib/core/execute.js';
import { cacheControl, MemoryAnswerStore, ResponseCache, type CachedAnswer } from '../../lib/core/response-cache.js';
import { LipError } from '../../lib/errors/index.js';
import { FlowGate } from '../../lib/wire/flow-gate.js';
import { testConfig } from '../helpers/config.js';
import { ScriptedBackend, type ScriptStep } from '../helpers/scripted-backend.js';

const ANSWER: ScriptStep[] = [
  { type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: 'kept' }, { type: 'usage', usage: { inputTokens: 3, outputTokens: 1 } }, { type: 'response_finished', reason: 'stop' },
];
const IN_BAND: ScriptStep[] = [{ type: 'response_started' }, { type: 'text_delta', text: 'half' }, { type: 'error', code: 'LIP_ERR_UPSTREAM_STREAM_ERROR', message: 'cut' }, { type: 'response_finished', reason: 'stop' }];
const SLOW: ScriptStep[] = [{ type: 'response_started' }, { type: 'text_delta', text: 'partial' }, { delayMs: 20 }, { type: 'response_finished', reason: 'stop' }];
const FILTERED: ScriptStep[] = [{ type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: 'I cannot' }, { type: 'response_finished', reason: 'content_filter', raw: 'refusal' }];
const ODD: ScriptStep[] = [{ type: 'response_started' }, { type: 'message_started' }, { type: 'response_finished', reason: 'other', raw: 'MALFORMED_FUNCTION_CALL' }];
const FAIL: ScriptStep[] = [{ fail: new LipError('LIP_ERR_UPSTREAM_STATUS', 'busy', { status: 503, retryable: true }) }];
const SETTINGS: CacheConfig = { enabled: true, store: 'memory', ttl: 60_000, max_bytes: 1_000_000, max_entry_bytes: 100_000, scope: 'principal' };

const ask = (text: string, extra: Partial<Call> = {}): Call => emptyCall({ model: 'x', messages: [{ role: 'user', parts: [{ type: 'text', text }] }], ...extra });
const answer = (text: string): CachedAnswer => ({ events: [{ type: 'text_delta', text }], candidateKey: 'a:m', backendId: 'a', storedAt: 0 });

describe('core/response-cache', () => {
  let clock = 0;
  let a: ScriptedBackend;
  let executor: Executor;
  let cache: ResponseCache;
  beforeEach(() => {
    clock = 1_000_000;
    a = new ScriptedBackend('a', new Map(Object.entries({ ok: ANSWER, cut: IN_BAND, fail: FAIL, other: ANSWER, slow: SLOW, filtered: FILTERED, odd: ODD })));
    const config = testConfig('  - { id: a, kind: localstub }', 'routing: { default_route: "a:ok" }');
    cache = new ResponseCache(SETTINGS, new MemoryAnswerStore(SETTINGS.ttl, SETTINGS.max_bytes, () => clock), () => clock);
    executor = new Executor(config, new Map<string, Backend>([['a', a]]), { cache });
  });
  const run = async (call: Call, o: { meta?: ExecutionMeta; principal?: string; route?: string; headers?: Record<string, string> } = {}): Promise<LipEvent[]> => {
    const events: Observable<LipEvent> = executor.execute(call, {
      requestId: 'r', meta: o.meta ?? {}, principal: o.principal ?? 'alice', ...(o.route ? { routeHeader: o.route } : {}), ...(o.headers ? { clientHeaders: o.headers } : {}),
    });
    return lastValueFrom(events.pipe(toArray()));
  };

  it('a finished answer is kept: the same request again is answered from it, streamed or not, without a call', async () => {
    const first: ExecutionMeta = {};
    const served = await run(ask('q'), { meta: first });
    expect(first).to.include({ cache: 'miss', candidateKey: 'a:ok' });
    clock += 5_000;
    const again: ExecutionMeta = {};
    const hit = await run(ask('q', { stream: true }), { meta: again });
    expect(hit).to.deep.equal(served);
    expect(again).to.include({ cache: 'hit', candidateKey: 'a:ok', backendId: 'a', cacheAgeMs: 5_000, selector: 'a:ok' });
    expect(again.attempts).to.equal(undefined);
    expect(a.calls).to.have.length(1);
  });

  it('the key is what decides the answer: another text, option, route or principal misses; metadata does not count', async () => {
    await run(ask('q'));
    await run(ask('q', { metadata: { trace: 'other' } }));
    expect(a.calls).to.have.length(1);
    await run(ask('q2'));
    await run(ask('q', { options: { temperature: 0.2 } }));
    await run(ask('q'), { route: 'a:other' });
    await run(ask('q'), { principal: 'bob' });
    expect(a.calls).to.have.length(5);
    const global = new ResponseCache({ ...SETTINGS, scope: 'global' }, new MemoryAnswerStore(60_000, 1_000_000));
    expect(global.key(ask('q'), 'a:ok', 'alice')).to.equal(global.key(ask('q'), 'a:ok', 'bob'));
    expect(cache.key(ask('q'), 'a:ok', 'alice')).to.not.equal(cache.key(ask('q'), 'a:ok', 'bob'));
  });

  it('keeps no failure: neither an in-band error nor a failed request, so the next one goes upstream again', async () => {
    await run(ask('q'), { route: 'a:cut' });
    await run(ask('q'), { route: 'a:cut' });
    expect(a.calls).to.have.length(2);
    const failed = await run(ask('q'), { route: 'a:fail' }).then(() => undefined, (e: unknown) => e);
    expect(failed).to.be.instanceOf(LipError);
    await run(ask('q'), { route: 'a:fail' }).catch(() => undefined);
    expect(a.calls).to.have.length(4);
  });

  it('keeps no answer a content filter ended (a refusal), nor one that ended for no natural reason (finish reason other)', async () => {
    for (const route of ['a:filtered', 'a:odd']) {
      const first: ExecutionMeta = {};
      const served = await run(ask('q'), { route, meta: first });
      expect(served.at(-1)).to.have.property('type', 'response_finished');
      const again: ExecutionMeta = {};
      await run(ask('q'), { route, meta: again });
      expect([first.cache, again.cache], route).to.deep.equal(['miss', 'miss']);
    }
    expect(a.calls).to.have.length(4);
  });

  it('keeps no answer cut short by its subscriber (a client that left)', async () => {
    const events: LipEvent[] = [];
    const subscription = executor.execute(ask('q'), { requestId: 'r', meta: {}, principal: 'alice', routeHeader: 'a:slow' }).subscribe((e) => events.push(e));
    // The answer has begun (its first events came at once) and waits for its end: the client leaves.
    expect(events.map((e) => e.type)).to.include('text_delta');
    subscription.unsubscribe();
    const again: ExecutionMeta = {};
    await run(ask('q'), { route: 'a:slow', meta: again });
    expect(again.cache).to.equal('miss');
    expect(a.calls).to.have.length(2);
  });

  it('Cache-Control: no-store skips it both ways; no-cache (or max-age=0) routes and keeps the fresh answer', async () => {
    const bypass: ExecutionMeta = {};
    await run(ask('q'), { meta: bypass, headers: { 'cache-control': 'no-store' } });
    expect(bypass.cache).to.equal('bypass');
    const miss: ExecutionMeta = {};
    await run(ask('q'), { meta: miss });
    expect(miss.cache).to.equal('miss');
    const refresh: ExecutionMeta = {};
    await run(ask('q'), { meta: refresh, headers: { 'cache-control': 'max-age=0' } });
    expect(refresh.cache).to.equal('refresh');
    expect(a.calls).to.have.length(3);
    const hit: ExecutionMeta = {};
    await run(ask('q'), { meta: hit, headers: { 'cache-control': 'private' } });
    expect(hit.cache).to.equal('hit');
    expect(a.calls).to.have.length(3);
  });

  it('Cache-Control: max-age=N takes a kept answer only if it is at most N seconds old; an older one is replaced', async () => {
    await run(ask('q'));
    clock += 30_000;
    const young: ExecutionMeta = {};
    await run(ask('q'), { meta: young, headers: { 'cache-control': 'max-age=60' } });
    expect(young).to.include({ cache: 'hit', cacheAgeMs: 30_000 });
    const old: ExecutionMeta = {};
    await run(ask('q'), { meta: old, headers: { 'cache-control': 'max-age=10' } });
    expect(old.cache).to.equal('miss');
    expect(a.calls).to.have.length(2);
    // The fresh answer took its place: young enough for the same client now.
    const again: ExecutionMeta = {};
    await run(ask('q'), { meta: again, headers: { 'cache-control': 'max-age=10' } });
    expect(again).to.include({ cache: 'hit', cacheAgeMs: 0 });
  });

  it('reads Cache-Control as HTTP does: no-store wins, no-cache and max-age=0 refresh, a malformed max-age says nothing', () => {
    expect(cacheControl(undefined)).to.deep.equal({});
    expect(cacheControl('no-cache, no-store')).to.deep.equal({ mode: 'no-store' });
    expect(cacheControl(['max-age=5', 'NO-CACHE'])).to.deep.equal({ mode: 'no-cache' });
    expect(cacheControl('max-age = 0')).to.deep.equal({ mode: 'no-cache' });
    expect(cacheControl('private, max-age=120')).to.deep.equal({ maxAgeMs: 120_000 });
    expect(cacheControl('max-age="30"')).to.deep.equal({ maxAgeMs: 30_000 });
    expect(cacheControl('max-age=-1, max-age=abc, max-stale=9')).to.deep.equal({});
  });

  it('a hit\'s events wait while the streaming client\'s flow gate is closed, and go on when it opens', async () => {
    await run(ask('q'));
    const flow = new FlowGate();
    const events: LipEvent[] = [];
    let done = false;
    const subscription = executor.execute(ask('q', { stream: true }), { requestId: 'r', meta: {}, principal: 'alice', flow }).subscribe({
      next: (e) => {
        events.push(e);
        // The client's socket fills after the second event.
        if (events.length === 2) flow.close();
      },
      complete: () => { done = true; },
    });
    expect([events.length, done]).to.deep.equal([2, false]);
    flow.open();
    expect([events.length, done]).to.deep.equal([ANSWER.length, true]);
    // A client that leaves while paused leaves nothing waiting on the gate.
    flow.close();
    const paused = executor.execute(ask('q', { stream: true }), { requestId: 'r2', meta: {}, principal: 'alice', flow }).subscribe(() => undefined);
    paused.unsubscribe();
    expect((flow as unknown as { waiting: unknown[] }).waiting).to.have.length(0);
    subscription.unsubscribe();
  });

  it('an answer past max_entry_bytes is not kept', async () => {
    const small = new ResponseCache({ ...SETTINGS, max_entry_bytes: 100 }, new MemoryAnswerStore(60_000, 1_000_000), () => clock);
    executor = new Executor(testConfig('  - { id: a, kind: localstub }', 'routing: { default_route: "a:ok" }'), new Map<string, Backend>([['a', a]]), { cache: small });
    await run(ask('q'));
    await run(ask('q'));
    expect(a.calls).to.have.length(2);
  });

  describe('a runtime with another config (a reload that keeps the cache)', () => {
    const reloaded = (backends: string) => new Executor(testConfig(backends, 'routing: { default_route: "a:ok" }'), new Map<string, Backend>([['a', a]]), { cache });
    const refusal = (call: Call, o: { route?: string; meta?: ExecutionMeta } = {}) => run(call, o).then(() => undefined, (e: unknown) => e as LipError);

    it('takes the answers its backend rows served unchanged; a row changed since (its settings, its models) is a miss', async () => {
      executor = reloaded('  - { id: a, kind: localstub, text: OLD }\n  - { id: b, kind: localstub }');
      await run(ask('q'));
      executor = reloaded('  - { id: a, kind: localstub, text: OLD }\n  - { id: b, kind: localstub, text: other }');
      const same: ExecutionMeta = {};
      await run(ask('q'), { meta: same });
      expect(same.cache, 'another row changed, not the one that served').to.equal('hit');
      for (const row of ['{ id: a, kind: localstub, text: NEW }', '{ id: a, kind: localstub, text: OLD, models: [ok, more] }']) {
        executor = reloaded(`  - ${row}`);
        const changed: ExecutionMeta = {};
        await run(ask('q'), { meta: changed });
        expect(changed.cache, row).to.equal('miss');
        // The fresh answer is the changed row's: the next request takes it.
        const again: ExecutionMeta = {};
        await run(ask('q'), { meta: again });
        expect(again.cache, row).to.equal('hit');
      }
      expect(a.calls).to.have.length(3);
    });

    it('an embeddings request too: vectors kept from a row since changed or gone are a miss', async () => {
      const request = { model: 'e', inputs: ['text'] };
      const rows = (digest: string | undefined) => (id: string) => (id === 'a' ? digest : undefined);
      const first = await cache.embedding(request, ['a:e'], 'alice', undefined, undefined, rows('one'));
      expect(first.cache).to.equal('miss');
      if (first.cache === 'miss') first.keep({ vectors: [[1, 2]] }, 'a:e', 'a');
      expect((await cache.embedding(request, ['a:e'], 'alice', undefined, undefined, rows('one'))).cache).to.equal('hit');
      expect((await cache.embedding(request, ['a:e'], 'alice', undefined, undefined, rows('two'))).cache).to.equal('miss');
      expect((await cache.embedding(request, ['a:e'], 'alice', undefined, undefined, rows(undefined))).cache).to.equal('miss');
    });

    it('refuses a route as routing would, before any lookup: a backend removed or disabled, an unknown model under unknown_model: reject', async () => {
      await run(ask('q'), { route: 'a:ok' });
      await run(ask('q'));
      const b = new ScriptedBackend('b', new Map(Object.entries({ ok: ANSWER })));
      executor = new Executor(testConfig('  - { id: b, kind: localstub }', 'routing: { default_route: "b:ok" }'), new Map<string, Backend>([['b', b]]), { cache });
      const removed: ExecutionMeta = {};
      expect(await refusal(ask('q'), { route: 'a:ok', meta: removed })).to.include({ code: 'LIP_ERR_ROUTE_UNKNOWN_BACKEND' });
      expect(removed.cache).to.equal(undefined);
      executor = new Executor(testConfig('  - { id: a, kind: localstub, enabled: false }\n  - { id: b, kind: localstub }', 'routing: { default_route: "b:ok" }'), new Map<string, Backend>([['b', b]]), { cache });
      expect(await refusal(ask('q'), { route: 'a:ok' })).to.include({ code: 'LIP_ERR_ROUTE_UNKNOWN_BACKEND' });
      executor = new Executor(testConfig('  - { id: a, kind: localstub }', 'routing: { default_route: "a:ok", unknown_model: reject }'), new Map<string, Backend>([['a', a]]), { cache });
      expect(await refusal(ask('q'))).to.include({ code: 'LIP_ERR_ROUTE_UNKNOWN_MODEL' });
      expect(a.calls).to.have.length(1);
    });
  });

  it('max_entry_bytes and max_bytes are one measure, UTF-8 bytes: an entry that passes the one fits the other', async () => {
    const long = (text: string): ScriptStep[] => [{ type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text }, { type: 'response_finished', reason: 'stop' }];
    const b = new ScriptedBackend('a', new Map(Object.entries({ ascii: long('x'.repeat(6_000)), cjk: long('漢'.repeat(1_000)) })));
    const exec = (limits: Partial<CacheConfig>) => {
      const settings = { ...SETTINGS, ...limits };
      return new Executor(testConfig('  - { id: a, kind: localstub }', 'routing: { default_route: "a:ascii" }'), new Map<string, Backend>([['a', b]]), {
        cache: new ResponseCache(settings, new MemoryAnswerStore(settings.ttl, settings.max_bytes, () => clock), () => clock),
      });
    };
    const twice = async (executor: Executor, route: string) => {
      const metas: ExecutionMeta[] = [{}, {}];
      for (const meta of metas) await lastValueFrom(executor.execute(ask('q'), { requestId: 'r', meta, principal: 'alice', routeHeader: route }).pipe(toArray()));
      return metas.map((m) => m.cache);
    };
    // Some 6,200 bytes of JSON, with max_entry_bytes equal to max_bytes (check-config accepts it): kept, and given again.
    expect(await twice(exec({ max_bytes: 10_000, max_entry_bytes: 10_000 }), 'a:ascii')).to.deep.equal(['miss', 'hit']);
    // 1,000 CJK characters are 3,000 bytes of UTF-8 (some 1,200 UTF-16 units of JSON): past a 2,000-byte max_entry_bytes.
    expect(await twice(exec({ max_bytes: 100_000, max_entry_bytes: 2_000 }), 'a:cjk')).to.deep.equal(['miss', 'miss']);
    expect(await twice(exec({ max_bytes: 100_000, max_entry_bytes: 4_000 }), 'a:cjk')).to.deep.equal(['miss', 'hit']);
  });

  describe('the memory store', () => {
    it('forgets an answer once its ttl has passed', () => {
      const store = new MemoryAnswerStore(1_000, 10_000, () => clock);
      store.set('k', answer('x'), 'x'.repeat(10), 10);
      clock += 999;
      expect(store.get('k')?.events).to.have.length(1);
      clock += 1;
      expect(store.get('k')).to.equal(undefined);
      expect(store.size).to.deep.equal({ entries: 0, bytes: 0 });
    });

    it('an expired answer is not held nor counted: what it holds says so unread, and a new answer does not push out a live one for it', () => {
      const store = new MemoryAnswerStore(1_000, 100, () => clock);
      store.set('old', answer('o'), 'x'.repeat(60), 60);
      clock += 500;
      store.set('live', answer('l'), 'x'.repeat(30), 30);
      expect(store.size).to.deep.equal({ entries: 2, bytes: 90 });
      clock += 500; // 'old' expired, unread
      expect(store.size).to.deep.equal({ entries: 1, bytes: 30 });
      store.set('new', answer('n'), 'x'.repeat(60), 60); // 90 bytes with 'live': fits
      expect([store.get('live') !== undefined, store.get('new') !== undefined]).to.deep.equal([true, true]);
      clock += 2_000; // both expired, unread: the next answer finds the store empty
      store.set('next', answer('x'), 'x'.repeat(10), 10);
      expect(store.size).to.deep.equal({ entries: 1, bytes: 10 });
      const cache = new ResponseCache(SETTINGS, store, () => clock);
      expect(cache.status()).to.include({ entries: 1, bytes: 10 });
    });

    it('holds at most max_bytes: the least recently used go first; one larger than all is not kept', () => {
      const store = new MemoryAnswerStore(60_000, 100, () => clock);
      const set = (k: string, a: CachedAnswer, text: string) => store.set(k, a, text, Buffer.byteLength(text));
      for (const k of ['a', 'b', 'c']) set(k, answer(k), 'x'.repeat(40)); // 40 bytes each
      expect(store.size).to.deep.equal({ entries: 2, bytes: 80 });
      expect(store.get('a')).to.equal(undefined);
      expect(store.get('b')).to.not.equal(undefined); // b is now the most recently used
      set('d', answer('d'), 'x'.repeat(40));
      expect([store.get('b') !== undefined, store.get('c') !== undefined, store.get('d') !== undefined]).to.deep.equal([true, false, true]);
      set('huge', answer('h'), 'x'.repeat(101));
      expect(store.get('huge')).to.equal(undefined);
      set('b', answer('b2'), 'x'.repeat(20));
      expect(store.size).to.deep.equal({ entries: 2, bytes: 60 });
      expect((store.get('b')!.events[0] as { text: string }).text).to.equal('b2');
    });
  });
});
