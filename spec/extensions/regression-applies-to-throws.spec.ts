import { expect } from 'chai';
import type { LipEvent } from '../../lib/canonical/index.js';
import { LipError } from '../../lib/errors/index.js';
import { ExtensionHost } from '../../lib/extensions/extension-host.js';
import { ExtensionRequest, type AttemptExtension } from '../../lib/extensions/extension-request.js';
import type { FeatureBundle, StreamObserver } from '../../lib/extensions/sdk.js';
import { MemoryStateStore } from '../../lib/extensions/state-store.js';
import { testScheduler } from '../helpers/marbles.js';
import { memoryLogger, userCall } from './fixtures.js';

const ev: Record<string, LipEvent> = {
  s: { type: 'response_started' },
  m: { type: 'message_started' },
  t: { type: 'text_delta', text: 'fine' },
  f: { type: 'response_finished', reason: 'stop' },
};
const candidate = { backend: 'b', model: 'm', key: 'b:m' };

/** A stream observer whose `appliesTo` throws, and one that sees every event it is given. */
function hooks(failureMode: 'fail_open' | 'fail_closed') {
  const seen: string[] = [];
  const broken: StreamObserver = { id: 'broken', failureMode, appliesTo: () => { throw new Error('appliesTo bug'); }, event: (e) => { seen.push(`broken:${e.type}`); } };
  const other: StreamObserver = { id: 'other', event: (e) => { seen.push(`other:${e.type}`); } };
  const bundle: FeatureBundle = { streamObservers: [broken, other] };
  const logger = memoryLogger();
  const request = new ExtensionRequest(new ExtensionHost({ features: [{ id: 'test', bundle }], state: new MemoryStateStore(), logger }), { requestId: 'r1' });
  return { request, logger, seen };
}

/**
 * Found by probing the extension hooks: a stream hook whose `appliesTo` threw failed every
 * request with a 500 (an internal error), whatever its failure mode, since the executor asked it
 * unguarded while opening each attempt. A throwing `appliesTo` is now its hook's failure: a
 * fail_open hook is left out of the attempt (counted, logged with its name), a fail_closed one
 * fails the attempt (retryable, so routing moves on) before its backend is opened.
 */
describe('regression: a stream hook whose appliesTo throws', () => {
  it('fail_open: the hook is left out of the attempt, the others run, the failure is logged with its name', () => {
    const { request, logger, seen } = hooks('fail_open');
    const attempt = request.attempt(userCall(), candidate) as AttemptExtension;
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(attempt.stages(cold('-s-m-t-f|', ev))).toBe('-s-m-t-f|', ev);
    });
    expect(seen).to.deep.equal(['other:response_started', 'other:message_started', 'other:text_delta', 'other:response_finished']);
    expect(logger.lines).to.have.length(1);
    expect(logger.lines[0]).to.nested.include({ message: 'extension hook failed; skipped (fail_open)', 'meta.feature': 'test', 'meta.hook': 'broken', 'meta.stage': 'final_stream_observation', 'meta.error': 'appliesTo bug' });
  });

  it('fail_closed: the attempt is refused with a retryable LIP_ERR_EXTENSION_FAILED, before it has stages (its backend never opened)', () => {
    const { request, seen } = hooks('fail_closed');
    const refused = request.attempt(userCall(), candidate);
    expect(refused).to.be.instanceOf(LipError);
    expect(refused).to.deep.include({ code: 'LIP_ERR_EXTENSION_FAILED', message: 'extension hook test/broken (final_stream_observation) failed: appliesTo bug', retryable: true });
    expect(seen).to.deep.equal([]);
  });

  it('on an answer the response cache gives: fail_open leaves the observer out, fail_closed fails the hit', () => {
    const open = hooks('fail_open');
    const observeOpen = open.request.observeCached(userCall(), candidate)!;
    const closed = hooks('fail_closed');
    const observeClosed = closed.request.observeCached(userCall(), candidate)!;
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      expectObservable(cold('(smtf|)', ev).pipe(observeOpen)).toBe('(smtf|)', ev);
      const kept = cold('(smtf|)', ev);
      expectObservable(kept.pipe(observeClosed)).toBe('#', ev, new LipError('LIP_ERR_EXTENSION_FAILED', 'extension hook test/broken (final_stream_observation) failed: appliesTo bug', { retryable: true }));
      expectSubscriptions(kept.subscriptions).toBe([]);
    });
    expect(open.seen).to.have.length(4);
    expect(open.logger.lines).to.have.length(1);
    expect(closed.seen).to.deep.equal([]);
  });
});
