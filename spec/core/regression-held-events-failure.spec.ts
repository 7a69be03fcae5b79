import { expect } from 'chai';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { lastValueFrom, toArray } from 'rxjs';
import type { Backend } from '../../lib/backends/backend.js';
import { emptyCall, type LipEvent } from '../../lib/canonical/index.js';
import { createCircuitBreaker } from '../../lib/circuit/index.js';
import { createContinuityStore } from '../../lib/continuity/index.js';
import type { AttemptReport } from '../../lib/core/attempt.js';
import { Executor, type ExecutionMeta } from '../../lib/core/execute.js';
import { testConfig } from '../helpers/config.js';
import { ScriptedBackend, type ScriptStep } from '../helpers/scripted-backend.js';

/** Lifecycle noise and no output: more than `server.max_pending_wire_events` allows. */
const FLOOD: ScriptStep[] = [{ type: 'response_started' }, { type: 'message_started' }, { type: 'warning', code: 'w', message: 'x' }, { type: 'warning', code: 'w', message: 'y' }];
const ANSWER: ScriptStep[] = [{ type: 'response_started' }, { type: 'text_delta', text: 'hi' }, { type: 'response_finished', reason: 'stop' }];

/**
 * Found by the routing property (spec/fuzz/routing.fuzz.spec.ts): an attempt failed by
 * `server.max_pending_wire_events` was failed by an operator outside the attempt's own
 * pipeline, so its circuit, its continuity row and its `lip:attempt` report saw it unsubscribed
 * (a cancellation, the row saying "client abort") instead of failed. The route journal alone
 * said failed.
 */
describe('core: an attempt that overflows max_pending_wire_events fails for its circuit, its row and its report', () => {
  it('the circuit counts a failure, the row says swallowed_failure with the reason, the report failure with the code, and the next arm serves', async () => {
    const a = new ScriptedBackend('a', new Map(Object.entries({ flood: FLOOD })));
    const b = new ScriptedBackend('b', new Map(Object.entries({ ok: ANSWER })));
    const config = testConfig('  - { id: a, kind: localstub }\n  - { id: b, kind: localstub }', [
      'server: { host: 127.0.0.1, port: 0, max_pending_wire_events: 2 }',
      'routing: { default_route: "a:flood", circuit_breaker: { enabled: true, failure_threshold: 1 } }',
    ].join('\n'));
    const breaker = createCircuitBreaker(config.routing.circuit_breaker);
    const store = createContinuityStore({ store: 'memory', sqlite_path: '', ttl: 3_600_000, max_legs: 100 });
    const reports: AttemptReport[] = [];
    const listener = (m: unknown) => reports.push(m as AttemptReport);
    subscribe('lip:attempt', listener);
    try {
      const executor = new Executor(config, new Map<string, Backend>([['a', a], ['b', b]]), { breaker, continuity: store });
      const aLeg = store.resolveALeg('alice');
      const meta: ExecutionMeta = {};
      const events: LipEvent[] = await lastValueFrom(executor.execute(emptyCall({ model: 'x', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] }), {
        requestId: 'r1', routeHeader: 'a:flood | b:ok', meta, aLeg, principal: 'alice',
      }).pipe(toArray()));
      expect(events.map((e) => e.type)).to.deep.equal(['response_started', 'text_delta', 'response_finished']);
      expect(meta.candidateKey).to.equal('b:ok');
      expect(breaker.peek('a:flood').state).to.equal('open');
      const rows = await store.attempts(aLeg.aLegId);
      expect(rows?.map((r) => [r.candidate_key, r.outcome])).to.deep.equal([['a:flood', 'swallowed_failure'], ['b:ok', 'success']]);
      expect(rows?.[0]?.reason).to.contain('max_pending_wire_events');
      const ends = reports.filter((r) => r.phase === 'end').map((r) => [r.candidateKey, r.outcome, r.errorCode ?? null]);
      expect(ends).to.deep.equal([['a:flood', 'failure', 'LIP_ERR_UPSTREAM_LIMIT_EXCEEDED'], ['b:ok', 'success', null]]);
    } finally {
      unsubscribe('lip:attempt', listener);
      await store.close();
      await breaker.close();
    }
  });
});
