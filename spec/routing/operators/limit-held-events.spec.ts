import { expect } from 'chai';
import { of } from 'rxjs';
import type { LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { limitHeldEvents } from '../../../lib/routing/operators/limit-held-events.js';
import { testScheduler } from '../../helpers/marbles.js';

const e: Record<string, LipEvent> = {
  s: { type: 'response_started' },
  m: { type: 'message_started' },
  u: { type: 'usage', usage: { inputTokens: 1 } },
  t: { type: 'text_delta', text: 'hi' },
  w: { type: 'text_delta', text: '  ' },
  r: { type: 'reasoning_delta', text: '\n\n' },
  f: { type: 'response_finished', reason: 'stop' },
};
const limit = new LipError('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', 'the upstream sent more than 2 events before any output (server.max_pending_wire_events)', { retryable: true });

describe('routing/operators/limitHeldEvents', () => {
  it('passes up to max events before output, and fails the attempt (retryable) on one more', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-s--m--u--t-|', e);
      expectObservable(source.pipe(limitHeldEvents(2))).toBe('-s--m--#', e, limit);
      expectSubscriptions(source.subscriptions).toBe('^------!');
    });
  });

  it('at the boundary: exactly max events, then output, passes; nothing after output is counted', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s--m--t--u--u--u--f-|', e).pipe(limitHeldEvents(2))).toBe('-s--m--t--u--u--u--f-|', e);
    });
  });

  it('passes an error through unchanged, and 0 turns the limit off', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-#', e).pipe(limitHeldEvents(2))).toBe('-s-#', e);
      expectObservable(cold('-s-m-u-u-u-u-|', e).pipe(limitHeldEvents(0))).toBe('-s-m-u-u-u-u-|', e);
    });
  });

  it('early unsubscribe reaches the source', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-s--m--t--f-|', e);
      expectObservable(source.pipe(limitHeldEvents(5)), '^---!').toBe('-s--', e);
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('stops a synchronous source at the limit', () => {
    const seen: string[] = [];
    let error: unknown;
    of(e.s!, e.m!, e.u!, e.u!, e.u!).pipe(limitHeldEvents(2)).subscribe({ next: (x) => seen.push(x.type), error: (err: unknown) => { error = err; } });
    expect(seen).to.deep.equal(['response_started', 'message_started']);
    expect((error as LipError).code).to.equal('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED');
  });

  describe('a race leg (held until substantive output)', () => {
    it('holds whitespace text and reasoning as events: one more than max fails the leg', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-s--w--r--t-|', e);
        expectObservable(source.pipe(limitHeldEvents(2, 1_000))).toBe('-s--w--#', e, limit);
        expectSubscriptions(source.subscriptions).toBe('^------!');
      });
    });

    it('bounds the characters of held whitespace even when the events are few, and with the count off', () => {
      const chars = new LipError('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', 'the upstream sent more than 3 characters of whitespace before any output (server.max_buffered_bytes)', { retryable: true });
      testScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('-w--r--t-|', e).pipe(limitHeldEvents(100, 3))).toBe('-w--#', e, chars);
        expectObservable(cold('-w--r--t-|', e).pipe(limitHeldEvents(0, 3))).toBe('-w--#', e, chars);
        expectObservable(cold('-w--t--w--w--|', e).pipe(limitHeldEvents(1, 2))).toBe('-w--t--w--w--|', e);
      });
    });
  });
});
