import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import { OriginQueue, UPSTREAM_QUEUE_DEPTH } from '../../../lib/backends/http/origin-queue.js';
import { isLipError } from '../../../lib/errors/index.js';

/** Lets pending promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('backends/http/OriginQueue', () => {
  it('lets `cap` requests per origin go at once and queues the rest in arrival order', async () => {
    const queue = new OriginQueue(2, 'q-order');
    const log: string[] = [];
    const hooks = (name: string) => ({ onQueued: () => log.push(`${name} queued`), onDispatch: () => log.push(`${name} dispatched`) });
    const signal = new AbortController().signal;
    const a = await queue.acquire('http://x', signal, hooks('a'));
    const b = await queue.acquire('http://x', signal, hooks('b'));
    const c = queue.acquire('http://x', signal, hooks('c'));
    const d = queue.acquire('http://x', signal, hooks('d'));
    const other = await queue.acquire('http://y', signal, hooks('y')); // another origin has its own slots
    expect(log).to.deep.equal(['a dispatched', 'b dispatched', 'c queued', 'd queued', 'y dispatched']);
    expect(queue.waiting).to.equal(2);
    expect(UPSTREAM_QUEUE_DEPTH.get('q-order')).to.equal(2);
    b();
    b(); // a second release of the same slot changes nothing
    const releaseC = await c;
    expect(log.slice(5)).to.deep.equal(['c dispatched']);
    expect(queue.waiting).to.equal(1);
    a();
    const releaseD = await d;
    expect(log.slice(6)).to.deep.equal(['d dispatched']);
    expect(UPSTREAM_QUEUE_DEPTH.has('q-order')).to.equal(false);
    releaseC();
    releaseD();
    other();
    // All free again: the next request goes at once.
    const e = await queue.acquire('http://x', signal, hooks('e'));
    expect(log.at(-1)).to.equal('e dispatched');
    e();
  });

  it('an aborted waiter leaves the queue at once with the signal\'s reason and never takes a slot', async () => {
    const queue = new OriginQueue(1, 'q-abort');
    const first = await queue.acquire('http://x', new AbortController().signal);
    const controller = new AbortController();
    let dispatched = false;
    const waiting = queue.acquire('http://x', controller.signal, { onDispatch: () => { dispatched = true; } });
    expect(UPSTREAM_QUEUE_DEPTH.get('q-abort')).to.equal(1);
    controller.abort(new Error('client went away'));
    const reason = await waiting.then(() => undefined, (err: Error) => err.message);
    expect(reason).to.equal('client went away');
    expect(queue.waiting).to.equal(0);
    expect(UPSTREAM_QUEUE_DEPTH.has('q-abort')).to.equal(false);
    first();
    await settle();
    expect(dispatched).to.equal(false);
    // An already aborted signal is refused without queueing.
    const gone = new AbortController();
    gone.abort(new Error('gone'));
    const busy = await queue.acquire('http://x', new AbortController().signal);
    const refused = await queue.acquire('http://x', gone.signal).then(() => 'dispatched', (err: Error) => err.message);
    expect(refused).to.equal('gone');
    expect(queue.waiting).to.equal(0);
    busy();
  });

  describe('http_client.queue_timeout', () => {
    const WAIT = 5_000;
    let time: VirtualTimeScheduler;
    beforeEach(() => { time = new VirtualTimeScheduler(); });
    /** Runs virtual time up to `ms` from its start (and whatever is due by then). */
    const advanceTo = (ms: number) => {
      time.maxFrames = ms;
      time.flush();
    };

    it('turns a waiter away once it has waited queue_timeout: a retryable 503 with Retry-After, out of the queue, never dispatched', async () => {
      const queue = new OriginQueue(1, 'q-timeout', { ms: WAIT, scheduler: time });
      const busy = await queue.acquire('http://x', new AbortController().signal);
      let dispatched = false;
      const waiting = queue.acquire('http://x', new AbortController().signal, { onDispatch: () => { dispatched = true; } });
      const outcome = waiting.then(() => 'dispatched', (err: unknown) => err);
      advanceTo(WAIT - 1);
      await settle();
      expect(queue.waiting, 'still waiting just before the bound').to.equal(1);
      advanceTo(WAIT);
      const err = await outcome;
      expect(isLipError(err) && { code: err.code, status: err.status, retryable: err.retryable, retryAfter: err.retryAfter }).to.deep.equal({
        code: 'LIP_ERR_UPSTREAM_QUEUE_TIMEOUT', status: 503, retryable: true, retryAfter: 1,
      });
      expect((err as Error).message).to.contain('backend "q-timeout"').and.to.contain('queue_timeout');
      expect(queue.waiting).to.equal(0);
      expect(UPSTREAM_QUEUE_DEPTH.has('q-timeout')).to.equal(false);
      busy();
      await settle();
      expect(dispatched).to.equal(false);
      // The slot it never took is free for the next request.
      const next = await queue.acquire('http://x', new AbortController().signal);
      next();
    });

    it('a waiter dispatched in time is never turned away, and one that left is not either', async () => {
      const queue = new OriginQueue(1, 'q-in-time', { ms: WAIT, scheduler: time });
      const busy = await queue.acquire('http://x', new AbortController().signal);
      const waiting = queue.acquire('http://x', new AbortController().signal);
      const left = new AbortController();
      const leaving = queue.acquire('http://x', left.signal).then(() => 'dispatched', (err: Error) => err.message);
      advanceTo(WAIT - 1);
      busy();
      const release = await waiting;
      left.abort(new Error('client went away'));
      expect(await leaving).to.equal('client went away');
      advanceTo(WAIT * 10);
      expect(time.actions, 'no timer left behind').to.have.length(0);
      release();
    });
  });
});
