import { expect } from 'chai';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { lastValueFrom, toArray } from 'rxjs';
import type { Backend } from '../../lib/backends/backend.js';
import { emptyCall, type LipEvent } from '../../lib/canonical/index.js';
import { createCircuitBreaker, type CircuitBreaker } from '../../lib/circuit/index.js';
import type { AttemptReport } from '../../lib/core/attempt.js';
import { Executor, type ExecutionMeta } from '../../lib/core/execute.js';
import { createExtensionHost, MemoryStateStore } from '../../lib/extensions/index.js';
import type { FeatureBundle } from '../../lib/extensions/sdk.js';
import { testConfig } from '../helpers/config.js';
import { ScriptedBackend, type ScriptStep } from '../helpers/scripted-backend.js';

const ANSWER: ScriptStep[] = [{ type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: 'hi' }, { type: 'response_finished', reason: 'stop' }];
const broken = (): never => { throw new Error('appliesTo bug'); };

/** The hooks that refuse an attempt on `a:ok` before its backend opens, each its own way. */
const REFUSALS: Record<string, FeatureBundle> = {
  'a fail_closed stream observer whose appliesTo throws': {
    streamObservers: [{ id: 'watch', failureMode: 'fail_closed', appliesTo: (_call, target) => (target?.candidateKey === 'a:ok' ? broken() : true), event: () => undefined }],
  },
  'an attempt transform answering exclude_candidate': {
    attemptTransforms: [{ id: 'pick', transform: (call, target) => (target.candidateKey === 'a:ok' ? { action: 'exclude_candidate', reason: 'not this one' } : { action: 'continue', call }) }],
  },
  'a fail_closed attempt transform that throws': {
    attemptTransforms: [{ id: 'pick', failureMode: 'fail_closed', transform: (call, target) => (target.candidateKey === 'a:ok' ? broken() : { action: 'continue', call }) }],
  },
};

/** `a:ok|b:ok` through a real Executor (breaker on, its clock `clock.now`) with `bundle` as a feature; what lip:attempt reported. */
async function run(bundle: FeatureBundle, clock: { now: number }, breaker?: CircuitBreaker) {
  const a = new ScriptedBackend('a', new Map([['ok', ANSWER]]));
  const b = new ScriptedBackend('b', new Map([['ok', ANSWER]]));
  const config = testConfig('  - { id: a, kind: localstub }\n  - { id: b, kind: localstub }', 'routing: { default_route: "a:ok", circuit_breaker: { enabled: true, failure_threshold: 1, open_for: 30s, half_open_probes: 1 } }');
  breaker ??= createCircuitBreaker(config.routing.circuit_breaker, { scheduler: { now: () => clock.now, schedule: () => { throw new Error('the breaker schedules nothing here'); } } });
  const extensions = createExtensionHost(config, { state: new MemoryStateStore(), builtIn: [{ id: 'test', bundle }] })!;
  const executor = new Executor(config, new Map<string, Backend>([['a', a], ['b', b]]), { breaker, extensions });
  const reports: AttemptReport[] = [];
  const listener = (m: unknown) => reports.push(m as AttemptReport);
  subscribe('lip:attempt', listener);
  const meta: ExecutionMeta = {};
  let counted = 0;
  try {
    const call = emptyCall({ model: 'x', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
    const events: LipEvent[] = await lastValueFrom(executor.execute(call, { requestId: 'r1', routeHeader: 'a:ok|b:ok', meta, onAttempt: () => counted++ }).pipe(toArray()));
    expect(events.at(-1)).to.deep.include({ type: 'response_finished' });
  } finally {
    unsubscribe('lip:attempt', listener);
  }
  return { breaker, meta, counted, reports: reports.map((r) => [r.phase, r.candidateKey, r.outcome]), opened: { a: a.calls.length, b: b.calls.length } };
}

/**
 * Found in review: a fail_closed stream hook whose `appliesTo` threw refused its attempt only
 * once the executor had wrapped it (the circuit's tap, the attempt report, its span, the attempt
 * count): the refusal's stages never subscribed that wrapping, so the attempt was counted
 * (meta.attempts 2 for `a:ok|b:ok`) but never reported on lip:attempt, its span never ended,
 * and its circuit decision was never recorded: a half-open circuit's probe slot was held until
 * open_for passed. The refusals of attempt transforms (exclude_candidate, a fail_closed
 * transform's failure) came before that wrapping but did not give the circuit decision back
 * either. Every such refusal now happens before the attempt is counted, reported or traced,
 * and releases what the breaker admitted.
 */
describe('regression: an attempt an extension refuses before its backend opens', () => {
  for (const [name, bundle] of Object.entries(REFUSALS)) {
    describe(name, () => {
      it('is neither counted nor reported as an attempt: b serves, reported alone', async () => {
        const { meta, counted, reports, opened } = await run(bundle, { now: 0 });
        expect(opened).to.deep.equal({ a: 0, b: 1 });
        expect(reports).to.deep.equal([['start', 'b:ok', undefined], ['end', 'b:ok', 'success']]);
        expect(meta.attempts).to.equal(1);
        expect(counted).to.equal(1);
        expect(meta.candidateKey).to.equal('b:ok');
      });

      it('gives a half-open circuit its probe slot back', async () => {
        const clock = { now: 0 };
        const config = testConfig('  - { id: a, kind: localstub }', 'routing: { circuit_breaker: { enabled: true, failure_threshold: 1, open_for: 30s, half_open_probes: 1 } }');
        const breaker = createCircuitBreaker(config.routing.circuit_breaker, { scheduler: { now: () => clock.now, schedule: () => { throw new Error('unused'); } } });
        breaker.record('a:ok', 'failure', breaker.check('a:ok'));
        clock.now = 30_000; // open_for passed: the next attempt on a:ok is the probe
        expect(breaker.peek('a:ok')).to.deep.include({ allowed: true, probe: true, state: 'half_open' });
        const { reports } = await run(bundle, clock, breaker);
        expect(reports.map((r) => r[1])).to.deep.equal(['b:ok', 'b:ok']);
        // Nothing answered for a:ok: still half-open, and its one probe slot free for the next request.
        expect(breaker.peek('a:ok')).to.deep.include({ allowed: true, probe: true, state: 'half_open' });
        expect(breaker.snapshot().find((row) => row.key === 'a:ok')).to.deep.include({ state: 'half_open', next_probe_at: new Date(30_000).toISOString() });
      });
    });
  }
});
