import { expect } from 'chai';
import { Subject } from 'rxjs';
import type { LipEvent } from '../../lib/canonical/index.js';
import { LipError } from '../../lib/errors/index.js';
import { FAIL_OPEN_SKIPS } from '../../lib/extensions/hook-failures.js';
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

  it('an async observer\'s rejection is its failure when it comes: fail_closed errors the attempt still running (the observers hear the failure); after the end it is counted as fail_open', async () => {
    const log: string[] = [];
    let reject: (err: Error) => void = () => undefined;
    const rejecting = (mode: 'fail_open' | 'fail_closed'): StreamObserver => ({ id: 'late', failureMode: mode, event: () => new Promise<void>((_, r) => { reject = r; }) });
    const settled = () => new Promise((r) => setImmediate(r));

    const source = new Subject<LipEvent>();
    const out: string[] = [];
    source.pipe(op(rejecting('fail_closed'), watcher(log))).subscribe({ next: (e) => out.push(e.type), error: (e: LipError) => out.push(e.message) });
    source.next(ev['s']!);
    reject(new Error('late bug'));
    await settled();
    source.next(ev['t']!);
    expect(out).to.deep.equal(['response_started', 'extension hook f0/late (final_stream_observation) failed: late bug']);
    expect(source.observed).to.equal(false); // the source was unsubscribed
    expect(log).to.deep.equal(['response_started@b:m', 'end:failure:LIP_ERR_EXTENSION_FAILED']);

    const before = FAIL_OPEN_SKIPS.get('final_stream_observation') ?? 0;
    const done = new Subject<LipEvent>();
    const completed: string[] = [];
    done.pipe(op(rejecting('fail_closed'))).subscribe({ complete: () => completed.push('complete'), error: () => completed.push('error') });
    done.next(ev['s']!);
    done.complete();
    reject(new Error('too late'));
    await settled();
    expect(completed).to.deep.equal(['complete']);
    expect(FAIL_OPEN_SKIPS.get('final_stream_observation')).to.equal(before + 1);
  });
});
