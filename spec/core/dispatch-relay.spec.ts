import { expect } from 'chai';
import { Observable } from 'rxjs';
import type { Backend, Target } from '../../lib/backends/backend.js';
import { emptyCall, type LipEvent } from '../../lib/canonical/index.js';
import { createCircuitBreaker } from '../../lib/circuit/index.js';
import { Executor } from '../../lib/core/execute.js';
import { testConfig } from '../helpers/config.js';
import { testScheduler } from '../helpers/marbles.js';

const ANSWER: LipEvent[] = [{ type: 'response_started' }, { type: 'text_delta', text: 'hi' }, { type: 'response_finished', reason: 'stop' }];

/**
 * A backend whose request waits in a connection queue for `waitMs` (virtual time), then
 * answers `answerMs` after its dispatch, reporting both through `Target.dispatch`.
 */
class QueuedBackend implements Backend {
  readonly kind = 'queued';
  readonly models = ['m'];
  constructor(readonly id: string, private readonly ts: ReturnType<typeof testScheduler>, private readonly waitMs: number, private readonly answerMs: number) {}
  stream(_call: unknown, target: Target): Observable<LipEvent> {
    return new Observable<LipEvent>((subscriber) => {
      target.dispatch?.onQueued?.();
      const dispatched = this.ts.schedule(() => {
        target.dispatch?.onDispatch?.();
        dispatched.add(this.ts.schedule(() => {
          for (const e of ANSWER) subscriber.next(e);
          subscriber.complete();
        }, this.answerMs));
      }, this.waitMs);
      return () => dispatched.unsubscribe();
    });
  }
}

/** Runs one streaming request through a real Executor on virtual time; returns what happened at which frame. */
function run(selector: string, waitMs: number, answerMs: number, withBreaker = false) {
  const ts = testScheduler();
  const log: string[] = [];
  const config = testConfig('  - { id: a, kind: localstub }', `routing: { default_route: "a:m", circuit_breaker: { enabled: ${withBreaker}, failure_threshold: 1 } }`);
  const breaker = createCircuitBreaker(config.routing.circuit_breaker, { scheduler: ts });
  ts.run(() => {
    const executor = new Executor(config, new Map<string, Backend>([['a', new QueuedBackend('a', ts, waitMs, answerMs)]]), { scheduler: ts, breaker });
    executor.execute(emptyCall({ model: 'x', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] }), {
      requestId: 'r1', routeHeader: selector, meta: {}, onQueued: () => log.push(`${ts.now()} queued`),
    }).subscribe({
      next: (e) => { if (e.type === 'text_delta') log.push(`${ts.now()} text`); },
      error: (err: { code?: string }) => log.push(`${ts.now()} ${err.code}`),
      complete: () => log.push(`${ts.now()} complete`),
    });
  });
  return { log, circuit: breaker.peek('a:m').state };
}

describe('core/DispatchRelay (connection queue -> TTFT budget, client)', () => {
  it('a leaf TTFT budget starts when the request is dispatched, not while it waits for a connection', () => {
    // waits 500, answers 30 after dispatch: 530 from the start, 30 from the dispatch; budget 50.
    expect(run('[ttft_timeout=50ms]a:m', 500, 30).log).to.deep.equal(['0 queued', '530 text', '530 complete']);
  });

  it('boundary: the budget still cuts a dispatched request that is slow to answer', () => {
    expect(run('[ttft_timeout=50ms]a:m', 500, 51).log).to.deep.equal(['0 queued', '550 LIP_ERR_ROUTE_ALL_FAILED']);
  });

  it('queue time never counts against the circuit: a long wait then an answer keeps it closed', () => {
    const { log, circuit } = run('[ttft_timeout=50ms]a:m', 10_000, 10, true);
    expect(log).to.deep.equal(['0 queued', '10010 text', '10010 complete']);
    expect(circuit).to.equal('closed');
  });

  it('the global {ttft_timeout} counts from the request\'s start, queue included (documented)', () => {
    expect(run('{ttft_timeout=100ms}a:m', 500, 10).log).to.deep.equal(['0 queued', '100 LIP_ERR_ROUTE_TTFT_TIMEOUT']);
  });
});
