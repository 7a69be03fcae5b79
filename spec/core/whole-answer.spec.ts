import { expect } from 'chai';
import { lastValueFrom, toArray } from 'rxjs';
import type { Backend } from '../../lib/backends/backend.js';
import { emptyCall, type LipEvent } from '../../lib/canonical/index.js';
import { Executor } from '../../lib/core/execute.js';
import { wantsWhole } from '../../lib/core/whole-answer.js';
import { LipError } from '../../lib/errors/index.js';
import type { Leaf } from '../../lib/routing/selector/ast.js';
import { testConfig } from '../helpers/config.js';
import { ScriptedBackend, type ScriptStep } from '../helpers/scripted-backend.js';

const ANSWER: ScriptStep[] = [
  { type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: 'hi' }, { type: 'response_finished', reason: 'stop' },
];
const FAIL: ScriptStep[] = [{ fail: new LipError('LIP_ERR_UPSTREAM_STATUS', 'busy', { status: 503, retryable: true }) }];
const leaf = (ttftTimeoutMs?: number) => ({ ttftTimeoutMs } as unknown as Leaf);

/** Runs one request through a real Executor over scripted backends `a` and `b`; returns every Target.whole they saw. */
async function wholeFlags(selector: string, stream: boolean, scripts: Record<string, readonly ScriptStep[]> = { ok: ANSWER }): Promise<(boolean | undefined)[]> {
  const a = new ScriptedBackend('a', new Map(Object.entries(scripts)));
  const b = new ScriptedBackend('b', new Map(Object.entries({ ok: ANSWER })));
  const config = testConfig('  - { id: a, kind: localstub }\n  - { id: b, kind: localstub }', 'routing: { default_route: "a:ok" }');
  const executor = new Executor(config, new Map<string, Backend>([['a', a], ['b', b]]));
  const events: LipEvent[] = await lastValueFrom(executor.execute(emptyCall({ model: 'x', stream, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] }), {
    requestId: 'r1', routeHeader: selector, meta: {},
  }).pipe(toArray()));
  expect(events.at(-1)).to.deep.include({ type: 'response_finished' });
  return [...a.calls, ...b.calls].map((c) => c.target.whole);
}

describe('core/whole-answer', () => {
  it('wantsWhole: only a non-streaming call, outside races, without a leaf or global TTFT budget', () => {
    const call = emptyCall({ model: 'x', stream: false });
    expect(wantsWhole(call, { inRace: false }, leaf(), undefined)).to.equal(true);
    expect(wantsWhole({ ...call, stream: true }, { inRace: false }, leaf(), undefined)).to.equal(false);
    expect(wantsWhole(call, { inRace: true }, leaf(), undefined)).to.equal(false);
    expect(wantsWhole(call, { inRace: false }, leaf(5_000), undefined)).to.equal(false);
    expect(wantsWhole(call, { inRace: false }, leaf(), 5_000)).to.equal(false);
  });

  it('the executor offers a whole answer to a single candidate and to every failover arm of a non-streaming call', async () => {
    expect(await wholeFlags('a:ok', false)).to.deep.equal([true]);
    expect(await wholeFlags('a:fail|b:ok', false, { fail: FAIL })).to.deep.equal([true, true]);
    expect(await wholeFlags('[weight=1]a:ok^[weight=1]b:ok', false)).to.deep.equal([true]);
  });

  it('never for a streaming call', async () => {
    expect(await wholeFlags('a:ok', true)).to.deep.equal([undefined]);
  });

  it('keeps race legs and TTFT budgets streaming', async () => {
    const race = await wholeFlags('a:ok!b:ok', false);
    expect(race.length).to.be.greaterThan(0);
    expect(race.every((w) => w === undefined)).to.equal(true);
    expect(await wholeFlags('[ttft_timeout=60s]a:ok', false)).to.deep.equal([undefined]);
    expect(await wholeFlags('{ttft_timeout=60s}a:ok', false)).to.deep.equal([undefined]);
    // Only the budgeted leaf streams; its failover sibling may take the whole answer.
    expect(await wholeFlags('[ttft_timeout=60s]a:fail|b:ok', false, { fail: FAIL })).to.deep.equal([undefined, true]);
  });
});
