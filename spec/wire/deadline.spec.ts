import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { deadline } from '../../lib/wire/deadline.js';

// mocha cannot be given --expose-gc: the flag set now is seen by a context made after it.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Resolves with the signal's reason once it aborts. */
const aborted = (signal: AbortSignal) => new Promise<unknown>((resolve) => {
  if (signal.aborted) resolve(signal.reason);
  else signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
});
/** Resolves after `ms` (a later timer fires after an earlier one: the order is the assertion, not the clock). */
const after = (ms: number) => new Promise<'later'>((resolve) => setTimeout(() => resolve('later'), ms));

describe('wire/deadline', () => {
  it('aborts with a TimeoutError once the time is up', async () => {
    const d = deadline(10);
    const reason = await aborted(d.signal);
    expect((reason as Error).name).to.equal('TimeoutError');
    expect(d.expired).to.equal(true);
    d.clear();
  });

  // Node 20: AbortSignal.any([..., AbortSignal.timeout(ms)]) holds its sources weakly, so a
  // timeout signal nothing else references is collected and never fires (the 30 s bound of a
  // token count, of a catalog or GeoIP download, waited for headers_timeout or forever).
  it('still fires when a garbage collection runs while it waits (nothing else holds its timer)', async () => {
    const linked = new AbortController();
    const signal = deadline(200, linked.signal).signal; // only the signal is kept, as a caller passing it on does
    const fired = aborted(signal);
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    }
    const first = await Promise.race([fired, after(5_000)]);
    expect(first, 'the deadline fired').to.not.equal('later');
    expect((first as Error).name).to.equal('TimeoutError');
  });

  it('aborts with a linked signal\'s reason when that signal aborts first, and is not expired', async () => {
    const linked = new AbortController();
    const d = deadline(60_000, linked.signal);
    const reason = new Error('client gone');
    linked.abort(reason);
    expect(await aborted(d.signal)).to.equal(reason);
    expect(d.expired).to.equal(false);
    d.clear();
  });

  it('is aborted at once when a linked signal already is', () => {
    const d = deadline(60_000, AbortSignal.abort('gone'));
    expect(d.signal.aborted).to.equal(true);
    expect(d.signal.reason).to.equal('gone');
    d.clear();
  });

  it('never fires once cleared', async () => {
    const d = deadline(5);
    d.clear();
    d.clear(); // idempotent
    const outcome = await Promise.race([aborted(d.signal), after(50)]);
    expect(outcome).to.equal('later');
    expect(d.signal.aborted).to.equal(false);
    expect(d.expired).to.equal(false);
  });
});
