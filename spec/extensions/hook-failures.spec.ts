import { expect } from 'chai';
import { LipError } from '../../lib/errors/index.js';
import { FAIL_OPEN_SKIPS } from '../../lib/extensions/hook-failures.js';
import type { Registered } from '../../lib/extensions/hook-set.js';
import { failures } from './fixtures.js';

const hook = (mode: 'fail_open' | 'fail_closed', id = 'h'): Registered => ({ feature: 'f', hook: { id }, stage: 'stream_event_mutation', order: 100, mode, key: `f/${id}` });
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('extensions/HookFailures', () => {
  it('a fail_closed failure is logged with the feature, hook and stage, once a minute per hook, and returns the error that ends the attempt', () => {
    const f = failures();
    for (const t of [0, 30_000, 61_000]) {
      f.now.t = t;
      const err = f.failures.failed(hook('fail_closed'), new Error('kaput'));
      expect(err).to.be.instanceOf(LipError).and.include({ code: 'LIP_ERR_EXTENSION_FAILED', retryable: true, message: 'extension hook f/h (stream_event_mutation) failed: kaput' });
    }
    const line = { level: 'warn', message: 'extension hook failed (fail_closed)', meta: { feature: 'f', hook: 'h', stage: 'stream_event_mutation', error: 'kaput' } };
    expect(f.logger.lines).to.deep.equal([line, line]);
  });

  it('a hook\'s fail_open and fail_closed lines are limited apart; a fail_open failure is counted', () => {
    const f = failures();
    const before = FAIL_OPEN_SKIPS.get('stream_event_mutation') ?? 0;
    expect(f.failures.failed(hook('fail_open'), new Error('a'))).to.equal(undefined);
    f.failures.failed(hook('fail_closed'), new Error('b'));
    f.failures.failed(hook('fail_open'), new Error('c'));
    expect(f.logger.lines.map((l) => [l.message, l.meta?.error])).to.deep.equal([['extension hook failed; skipped (fail_open)', 'a'], ['extension hook failed (fail_closed)', 'b']]);
    expect(FAIL_OPEN_SKIPS.get('stream_event_mutation')).to.equal(before + 2);
  });

  it('a late rejection of a fail_closed hook is logged once: as fail_closed when it still stops its attempt, else as the fail_open skip it becomes', async () => {
    const f = failures();
    const stopped: string[] = [];
    f.failures.settle(hook('fail_closed', 'running'), Promise.reject(new Error('late')), (err) => { stopped.push(err.message); return true; });
    f.failures.settle(hook('fail_closed', 'over'), Promise.reject(new Error('too late')), () => false);
    await settled();
    expect(stopped).to.deep.equal(['extension hook f/running (stream_event_mutation) failed: late']);
    expect(f.logger.lines.map((l) => [l.message, l.meta?.hook])).to.deep.equal([['extension hook failed (fail_closed)', 'running'], ['extension hook failed; skipped (fail_open)', 'over']]);
  });

  it('a throw that cannot be made text is still the hook\'s failure, never a throw of the failure handling', () => {
    const f = failures();
    const bare = Object.create(null) as unknown; // String() of it throws
    const liar = Object.defineProperty(new Error(), 'message', { get: () => { throw new Error('no message'); } });
    expect(f.failures.failed(hook('fail_open', 'bare'), bare)).to.equal(undefined);
    expect(f.failures.failed(hook('fail_closed', 'liar'), liar)?.message).to.equal('extension hook f/liar (stream_event_mutation) failed: a value that cannot be made text');
    expect(f.logger.lines.map((l) => l.meta?.error)).to.deep.equal(['a value that cannot be made text', 'a value that cannot be made text']);
  });
});
