import { expect } from 'chai';
import { lastValueFrom, toArray } from 'rxjs';
import { collectEvents, type LipEvent } from '../../lib/canonical/index.js';
import type { Runtime } from '../../lib/core/runtime.js';
import { toLipError } from '../../lib/errors/index.js';
import { FAIL_OPEN_SKIPS } from '../../lib/extensions/hook-failures.js';
import type { FailureMode, StageId } from '../../lib/extensions/stages.js';
import type { FeatureBundle } from '../../lib/extensions/sdk.js';
import type { ScriptStep } from '../helpers/scripted-backend.js';
import { userCall } from './fixtures.js';
import { bundles, featureRuntime, useTestFeatures } from './test-feature.js';

/**
 * Found by probing the extension hooks: an `async` hook in a synchronous stage (an observer, a
 * mutator, a tool hook, a request part, a redactor) whose promise rejected was never looked at.
 * Each rejection became a process-level unhandled rejection (53 error lines for a 50-delta
 * stream; embedded in a process that ends on one, the process ended), fail_open's counting and
 * once-a-minute logging were bypassed, and fail_closed stopped nothing. Now an observer's
 * rejection is its failure when it comes, and a promise where a value is required is the
 * hook's failure at once (its rejection dropped).
 */
describe('regression: async hooks in synchronous stages', () => {
  useTestFeatures();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => { unhandled.push(reason); };
  before(() => { process.on('unhandledRejection', onUnhandled); });
  after(() => { process.off('unhandledRejection', onUnhandled); });
  let runtime: Runtime | undefined;
  beforeEach(() => { unhandled.length = 0; });
  afterEach(async () => { await runtime?.close(); runtime = undefined; });

  /** The rejections of this turn have been handled or reported (unhandledRejection fires before the next macrotask). */
  const settled = () => new Promise((r) => setImmediate(r));
  const deltas = (n: number): LipEvent[] => Array.from({ length: n }, (_, i) => ({ type: 'text_delta', text: `${i} ` }));
  const TOOL: LipEvent[] = [{ type: 'tool_call_started', id: 'c1', name: 'get' }, { type: 'tool_call_delta', id: 'c1', args: '{"a":"x"}' }, { type: 'tool_call_finished', id: 'c1' }];
  /** 50 deltas, then (a turn later) a tool call. */
  const SCRIPT: ScriptStep[] = [{ type: 'response_started' }, { type: 'message_started' }, ...deltas(50), { delayMs: 0 }, ...TOOL, { type: 'response_finished', reason: 'tool_calls' }];
  const boom = async (): Promise<never> => { throw new Error('async hook bug'); };
  const run = (bundle: FeatureBundle) => {
    bundles['test-hooks'] = () => bundle;
    runtime = featureRuntime({ m: SCRIPT }, '  - { id: test-hooks }\n  - { id: tool-call-repair, enabled: false }').runtime;
    return lastValueFrom(runtime.executor.execute(userCall('hi', { model: 's:m' }), { requestId: 'r', meta: {} }).pipe(toArray())).then(collectEvents);
  };
  const skips = (stage: StageId) => FAIL_OPEN_SKIPS.get(stage) ?? 0;
  const answer = `${deltas(50).map((e) => (e as { text: string }).text).join('')}`;

  it('an async stream observer that rejects on every event (fail_open): the answer is whole, each rejection is counted, none is unhandled', async () => {
    const before = skips('final_stream_observation');
    const response = await run({ streamObservers: [{ id: 'obs', failureMode: 'fail_open', event: boom, end: boom }] });
    await settled();
    expect(response.blocks[0]).to.deep.equal({ type: 'text', text: answer });
    expect(unhandled).to.deep.equal([]);
    // 53 events before the tool call's (started, message, 50 deltas; tool events, finish), and the end.
    expect(skips('final_stream_observation') - before).to.equal(SCRIPT.length - 1 + 1);
  });

  it('an async stream observer that rejects (fail_closed) fails the attempt it observes', async () => {
    const err = await run({ streamObservers: [{ id: 'obs', failureMode: 'fail_closed' as FailureMode, event: boom }] }).catch((e: unknown) => e);
    await settled();
    expect(unhandled).to.deep.equal([]);
    expect(toLipError(err).message).to.contain('test-hooks/obs (final_stream_observation) failed: async hook bug');
  });

  const stages: [string, StageId, (mode: FailureMode) => FeatureBundle][] = [
    ['a request part', 'request_wide_shaping', (m) => ({ requestParts: [{ id: 'h', failureMode: m, shape: boom as never }] })],
    ['an attempt transform', 'candidate_attempt_transform', (m) => ({ attemptTransforms: [{ id: 'h', failureMode: m, transform: boom as never }] })],
    ['an event mutator', 'stream_event_mutation', (m) => ({ eventMutators: [{ id: 'h', failureMode: m, mutate: boom as never }] })],
    ['a tool finalizer', 'tool_event_reaction', (m) => ({ toolFinalizers: [{ id: 'h', failureMode: m, react: boom as never }] })],
    ['a tool policy', 'tool_event_reaction', (m) => ({ toolPolicies: [{ id: 'h', failureMode: m, decide: boom as never }] })],
    ['a tool reactor', 'tool_event_reaction', (m) => ({ toolReactors: [{ id: 'h', failureMode: m, react: boom as never }] })],
  ];
  for (const [what, stage, bundle] of stages) {
    it(`${what} that answers a promise: its failure at once (fail_open skipped and counted, fail_closed fails the attempt), its rejection never unhandled`, async () => {
      const before = skips(stage);
      const response = await run(bundle('fail_open'));
      await settled();
      expect(response.blocks).to.deep.equal([{ type: 'text', text: answer }, { type: 'tool_call', id: 'c1', name: 'get', arguments: '{"a":"x"}' }]);
      expect(skips(stage)).to.be.greaterThan(before);
      expect(unhandled).to.deep.equal([]);
      await runtime!.close();
      const err = await run(bundle('fail_closed')).catch((e: unknown) => e);
      await settled();
      expect(toLipError(err).message).to.contain(`test-hooks/h (${stage}) failed: answered a promise; hooks of this stage are synchronous`);
      expect(unhandled).to.deep.equal([]);
    });
  }

  it('an async traffic observer and redactor that reject: counted as failures off the hot path, never unhandled; the redactor\'s promise is no observation', async () => {
    const seen: unknown[] = [];
    const before = skips('traffic_observation');
    await run({
      trafficRedactors: [{ id: 'redact', redact: boom as never }],
      trafficObservers: [{ id: 'async-tap', observe: boom }, { id: 'tap', observe: (batch) => { seen.push(...batch); } }],
    });
    await settled();
    await settled();
    expect(unhandled).to.deep.equal([]);
    expect(seen).to.deep.equal([]); // every observation failed its redactor: dropped
    expect(skips('traffic_observation')).to.be.greaterThan(before);
  });
});
