import { expect } from 'chai';
import { Subject } from 'rxjs';
import { Collector, type LipEvent } from '../../lib/canonical/index.js';
import { savedAtFinish } from '../../lib/server/saved-at-finish.js';

const started: LipEvent = { type: 'response_started' };
const delta: LipEvent = { type: 'text_delta', text: 'hi' };
const finished: LipEvent = { type: 'response_finished', reason: 'stop' };

/** A promise whose settling the test controls. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

describe('savedAtFinish', () => {
  function run(save: (c: Collector) => Promise<void> | undefined) {
    const source = new Subject<LipEvent>();
    const collector = new Collector();
    const seen: string[] = [];
    let completed = false;
    let failed: unknown;
    const subscription = source.pipe(savedAtFinish(collector, () => save(collector))).subscribe({
      next: (e) => seen.push(e.type),
      complete: () => { completed = true; },
      error: (err) => { failed = err; },
    });
    return { source, collector, seen, subscription, completed: () => completed, failed: () => failed };
  }

  it('holds response_finished and the completion until the shared store has the response', async () => {
    const gate = deferred();
    let savedText: string | undefined;
    const r = run((c) => { savedText = c.response.text; return gate.promise; });
    r.source.next(started);
    r.source.next(delta);
    r.source.next(finished);
    r.source.complete();
    expect(r.seen).to.deep.equal(['response_started', 'text_delta']);
    expect(savedText, 'saved with the whole answer').to.equal('hi');
    expect(r.completed()).to.equal(false);
    gate.resolve();
    await gate.promise;
    await Promise.resolve();
    expect(r.seen).to.deep.equal(['response_started', 'text_delta', 'response_finished']);
    expect(r.completed()).to.equal(true);
  });

  it('passes everything at once when the store is local (save answers nothing)', () => {
    let saves = 0;
    const r = run(() => { saves++; return undefined; });
    for (const e of [started, delta, finished]) r.source.next(e);
    r.source.complete();
    expect(r.seen).to.deep.equal(['response_started', 'text_delta', 'response_finished']);
    expect([saves, r.completed()]).to.deep.equal([1, true]);
  });

  it('emits nothing after the client left while the save was pending', async () => {
    const gate = deferred();
    const r = run(() => gate.promise);
    r.source.next(started);
    r.source.next(finished);
    r.subscription.unsubscribe();
    gate.resolve();
    await gate.promise;
    await Promise.resolve();
    expect(r.seen).to.deep.equal(['response_started']);
  });

  it('does not save an answer that ended in an error, and passes the error on', () => {
    let saves = 0;
    const r = run(() => { saves++; return undefined; });
    r.source.next(started);
    r.source.error(new Error('reset'));
    expect(saves).to.equal(0);
    expect((r.failed() as Error).message).to.equal('reset');
  });

  it('turns a collector limit into the stream\'s error instead of a throw', () => {
    const r = run(() => undefined);
    r.source.next(started);
    r.source.next({ type: 'text_delta', text: 'x'.repeat(64 * 1024 * 1024 + 1) });
    expect(r.failed()).to.be.instanceOf(Error);
    expect(r.seen).to.deep.equal(['response_started']);
  });
});
