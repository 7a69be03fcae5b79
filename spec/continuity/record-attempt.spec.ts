import { expect } from 'chai';
import { catchError, of, take, throwError, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { LipEvent } from '../../lib/canonical/index.js';
import { MemoryContinuityStore, recordAttempt, type AttemptRow } from '../../lib/continuity/index.js';
import { LipError } from '../../lib/errors/index.js';
import { testScheduler } from '../helpers/marbles.js';

const e: Record<string, LipEvent> = {
  s: { type: 'response_started' },
  t: { type: 'text_delta', text: 'hi' },
  f: { type: 'response_finished', reason: 'stop' },
};
const retryable = new LipError('LIP_ERR_UPSTREAM_STATUS', 'upstream answered 503', { status: 503, retryable: true });
const fatal = new LipError('LIP_ERR_UPSTREAM_STATUS', 'upstream answered 400', { status: 400 });

/** Runs `body` in virtual time with a memory store on the same clock; returns the A-leg's rows. */
function scenario(body: (h: { store: MemoryContinuityStore; aLegId: string; ts: TestScheduler; helpers: Parameters<Parameters<TestScheduler['run']>[0]>[0] }) => void): Promise<AttemptRow[]> {
  const ts = testScheduler();
  const store = new MemoryContinuityStore({ ttlMs: 3_600_000, maxLegs: 10, scheduler: ts });
  const { aLegId } = store.resolveALeg('alice');
  ts.run((helpers) => body({ store, aLegId, ts, helpers }));
  return store.attempts(aLegId).then((rows) => rows ?? []);
}

const pick = (rows: AttemptRow[]) => rows.map((r) => [r.seq, r.candidate_key, r.started_at, r.first_output_at, r.finished_at, r.outcome, r.reason, r.http_status]);

describe('continuity/recordAttempt', () => {
  it('records a successful attempt: start, first output and end at their instants', async () => {
    const rows = await scenario(({ store, aLegId, helpers: { cold, expectObservable } }) => {
      const source = cold('--s--t--t--f-|', e);
      expectObservable(source.pipe(recordAttempt({ store, aLegId, start: { candidateKey: 'a:m', backendId: 'a', model: 'm' } }))).toBe('--s--t--t--f-|', e);
    });
    expect(pick(rows)).to.deep.equal([[1, 'a:m', 0, 5, 13, 'success', null, 200]]);
  });

  it('finishes the row with the result as it stands when the attempt ends: usage, cost, the upstream request id', async () => {
    const result = { usage: {}, cost: undefined as number | undefined, upstreamRequestId: undefined as string | undefined };
    const rows = await scenario(({ store, aLegId, helpers: { cold, expectObservable } }) => {
      const source = cold('--s--t--f-|', e);
      const rec = (key: string) => recordAttempt({ store, aLegId, start: { candidateKey: key, backendId: 'a', model: 'm', keyId: 'k1' }, result: () => result });
      // The result is read when the attempt ends (the backend fills it in while it runs).
      source.subscribe({ next: (event) => { if (event.type === 'response_finished') Object.assign(result, { usage: { inputTokens: 9, outputTokens: 3 }, cost: 0.5, upstreamRequestId: 'up-1' }); } });
      expectObservable(source.pipe(rec('a:m'))).toBe('--s--t--f-|', e);
      expectObservable(cold('--#', e, retryable).pipe(rec('b:m'))).toBe('--#', e, retryable);
    });
    expect(rows.map((r) => [r.candidate_key, r.key_id, r.input_tokens, r.output_tokens, r.reasoning_tokens, r.cost, r.upstream_request_id])).to.deep.equal([
      ['a:m', 'k1', 9, 3, null, 0.5, 'up-1'],
      ['b:m', 'k1', null, null, null, null, null],
    ]);
  });

  it('a retryable failure before output is swallowed, anything else surfaced', async () => {
    const rows = await scenario(({ store, aLegId, helpers: { cold, expectObservable } }) => {
      const rec = (key: string) => recordAttempt({ store, aLegId, start: { candidateKey: key, backendId: key, model: 'm' } });
      expectObservable(cold('--s--#', e, retryable).pipe(rec('retry'))).toBe('--s--#', e, retryable);
      expectObservable(cold('--#', e, fatal).pipe(rec('fatal'))).toBe('--#', e, fatal);
      expectObservable(cold('--t--#', e, retryable).pipe(rec('after'))).toBe('--t--#', e, retryable);
    });
    expect(pick(rows)).to.deep.equal([
      [1, 'retry', 0, null, 5, 'swallowed_failure', 'LIP_ERR_UPSTREAM_STATUS: upstream answered 503', 503],
      [2, 'fatal', 0, null, 2, 'surfaced_failure', 'LIP_ERR_UPSTREAM_STATUS: upstream answered 400', 400],
      [3, 'after', 0, 2, 5, 'surfaced_failure', 'LIP_ERR_UPSTREAM_STATUS: upstream answered 503', 503],
    ]);
  });

  it('an unsubscribe before the end is a cancellation, with the reason as it stands at that moment', async () => {
    let why = 'not yet known';
    const rows = await scenario(({ store, aLegId, helpers: { cold, expectObservable, expectSubscriptions } }) => {
      const source = cold('--s--t-----f-|', e);
      expectObservable(source.pipe(recordAttempt({ store, aLegId, start: { candidateKey: 'a:m', backendId: 'a', model: 'm' }, cancelReason: () => why })), '^------!').toBe('--s--t-', e);
      expectSubscriptions(source.subscriptions).toBe('^------!');
      why = 'race loser'; // set before virtual time runs: the reason is read at the unsubscribe
    });
    expect(pick(rows)).to.deep.equal([[1, 'a:m', 0, 5, 7, 'cancelled', 'race loser', null]]);
  });

  it('records failover as two B-legs, the first finished before the second starts', async () => {
    const rows = await scenario(({ store, aLegId, helpers: { cold, expectObservable } }) => {
      const leg = (source: Observable<LipEvent>, key: string) => source.pipe(recordAttempt({ store, aLegId, start: { candidateKey: key, backendId: key, model: 'm' } }));
      const first = cold('---#', e, retryable);
      const second = cold('-s-t-f-|', e);
      expectObservable(leg(first, 'a').pipe(catchError(() => leg(second, 'b')))).toBe('----s-t-f-|', e);
    });
    expect(pick(rows)).to.deep.equal([
      [1, 'a', 0, null, 3, 'swallowed_failure', 'LIP_ERR_UPSTREAM_STATUS: upstream answered 503', 503],
      [2, 'b', 3, 6, 10, 'success', null, 200],
    ]);
  });

  it('hands over the ticket, and a custom classification decides the outcome', async () => {
    const tickets: number[] = [];
    const rows = await scenario(({ store, aLegId, helpers: { cold, expectObservable } }) => {
      expectObservable(cold('-#', e, retryable).pipe(recordAttempt({
        store, aLegId, start: { candidateKey: 'a:m', backendId: 'a', model: 'm' },
        onBegin: (t) => tickets.push(t.seq), classifyFailure: () => 'surfaced_failure',
      }))).toBe('-#', e, retryable);
    });
    expect([tickets, rows[0]?.outcome]).to.deep.equal([[1], 'surfaced_failure']);
  });

  it('fails with the 503 and never subscribes the backend when the store refuses new work', async () => {
    const ts = testScheduler();
    const store = new MemoryContinuityStore({ ttlMs: 1_000, maxLegs: 10, scheduler: ts });
    const { aLegId } = store.resolveALeg('alice');
    await store.close();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-t-|', e);
      const refused = new LipError('LIP_ERR_CONTINUITY_UNAVAILABLE', 'the continuity store is closed', { retryAfter: 1 });
      expectObservable(source.pipe(recordAttempt({ store, aLegId, start: { candidateKey: 'a:m', backendId: 'a', model: 'm' } }))).toBe('#', undefined, refused);
      expectSubscriptions(source.subscriptions).toBe([]);
    });
  });

  it('stops a synchronous source when unsubscribed, and records it cancelled', async () => {
    const store = new MemoryContinuityStore({ ttlMs: 1_000, maxLegs: 10, scheduler: testScheduler() });
    const { aLegId } = store.resolveALeg('alice');
    const seen: string[] = [];
    of(e.s!, e.t!, e.t!, e.f!).pipe(recordAttempt({ store, aLegId, start: { candidateKey: 'a:m', backendId: 'a', model: 'm' }, cancelReason: () => 'race loser' }), take(2))
      .subscribe((ev) => seen.push(ev.type));
    const rows = await store.attempts(aLegId);
    expect([seen, rows?.map((r) => [r.outcome, r.reason, r.first_output_at !== null])]).to.deep.equal([
      ['response_started', 'text_delta'], [['cancelled', 'race loser', true]],
    ]);
  });

  it('passes a synchronous error through after recording it', async () => {
    const store = new MemoryContinuityStore({ ttlMs: 1_000, maxLegs: 10, scheduler: testScheduler() });
    const { aLegId } = store.resolveALeg('alice');
    let caught: unknown;
    throwError(() => new TypeError('boom')).pipe(recordAttempt({ store, aLegId, start: { candidateKey: 'a:m', backendId: 'a', model: 'm' } }))
      .subscribe({ error: (err) => { caught = err; } });
    expect(caught).to.be.instanceOf(TypeError);
    expect((await store.attempts(aLegId))?.map((r) => [r.outcome, r.reason, r.http_status])).to.deep.equal([['surfaced_failure', 'LIP_ERR_SERVER_INTERNAL: internal error', 500]]);
  });
});
