import { expect } from 'chai';
import type { LipEvent } from '../../lib/canonical/index.js';
import { LipError } from '../../lib/errors/index.js';
import { observeFinalStream } from '../../lib/extensions/observe-final-stream.js';
import type { StreamObserver } from '../../lib/extensions/sdk.js';
import { testScheduler } from '../helpers/marbles.js';
import { failures, hookContext, hookSet } from './fixtures.js';

const ev: Record<string, LipEvent> = { s: { type: 'response_started' }, t: { type: 'text_delta', text: 'x' }, f: { type: 'response_finished', reason: 'stop' } };
const fatal = new LipError('LIP_ERR_UPSTREAM_STATUS', 'upstream 400', { status: 400 });

function watcher(log: string[], extra: Partial<StreamObserver> = {}): StreamObserver {
  return { id: 'watch', event: (e, ctx) => { log.push(`${e.type}@${ctx.target.candidateKey}`); }, end: (o) => { log.push(`end:${o.outcome}${o.errorCode ? `:${o.errorCode}` : ''}`); }, ...extra };
}
const op = (...observers: StreamObserver[]) => observeFinalStream(hookSet({ streamObservers: observers }).get('streamObservers'), () => hookContext(), failures().failures);

describe('extensions/observeFinalStream', () => {
  it('sees every event unchanged, then the success', () => {
    const log: string[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-t-f-|', ev).pipe(op(watcher(log)))).toBe('-s-t-f-|', ev);
    });
    expect(log).to.deep.equal(['response_started@b:m', 'text_delta@b:m', 'response_finished@b:m', 'end:success']);
  });

  it('reports a failure with its code, and a cancellation', () => {
    const log: string[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-#', ev, fatal).pipe(op(watcher(log)))).toBe('-s-#', ev, fatal);
      expectObservable(cold('-s-t-f-|', ev).pipe(op(watcher(log))), '^--!').toBe('-s-', ev);
    });
    expect(log.filter((l) => l.startsWith('end')).sort()).to.deep.equal(['end:cancelled', 'end:failure:LIP_ERR_UPSTREAM_STATUS']);
  });

  it('a fail_open observer that throws changes nothing; a fail_closed one errors the attempt', () => {
    const throwing = (mode: 'fail_open' | 'fail_closed'): StreamObserver => ({ id: 'boom', failureMode: mode, event: () => { throw new Error('observer bug'); }, end: () => { throw new Error('again'); } });
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-t-|', ev).pipe(op(throwing('fail_open')))).toBe('-s-t-|', ev);
      expectObservable(cold('-s-t-|', ev).pipe(op(throwing('fail_closed')))).toBe('-#', ev,
        new LipError('LIP_ERR_EXTENSION_FAILED', 'extension hook f0/boom (final_stream_observation) failed: observer bug', { retryable: true }));
    });
  });
});
