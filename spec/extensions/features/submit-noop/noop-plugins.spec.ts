import { expect } from 'chai';
import { lastValueFrom, toArray } from 'rxjs';
import type { LipEvent } from '../../../../lib/canonical/index.js';
import type { Runtime } from '../../../../lib/core/runtime.js';
import { SUBMIT_NOOP_LIFECYCLE } from '../../../../lib/extensions/features/submit-noop/index.js';
import { userCall } from '../../fixtures.js';
import { featureRuntime } from '../../test-feature.js';

const ROWS = ['  - { id: submit-noop }', '  - { id: parts-noop }', '  - { id: tool-reactor-noop }', '  - { id: tool-call-repair, enabled: false }'].join('\n');
const ANSWER: LipEvent[] = [
  { type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: 'a' }, { type: 'text_delta', text: 'b' },
  { type: 'tool_call_started', id: 'c1', name: 'f' }, { type: 'tool_call_delta', id: 'c1', args: '{"x"' }, { type: 'tool_call_delta', id: 'c1', args: ':1}' }, { type: 'tool_call_finished', id: 'c1' },
  { type: 'usage', usage: { inputTokens: 1, outputTokens: 2 } } as LipEvent, { type: 'response_finished', reason: 'tool_calls' },
];

describe('submit-noop, parts-noop, tool-reactor-noop', () => {
  const open: Runtime[] = [];
  afterEach(async () => { for (const r of open.splice(0)) await r.close(); });

  it('occupy the submit, request-part, response-part and tool buses, and change nothing', async () => {
    const { runtime, backend } = featureRuntime({ a: ANSWER }, ROWS);
    open.push(runtime);
    const occupancy = runtime.extensions!.occupancy();
    expect(occupancy.submit_request.map((h) => `${h.feature}/${h.hook}`)).to.deep.equal(['submit-noop/noop']);
    expect(occupancy.request_wide_shaping.map((h) => `${h.feature}/${h.hook}`)).to.deep.equal(['parts-noop/request-noop']);
    expect(occupancy.stream_event_mutation.map((h) => `${h.feature}/${h.hook}`)).to.deep.equal(['parts-noop/response-noop']);
    expect(occupancy.tool_event_reaction.map((h) => `${h.feature}/${h.hook}`)).to.deep.equal(['tool-reactor-noop/noop']);
    expect(occupancy.tool_event_reaction.every((h) => h.order === 100 && h.failure_mode === 'fail_open')).to.equal(true);
    const call = userCall('hi');
    const events = await lastValueFrom(runtime.executor.execute(call, { requestId: 'r', meta: {} }).pipe(toArray()));
    expect(events).to.deep.equal(ANSWER); // same events, same chunking
    expect(backend.lastCall).to.deep.equal(call);
  });

  it('submit-noop: lifecycle_probe counts start and stop; unknown keys are config errors', async () => {
    const before = { ...SUBMIT_NOOP_LIFECYCLE };
    const { runtime } = featureRuntime({ a: ANSWER }, '  - { id: submit-noop, config: { lifecycle_probe: true, order: 3 } }');
    await new Promise((r) => setImmediate(r));
    expect(SUBMIT_NOOP_LIFECYCLE.starts).to.equal(before.starts + 1);
    expect(runtime.extensions!.occupancy().submit_request[0]!.order).to.equal(3);
    await runtime.close();
    expect(SUBMIT_NOOP_LIFECYCLE.stops).to.equal(before.stops + 1);
    expect(() => featureRuntime({ a: ANSWER }, '  - { id: submit-noop, config: { probe: true } }')).to.throw(/unknown key "probe"/);
    expect(() => featureRuntime({ a: ANSWER }, '  - { id: parts-noop, config: { order: -1 } }')).to.throw(/order/);
  });
});
