import { expect } from 'chai';
import { Subject } from 'rxjs';
import type { LipEvent } from '../../lib/canonical/index.js';
import { finishAfter } from '../../lib/server/finish-after.js';

const started: LipEvent = { type: 'response_started' };
const delta: LipEvent = { type: 'text_delta', text: 'hi' };
const finished: LipEvent = { type: 'response_finished', reason: 'stop' };

/** A promise whose settling the test controls. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

const ticks = async () => { for (let i = 0; i < 3; i++) await Promise.resolve(); };

describe('finishAfter', () => {
  function run(finish: () => Promise<void> | undefined) {
    const source = new Subject<LipEvent>();
    const seen: string[] = [];
    let completed = false;
    let failed: unknown;
    const subscription = source.pipe(finishAfter(finish)).subscribe({
      next: (e) => seen.push(e.type),
      complete: () => { completed = true; },
      error: (err) => { failed = err; },
    });
    return { source, seen, subscription, completed: () => completed, failed: () => failed };
  }

  it('holds response_finished and the completion until the source completed and finish settled', async () => {
    const gate = deferred();
    let calls = 0;
    const r = run(() => { calls++; return gate.promise; });
    r.source.next(started);
    r.source.next(delta);
    r.source.next(finished);
    expect([r.seen, calls], 'the terminal event waits for the completion').to.deep.equal([['response_started', 'text_delta'], 0]);
    r.source.complete();
    expect(calls).to.equal(1);
    await ticks();
    expect([r.seen.length, r.completed()], 'and then for the store').to.deep.equal([2, false]);
    gate.resolve();
    await ticks();
    expect(r.seen).to.deep.equal(['response_started', 'text_delta', 'response_finished']);
    expect(r.completed()).to.equal(true);
  });

  it('lets everything through at the completion when finish answers nothing', () => {
    const r = run(() => undefined);
    for (const e of [started, delta, finished]) r.source.next(e);
    r.source.complete();
    expect(r.seen).to.deep.equal(['response_started', 'text_delta', 'response_finished']);
    expect(r.completed()).to.equal(true);
  });

  it('emits nothing more once the client left while the store was writing', async () => {
    const gate = deferred();
    const r = run(() => gate.promise);
    r.source.next(started);
    r.source.next(finished);
    r.source.complete();
    r.subscription.unsubscribe();
    gate.resolve();
    await ticks();
    expect([r.seen, r.completed()]).to.deep.equal([['response_started'], false]);
  });

  it('passes an error on without calling finish', () => {
    let calls = 0;
    const r = run(() => { calls++; return undefined; });
    r.source.next(started);
    r.source.error(new Error('reset'));
    expect(calls).to.equal(0);
    expect((r.failed() as Error).message).to.equal('reset');
  });

  it('errors the stream in place of response_finished when finish rejects (what the request recorded was not kept)', async () => {
    const r = run(() => Promise.reject(new Error('the continuity store closed before this request\'s records reached it')));
    r.source.next(started);
    r.source.next(finished);
    r.source.complete();
    await ticks();
    expect([r.seen, r.completed()]).to.deep.equal([['response_started'], false]);
    expect((r.failed() as Error).message).to.contain('store closed');
  });

  it('turns a throw from finish into the stream\'s error', () => {
    const r = run(() => { throw new Error('collector limit'); });
    r.source.next(started);
    r.source.complete();
    expect((r.failed() as Error).message).to.equal('collector limit');
  });
});
