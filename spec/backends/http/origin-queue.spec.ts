import { expect } from 'chai';
import { OriginQueue, UPSTREAM_QUEUE_DEPTH } from '../../../lib/backends/http/origin-queue.js';

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
});
