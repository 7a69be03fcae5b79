import { expect } from 'chai';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { lastValueFrom, toArray } from 'rxjs';
import type { Backend } from '../../lib/backends/backend.js';
import { emptyCall, type LipEvent } from '../../lib/canonical/index.js';
import type { AttemptReport } from '../../lib/core/attempt.js';
import { createContinuityStore, type ContinuityStore } from '../../lib/continuity/index.js';
import { Executor, type ExecutionMeta } from '../../lib/core/execute.js';
import { LipError } from '../../lib/errors/index.js';
import { testConfig } from '../helpers/config.js';
import { ScriptedBackend, type ScriptStep } from '../helpers/scripted-backend.js';

const ANSWER: ScriptStep[] = [
  { type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: 'hi' },
  { type: 'usage', usage: { inputTokens: 3, outputTokens: 2 } }, { type: 'response_finished', reason: 'stop' },
];
const FAIL: ScriptStep[] = [{ fail: new LipError('LIP_ERR_UPSTREAM_STATUS', 'busy', { status: 503, retryable: true }) }];

/**
 * One request through a real Executor over scripted backends `a` and `b`. `logging` is the
 * config's logging section (the access log reads the request's usage); returns the request's
 * meta and what each attempt's Target carried.
 */
async function run(selector: string, logging = '{ access_log: false }', continuity?: ContinuityStore) {
  const a = new ScriptedBackend('a', new Map(Object.entries({ ok: ANSWER, fail: FAIL })));
  const b = new ScriptedBackend('b', new Map(Object.entries({ ok: ANSWER })));
  const config = testConfig('  - { id: a, kind: localstub }\n  - { id: b, kind: localstub }', `routing: { default_route: "a:ok" }\nlogging: ${logging}`);
  const executor = new Executor(config, new Map<string, Backend>([['a', a], ['b', b]]), continuity ? { continuity } : {});
  const meta: ExecutionMeta = {};
  const aLeg = continuity?.resolveALeg('alice');
  const events: LipEvent[] = await lastValueFrom(executor.execute(emptyCall({ model: 'x', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] }), {
    requestId: 'r1', routeHeader: selector, meta, ...(aLeg ? { aLeg, principal: 'alice' } : {}),
  }).pipe(toArray()));
  expect(events.at(-1)).to.deep.include({ type: 'response_finished' });
  return { meta, aLeg, targets: [...a.calls, ...b.calls].map((c) => c.target) };
}

/**
 * The attempt wrapper costs nothing when nothing reads it (metrics, tracing, attempt log lines,
 * access log and continuity all off), and every attempt is observed as soon as something does,
 * a one-leaf plan (which skips the failover operator) included.
 */
describe('core/observe-attempt: attempts are wrapped only when observed', () => {
  it('nothing observes: no wrapper (no usage gathered, no upstream-response hook), X-Request-Id still forwarded', async () => {
    const { meta, targets } = await run('a:ok');
    expect(targets).to.have.length(1);
    expect(targets[0]!.onUpstreamResponse).to.equal(undefined);
    expect(targets[0]!.requestHeaders).to.deep.equal({ 'x-request-id': 'r1' });
    expect(meta.usage).to.equal(undefined);
    expect(meta.attempts).to.equal(1);
  });

  it('a lip:attempt listener sees the start and end of a one-leaf plan, and of each failover arm', async () => {
    const reports: AttemptReport[] = [];
    const listener = (m: unknown) => reports.push(m as AttemptReport);
    subscribe('lip:attempt', listener);
    try {
      const one = await run('a:ok');
      expect(reports.map((r) => [r.phase, r.candidateKey, r.outcome])).to.deep.equal([['start', 'a:ok', undefined], ['end', 'a:ok', 'success']]);
      expect(reports[1]!.usage).to.deep.equal({ inputTokens: 3, outputTokens: 2 });
      expect(reports[1]!.ttftMs).to.be.a('number');
      expect(one.targets[0]!.onUpstreamResponse).to.be.a('function');
      expect(one.meta.usage).to.include({ inputTokens: 3, outputTokens: 2 });
      reports.length = 0;
      await run('a:fail|b:ok');
      expect(reports.map((r) => [r.phase, r.candidateKey, r.outcome])).to.deep.equal([
        ['start', 'a:fail', undefined], ['end', 'a:fail', 'failure'], ['start', 'b:ok', undefined], ['end', 'b:ok', 'success'],
      ]);
      expect(reports[2]).to.deep.include({ failoverFrom: 'a:fail', failoverReason: 'LIP_ERR_UPSTREAM_STATUS' });
    } finally {
      unsubscribe('lip:attempt', listener);
    }
  });

  it('the access log alone gathers the request usage of a one-leaf plan', async () => {
    const { meta, targets } = await run('a:ok', '{ access_log: true }');
    expect(meta.usage).to.include({ inputTokens: 3, outputTokens: 2 });
    expect(targets[0]!.onUpstreamResponse).to.be.a('function');
  });

  it('a continuity row alone gathers the attempt usage in its own operator (no request usage, no attempt wrapper needed)', async () => {
    const store = createContinuityStore({ store: 'memory', sqlite_path: '', ttl: 3_600_000, max_legs: 100 });
    try {
      const { meta, aLeg, targets } = await run('a:ok', '{ access_log: false }', store);
      expect(targets[0]!.onUpstreamResponse).to.be.a('function');
      expect(meta.usage).to.equal(undefined);
      const rows = await store.attempts(aLeg!.aLegId);
      expect(rows?.map((r) => [r.candidate_key, r.outcome, r.input_tokens, r.output_tokens])).to.deep.equal([['a:ok', 'success', 3, 2]]);
    } finally {
      await store.close();
    }
  });
});
