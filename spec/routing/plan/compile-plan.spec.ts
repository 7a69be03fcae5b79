import { expect } from 'chai';
import type { Observable } from 'rxjs';
import { tap } from 'rxjs/internal/operators/tap';
import type { TestScheduler } from 'rxjs/testing';
import type { LipEvent } from '../../../lib/canonical/index.js';
import { isLipError } from '../../../lib/errors/index.js';
import { compilePlan } from '../../../lib/routing/plan/compile-plan.js';
import type { Candidate, RouteContext, Skip } from '../../../lib/routing/plan/route-context.js';
import { RouteJournal } from '../../../lib/routing/plan/route-journal.js';
import { parseSelector } from '../../../lib/routing/selector/parse-selector.js';
import { testScheduler } from '../../helpers/marbles.js';
import { ev, fatal, retryable } from '../operators/fixtures.js';
import { LipError } from '../../../lib/errors/index.js';

const rateLimited = new LipError('LIP_ERR_UPSTREAM_STATUS', 'upstream 429', { status: 429, retryable: true, retryAfter: 7 });

interface Harness {
  ctx: RouteContext;
  committed: string[];
  opened: string[];
}

function harness(ts: TestScheduler, sources: Record<string, () => Observable<LipEvent>>, over: Partial<RouteContext> & { skip?: Record<string, Skip> } = {}): Harness {
  const committed: string[] = [];
  const opened: string[] = [];
  const ctx: RouteContext = {
    scheduler: ts,
    rng: () => 0,
    estimatedTokens: undefined,
    firstRequest: false,
    budget: { remaining: over.maxAttempts ?? 3 },
    maxAttempts: over.maxAttempts ?? 3,
    journal: new RouteJournal(ts),
    open: (c: Candidate) => {
      opened.push(c.key);
      return sources[c.key]!();
    },
    eligibility: (c: Candidate) => over.skip?.[c.key],
    commit: (c: Candidate) => committed.push(c.key),
    ...over,
  };
  return { ctx, committed, opened };
}

