import { expect } from 'chai';
import { lastValueFrom, toArray } from 'rxjs';
import { CUSTOM_TOOL_PARAMETERS, collectEvents, type LipEvent, type ToolDefinition } from '../../../../lib/canonical/index.js';
import { toolCallRepair } from '../../../../lib/extensions/features/tool-call-repair/index.js';
import { TOOL_CALL_REPAIRS } from '../../../../lib/extensions/features/tool-call-repair/repair-reasons.js';
import type { Runtime } from '../../../../lib/core/runtime.js';
import { memoryLogger, userCall } from '../../fixtures.js';
import { featureRuntime } from '../../test-feature.js';

const TOOLS = [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } }];
const toolAnswer = (name: string, ...chunks: string[]): LipEvent[] => [
  { type: 'response_started' }, { type: 'message_started' },
  { type: 'tool_call_started', id: 'c1', name }, ...chunks.map((args) => ({ type: 'tool_call_delta' as const, id: 'c1', args })), { type: 'tool_call_finished', id: 'c1' },
  { type: 'response_finished', reason: 'tool_calls' },
];

describe('tool-call-repair: the plugin in the executor', () => {
  const open: Runtime[] = [];
  afterEach(async () => { for (const r of open.splice(0)) await r.close(); });
  const make = (...args: Parameters<typeof featureRuntime>) => { const made = featureRuntime(...args); open.push(made.runtime); return made; };
  const run = (runtime: Runtime, tools: readonly ToolDefinition[] = TOOLS) => lastValueFrom(runtime.executor.execute(userCall('hi', { tools }), { requestId: 'r', meta: {} }).pipe(toArray()));

  it('is on with no features key; a valid call leaves with its original events (chunking kept)', async () => {
    const { runtime } = make({ a: toolAnswer('get_weather', '{"ci', 'ty":"Paris"}') }, '');
    expect(await run(runtime)).to.deep.equal(toolAnswer('get_weather', '{"ci', 'ty":"Paris"}'));
  });

  it('a repaired call leaves as started + one delta + finished, with the repaired name and arguments', async () => {
    const { runtime } = make({ a: toolAnswer('GetWeather', '{"City":', '"Paris"') }, '');
    expect(await run(runtime)).to.deep.equal(toolAnswer('get_weather', '{"city":"Paris"}'));
  });

  it('a request without tools does not get the stage (the events are the backend\'s own objects)', async () => {
    const answer = toolAnswer('get_weather', '{"City":"Paris"}');
    const { runtime } = make({ a: answer }, '');
    const before = new Map(TOOL_CALL_REPAIRS);
    const events = await run(runtime, []);
    expect(events).to.deep.equal(answer); // not renamed: nothing looked at it
    expect(new Map(TOOL_CALL_REPAIRS)).to.deep.equal(before);
  });

  it('an enabled: false row opts out', async () => {
    const { runtime } = make({ a: toolAnswer('GetWeather', '{"city":"Paris"}') }, '  - { id: tool-call-repair, enabled: false }');
    expect(runtime.extensions?.occupancy().tool_event_reaction).to.deep.equal([]);
    expect(collectEvents(await run(runtime)).blocks).to.deep.equal([{ type: 'tool_call', id: 'c1', name: 'GetWeather', arguments: '{"city":"Paris"}' }]);
  });

  it('on_unrepairable: error fails the attempt (retryable: the next candidate is tried before output)', async () => {
    const { runtime } = make({ a: toolAnswer('get_weather', '{"town":1}'), b: toolAnswer('get_weather', '{"city":"Rome"}') },
      '  - { id: tool-call-repair, config: { on_unrepairable: error } }');
    const events = await lastValueFrom(runtime.executor.execute(userCall('hi', { tools: TOOLS }), { requestId: 'r', meta: {}, routeHeader: 's:a|s:b' }).pipe(toArray()));
    expect(collectEvents(events).blocks).to.deep.equal([{ type: 'tool_call', id: 'c1', name: 'get_weather', arguments: '{"city":"Rome"}' }]);
  });

  it('with pass_through an unrepairable call leaves as it came; max_args_bytes skips repair', async () => {
    const { runtime } = make({ a: toolAnswer('get_weather', '{"City":"Paris"}') }, '  - { id: tool-call-repair, config: { max_args_bytes: 8 } }');
    expect(await run(runtime)).to.deep.equal(toolAnswer('get_weather', '{"City":"Paris"}'));
  });

  it('a custom tool\'s call (raw input, not JSON) is never repaired nor refused', async () => {
    const custom = [{ name: 'get_weather', parameters: CUSTOM_TOOL_PARAMETERS, kind: 'custom' as const }];
    const answer = toolAnswer('get_weather', '{"City":', '"Paris"}').map((e) => (e.type === 'tool_call_started' ? { ...e, custom: true } : e));
    const { runtime } = make({ a: answer }, '  - { id: tool-call-repair, config: { on_unrepairable: error } }');
    expect(await run(runtime, custom)).to.deep.equal(answer);
  });

  it('canceled: a tool call still held when the attempt is cancelled is counted', async () => {
    const { runtime } = make({ a: [{ type: 'response_started' }, { type: 'message_started' }, { type: 'tool_call_started', id: 'c1', name: 'get_weather' }, { type: 'tool_call_delta', id: 'c1', args: '{"ci' }, { delayMs: 60_000 }] }, '');
    const before = TOOL_CALL_REPAIRS.get('canceled') ?? 0;
    const sub = runtime.executor.execute(userCall('hi', { tools: TOOLS }), { requestId: 'r', meta: {} }).subscribe();
    await new Promise((r) => setTimeout(r, 20));
    expect(TOOL_CALL_REPAIRS.get('canceled') ?? 0).to.equal(before);
    sub.unsubscribe();
    expect(TOOL_CALL_REPAIRS.get('canceled')).to.equal(before + 1);
  });

  it('logs reason codes only, never arguments, names or schemas', () => {
    const logger = memoryLogger();
    const bundle = toolCallRepair.create({}, { featureId: 'tool-call-repair', logger, state: undefined as never });
    const reactor = bundle.toolFinalizers![0]!;
    const ctx = { requestId: 'r', call: userCall('hi', { tools: TOOLS }) } as never;
    expect(reactor.react({ id: 'c1', name: 'get_weather', args: '{"City":"SECRET-CITY"' }, ctx)).to.deep.equal({ action: 'rewrite', args: '{"city":"SECRET-CITY"}' });
    for (const word of ['SECRET', 'get_weather', 'city']) expect(JSON.stringify(logger.lines)).to.not.contain(word);
    expect(logger.lines.map((l) => l.meta?.reasons)).to.deep.equal(['syntax_repaired,property_renamed']);
    expect(reactor.appliesTo!(userCall('hi'))).to.equal(false);
  });
});