describe('routing/plan/compilePlan', () => {
  it('compiles failover over a weighted arm and a race, and commits the serving candidate', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const h = harness(ts, {
        'a:m': () => cold('-#', ev, retryable),
        'b:m': () => cold('-#', ev, retryable),
        'b:m?x=1': () => cold('-#', ev, retryable),
        'c:m': () => cold('-s----t|', ev),
        'd:m': () => cold('-s-t----|', ev),
      }, { maxAttempts: 10, budget: { remaining: 10 } });
      // a fails at 1, the weighted arm's two branches at 2 and 3, then the race: d wins at 6.
      expectObservable(compilePlan(parseSelector('a:m|b:m^b:m?x=1|c:m!d:m'), h.ctx)).toBe('------(st)-|', ev);
      ts.flush();
      expect(h.opened).to.deep.equal(['a:m', 'b:m', 'b:m?x=1', 'c:m', 'd:m']);
      expect(h.committed).to.deep.equal(['d:m']);
      expect(h.ctx.journal.entries.map((e) => [e.key, e.outcome])).to.deep.equal([
        ['a:m', 'failed'], ['b:m', 'failed'], ['b:m?x=1', 'failed'], ['c:m', 'cancelled'], ['d:m', 'served'],
      ]);
    });
  });

  it('signals a failover at each move after a failure (the next arm, a weighted re-roll), never for a handicapped race leg', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const h = harness(ts, {
        'a:m': () => cold('-#', ev, retryable),
        'b:m': () => cold('-#', ev, retryable),
        'c:m': () => cold('-#', ev, retryable),
        'd:m': () => cold('-#', ev, retryable),
        'e:m': () => cold('-s-t----|', ev),
      }, { maxAttempts: 10, budget: { remaining: 10 } });
      h.ctx.failingOver = () => { h.opened.push('|'); };
      // a fails at 1; b starts at 3 (its handicap), after a failed, and fails at 4: the arm has
      // failed, routing moves on; c (rng 0) fails at 5 and the arm is re-rolled: d fails at 6; e serves.
      expectObservable(compilePlan(parseSelector('a:m![handicap=3ms]b:m|c:m^d:m|e:m'), h.ctx)).toBe('---------(st)-|', ev);
      ts.flush();
      expect(h.opened).to.deep.equal(['a:m', 'b:m', '|', 'c:m', '|', 'd:m', '|', 'e:m']);
    });
  });

  it('a single leaf: its lifecycle is held until its output, and its output commits it', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const h = harness(ts, { 'a:m': () => cold('-s-m--t-----|', ev) });
      expectObservable(compilePlan(parseSelector('a:m'), h.ctx)).toBe('------(smt)-|', ev);
    });
  });

  it('a leaf that completes with no output served too: its completion commits it, before its held lifecycle is released', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const h = harness(ts, { 'a:m': () => cold('-#', ev, retryable), 'b:m': () => cold('-s-m-f-|', ev) });
      const seen: string[] = [];
      const plan = compilePlan(parseSelector('a:m|b:m'), h.ctx).pipe(tap((e) => seen.push(`${e.type}@${h.committed.join(',')}`)));
      expectObservable(plan).toBe('--------(smf|)', ev);
      ts.flush();
      expect(h.committed).to.deep.equal(['b:m']);
      expect(seen).to.deep.equal(['response_started@b:m', 'message_started@b:m', 'response_finished@b:m']);
      expect(h.ctx.journal.entries.map((e) => [e.key, e.outcome])).to.deep.equal([['a:m', 'failed'], ['b:m', 'served']]);
    });
  });

  it('journals every candidate, and the final error names them: 503 when every one was unavailable', () => {
    const ts = testScheduler();
    let error: unknown;
    ts.run(({ cold }) => {
      const h = harness(ts, { 'a:m': () => cold('-#', ev, retryable), 'b:m': () => cold('--#', ev, retryable) });
      compilePlan(parseSelector('a:m|b:m'), h.ctx).subscribe({ error: (e) => { error = e; } });
      ts.flush();
      expect(h.ctx.journal.entries.map((e) => [e.key, e.outcome, e.status])).to.deep.equal([['a:m', 'failed', 503], ['b:m', 'failed', 503]]);
    });
    expect(isLipError(error) && [error.code, error.status, error.message]).to.deep.equal(['LIP_ERR_ROUTE_OVERLOADED', 503, 'every candidate is overloaded or unavailable (a:m: upstream 503; b:m: upstream 503)']);
  });

  it('all rate-limited: 429 with the earliest Retry-After', () => {
    const ts = testScheduler();
    let error: unknown;
    ts.run(({ cold }) => {
      const h = harness(ts, { 'a:m': () => cold('-#', ev, rateLimited), 'b:m': () => cold('-#', ev, new LipError('LIP_ERR_UPSTREAM_STATUS', 'x', { status: 429, retryable: true, retryAfter: 3 })) });
      compilePlan(parseSelector('a:m|b:m'), h.ctx).subscribe({ error: (e) => { error = e; } });
    });
    expect(isLipError(error) && [error.code, error.status, error.retryAfter]).to.deep.equal(['LIP_ERR_ROUTE_RATE_LIMITED', 429, 3]);
  });

  it('nothing eligible: 503 with Retry-After from the skips; nothing opened', () => {
    const ts = testScheduler();
    let error: unknown;
    const h = harness(ts, {}, { skip: { 'a:m': { reason: 'circuit open', retryAfterMs: 4500 }, 'b:m': { reason: 'circuit open', retryAfterMs: 9000 } } });
    ts.run(() => compilePlan(parseSelector('a:m|b:m'), h.ctx).subscribe({ error: (e) => { error = e; } }));
    expect(isLipError(error) && [error.code, error.status, error.retryAfter]).to.deep.equal(['LIP_ERR_ROUTE_NO_CANDIDATE', 503, 5]);
    expect(h.opened).to.deep.equal([]);
  });

  it('a weighted arm with no eligible branch: 503 with Retry-After, each skip journalled with its reason', () => {
    const ts = testScheduler();
    let error: unknown;
    const h = harness(ts, {}, { skip: { 'a:m': { reason: 'circuit open', retryAfterMs: 4500 }, 'a:m?x=1': { reason: 'circuit open', retryAfterMs: 9000 } } });
    ts.run(() => compilePlan(parseSelector('a:m^a:m?x=1'), h.ctx).subscribe({ error: (e) => { error = e; } }));
    expect(isLipError(error) && [error.code, error.status, error.retryAfter]).to.deep.equal(['LIP_ERR_ROUTE_NO_CANDIDATE', 503, 5]);
    expect(h.ctx.journal.entries.map((e) => [e.key, e.outcome, e.reason])).to.deep.equal([['a:m', 'skipped', 'circuit open'], ['a:m?x=1', 'skipped', 'circuit open']]);
    expect(h.opened).to.deep.equal([]);
    // A lone [first] branch is a weighted arm too.
    const first = harness(ts, {}, { firstRequest: true, skip: { 'a:m': { reason: 'circuit open', retryAfterMs: 2000 } } });
    ts.run(() => compilePlan(parseSelector('[first]a:m'), first.ctx).subscribe({ error: (e) => { error = e; } }));
    expect(isLipError(error) && [error.code, error.status, error.retryAfter]).to.deep.equal(['LIP_ERR_ROUTE_NO_CANDIDATE', 503, 2]);
  });

  it('a weighted arm whose branches the context filters all leave out: 400 with the estimate over the largest max_context', () => {
    const ts = testScheduler();
    let error: unknown;
    const h = harness(ts, {}, { estimatedTokens: 500 });
    ts.run(() => compilePlan(parseSelector('[max_context=10]a:m^[max_context=20]b:m'), h.ctx).subscribe({ error: (e) => { error = e; } }));
    expect(isLipError(error) && [error.code, error.status, error.detail]).to.deep.equal(['LIP_ERR_ROUTE_CONTEXT_EXCEEDED', 400, { context_tokens: 500, context_limit: 20 }]);
    expect(h.ctx.journal.entries.map((e) => [e.key, e.outcome])).to.deep.equal([['a:m', 'skipped'], ['b:m', 'skipped']]);
  });

  it('a skipped weighted branch is journalled once when another branch serves', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const h = harness(ts, { 'a:m': () => cold('-#', ev, retryable), 'c:m': () => cold('-t|', ev) }, { skip: { 'b:m': { reason: 'circuit open', retryAfterMs: 1000 } } });
      // a is picked first (weight 100, rng 0), fails, and the re-roll asks about b again: one skip row.
      expectObservable(compilePlan(parseSelector('[weight=100]a:m^[weight=100]b:m^c:m'), h.ctx)).toBe('--t|', ev);
      ts.flush();
      expect(h.ctx.journal.entries.map((e) => [e.key, e.outcome])).to.deep.equal([['b:m', 'skipped'], ['a:m', 'failed'], ['c:m', 'served']]);
    });
  });

  it('max_attempts counts every backend opened, race legs one each', () => {
    const ts = testScheduler();
    let error: unknown;
    ts.run(({ cold }) => {
      const h = harness(ts, {
        'a:m': () => cold('-#', ev, retryable), 'b:m': () => cold('-#', ev, retryable),
        'c:m': () => cold('-#', ev, retryable), 'd:m': () => cold('-t|', ev),
      }, { maxAttempts: 3 });
      compilePlan(parseSelector('a:m!b:m|c:m|d:m'), h.ctx).subscribe({ error: (e) => { error = e; } });
      ts.flush();
      expect(h.opened).to.deep.equal(['a:m', 'b:m', 'c:m']);
      expect(h.ctx.journal.entries.map((e) => [e.key, e.outcome, e.reason ?? ''])).to.deep.include(['d:m', 'skipped', 'routing.max_attempts (3) spent']);
    });
    expect(isLipError(error) && error.code).to.equal('LIP_ERR_ROUTE_MAX_ATTEMPTS');
  });

  it('max_attempts spent inside a race: MAX_ATTEMPTS as the `|` chain answers, the leg it refused listed', () => {
    const ts = testScheduler();
    let error: unknown;
    ts.run(({ cold }) => {
      const h = harness(ts, {
        'a:m': () => cold('-#', ev, retryable), 'a:m?x=1': () => cold('--#', ev, retryable), 'a:m?x=2': () => cold('-#', ev, retryable), 'ok:m': () => cold('-t|', ev),
      }, { maxAttempts: 3 });
      compilePlan(parseSelector('a:m!a:m?x=1!a:m?x=2!ok:m'), h.ctx).subscribe({ error: (e) => { error = e; } });
      ts.flush();
      expect(h.opened).to.deep.equal(['a:m', 'a:m?x=1', 'a:m?x=2']);
      expect(h.ctx.journal.entries.map((e) => [e.key, e.outcome])).to.deep.equal([
        ['a:m', 'failed'], ['a:m?x=1', 'failed'], ['a:m?x=2', 'failed'], ['ok:m', 'skipped'],
      ]);
    });
    expect(isLipError(error) && [error.code, error.status, error.message]).to.deep.equal(['LIP_ERR_ROUTE_MAX_ATTEMPTS', 502,
      'routing.max_attempts (3) spent (a:m: upstream 503; a:m?x=1: upstream 503; a:m?x=2: upstream 503; ok:m: skipped (routing.max_attempts (3) spent))']);
  });

  it('a final failure of every race leg surfaces that failure; a mixed race fails over', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const h = harness(ts, { 'a:m': () => cold('-#', ev, fatal), 'b:m': () => cold('--#', ev, fatal), 'c:m': () => cold('-t|', ev) });
      expectObservable(compilePlan(parseSelector('a:m!b:m|c:m'), h.ctx)).toBe('--#', ev, fatal);
      const mixed = harness(ts, { 'a:m': () => cold('-#', ev, fatal), 'b:m': () => cold('--#', ev, retryable), 'c:m': () => cold('-t|', ev) });
      expectObservable(compilePlan(parseSelector('a:m!b:m|c:m'), mixed.ctx)).toBe('---t|', ev);
      // A mixed race with nothing after it: the route's final error is the leg's own 400 (the
      // request's fault, CONTRACT section 7), not a 502 the SDKs would retry.
      const exhausted = harness(ts, { 'a:m': () => cold('-#', ev, fatal), 'b:m': () => cold('--#', ev, retryable) });
      expectObservable(compilePlan(parseSelector('a:m!b:m'), exhausted.ctx)).toBe('--#', ev, fatal);
    });
  });

  it('[first] steers an A-leg\'s first request only', () => {
    const ts = testScheduler();
    ts.run(({ cold }) => {
      const sources = { 'a:m': () => cold('-t|', ev), 'b:m': () => cold('-t|', ev) };
      const first = harness(ts, sources, { firstRequest: true, rng: () => 0 });
      compilePlan(parseSelector('[weight=100]a:m^[first]b:m'), first.ctx).subscribe();
      const later = harness(ts, sources, { firstRequest: false, rng: () => 0 });
      compilePlan(parseSelector('[weight=100]a:m^[first]b:m'), later.ctx).subscribe();
      ts.flush();
      expect([first.committed, later.committed]).to.deep.equal([['b:m'], ['a:m']]);
    });
  });

  it('the global TTFT budget ends the whole request with 504 and cancels the running attempt', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const slow = cold('-s--------t|', ev);
      const h = harness(ts, { 'a:m': () => cold('--#', ev, retryable), 'b:m': () => slow });
      expectObservable(compilePlan(parseSelector('{ttft_timeout=5ms}a:m|b:m'), h.ctx)).toBe('-----#', ev, new LipError('LIP_ERR_ROUTE_TTFT_TIMEOUT', `no output within the selector's ttft_timeout of 5 ms (a:m: upstream 503; b:m: running)`));
      expectSubscriptions(slow.subscriptions).toBe('--^--!');
    });
  });

  it('the context filters skip candidates by the estimated size (400 when nothing fits)', () => {
    const ts = testScheduler();
    let error: unknown;
    ts.run(({ cold }) => {
      const h = harness(ts, { 'big:m': () => cold('-t|', ev), 'small:m': () => cold('-t|', ev) }, { estimatedTokens: 5000 });
      compilePlan(parseSelector('[max_context=4K]small:m|[min_context=4K]big:m'), h.ctx).subscribe();
      ts.flush();
      expect(h.committed).to.deep.equal(['big:m']);
      const none = harness(ts, {}, { estimatedTokens: 5000 });
      compilePlan(parseSelector('[max_context=1K]small:m'), none.ctx).subscribe({ error: (e) => { error = e; } });
    });
    expect(isLipError(error) && [error.code, error.status]).to.deep.equal(['LIP_ERR_ROUTE_CONTEXT_EXCEEDED', 400]);
  });
});
